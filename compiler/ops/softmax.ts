/**
 * Softmax (int8, TFLite fixed-point arithmetic) over any axis (moved to the
 * innermost physical axis). Output quantization is fixed to 1/256, -128; a model asking for
 * another gets a requantize after.
 */
import type { Node } from '../ir/graph.js';
import { frexp, MultiplierRangeError, roundHalfAway } from '../ir/quant.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt } from './attrs.js';
import { outputWithQuant } from './quantize.js';
import type { OpDefinition } from './types.js';
import { cmsisSoftmax } from '../backends/cmsis-nn.js';
import { espSoftmax } from '../backends/esp-nn.js';

const SCALED_DIFF_INTEGER_BITS = 5;

/** TFLite PreprocessSoftmaxScaling + CalculateInputRadius for beta = 1. */
export function softmaxParams(inputScale: number, beta = 1): { mult: number; shift: number; diffMin: number } {
  const real = Math.min(beta * inputScale * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
  // QuantizeMultiplierGreaterThanOne: shift >= 0
  const { q, exp } = frexp(real);
  let mult = roundHalfAway(q * 2 ** 31);
  let shift = exp;
  if (mult === 2 ** 31) { mult /= 2; shift += 1; }
  // The kernel shifts the input difference left by `shift` (edgec_softmax_s8.c): a negative
  // shift (an input scale below 2^-27) is undefined behaviour in C, and TFLite refuses it too.
  if (!Number.isFinite(real) || shift < 0 || shift > 31) throw new MultiplierRangeError(real);
  const maxInputRescaled = ((2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** shift;
  return { mult, shift, diffMin: -Math.floor(maxInputRescaled) };
}

/**
 * Softmax / LogSoftmax rows: opset < 13 flattens [axis..] into one row; >= 13
 * normalises one axis, moved innermost (a layout copy when the value is not
 * already in that order).
 */
export function softmaxRows(node: Node, ctx: LoweringContext): { perm: number[]; rowSize: number } {
  const shape = ctx.tensor(node.inputs[0]).shape;
  const rank = shape.length;
  const legacy = ctx.graph.opset < 13;
  const axis = (attrInt(node, 'axis', legacy ? 1 : -1) + rank) % rank;
  if (legacy || axis === rank - 1) {
    return { perm: Array.from({ length: rank }, (_, i) => i), rowSize: shape.slice(legacy ? axis : rank - 1).reduce((a, b) => a * b, 1) };
  }
  return { perm: [...Array.from({ length: rank }, (_, i) => i).filter((a) => a !== axis), axis], rowSize: shape[axis] };
}

function lowerSoftmax(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const shape = ctx.tensor(xName).shape;
  const { perm, rowSize } = softmaxRows(node, ctx);
  const input = ctx.read(node, xName, perm);
  const inQ = ctx.quant(node, xName);
  const p = softmaxParams(inQ.scale);
  const out = outputWithQuant(ctx, node, perm, { scale: 1 / 256, zeroPoint: -128 });
  const size = shape.reduce((a, b) => a * b, 1);
  ctx.addOp({
    kind: 'softmax', name: node.name, onnxOp: 'Softmax', inputs: [input.value], outputs: [out.write],
    params: { rows: size / rowSize, row_size: rowSize, mult: p.mult, shift: p.shift, diff_min: p.diffMin },
    consts: {}, macs: size,
  });
  out.finish();
}

export const softmax: OpDefinition = {
  lowerings: [{ onnxOps: ['Softmax'], lower: lowerSoftmax }],
  portable: {
    softmax: {
      sources: ['edgec_softmax_s8.c'], template: 'softmax',
      view: (op, env) => ({
        input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
        args: ['rows', 'row_size', 'mult', 'shift', 'diff_min'].map((f) => op.params[f]).join(', '),
      }),
    },
  },
  cmsisNn: { softmax: cmsisSoftmax },
  espNn: { softmax: espSoftmax },
};
