/**
 * TFLite's integer fixed-point primitives in TypeScript (the C versions are
 * runtime-c/edgec_fixedpoint.h), for building 256-entry tables that equal
 * what a TFLite Micro int8 kernel computes for every input value. Exact in
 * double: every intermediate product is split so no value passes 2^53.
 */

const TWO_31 = 2 ** 31;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

/** Wraps to int32 like C's (int32_t) of a 32-bit result. */
export function toInt32(x: number): number {
  return Number(BigInt.asIntN(32, BigInt(x)));
}

/** gemmlowp SaturatingRoundingDoublingHighMul: floor((a*b + 2^30) / 2^31), INT32_MIN² saturated. */
export function srdhm(a: number, b: number): number {
  if (a === INT32_MIN && b === INT32_MIN) return INT32_MAX;
  const p = BigInt(a) * BigInt(b) + (1n << 30n);
  return Number(p >> 31n);
}

/** gemmlowp RoundingDivideByPOT: round half away from zero. */
export function rdbpot(x: number, exponent: number): number {
  if (exponent === 0) return x;
  const mask = 2 ** exponent - 1;
  const remainder = Number(BigInt(x) & BigInt(mask));
  const threshold = Math.floor(mask / 2) + (x < 0 ? 1 : 0);
  return Math.floor(x / 2 ** exponent) + (remainder > threshold ? 1 : 0);
}

/** TFLite MultiplyByQuantizedMultiplier (positive shift = left shift, wrapping like int32). */
export function multiplyByQuantizedMultiplier(x: number, mult: number, shift: number): number {
  const left = shift > 0 ? shift : 0;
  const right = shift > 0 ? 0 : -shift;
  return rdbpot(srdhm(toInt32(x * 2 ** left), mult), right);
}

/** TFLite MultiplyByQuantizedMultiplierSmallerThanOneExp (shift <= 0): same arithmetic. */
export const multiplyByQuantizedMultiplierSmallerThanOneExp = multiplyByQuantizedMultiplier;

export function clampInt8(x: number): number {
  return Math.max(-128, Math.min(127, x));
}

export { TWO_31 };
