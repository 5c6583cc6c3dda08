/**
 * Quantization rules of the 16x8 scheme (TFLite Micro / CMSIS-NN): int16
 * activations, symmetric (zero point 0), int8 per-channel weights, int64 bias
 * in the accumulator's scale. The weighted ops (conv.ts, fully-connected.ts)
 * and the elementwise ones declare their int16 kernels next to their int8
 * forms and share these helpers.
 */
import type { Node } from '../ir/graph.js';
import type { Op, OpKind, Program } from '../ir/program.js';
import { INT16_RANGE, perChannelMultipliers, roundHalfEven } from '../ir/quant.js';
import type { LoweringContext, Quant } from '../passes/lower-context.js';
import { fusedActivationRange } from '../passes/fuse-activations.js';
import { displayName } from '../errors.js';
import { quantizedWeights } from './weights.js';

/**
 * Why a library without a call for a 16x8 kind (ESP-NN has no _s16 kernels;
 * CMSIS-NN's are declared per kind in backends/cmsis-nn.ts) runs the layer on
 * the portable kernel.
 */
export const INT16_REASON = 'int16 activations (16x8): no _s16 kernel in this library; the portable kernel reproduces TFLite Micro';

/** Whether tensor `name` holds int16 activations (the 16x8 scheme). */
export function isInt16(ctx: LoweringContext, name: string): boolean {
  return ctx.tensor(name).dtype === 'int16';
}

/** Per-tensor quantization of an int16 activation; the scheme (and TFLM) requires zero point 0. */
export function int16Quant(ctx: LoweringContext, node: Node, name: string): Quant {
  const t = ctx.tensor(name);
  if (t.dtype !== 'int16') throw ctx.fail(node, `tensor '${displayName(name)}' is ${t.dtype} where this int16 layer needs int16 (mixed int8 / int16 layers are not supported)`);
  const q = ctx.quant(node, name);
  if (q.zeroPoint !== 0) throw ctx.fail(node, `int16 tensor '${displayName(name)}' has zero point ${q.zeroPoint}; 16x8 activations must be symmetric (zero point 0)`);
  return q;
}

/** Largest |bias| the int64 accumulator takes: TFLM's 64-bit requantization assumes |acc| < 2^47. */
const MAX_INT64_BIAS = 2 ** 46;

/**
 * The int64 bias of a 16x8 layer in the accumulator's scale (input × weight
 * scale): the file's integers bit for bit when it stores them in that scale
 * (TFLite, onnxruntime), otherwise requantized from its real value.
 */
export function int64Bias(ctx: LoweringContext, node: Node, index: number, inScale: number, weightScales: number[]): BigInt64Array {
  const out = new BigInt64Array(weightScales.length);
  const name = index < 0 ? '' : node.inputs[index] ?? '';
  if (name === '') return out;
  const t = ctx.tensor(name);
  if (!t.data) throw ctx.fail(node, `bias '${displayName(name)}' must be a constant initializer`);
  const values = Array.from(t.data, Number);
  if (values.length !== weightScales.length && values.length !== 1) throw ctx.fail(node, `bias '${displayName(name)}' has ${values.length} values for ${weightScales.length} output channels`);
  for (let c = 0; c < weightScales.length; c++) {
    const raw = values[values.length === 1 ? 0 : c];
    const accScale = inScale * weightScales[c];
    let v = raw;
    if (!t.quant) v = roundHalfEven(raw / accScale);
    else {
      const s = t.quant.scale[t.quant.axis === -1 ? 0 : c];
      if (Math.abs(s - accScale) > 1e-6 * accScale) v = roundHalfEven((s * raw) / accScale);
    }
    if (!(Math.abs(v) <= MAX_INT64_BIAS)) throw ctx.fail(node, `bias '${displayName(name)}' channel ${c} is ${v} in the accumulator's scale; the 16x8 accumulator takes at most 2^46`);
    out[c] = BigInt(v);
  }
  return out;
}

export interface Int16Weighted {
  inQ: Quant;
  filter: Int8Array;
  bias: BigInt64Array;
  mult: Int32Array;
  shift: Int32Array;
  actMin: number;
  actMax: number;
}

/**
 * Weights, bias, per-channel multipliers and clamp of a 16x8 conv / depthwise
 * / fully connected layer (TFLM's PopulateConvolutionQuantizationParams, the
 * same multipliers as int8; the clamp in int16).
 */
export function int16Weighted(ctx: LoweringContext, node: Node, channelAxis: number, channels: number, biasIndex: number): Int16Weighted {
  const inQ = int16Quant(ctx, node, node.inputs[0]);
  const outQ = int16Quant(ctx, node, node.outputs[0]);
  const weights = quantizedWeights(ctx, node, 1, channelAxis, channels);
  if (weights.filterOffset) throw ctx.fail(node, `weights '${displayName(node.inputs[1])}' have a zero point; 16x8 layers take symmetric int8 weights`);
  const { mult, shift } = perChannelMultipliers(inQ.scale, weights.scales, outQ.scale);
  const act = fusedActivationRange(node, outQ, INT16_RANGE);
  return { inQ, filter: weights.data, bias: int64Bias(ctx, node, biasIndex, inQ.scale, weights.scales), mult, shift, actMin: act.min, actMax: act.max };
}

