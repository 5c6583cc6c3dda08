/*
 * edgec_reduce_sum_f32: ReduceMean / ReduceSum of a float32 tensor, for the
 * float part of a model between a layer kept float and its QuantizeLinear
 * (onnxruntime's quantize_static leaves `LSTM -> ... -> ReduceMean -> Q`
 * float). Runs as edgec_reduce_sum_s8: the input's physical dims as kept
 * runs and reduced runs (strides in elements), output dense over the kept
 * runs.
 *
 *  out = (sum over the reduced runs of x) / divisor   (divisor: count for a mean, 1 for a sum)
 *  Output must not alias input.
 */
#include "edgec_kernels.h"

/* Odometer step over `rank` runs: advances idx, returns the change of the element offset. */
static int32_t edgec_reduce_f32_step(int32_t rank, const int32_t *dims, const int32_t *strides, int32_t *idx)
{
  int32_t d, delta = 0;
  for (d = rank - 1; d >= 0; --d) {
    if (++idx[d] < dims[d]) return delta + strides[d];
    idx[d] = 0;
    delta -= (dims[d] - 1) * strides[d];
  }
  return delta;
}

void edgec_reduce_sum_f32(int32_t kept_rank, const int32_t *kept_dims, const int32_t *kept_strides,
                          int32_t red_rank, const int32_t *red_dims, const int32_t *red_strides,
                          float divisor, const float *input, float *output)
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
    float acc = 0.0f;
    for (r = 0; r < red_count; ++r) {
      const float *in = input + pos;
      int32_t i;
      for (i = 0; i < inner; ++i) {
        acc += *in;
        in += inner_stride;
      }
      pos += edgec_reduce_f32_step(red_rank - 1, red_dims, red_strides, red_idx);
    }
    output[o] = acc / divisor;
    base += edgec_reduce_f32_step(kept_rank, kept_dims, kept_strides, kept_idx);
  }
}
