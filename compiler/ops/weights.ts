/**
 * Quantization rules shared by the weighted ops (Conv, Gemm, MatMul):
 * int8 weights (symmetric, or with a zero point: see zeroPointForm) with one scale per output channel, int32 bias in
 * the accumulator's scale (input × weight), fixed-point requantization.
 */
import type { Node, Tensor } from '../ir/graph.js';
import { perChannelMultipliers, roundHalfEven } from '../ir/quant.js';
import { displayName } from '../errors.js';
import type { LoweringContext, Quant } from '../passes/lower-context.js';
import { fusedActivationRange } from '../passes/fuse-activations.js';

export interface QuantizedWeights {
  tensor: Tensor;
  /** int8 weights, zero point removed where it could be (see zeroPointForm). */
  data: Int8Array;
  /** One scale per output channel (replicated for per-tensor weights). */
  scales: number[];
  /**
   * Present when the weights keep a zero point (uint8 asymmetric weights,
   * onnxruntime U8U8): minus the zero point per output channel. The layer then
   * runs a kernel that adds filterOffset[c] × Σ(x − x_zero_point) exactly.
   */
  filterOffset?: Int32Array;
}

/** Why CMSIS-NN / ESP-NN run such a layer on the portable kernel. */
export const ZERO_POINT_REASON = 'weights with a non-zero zero point (uint8 asymmetric weights; the libraries assume symmetric int8)';

/** Why CMSIS-NN / ESP-NN run a pruned layer on the portable kernel. */
export const SPARSE_REASON = 'bitmap-sparse pruned weights (chosen for flash or time; the libraries take dense weights)';

/** Largest reduction (taps × input channels) the zero-point kernels accumulate without int32 overflow. */
export const MAX_ZERO_POINT_REDUCTION = 32767;

/** Output channel of element `index` of a tensor of `shape` quantized along `axis`. */
function channelOf(index: number, shape: readonly number[], axis: number): number {
  const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return Math.floor(index / stride) % shape[axis];
}

/**
 * Weights with a non-zero zero point: (w − zp) is what multiplies. When every
 * (w − zp) fits [-127, 127] the weights become symmetric int8 at no cost;
 * otherwise they are kept with their zero point as a per-channel offset.
 */
function zeroPointForm(data: Int8Array, shape: readonly number[], axis: number, zeroPoints: number[], channels: number): { data: Int8Array; filterOffset?: Int32Array } {
  const zpOf = (i: number): number => (axis === -1 ? zeroPoints[0] : zeroPoints[channelOf(i, shape, axis)]);
  const centred = Int16Array.from(data, (w, i) => w - zpOf(i));
  if (centred.every((v) => v >= -127 && v <= 127)) return { data: Int8Array.from(centred) };
  const filterOffset = Int32Array.from({ length: channels }, (_, c) => -(axis === -1 ? zeroPoints[0] : zeroPoints[c]));
  return { data, filterOffset };
}

/** The weight constant of `node` input `index`, checked: int8, per-channel along `channelAxis` or per tensor; a zero point is folded or kept as an offset. */
export function quantizedWeights(ctx: LoweringContext, node: Node, index: number, channelAxis: number, channels: number): QuantizedWeights {
  const name = node.inputs[index];
  const t = ctx.tensor(name);
  if (!t.data) throw ctx.fail(node, `weights '${name}' must be a constant initializer`);
  if (!t.quant) throw ctx.fail(node, `weights '${name}' are float; edgec compiles int8 QDQ models`, 'pass --calibration <samples.npy> to let edgec quantize it, or give a QDQ model (onnxruntime quantize_static)');
  if (t.dtype !== 'int8') throw ctx.fail(node, `weights '${name}' have type ${t.dtype}; int8 weights are required`);
  const perChannel = t.quant.axis !== -1;
  if (perChannel && t.quant.axis !== channelAxis) throw ctx.fail(node, `weights '${name}' are quantized along axis ${t.quant.axis}; the output-channel axis ${channelAxis} is required`);
  if (perChannel && t.quant.scale.length !== channels) throw ctx.fail(node, `weights '${name}' have ${t.quant.scale.length} scales for ${channels} output channels`);
  const scales = perChannel ? t.quant.scale.slice() : new Array<number>(channels).fill(t.quant.scale[0]);
  const data = t.data as Int8Array;
  if (t.quant.zeroPoint.every((z) => z === 0)) return { tensor: t, data, scales };
  const form = zeroPointForm(data, t.shape, t.quant.axis, t.quant.zeroPoint, channels);
  if (form.filterOffset && data.length / channels > MAX_ZERO_POINT_REDUCTION) {
    throw ctx.fail(node, `weights '${name}' have a zero point and ${data.length / channels} values per output channel; the exact zero-point correction supports up to ${MAX_ZERO_POINT_REDUCTION}`);
  }
  return { tensor: t, scales, ...form };
}

