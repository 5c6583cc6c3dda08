/**
 * Layers kept in float32 inside an int8 model (issue 14: `--float-layers`,
 * `--auto-float`, or a float layer an exporter left between int8 ones,
 * `DQ -> Conv(float weights) -> Q`). A weighted op (Conv, Gemm, MatMul) whose
 * weights are a float initializer with no quantization is such a layer; its
 * lowering (next to the int8 one in the op's family file) uses these helpers
 * for the boundaries:
 *  - an int8 input is dequantized into a float temporary (one per int8
 *    value, shared by every float layer that reads it): ONNX
 *    DequantizeLinear, (q - zp) * scale;
 *  - a float input (a float model input, or the output of another float
 *    layer with no Q between) is read as is;
 *  - an output that the model quantizes (its Q was folded into the layer) is
 *    written as a float temporary, then quantized (ONNX QuantizeLinear,
 *    round half to even, saturate); an unquantized output stays float.
 * The int8 regions around are untouched: with the same Q/DQ parameters they
 * compute what they compute in an all-int8 build.
 */
import type { Graph, Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { physicalShape, type Perm } from '../ir/layout.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { fusedClamp } from '../passes/fuse-activations.js';
import { KEEP_FLOAT_ATTR } from '../passes/float-layers.js';

/** Why CMSIS-NN / ESP-NN run such a layer on the portable kernel (the build report lists it). */
export const FLOAT_LAYER_REASON = 'layer kept in float32 (the kernel libraries are int8)';

/** Largest finite float32: the "no bound" of a float kernel's clamp. */
export const FLT_MAX = 3.4028234663852886e38;

const quantizedModels = new WeakMap<Graph, boolean>();

/** Whether any tensor of the graph carries a quantization (after fold-qdq: the model is a QDQ / int8 model). */
export function isQuantizedModel(graph: Graph): boolean {
  let known = quantizedModels.get(graph);
  if (known === undefined) {
    known = [...graph.tensors.values()].some((t) => t.quant !== undefined);
    quantizedModels.set(graph, known);
  }
  return known;
}

/**
 * Whether `node` runs in float: its weights (input `index`) are a float
 * constant without quantization, inside a quantized model or named by
 * --float-layers. A wholly float model without --calibration is not
 * silently compiled to float: lowering refuses it as before, asking for
 * calibration data.
 */
export function hasFloatWeights(ctx: LoweringContext, node: Node, index = 1): boolean {
  const name = node.inputs[index] ?? '';
  const t = name === '' ? undefined : ctx.graph.tensors.get(name);
  if (!t?.data || t.dtype !== 'float32' || t.quant) return false;
  return node.attrs[KEEP_FLOAT_ATTR] !== undefined || isQuantizedModel(ctx.graph);
}

/** The float values of a constant input (weights, bias), checked finite: a NaN or infinity in flash would poison every output silently. */
export function floatConstant(ctx: LoweringContext, node: Node, index: number, what: string): Float32Array | undefined {
  const name = node.inputs[index] ?? '';
  if (name === '') return undefined;
  const t = ctx.tensor(name);
  if (!t.data) throw ctx.fail(node, `${what} '${name}' must be a constant initializer`);
  if (t.quant) throw ctx.fail(node, `${what} '${name}' is quantized but the layer's weights are float; a float layer needs float ${what}`);
  const values = Float32Array.from(t.data, Number);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw ctx.fail(node, `${what} '${name}' element ${bad} is ${values[bad]}; float weights must be finite`);
  return values;
}

/** Per-output-channel float bias (zeros when absent; a single value is broadcast). */
export function floatBias(ctx: LoweringContext, node: Node, index: number, channels: number): Float32Array {
  const values = floatConstant(ctx, node, index, 'bias');
  if (!values) return new Float32Array(channels);
  if (values.length !== channels && values.length !== 1) throw ctx.fail(node, `bias '${node.inputs[index]}' has ${values.length} values for ${channels} output channels`);
  return values.length === channels ? values : new Float32Array(channels).fill(values[0]);
}

/** The fused Relu / Clip of a float layer in real units (±FLT_MAX without a bound). */
export function floatClamp(node: Node): { act_min: number; act_max: number } {
  const c = fusedClamp(node);
  return { act_min: Math.max(-FLT_MAX, c.min), act_max: Math.min(FLT_MAX, c.max) };
}

const dequantized = new WeakMap<LoweringContext, Map<string, string>>();

/** The float32 value holding ONNX tensor `name` in layout `perm`: an int8 value is dequantized first. */
export function readFloat(ctx: LoweringContext, node: Node, name: string, perm: Perm): string {
  const src = ctx.read(node, name, perm);
  const v = ctx.value(src.value);
  if (v.type === 'float32') return src.value;
  if (v.type !== 'int8' && v.type !== 'int16') throw ctx.fail(node, `float layer input '${name}' is ${v.type}; float layers read float32, int8 or int16 tensors`);
  const q = ctx.quant(node, name);
  let cache = dequantized.get(ctx);
  if (!cache) { cache = new Map(); dequantized.set(ctx, cache); }
  const known = cache.get(src.value);
  if (known) return known;
  const id = ctx.newValue(`${src.value}_f32`, { ...v, type: 'float32', scale: 0, zeroPoint: 0, role: 'activation', aliasOf: undefined, aliasOffset: undefined });
  ctx.addOp({
    // int16: a float layer inside an --activations int16 model
    kind: v.type === 'int16' ? 'dequantize_s16' : 'dequantize', name: `${node.name}_dequantize_input`, onnxOp: 'DequantizeLinear', inputs: [src.value], outputs: [id],
    params: { scale: q.scale, zero_point: q.zeroPoint }, consts: {}, macs: 0,
  });
  cache.set(src.value, id);
  return id;
}

/**
 * Where a float layer writes output `outName` (default its first): the ONNX
 * output itself when it is float, else a float temporary that `finish`
 * (called after the layer's op is added) quantizes into the int8 output.
 */
export function writeFloat(ctx: LoweringContext, node: Node, perm: Perm, outName = node.outputs[0]): { write: string; finish: () => void } {
  const t = ctx.tensor(outName);
  if (!t.quant) {
    if (t.dtype !== 'float32') throw ctx.fail(node, `float layer output '${outName}' is ${t.dtype} without quantization parameters`);
    return { write: ctx.define(outName, perm, { type: 'float32' }), finish: () => undefined };
  }
  const q = ctx.quant(node, outName);
  if (t.dtype !== 'int8' && t.dtype !== 'int16') throw ctx.fail(node, `float layer output '${outName}' is quantized to ${t.dtype}; int8 or int16 is supported`);
  const tmp = ctx.newValue(`${outName === node.outputs[0] ? node.name : outName}_f32`, {
    type: 'float32', shape: physicalShape(t.shape, perm), scale: 0, zeroPoint: 0, role: 'activation', onnxName: outName, logicalShape: t.shape,
  });
  return {
    write: tmp,
    finish: () => {
      const out = ctx.define(outName, perm);
      const op: Op = {
        kind: t.dtype === 'int16' ? 'quantize_s16' : 'quantize', name: `${node.name}_quantize_${outName === node.outputs[0] ? 'output' : outName}`, onnxOp: 'QuantizeLinear', inputs: [tmp], outputs: [out],
        params: { scale: q.scale, zero_point: q.zeroPoint }, consts: {}, macs: 0,
      };
      ctx.addOp(op);
    },
  };
}
