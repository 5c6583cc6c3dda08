/**
 * Int8 elementwise activations exactly as TFLite Micro's kernels compute
 * them. Each is a function of one int8 value, so edgec runs it as a 256-entry
 * table (the existing lut kernel); the table entries come from the same
 * integer arithmetic TFLM executes, including its quirks (RELU6 clamps in the
 * input's quantization and ignores the output's; LOGISTIC assumes the output
 * is 1/256, -128), so the bytes equal TFLM's rather than a float model's.
 */
import { quantizeMultiplier } from '../ir/quant.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT16_MIN = -32768;
const INT16_MAX = 32767;

/** gemmlowp SaturatingRoundingDoublingHighMul for int32. */
export function srdhm32(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const ab = BigInt(a) * BigInt(b);
  const nudge = ab >= 0n ? 1n << 30n : 1n - (1n << 30n);
  return Number((ab + nudge) / (1n << 31n)); // BigInt division truncates toward zero, as C does
}

/** gemmlowp RoundingDivideByPOT (round half away from zero). */
export function roundingDivideByPot(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = 2 ** exponent - 1;
  const remainder = x & mask;
  const threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite MultiplyByQuantizedMultiplier (double rounding, TFLM's default build). */
export function multiplyByQuantizedMultiplier(x: number, multiplier: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return roundingDivideByPot(srdhm32(x * 2 ** left, multiplier), right);
}

const clampInt8 = (v: number): number => Math.max(-128, Math.min(127, v));
const toInt16 = (v: number): number => ((v + 32768) & 0xffff) - 32768;

function table(fn: (q: number) => number): Int8Array {
  return Int8Array.from({ length: 256 }, (_, i) => clampInt8(fn(i - 128)));
}

export interface QuantParams { scale: number; zeroPoint: number }

/** RELU (and the generic ReluQuantized path): requantize, then clamp at the output's zero. */
export function reluTable(input: QuantParams, output: QuantParams): Int8Array {
  const m = quantizeMultiplier(input.scale / output.scale);
  const actMin = Math.max(-128, output.zeroPoint + Math.round(0 / output.scale));
  return table((q) => Math.max(actMin, output.zeroPoint + multiplyByQuantizedMultiplier(q - input.zeroPoint, m.mult, m.shift)));
}

/** TFLM FloatToQuantizedType: round(x / scale) + zero point in float32, clamped to int8. */
function floatToInt8(x: number, q: QuantParams): number {
  const f = Math.fround;
  const v = f(x) / f(q.scale);
  return clampInt8(Math.round(Math.abs(f(v))) * Math.sign(v) + q.zeroPoint);
}

/** RELU6: TFLM clamps to [zero, six] in the input's quantization and copies (the output's parameters are not used). */
export function relu6Table(input: QuantParams): Int8Array {
  const zero = input.zeroPoint;
  const six = floatToInt8(6, input);
  return table((q) => Math.min(six, Math.max(zero, q)));
}

/** LEAKY_RELU: one multiplier for x >= 0 (identity), one for x < 0 (alpha). */
export function leakyReluTable(input: QuantParams, output: QuantParams, alpha: number): Int8Array {
  const identity = quantizeMultiplier(input.scale / output.scale);
  const negative = quantizeMultiplier((input.scale * Math.fround(alpha)) / output.scale);
  return table((q) => {
    const x = q - input.zeroPoint;
    const m = x >= 0 ? identity : negative;
    return output.zeroPoint + multiplyByQuantizedMultiplier(x, m.mult, m.shift);
  });
}

/** gemmlowp SaturatingRoundingDoublingHighMul for int16. */
function srdhm16(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  const ab = a * b;
  const nudge = ab >= 0 ? 1 << 14 : 1 - (1 << 14);
  return Math.trunc((ab + nudge) / (1 << 15));
}

/** TFLite SaturatingDoublingHighMul (no rounding nudge) for int16. */
function sdhm16(a: number, b: number): number {
  if (a === INT16_MIN && b === INT16_MIN) return INT16_MAX;
  return toInt16(Math.trunc((a * b) / (1 << 15)));
}

function saturatingLeftShift16(v: number, amount: number): number {
  return Math.max(INT16_MIN, Math.min(INT16_MAX, v * 2 ** amount));
}

/** TFLite DownScaleInt32ToInt16Multiplier. */
function downScaleMultiplier(m: number): number {
  if (m >= INT32_MAX - (1 << 15)) return INT16_MAX;
  return (m + (1 << 15)) >> 16;
}

/** HARD_SWISH: TFLite's reference_ops::HardSwish int16 fixed-point path with the parameters TFLM's Prepare derives. */
export function hardSwishTable(input: QuantParams, output: QuantParams): Int8Array {
  const f = Math.fround;
  const hiresInputScale = f(f(1 / 128) * f(input.scale));
  const reluishScale = f(3 / 32768);
  const outMul = quantizeMultiplier(f(hiresInputScale / f(output.scale)));
  const reluMul = quantizeMultiplier(f(hiresInputScale / reluishScale));
  const outFixed = downScaleMultiplier(outMul.mult);
  const reluFixed = downScaleMultiplier(reluMul.mult);
  return table((q) => {
    const inputValue = toInt16(q - input.zeroPoint);
    const hires = toInt16(inputValue * 128);
    const preshiftOutput = srdhm16(hires, outFixed);
    let reluish = hires;
    if (reluMul.shift > 0) reluish = saturatingLeftShift16(reluish, reluMul.shift - 1);
    reluish = srdhm16(reluish, reluFixed);
    if (reluMul.shift > 0) reluish = saturatingLeftShift16(reluish, 1);
    if (reluMul.shift < 0) reluish = roundingDivideByPot(reluish, -reluMul.shift);
    reluish = toInt16((reluish + (1 << 15)) >> 1);
    const preshift = sdhm16(reluish, preshiftOutput);
    const out = toInt16(roundingDivideByPot(preshift, -outMul.shift) + output.zeroPoint);
    return Math.max(-128, Math.min(127, out));
  });
}

/** gemmlowp SaturatingRoundingMultiplyByPOT<exponent> on an int32 raw value. */
function saturatingRoundingMultiplyByPot(x: number, exponent: number): number {
  if (exponent < 0) return roundingDivideByPot(x, -exponent);
  const threshold = 2 ** (31 - exponent) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return x * 2 ** exponent;
}

/**
 * TFLite GetInvSqrtQuantizedMultiplierExp(input, kReverseShift = -1): 1/sqrt(input)
 * as a Q0.31 multiplier and a left shift, by five Newton-Raphson steps in
 * gemmlowp fixed point with 3 integer bits. Inputs <= 1 (0 included) give the
 * largest multiplier, as TFLite does.
 */
export function invSqrtMultiplierExp(input: number): { mult: number; shift: number } {
  if (input <= 1) return { mult: INT32_MAX, shift: 0 };
  let shift = 11;
  let v = input;
  while (v >= 2 ** 29) { v = Math.trunc(v / 4); shift++; }
  const maxLeftShiftBits = Math.clz32(v) - 1;
  const leftShiftBitPairs = Math.floor(maxLeftShiftBits / 2) - 1;
  shift -= leftShiftBitPairs;
  v *= 4 ** leftShiftBitPairs;
  const F3_ONE = 2 ** 28;
  const halfInput = saturatingRoundingMultiplyByPot(v >> 1, -1);
  const halfThree = 2 ** 28 + 2 ** 27; // 1.5 in F3
  let x = F3_ONE;
  for (let i = 0; i < 5; i++) {
    const x3 = saturatingRoundingMultiplyByPot(srdhm32(srdhm32(x, x), x), 6); // F9 -> F3
    x = saturatingRoundingMultiplyByPot((srdhm32(halfThree, x) - srdhm32(halfInput, x3)) | 0, 3); // F6 -> F3
  }
  let mult = srdhm32(x, 1518500250); // * sqrt(2)/2 in F0
  if (shift < 0) { mult = (mult << -shift) | 0; shift = 0; }
  return { mult, shift: -shift };
}

/**
 * RSQRT (TFLM elementwise.cc RsqrtEvalQuantized): 1/sqrt of the offset input
 * in fixed point scaled by 2^20, then one multiplier 1/(sqrt(in_scale) *
 * out_scale) computed in float32 as TFLM's Prepare does. An input at the zero
 * point gives 127; TFLM refuses inputs below the zero point at run time
 * ("Rsqrt is only defined for positive values"): their entries here are the
 * ones of an input one above the zero point, the value TFLite's fixed-point
 * helper returns for inputs <= 1.
 */
export function rsqrtTable(input: QuantParams, output: QuantParams): Int8Array {
  const f = Math.fround;
  const m = quantizeMultiplier(1 / f(f(Math.sqrt(f(input.scale))) * f(output.scale)));
  const SHIFT = 20;
  return table((q) => {
    const value = q - input.zeroPoint;
    if (value === 0) return 127;
    const inv = invSqrtMultiplierExp(value);
    const data = multiplyByQuantizedMultiplier(1, inv.mult, inv.shift + SHIFT);
    return multiplyByQuantizedMultiplier(data, m.mult, m.shift - SHIFT) + output.zeroPoint;
  });
}
