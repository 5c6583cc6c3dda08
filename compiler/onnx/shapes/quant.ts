/** QuantizeLinear / DequantizeLinear: shape of x; the dtype comes from the zero point (or scale). */
import type { DType } from '../../ir/graph.js';
import { elementCount } from '../../ir/graph.js';
import { dtypeFromOnnx, onnxDTypeName } from '../proto.js';
import { fmtShape, type ShapeContext, type ShapeRule } from './context.js';

/**
 * Validate scale / zero point: a single value (scalar or 1-element 1-D, as
 * onnxruntime accepts) means per tensor; otherwise a 1-D vector along `axis`.
 * Returns the normalised axis, or -1 for per tensor.
 */
export function quantAxis(ctx: ShapeContext, rank: number): number {
  if (ctx.int('block_size', 0) !== 0) ctx.fail('blocked quantization (block_size) is not supported');
  const scale = ctx.input(1);
  const zp = ctx.optional(2);
  const single = (shape: readonly number[]): boolean => elementCount(shape) === 1 && shape.length <= 1;
  // onnxruntime's per-tensor bias from quantize_static pairs a [1] scale with a scalar zero point: both are "one value".
  if (single(scale.shape) && (!zp || single(zp.shape))) return -1;
  if (zp && fmtShape(zp.shape) !== fmtShape(scale.shape)) ctx.fail(`zero point shape ${fmtShape(zp.shape)} differs from scale shape ${fmtShape(scale.shape)}`);
  if (scale.shape.length !== 1) ctx.fail(`scale must be a scalar or 1-D, got ${fmtShape(scale.shape)}`);
  const x = ctx.input(0);
  // A rank-1 tensor has one axis: tf2onnx --tflite writes depthwise biases with axis=3 (the
  // TFLite weights' channel axis); onnxruntime accepts it as per-channel over that only axis.
  if (rank === 1 && x.shape[0] === scale.shape[0]) return 0;
  const axis = ctx.axis(ctx.int('axis', 1), rank);
  if (x.shape[axis] !== scale.shape[0]) ctx.fail(`per-channel scale has ${scale.shape[0]} values but axis ${axis} of ${fmtShape(x.shape)} has ${x.shape[axis]}`);
  return axis;
}

const QUANTIZED: readonly DType[] = ['int8', 'uint8', 'int16'];

export const QuantizeLinear: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  quantAxis(ctx, x.shape.length);
  const zp = ctx.optional(2);
  let dtype: DType = 'uint8';
  if (zp) dtype = zp.dtype;
  else if (ctx.opset >= 21 && ctx.int('output_dtype', 0) !== 0) {
    const code = ctx.int('output_dtype', 0);
    const d = dtypeFromOnnx(code);
    if (!d) throw ctx.error(`output_dtype ${onnxDTypeName(code)} is not supported`);
    dtype = d;
  }
  if (!QUANTIZED.includes(dtype)) ctx.fail(`quantized type ${dtype} is not supported (int8, uint8, int16)`);
  return [{ dtype, shape: [...x.shape] }];
};

export const DequantizeLinear: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (![...QUANTIZED, 'int32'].includes(x.dtype)) ctx.fail(`cannot dequantize ${x.dtype}`);
  quantAxis(ctx, x.shape.length);
  const scale = ctx.input(1);
  return [{ dtype: scale.dtype, shape: [...x.shape] }];
};
