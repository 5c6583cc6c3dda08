/**
 * Quantization rules shared by the weighted ops (Conv, Gemm, MatMul):
 * symmetric int8 weights with one scale per output channel, int32 bias in
 * the accumulator's scale (input × weight), fixed-point requantization.
 */
import type { Node, Tensor } from '../ir/graph.js';
import { perChannelMultipliers, roundHalfEven } from '../ir/quant.js';
import { displayName } from '../errors.js';
import type { LoweringContext, Quant } from '../passes/lower-context.js';
import { fusedActivationRange } from '../passes/fuse-activations.js';

export interface QuantizedWeights {
  tensor: Tensor;
  data: Int8Array;
  /** One scale per output channel (replicated for per-tensor weights). */
  scales: number[];
}

/** The weight constant of `node` input `index`, checked: int8, symmetric, per-channel along `channelAxis` or per tensor. */
export function quantizedWeights(ctx: LoweringContext, node: Node, index: number, channelAxis: number, channels: number): QuantizedWeights {
  const name = node.inputs[index];
  const t = ctx.tensor(name);
  if (!t.data) throw ctx.fail(node, `weights '${name}' must be a constant initializer`);
  if (!t.quant) throw ctx.fail(node, `weights '${name}' are float; edgec compiles int8 QDQ models`, 'pass --calibration <samples.npy> to let edgec quantize it, or give a QDQ model (onnxruntime quantize_static)');
  if (t.dtype !== 'int8') throw ctx.fail(node, `weights '${name}' have type ${t.dtype}; int8 weights are required`);
  const nonZero = t.quant.zeroPoint.find((z) => z !== 0);
  if (nonZero !== undefined) {
    throw ctx.fail(node, `weights '${name}' have a non-zero zero point (${nonZero}); edgec needs symmetric weights`, 'quantize weights symmetrically (onnxruntime: WeightSymmetric=True, the default for int8)');
  }
  const perChannel = t.quant.axis !== -1;
  if (perChannel && t.quant.axis !== channelAxis) throw ctx.fail(node, `weights '${name}' are quantized along axis ${t.quant.axis}; the output-channel axis ${channelAxis} is required`);
  if (perChannel && t.quant.scale.length !== channels) throw ctx.fail(node, `weights '${name}' have ${t.quant.scale.length} scales for ${channels} output channels`);
  const scales = perChannel ? t.quant.scale.slice() : new Array<number>(channels).fill(t.quant.scale[0]);
  return { tensor: t, data: t.data as Int8Array, scales };
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
