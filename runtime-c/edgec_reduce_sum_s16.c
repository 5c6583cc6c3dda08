/*
 * edgec_reduce_sum_s16: ReduceMean / ReduceSum (and GlobalAveragePool) of an
 * int16 tensor, TFLite Micro MEAN / SUM int16 semantics (reference_ops::
 * QuantizedMeanOrSum<int16_t>: the int8 arithmetic, int16 data and clamp).
 *
 *  The input's physical dims are given as two lists of runs (merged dims):
 *  kept runs (kept_dims / kept_strides, outer to inner) and reduced runs
 *  (red_dims / red_strides); strides are input elements. The output is dense,
 *  row-major over the kept runs (so it keeps the input's memory order).
 *  Each rank is 1..EDGEC_MAX_RANK; a missing side is one run {1, 0}.
 *
 *  acc = sum over the reduced runs of x + input_sum_offset (= -zp_in * count)
 *  out = clamp(MultiplyByQuantizedMultiplier(acc, mult, shift) + output_offset, -32768, 32767)
 *  For a mean, mult/shift already hold in_scale / out_scale / count the way
 *  TFLM folds the count in; for a sum they hold in_scale / out_scale.
 *  count * 65535 must fit in int32. Output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

/* Odometer step over `rank` runs: advances idx, returns the change of the element offset. */
static int32_t edgec_reduce_sum_s16_step(int32_t rank, const int32_t *dims, const int32_t *strides, int32_t *idx)
{
  int32_t d, delta = 0;
  for (d = rank - 1; d >= 0; --d) {
    if (++idx[d] < dims[d]) return delta + strides[d];
    idx[d] = 0;
    delta -= (dims[d] - 1) * strides[d];
  }
  return delta;
}

void edgec_reduce_sum_s16(int32_t kept_rank, const int32_t *kept_dims, const int32_t *kept_strides,
                          int32_t red_rank, const int32_t *red_dims, const int32_t *red_strides,
                          int32_t input_sum_offset, int32_t output_offset, int32_t mult, int32_t shift,
                          const int16_t *input, int16_t *output)
{
  int32_t kept_idx[EDGEC_MAX_RANK] = {0, 0, 0, 0, 0, 0};
  int32_t out_count = 1, red_count = 1, d, o, r, base = 0;
  const int32_t inner = red_dims[red_rank - 1];
  const int32_t inner_stride = red_strides[red_rank - 1];
  for (d = 0; d < kept_rank; ++d) out_count *= kept_dims[d];
  for (d = 0; d < red_rank - 1; ++d) red_count *= red_dims[d];
  for (o = 0; o < out_count; ++o) {
    int32_t red_idx[EDGEC_MAX_RANK] = {0, 0, 0, 0, 0, 0};
    int32_t pos = base, acc = input_sum_offset;
    for (r = 0; r < red_count; ++r) {
      const int16_t *in = input + pos;
      int32_t i;
      for (i = 0; i < inner; ++i) {
        acc += *in;
        in += inner_stride;
      }
      pos += edgec_reduce_sum_s16_step(red_rank - 1, red_dims, red_strides, red_idx);
    }
    output[o] = (int16_t)edgec_clamp_s32(edgec_requantize(acc, mult, shift) + output_offset, -32768, 32767);
    base += edgec_reduce_sum_s16_step(kept_rank, kept_dims, kept_strides, kept_idx);
  }
}
