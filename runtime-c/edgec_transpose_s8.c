/*
 * edgec_transpose_s8: permutation of a 1-byte tensor, rank 1..6:
 * out dims[i] = in_dims[perm[i]]. Output must not alias input.
 */
#include "edgec_kernels.h"

void edgec_transpose_s8(int32_t rank, const int32_t *in_dims, const int32_t *perm, const int8_t *input,
                        int8_t *output)
{
  /* Normalised to 6 dims by prepending size-1 dims; stride[i] is the input
   * step for output dim i. */
  int32_t in_stride[EDGEC_MAX_RANK], out_dims[EDGEC_MAX_RANK], stride[EDGEC_MAX_RANK];
  int32_t idx[EDGEC_MAX_RANK] = {0, 0, 0, 0, 0, 0};
  const int32_t lead = EDGEC_MAX_RANK - rank;
  int32_t d, outer = 1, src = 0, inner, step, i;
  if (rank <= 0) {
    output[0] = input[0];
    return;
  }
  in_stride[rank - 1] = 1;
  for (d = rank - 2; d >= 0; --d) in_stride[d] = in_stride[d + 1] * in_dims[d + 1];
  for (d = 0; d < EDGEC_MAX_RANK; ++d) {
    out_dims[d] = d < lead ? 1 : in_dims[perm[d - lead]];
    stride[d] = d < lead ? 0 : in_stride[perm[d - lead]];
    if (out_dims[d] <= 0) return;
  }
  for (d = 0; d < EDGEC_MAX_RANK - 1; ++d) outer *= out_dims[d];
  inner = out_dims[EDGEC_MAX_RANK - 1];
  step = stride[EDGEC_MAX_RANK - 1];
  while (outer-- > 0) {
    const int8_t *in = input + src;
    for (i = 0; i < inner; ++i) {
      *output++ = *in;
      in += step;
    }
    for (d = EDGEC_MAX_RANK - 2; d >= 0; --d) {
      src += stride[d];
      if (++idx[d] < out_dims[d]) break;
      src -= stride[d] * out_dims[d];
      idx[d] = 0;
    }
  }
}