/**
 * Largest |x - zero point| * |w| one product adds to an accumulator: int8
 * activations minus an int8 offset span 255, int8 weights 128; 2^15 also
 * covers kernels that fold the offset into the bias (CMSIS-NN: 128 * 128
 * for the data plus 128 * 128 for the folded offset).
 */
const MAX_PRODUCT = 2 ** 15;
const INT32_MAX = 2 ** 31 - 1;

/**
 * Bias in the accumulator's scale. Kept bit-for-bit when the model already
 * stores it in input_scale × weight_scale (quantize_static does); otherwise
 * requantized from its real value. `terms` products are added to it per
 * output: a bias so large that bias + the largest sum leaves int32 would
 * overflow the kernel's signed accumulator (undefined behaviour in C), so the
 * model is refused, naming the bias and the value.
 */
export function accumulatorBias(ctx: LoweringContext, node: Node, index: number, inScale: number, weightScales: number[], terms: number): Int32Array {
  const out = new Int32Array(weightScales.length);
  const name = node.inputs[index] ?? '';
  if (name === '') return out;
  const t = ctx.tensor(name);
  if (!t.data) throw ctx.fail(node, `bias '${name}' must be a constant initializer`);
  const values = Array.from(t.data, Number);
  if (values.length !== weightScales.length && values.length !== 1) throw ctx.fail(node, `bias '${name}' has ${values.length} values for ${weightScales.length} output channels`);
  const headroom = INT32_MAX - terms * MAX_PRODUCT;
  for (let c = 0; c < weightScales.length; c++) {
    const raw = values[values.length === 1 ? 0 : c];
    const accScale = inScale * weightScales[c];
    let v: number;
    if (!t.quant) {
      v = roundHalfEven(raw / accScale);
    } else {
      const s = t.quant.scale[t.quant.axis === -1 ? 0 : c];
      const zp = t.quant.zeroPoint[t.quant.axis === -1 ? 0 : c];
      const sameScale = Math.abs(s - accScale) <= 1e-6 * accScale && zp === 0;
      v = sameScale ? raw : roundHalfEven((s * (raw - zp)) / accScale);
    }
    if (!(Math.abs(v) <= headroom)) {
      throw ctx.fail(node, `bias '${displayName(name)}' channel ${c} is ${formatValue(v)} in the accumulator's scale (input scale ${formatValue(inScale)} × weight scale ${formatValue(weightScales[c])}); with ${terms} products per output the int32 accumulator can overflow (|bias| must be at most ${Math.max(0, headroom)})`);
    }
    out[c] = v;
  }
  return out;
}

/** A number for an error line: short, exact enough to find the value in the model. */
export function formatValue(v: number): string {
  return Number.isFinite(v) && Number.isInteger(v) ? String(v) : v.toPrecision(6);
}

export interface Requant {
  mult: Int32Array;
  shift: Int32Array;
  actMin: number;
  actMax: number;
}

/** Per-channel multipliers and the clamp of any fused activation. */
export function requantization(node: Node, input: Quant, weightScales: number[], output: Quant): Requant {
  const { mult, shift } = perChannelMultipliers(input.scale, weightScales, output.scale);
  const range = fusedActivationRange(node, output);
  return { mult, shift, actMin: range.min, actMax: range.max };
}
