/*
 * edgec_softmax_s8: int8 softmax over the innermost dimension, TFLite Micro
 * int8 Softmax reference (gemmlowp fixed point), output scale 1/256, zero point -128.
 *
 *  input/output [rows, row_size] int8
 *  mult, shift: beta * input_scale * 2^26 as a multiplier "greater than one"
 *               (shift >= 0, a left shift); diff_min <= 0 (see quantization.md).
 *
 * Per row: diff = x - max; entries with diff < diff_min give -128; the others
 * exp(diff) in Q5.26 -> Q0.31, summed in Q12.19, scaled by the reciprocal.
 * In place allowed (output may equal input).
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

/* exp(diff * beta * scale) in Q0.31 for diff <= 0. */
static int32_t softmax_exp(int32_t diff, int32_t mult, int32_t shift)
{
  return edgec_exp_on_negative_values_q5_26(edgec_srdhm((int32_t)((uint32_t)diff << shift), mult));
}

void edgec_softmax_s8(const int8_t *input, int32_t rows, int32_t row_size, int32_t mult, int32_t shift,
                      int32_t diff_min, int8_t *output)
{
  int32_t r, i;
  for (r = 0; r < rows; ++r) {
    const int8_t *in = input + r * row_size;
    int8_t *out = output + r * row_size;
    int32_t max = -128, sum = 0, bits_over_unit, scale;
    for (i = 0; i < row_size; ++i) {
      if (in[i] > max) max = in[i];
    }
    for (i = 0; i < row_size; ++i) {
      const int32_t diff = in[i] - max;
      if (diff >= diff_min) sum += edgec_rdbpot(softmax_exp(diff, mult, shift), 12);
    }
    scale = edgec_get_reciprocal(sum, 12, &bits_over_unit);
    for (i = 0; i < row_size; ++i) {
      const int32_t diff = in[i] - max;
      int32_t y = -128;
      if (diff >= diff_min) {
        y = edgec_rdbpot(edgec_srdhm(scale, softmax_exp(diff, mult, shift)), bits_over_unit + 31 - 8) - 128;
        y = edgec_clamp_s32(y, -128, 127);
      }
      out[i] = (int8_t)y;
    }
  }
}
