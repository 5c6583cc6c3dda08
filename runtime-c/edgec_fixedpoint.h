/*
 * edgec fixed-point helpers (header only, C99, static inline).
 *
 * The arithmetic is that of gemmlowp / TFLite Micro (see quantization.md):
 *  - edgec_srdhm: SaturatingRoundingDoublingHighMul, (a*b + 2^30) >> 31 with
 *    the single overflow case INT32_MIN * INT32_MIN saturated to INT32_MAX;
 *  - edgec_rdbpot: RoundingDivideByPOT, round half away from zero;
 *  - edgec_requantize: MultiplyByQuantizedMultiplier (positive shift = left);
 *  - the gemmlowp fixed-point pieces the int8 softmax reference uses.
 * Signed right shifts are assumed to be arithmetic (true for every compiler
 * edgec targets: gcc, clang, armcc, xtensa-gcc, riscv-gcc).
 */
#ifndef EDGEC_FIXEDPOINT_H
#define EDGEC_FIXEDPOINT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Keeps a hot inner loop in its own function so the compiler gives it every
 * register (GCC otherwise spills accumulators on Cortex-M). */
#if defined(__GNUC__) || defined(__clang__)
#define EDGEC_NOINLINE __attribute__((noinline))
#else
#define EDGEC_NOINLINE
#endif

/* Clamp helpers. */
static inline int32_t edgec_clamp_s32(int32_t x, int32_t lo, int32_t hi)
{
  return x < lo ? lo : (x > hi ? hi : x);
}

/* Float kernels' fused Relu / Clip (act_min, act_max in real units). */
static inline float edgec_clamp_f32(float x, float lo, float hi)
{
  return x < lo ? lo : (x > hi ? hi : x);
}

static inline int8_t edgec_sat_s8(int32_t x)
{
  return (int8_t)(x < -128 ? -128 : (x > 127 ? 127 : x));
}

static inline int16_t edgec_sat_s16(int32_t x)
{
  return (int16_t)(x < -32768 ? -32768 : (x > 32767 ? 32767 : x));
}

/* Count leading zeros of a 32-bit value; 32 for 0. */
static inline int32_t edgec_clz_u32(uint32_t x)
{
#if defined(__GNUC__) || defined(__clang__)
  return x == 0u ? 32 : (int32_t)__builtin_clz(x);
#else
  int32_t n = 0;
  if (x == 0u) return 32;
  while ((x & 0x80000000u) == 0u) {
    x <<= 1;
    n++;
  }
  return n;
#endif
}

/* Saturating rounding doubling high multiply (gemmlowp / VQRDMULH).
 * Equivalent to gemmlowp's ((a*b + nudge) / 2^31) with a truncating division:
 * for a negative product that form equals floor((a*b + 2^30) / 2^31) too. */
static inline int32_t edgec_srdhm(int32_t a, int32_t b)
{
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  return (int32_t)(((int64_t)a * (int64_t)b + ((int64_t)1 << 30)) >> 31);
}

