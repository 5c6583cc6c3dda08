/**
 * Fixed-point parameter derivation, exactly as TFLite Micro does it
 * (quantization.md): real multipliers are computed in double from the
 * float32 scales, then split into a Q31 multiplier and a power-of-two shift.
 */

export interface FixedPointMultiplier {
  /** Q31 multiplier in [2^30, 2^31) (or 0). */
  mult: number;
  /** Positive = left shift. */
  shift: number;
}

/** frexp: value = q * 2^exp with |q| in [0.5, 1). */
export function frexp(value: number): { q: number; exp: number } {
  if (value === 0 || !Number.isFinite(value)) return { q: value, exp: 0 };
  let exp = Math.ceil(Math.log2(Math.abs(value)));
  let q = value / 2 ** exp;
  // log2 can be off by one ulp near powers of two: normalise explicitly.
  while (Math.abs(q) >= 1) { q /= 2; exp += 1; }
  while (Math.abs(q) < 0.5) { q *= 2; exp -= 1; }
  return { q, exp };
}

/** std::round: half away from zero. */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/** Round half to even (ONNX QuantizeLinear, numpy, onnxruntime). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; fix exact ties toward the even neighbour.
  if (Math.abs(x % 1) === 0.5) return 2 * Math.round(x / 2);
  return r;
}

/** Shifts the fixed-point kernels take (edgec_fixedpoint.h: edgec_requantize, shift in [-31, 30]). */
export const MIN_SHIFT = -31;
export const MAX_SHIFT = 30;

/**
 * A real multiplier the kernels cannot represent: TFLite would flush it to 0
 * (shift below -31: every output becomes the zero point) or saturate it
 * (shift above 30: wrong outputs). The lowering turns this into a model
 * error naming the node and the value (passes/lower.ts).
 */
export class MultiplierRangeError extends Error {
  constructor(readonly real: number) {
    super(`requantization multiplier ${real.toPrecision(6)} is outside [2^${MIN_SHIFT - 1}, 2^${MAX_SHIFT + 1}) that the fixed-point kernels represent`);
    this.name = 'MultiplierRangeError';
  }
}

/** TFLite QuantizeMultiplier, refusing (MultiplierRangeError) what TFLite would flush to 0 or saturate. */
export function quantizeMultiplier(real: number): FixedPointMultiplier {
  if (real === 0) return { mult: 0, shift: 0 };
  if (!Number.isFinite(real) || real < 0) throw new MultiplierRangeError(real);
  const { q, exp } = frexp(real);
  let shift = exp;
  let qFixed = roundHalfAway(q * 2 ** 31);
  if (qFixed === 2 ** 31) { qFixed /= 2; shift += 1; }
  if (shift < MIN_SHIFT || shift > MAX_SHIFT) throw new MultiplierRangeError(real);
  return { mult: qFixed, shift };
}

/** For multipliers known to be < 1 (TFLite asserts shift <= 0). */
export function quantizeMultiplierSmallerThanOne(real: number): FixedPointMultiplier {
  if (!(real > 0 && real < 1)) throw new Error(`internal: multiplier ${real} not in (0, 1)`);
  return quantizeMultiplier(real);
}

/** Per-channel requantization arrays: M_c = inScale * wScale[c] / outScale. */
export function perChannelMultipliers(inScale: number, weightScales: readonly number[], outScale: number): { mult: Int32Array; shift: Int32Array } {
  const mult = new Int32Array(weightScales.length);
  const shift = new Int32Array(weightScales.length);
  weightScales.forEach((ws, c) => {
    const m = quantizeMultiplier((inScale * ws) / outScale);
    mult[c] = m.mult;
    shift[c] = m.shift;
  });
  return { mult, shift };
}

/** The integer range of int8 and of int16 (16x8) activations. */
export const INT8_RANGE: readonly [number, number] = [-128, 127];
export const INT16_RANGE: readonly [number, number] = [-32768, 32767];

/** Clamp bounds of a fused activation in the output's quantized domain (`range`: the output type's). */
export function activationRange(kind: 'none' | 'relu' | 'clip', outScale: number, outZeroPoint: number, clipMin = -Infinity, clipMax = Infinity, range: readonly [number, number] = INT8_RANGE): { min: number; max: number } {
  const [tmin, tmax] = range;
  const lo = kind === 'none' ? -Infinity : kind === 'relu' ? 0 : clipMin;
  const hi = kind === 'clip' ? clipMax : Infinity;
  // TFLite's CalculateActivationRangeQuantized divides in float32 (f / scale, both float): a double
  // division can land on the other side of a .5 (6 / (12/255) is 127.4999975 in double, 127.5 in float).
  const q = (v: number): number => roundHalfAway(Math.fround(Math.fround(v) / Math.fround(outScale)));
  const qmin = Number.isFinite(lo) ? Math.max(tmin, outZeroPoint + q(lo)) : tmin;
  const qmax = Number.isFinite(hi) ? Math.min(tmax, outZeroPoint + q(hi)) : tmax;
  return { min: Math.min(qmin, tmax), max: Math.max(qmax, tmin) };
}

/** Saturation bounds of the integer types QuantizeLinear writes. */
export const QUANTIZED_RANGE = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767] } as const;

/** ONNX QuantizeLinear of one value, emulating float32 division; saturated to `range` (default int8). */
export function quantizeValue(value: number, scale: number, zeroPoint: number, range: readonly [number, number] = QUANTIZED_RANGE.int8): number {
  const q = roundHalfEven(Math.fround(Math.fround(value) / Math.fround(scale))) + zeroPoint;
  return Math.max(range[0], Math.min(range[1], q));
}

/** ONNX QuantizeLinear of one value to int8, emulating float32 division. */
export function quantizeToInt8(value: number, scale: number, zeroPoint: number): number {
  return quantizeValue(value, scale, zeroPoint);
}

/** ONNX DequantizeLinear in float32. */
export function dequantize(q: number, scale: number, zeroPoint: number): number {
  return Math.fround(Math.fround(q - zeroPoint) * Math.fround(scale));
}
