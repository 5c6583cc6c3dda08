/*
 * edgec_log_softmax_s8: int8 LogSoftmax over the innermost dimension, TFLite
 * Micro LOG_SOFTMAX int8 arithmetic (reference_ops::LogSoftmaxQuantized):
 * input differences to the row max in Q5.26 (mult / shift from
 * PreprocessSoftmaxScaling, beta 1), sum of exps in Q12.19, gemmlowp
 * log_x_for_x_greater_than_or_equal_to_1 into Q5.26, output
 * RDBPOT(diff - log_sum, 22) + 127 for TFLM's fixed output quantization
 * (scale 16/256, zero point 127; out_mult = 0).
 * Another output quantization (ONNX models calibrated elsewhere; TFLM has no
 * such case): the Q5.26 result diff - log_sum is requantized directly,
 * requant(diff - log_sum, out_mult, out_shift) + out_zero_point with
 * out_mult / out_shift encoding 2^-26 / out_scale, one rounding (a
 * requantization of the 16/256 result would clip at -16 and round twice).
 * Values the kernel drops as below the Q5.26 range give -128.
 * rows x row_size int8 values, contiguous rows; input and output must not
 * overlap (the row is read twice).
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

/* gemmlowp / TFLite SaturatingRoundingMultiplyByPOTParam for exponent >= 0 (saturating left shift). */
static int32_t sat_shift_left(int32_t x, int32_t exponent)
{
  return exponent == 0 ? x : edgec_sat_mul_pot(x, exponent);
}

static int32_t sat_add(int32_t a, int32_t b)
{
  const int64_t s = (int64_t)a + (int64_t)b;
  return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

static int32_t sat_sub(int32_t a, int32_t b)
{
  const int64_t s = (int64_t)a - (int64_t)b;
  return s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : (int32_t)s);
}

/* Wrapping int32 add (gemmlowp's raw +; never wraps for these inputs). */
static int32_t wrap_add(int32_t a, int32_t b)
{
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

/* TFLite log_x_for_x_greater_than_or_equal_to_1_impl<5, 12>: input Q12.19 >= 1, result Q5.26. */
static int32_t log_q12_to_q5(int32_t input)
{
  enum { input_bits = 12, accum_bits = 6 };
  const int32_t log_2 = 1488522236, sqrt_sqrt_half = 1805811301, sqrt_half = 1518500250;
  const int32_t alpha_n = 117049297, alpha_d = 127690142, alpha_i = 1057819769, alpha_f = 638450708;
  const int32_t shifted_quarter = edgec_rdbpot(536870912, accum_bits); /* Rescale<6>(1/4) */
  const int32_t z_a = input;
  const int32_t z_a_headroom_plus_1 = edgec_clz_u32((uint32_t)z_a);
  const int32_t r_a_tmp = sat_shift_left(z_a, z_a_headroom_plus_1 - 1);
  const int32_t r_a_raw = sat_shift_left(edgec_srdhm(r_a_tmp, sqrt_half), 1);
  const int32_t z_a_pow_2_adj = sat_add(sat_shift_left(input_bits - z_a_headroom_plus_1, 31 - accum_bits), shifted_quarter);
  const int32_t z_b = edgec_srdhm(z_a, sqrt_half);
  const int32_t z_b_headroom = edgec_clz_u32((uint32_t)z_b) - 1;
  const int32_t r_b_raw = sat_shift_left(z_a, z_b_headroom);
  const int32_t z_b_pow_2_adj = sat_sub(sat_shift_left(input_bits - z_b_headroom, 31 - accum_bits), shifted_quarter);
  const int32_t r = r_a_raw < r_b_raw ? r_a_raw : r_b_raw;
  const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;
  const int32_t p = edgec_rounding_half_sum(r, sqrt_sqrt_half);
  const int32_t q0 = wrap_add(r, -sqrt_sqrt_half);
  const int32_t q = wrap_add(q0, q0);
  const int32_t common_sq = edgec_srdhm(q, q);
  const int32_t num = wrap_add(edgec_srdhm(q, r), edgec_srdhm(edgec_srdhm(q, common_sq), alpha_n));
  const int32_t denom_minus_one_0 =
      wrap_add(edgec_srdhm(p, wrap_add(wrap_add(alpha_i, q), edgec_srdhm(alpha_d, common_sq))), edgec_srdhm(alpha_f, q));
  const int32_t recip_denom = edgec_one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0);
  const int32_t num_scaled = edgec_rdbpot(num, accum_bits); /* Rescale<6> */
  const int32_t sum = wrap_add(edgec_srdhm(z_pow_2_adj, log_2), edgec_srdhm(num_scaled, recip_denom)); /* Q6.25 */
  return sat_shift_left(sum, 1); /* Rescale<5> */
}

/* MultiplyByQuantizedMultiplier with shift >= 0 (Q5.26 input differences). */
static int32_t diff_q5(int32_t diff, int32_t mult, int32_t shift)
{
  return edgec_srdhm((int32_t)((uint32_t)diff << shift), mult);
}

void edgec_log_softmax_s8(const int8_t *input, int32_t rows, int32_t row_size, int32_t mult, int32_t shift,
                          int32_t diff_min, int32_t reverse_mult, int32_t reverse_shift, int32_t out_mult,
                          int32_t out_shift, int32_t out_zero_point, int8_t *output)
{
  int32_t r, i;
  for (r = 0; r < rows; ++r) {
    const int8_t *in = input + r * row_size;
    int8_t *out = output + r * row_size;
    int32_t max = -128, sum = 0, log_sum, adjusted_diff_min, bound;
    for (i = 0; i < row_size; ++i) {
      if (in[i] > max) max = in[i];
    }
    for (i = 0; i < row_size; ++i) {
      const int32_t diff = in[i] - max;
      if (diff >= diff_min) sum = wrap_add(sum, edgec_rdbpot(edgec_exp_on_negative_values_q5_26(diff_q5(diff, mult, shift)), 12));
    }
    log_sum = log_q12_to_q5(sum);
    bound = edgec_requantize(wrap_add(log_sum, INT32_MIN), reverse_mult, reverse_shift);
    adjusted_diff_min = diff_min - 1 > bound ? diff_min - 1 : bound;
    for (i = 0; i < row_size; ++i) {
      const int32_t diff = in[i] - max;
      int32_t y = -128;
      if (diff > adjusted_diff_min) {
        const int32_t log_q5 = diff_q5(diff, mult, shift) - log_sum;
        y = out_mult == 0 ? edgec_rdbpot(log_q5, 31 - 5 - 4) + 127 : edgec_requantize(log_q5, out_mult, out_shift) + out_zero_point;
        y = edgec_clamp_s32(y, -128, 127);
      }
      out[i] = (int8_t)y;
    }
  }
}