/** Op kinds whose kernels take int16 data: the 16x8 kernels and byte movers that copy whole elements. */
const INT16_KINDS: ReadonlySet<OpKind> = new Set<OpKind>([
  'conv2d_s16', 'depthwise_conv2d_s16', 'fully_connected_s16', 'add_s16', 'mul_s16', 'max_pool_s16', 'avg_pool_s16',
  'quantize_s16', 'dequantize_s16', 'requantize_s16', 'reduce_sum_s16', 'pad_s16', 'logistic_s16', 'tanh_s16', 'softmax_s16', 'transpose', 'concat',
]);

/** 16x8 kernels whose every input and output is int16 data. */
const ALL_INT16_KINDS: ReadonlySet<OpKind> = new Set<OpKind>([
  'conv2d_s16', 'depthwise_conv2d_s16', 'fully_connected_s16', 'add_s16', 'mul_s16', 'max_pool_s16', 'avg_pool_s16',
  'logistic_s16', 'tanh_s16', 'softmax_s16', 'reduce_sum_s16', 'pad_s16',
]);

/**
 * The first of `ops` whose kernel does not take the data type it is handed
 * (the lowering then refuses the node): an int8 kernel reading or writing an
 * int16 value, or a 16x8 kernel on a value of another type (a tensor some
 * pass left int8 in a 16x8 model).
 */
export function unsupportedInt16Op(program: Program, ops: Op[]): Op | undefined {
  const type = (id: string): string | undefined => program.values.get(id)?.type;
  const int16 = (id: string): boolean => type(id) === 'int16';
  return ops.find((op) => {
    const ids = [...op.inputs, ...op.outputs];
    if (ALL_INT16_KINDS.has(op.kind)) return !ids.every(int16);
    if (op.kind === 'quantize_s16') return !op.outputs.every(int16);
    if (op.kind === 'dequantize_s16') return !op.inputs.every(int16);
    if (op.kind === 'requantize_s16') return type(op.inputs[0]) !== op.params.in_type || type(op.outputs[0]) !== op.params.out_type;
    // the integer LSTM's --stateful cell state (input 2, output 2) is int16 by design (TFLM's), the rest int8
    if (op.kind === 'lstm') return [...op.inputs, ...op.outputs].some((id) => int16(id) && id !== op.inputs[2] && id !== op.outputs[2]);
    return !INT16_KINDS.has(op.kind) && ids.some(int16);
  });
}

/** The int16 range's largest magnitude: the bound of |input| in an accumulator. */
const INT16_MAGNITUDE = 32768;

/** The reduced (Q15) multiplier of TFLM's and CMSIS-NN's 64-bit requantization (REDUCE_MULTIPLIER). */
export function reducedMultiplier(mult: number): number {
  return mult < 0x7fff0000 ? Math.floor((mult + (1 << 15)) / 65536) : 0x7fff;
}

/**
 * What CMSIS-NN's _s16 conv / depthwise / FC need to be exact, as layer
 * params (the library check sees params, not constants):
 *  - max_weight_abs_sum: the largest sum of |weight| over one output
 *    channel. The library sums int16 x int8 products in an int32 before
 *    widening (TFLM sums in int64), so it is exact while that sum times 2^15
 *    fits an int32.
 *  - max_requant_abs: the largest |acc| * reduced multiplier / 2^(14 - shift)
 *    (|acc| <= weight sum * 2^15 + |bias|). arm_nn_requantize_s64 keeps that
 *    intermediate in an int32 where TFLM keeps 64 bits to the end.
 * `channelOf(i)` maps a filter element to its output channel.
 */
export function libraryAccumulatorParams(filter: Int8Array, channelOf: (i: number) => number, bias: BigInt64Array, mult: Int32Array, shift: Int32Array): { max_weight_abs_sum: number; max_requant_abs: number } {
  const sums = new Float64Array(mult.length);
  for (let i = 0; i < filter.length; i++) sums[channelOf(i)] += Math.abs(filter[i]);
  let maxSum = 0;
  let maxRequant = 0;
  for (let c = 0; c < mult.length; c++) {
    maxSum = Math.max(maxSum, sums[c]);
    const acc = sums[c] * INT16_MAGNITUDE + Math.abs(Number(bias[c] ?? 0n));
    maxRequant = Math.max(maxRequant, acc * reducedMultiplier(mult[c]) * 2 ** (shift[c] - 14));
  }
  return { max_weight_abs_sum: maxSum, max_requant_abs: Math.ceil(maxRequant) };
}
