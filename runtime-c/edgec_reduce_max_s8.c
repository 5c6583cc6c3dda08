/*
 * edgec_reduce_max_s8: ReduceMax (is_min = 0) / ReduceMin (is_min = 1) of an
 * int8 tensor, TFLite Micro REDUCE_MAX / REDUCE_MIN int8 semantics
 * (reference_ops::ReduceGeneric on the raw values; input and output share
 * their quantization).
 *
 *  Runs as in edgec_reduce_sum_s8: kept runs (kept_dims / kept_strides) and
 *  reduced runs (red_dims / red_strides), strides in input elements, each
 *  rank 1..EDGEC_MAX_RANK. The output is dense, row-major over the kept runs.
 *  Output must not alias input.
 */
#include "edgec_kernels.h"

static int32_t edgec_reduce_max_step(int32_t rank, const int32_t *dims, const int32_t *strides, int32_t *idx)
{
  int32_t d, delta = 0;
  for (d = rank - 1; d >= 0; --d) {
    if (++idx[d] < dims[d]) return delta + strides[d];
    idx[d] = 0;
    delta -= (dims[d] - 1) * strides[d];
  }
  return delta;
}

void edgec_reduce_max_s8(int32_t kept_rank, const int32_t *kept_dims, const int32_t *kept_strides,
                         int32_t red_rank, const int32_t *red_dims, const int32_t *red_strides, int32_t is_min,
                         const int8_t *input, int8_t *output)
{
  int32_t kept_idx[EDGEC_MAX_RANK] = {0, 0, 0, 0, 0, 0};
  int32_t out_count = 1, red_count = 1, d, o, r, base = 0;
  const int32_t inner = red_dims[red_rank - 1];
  const int32_t inner_stride = red_strides[red_rank - 1];
  for (d = 0; d < kept_rank; ++d) out_count *= kept_dims[d];
  for (d = 0; d < red_rank - 1; ++d) red_count *= red_dims[d];
  for (o = 0; o < out_count; ++o) {
    int32_t red_idx[EDGEC_MAX_RANK] = {0, 0, 0, 0, 0, 0};
    int32_t pos = base;
    int8_t best = is_min ? (int8_t)127 : (int8_t)-128;
    for (r = 0; r < red_count; ++r) {
      const int8_t *in = input + pos;
      int32_t i;
      for (i = 0; i < inner; ++i) {
        if (is_min ? *in < best : *in > best) best = *in;
        in += inner_stride;
      }
      pos += edgec_reduce_max_step(red_rank - 1, red_dims, red_strides, red_idx);
    }
    output[o] = best;
    base += edgec_reduce_max_step(kept_rank, kept_dims, kept_strides, kept_idx);
  }
}