/* Rounding divide by 2^exponent, round half away from zero. exponent in [0, 31]. */
static inline int32_t edgec_rdbpot(int32_t x, int32_t exponent)
{
  const int32_t mask = (int32_t)(((uint32_t)1u << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* gemmlowp SaturatingRoundingMultiplyByPOT for exponent in [0, 31]: saturating left shift. */
static inline int32_t edgec_sat_mul_pot(int32_t x, int32_t exponent)
{
  const int32_t threshold = (int32_t)(((uint32_t)1u << (31 - exponent)) - 1u);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* TFLite MultiplyByQuantizedMultiplier: mult is Q31 in [2^30, 2^31 - 1] (or 0),
 * shift in [-31, 30], positive = left shift. The left shift wraps on overflow
 * like the reference (x * (1 << shift) in int32). */
static inline int32_t edgec_requantize(int32_t acc, int32_t mult, int32_t shift)
{
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  return edgec_rdbpot(edgec_srdhm((int32_t)((uint32_t)acc << left), mult), right);
}

/* edgec_requantize for the per-channel multipliers of conv / depthwise / fully
 * connected, written for 32-bit cores (one SMULL/SMLAL, no 64-bit shifts, a
 * branch-free rounding shift). Precondition: mult >= 0 (QuantizeMultiplier
 * gives 0 or [2^30, 2^31 - 1]), so SRDHM cannot overflow. For shift < 0
 * (e = -shift in [1, 31], the usual case) with x = SRDHM(acc, mult):
 *   RDBPOT(x, e) = floor((x + 2^(e-1) - [x < 0]) / 2^e)
 *                = floor((floor((x - [x < 0]) / 2^(e-1)) + 1) / 2),
 * which cannot wrap: mult < 2^31 keeps x in [-2^31 + 1, 2^31 - 2].
 * em1 = e - 1 = ~shift. shift >= 0 takes the general routine. */
static inline int32_t edgec_requantize_rshift(int32_t acc, int32_t mult, int32_t em1)
{
  const int32_t x = (int32_t)(((int64_t)acc * mult + ((int64_t)1 << 30)) >> 31);
  const int32_t t = (x - (int32_t)((uint32_t)x >> 31)) >> em1;
  return (t + 1) >> 1;
}

/* edgec_requantize_rshift in one rounding step, for mult in (2^30, 2^31) and
 * e = -shift >= 2, with h = 2^(e-2). From the form above, with s = [x < 0]:
 *   RDBPOT(x, e) = floor((x - s + 2^(e-1)) / 2^e)
 *                = floor((acc * mult + 2^30 - s * 2^31 + 2^(30+e)) / 2^(31+e)),
 * and s = [acc < 0] when mult > 2^30 (acc = -1 gives -mult + 2^30 < 0). The
 * 64-bit constant has low word 2^30 ^ (s << 31) and high word h - s, so on
 * 32-bit cores this is one SMLAL and one shift of its high word. */
static inline int32_t edgec_requantize_rshift2(int32_t acc, int32_t mult, int32_t em1, int32_t h)
{
  const uint32_t lo = 0x40000000u ^ ((uint32_t)acc & 0x80000000u);
  const uint32_t hi = (uint32_t)h + (uint32_t)(acc >> 31);
  const int64_t sum = (int64_t)(((uint64_t)hi << 32) | lo) + (int64_t)acc * mult;
  return (int32_t)(sum >> 32) >> em1;
}

/* TFLite's 64-bit MultiplyByQuantizedMultiplier (the 16x8 conv / depthwise /
 * fully connected requantization of an int64 accumulator): the Q31 multiplier
 * is first rounded to Q15 ((mult + 2^15) >> 16, saturating at 0x7FFF), then
 * one rounding shift by 15 - shift (half rounds up, floor shift).
 * shift in [-31, 7]; mult >= 0. */
static inline int32_t edgec_requantize_s64(int64_t acc, int32_t mult, int32_t shift)
{
  const int64_t reduced = mult < 0x7FFF0000 ? (int64_t)((mult + (1 << 15)) >> 16) : (int64_t)0x7FFF;
  const int32_t total = 15 - shift;
  /* an arithmetic shift of a negative value, as edgec_srdhm relies on (GCC, Clang, Arm and Xtensa compilers) */
  return (int32_t)((acc * reduced + ((int64_t)1 << (total - 1))) >> total);
}

/* edgec_requantize(acc, mult, shift) for mult >= 0 (see above). */
static inline int32_t edgec_requantize_ch(int32_t acc, int32_t mult, int32_t shift)
{
  return shift < 0 ? edgec_requantize_rshift(acc, mult, ~shift) : edgec_requantize(acc, mult, shift);
}

/* edgec_out_s8 for one output of a row loop (fully connected): the usual
 * multipliers (> 2^30, shift <= -2) take edgec_requantize_rshift2 (one SMLAL,
 * equal to edgec_requantize_ch there), the rest the general routine. */
static inline int32_t edgec_out_s8_row(int32_t acc, int32_t mult, int32_t shift, int32_t out_off, int32_t act_min,
                                       int32_t act_max)
{
  const int32_t r = shift <= -2 && mult > (1 << 30)
                        ? edgec_requantize_rshift2(acc, mult, ~shift, (int32_t)(1u << (-shift - 2)))
                        : edgec_requantize_ch(acc, mult, shift);
  return edgec_clamp_s32(r + out_off, act_min, act_max);
}

/* One int8 output of a conv-like kernel: requantize, add the zero point, clamp. */
static inline int32_t edgec_out_s8(int32_t acc, int32_t mult, int32_t shift, int32_t out_off, int32_t act_min,
                                   int32_t act_max)
{
  return edgec_clamp_s32(edgec_requantize_ch(acc, mult, shift) + out_off, act_min, act_max);
}

/* --- gemmlowp fixed point for softmax ------------------------------------ */

/* gemmlowp RoundingHalfSum for int32. */
static inline int32_t edgec_rounding_half_sum(int32_t a, int32_t b)
{
  const int64_t sum = (int64_t)a + (int64_t)b;
  return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(a) for a in [-1/4, 0) (Q0.31 in and out). */
static inline int32_t edgec_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a)
{
  const int32_t constant_term = 1895147668;    /* exp(-1/8) */
  const int32_t constant_1_over_3 = 715827883; /* 1/3 */
  const int32_t x = a + (1 << 28);             /* a + 1/8 */
  const int32_t x2 = edgec_srdhm(x, x);
  const int32_t x3 = edgec_srdhm(x2, x);
  const int32_t x4 = edgec_srdhm(x2, x2);
  const int32_t x4_over_4 = edgec_rdbpot(x4, 2);
  const int32_t poly = edgec_rdbpot(edgec_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
  return constant_term + edgec_srdhm(constant_term, x + poly);
}

/* gemmlowp exp_on_negative_values for a Q5.26 input a <= 0; result Q0.31. */
static inline int32_t edgec_exp_on_negative_values_q5_26(int32_t a)
{
  static const int32_t multipliers[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int32_t one_quarter = 1 << 24;
  const int32_t a_mod_quarter_minus_one_quarter = (a & (one_quarter - 1)) - one_quarter;
  /* Rescale Q5.26 -> Q0.31: saturating left shift by 5 (cannot saturate here). */
  int32_t result = edgec_exp_on_interval_between_negative_one_quarter_and_0_excl(
      edgec_sat_mul_pot(a_mod_quarter_minus_one_quarter, 5));
  const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
  int32_t i;
  for (i = 0; i < 7; ++i) {
    if (remainder & (1 << (24 + i))) result = edgec_srdhm(result, multipliers[i]);
  }
  return a == 0 ? INT32_MAX : result;
}

/* gemmlowp one_over_one_plus_x_for_x_in_0_1: 1 / (1 + a), a in [0, 1) Q0.31. */
static inline int32_t edgec_one_over_one_plus_x_for_x_in_0_1(int32_t a)
{
  const int32_t half_denominator = edgec_rounding_half_sum(a, INT32_MAX); /* Q0.31 */
  const int32_t constant_48_over_17 = 1515870810;                       /* Q2.29 */
  const int32_t constant_neg_32_over_17 = -1010580540;                  /* Q2.29 */
  int32_t x = constant_48_over_17 + edgec_srdhm(half_denominator, constant_neg_32_over_17);
  int32_t i;
  for (i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = edgec_srdhm(half_denominator, x);          /* Q2.29 */
    const int32_t one_minus_half_denominator_times_x = (1 << 29) - half_denominator_times_x;
    x = x + edgec_sat_mul_pot(edgec_srdhm(x, one_minus_half_denominator_times_x), 2); /* Q4 -> Q2 */
  }
  /* ExactMulByPot<-1> (Q2 raw as Q1) then Rescale<0>: saturating left shift by 1. */
  return edgec_sat_mul_pot(x, 1);
}

/* TFLite GetReciprocal: x > 0 with x_integer_digits integer bits. Returns the
 * Q0.31 reciprocal scale and stores the extra exponent in *num_bits_over_unit. */
static inline int32_t edgec_get_reciprocal(int32_t x, int32_t x_integer_digits, int32_t *num_bits_over_unit)
{
  const int32_t headroom_plus_one = edgec_clz_u32((uint32_t)x);
  const int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1u << 31));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  return edgec_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

/* --- float edges ---------------------------------------------------------- */

/* ONNX QuantizeLinear for one value: saturate(round_half_even(x / scale) + zp)
 * to [-128, 127]. The rounding uses integer logic only (independent of the FPU
 * rounding mode); NaN gives zero_point. */
static inline int8_t edgec_quantize_value_f32(float x, float scale, int32_t zero_point)
{
  float v = x / scale;
  const float lo = (float)(-128 - zero_point);
  const float hi = (float)(127 - zero_point);
  int32_t t;
  float frac;
  if (v != v) return edgec_sat_s8(zero_point);
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  t = (int32_t)v; /* truncation toward zero, exact for |v| < 2^24 */
  frac = v - (float)t;
  if (frac > 0.5f || (frac == 0.5f && (t & 1))) {
    t += 1;
  } else if (frac < -0.5f || (frac == -0.5f && (t & 1))) {
    t -= 1;
  }
  return edgec_sat_s8(t + zero_point);
}

/* TFLite Micro's QUANTIZE to int16 for one value: clamp(round_half_away(x / scale)
 * + zero_point) to [-32768, 32767], x / scale in float; NaN gives zero_point. */
static inline int16_t edgec_quantize_value_f32_s16(float x, float scale, int32_t zero_point)
{
  float v = x / scale;
  float frac;
  int32_t q;
  if (v != v) return (int16_t)edgec_clamp_s32(zero_point, -32768, 32767);
  /* clamp before converting so the float -> int conversion is defined */
  if (v < -65536.0f) v = -65536.0f;
  if (v > 65536.0f) v = 65536.0f;
  q = (int32_t)v; /* truncation toward zero; v - q is exact */
  frac = v - (float)q;
  if (frac >= 0.5f) q += 1;
  else if (frac <= -0.5f) q -= 1;
  return (int16_t)edgec_clamp_s32(q + zero_point, -32768, 32767);
}

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_FIXEDPOINT_H */
