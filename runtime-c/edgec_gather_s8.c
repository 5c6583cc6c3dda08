/*
 * edgec_gather_s8: output[o0, ..., o(rank-1), r] = input[t0[o0] + ... + t(rank-1)[o(rank-1)] + r]
 * for r in [0, run): a copy of 1-byte elements through one constant offset
 * table per output dim (Slice, Split, Gather with constant indices, Tile,
 * Expand, Resize / Upsample nearest, Pad edge / reflect / wrap).
 *
 *  out_dims  [rank]                 output dims (physical order), rank 1..EDGEC_MAX_RANK
 *  offsets   [sum of out_dims]      the tables back to back: input byte offsets
 *                                   (index along the dim times the input stride in bytes:
 *                                   wider elements, e.g. a float layer's float32, move as bytes)
 *  run       bytes copied per table entry of the last dim (trailing dims copied whole)
 *  No arithmetic (the quantization is the input's). Output must not alias input.
 */
#include <string.h>
#include "edgec_kernels.h"

void edgec_gather_s8(int32_t rank, const int32_t *out_dims, const int32_t *offsets, int32_t run,
                     const int8_t *input, int8_t *output)
{
  const int32_t *table[EDGEC_MAX_RANK] = {NULL, NULL, NULL, NULL, NULL, NULL};
  int32_t idx[EDGEC_MAX_RANK] = {0, 0, 0, 0, 0, 0};
  int32_t d, i, outer = 1;
  const int32_t *last;
  int32_t n;
  for (d = 0; d < rank; ++d) {
    table[d] = offsets;
    offsets += out_dims[d];
    if (d < rank - 1) outer *= out_dims[d];
  }
  last = table[rank - 1];
  n = out_dims[rank - 1];
  while (outer-- > 0) {
    int32_t base = 0;
    for (d = 0; d < rank - 1; ++d) base += table[d][idx[d]];
    if (run == 1) {
      for (i = 0; i < n; ++i) *output++ = input[base + last[i]];
    } else {
      for (i = 0; i < n; ++i) {
        memcpy(output, input + base + last[i], (size_t)run);
        output += run;
      }
    }
    for (d = rank - 2; d >= 0; --d) {
      if (++idx[d] < out_dims[d]) break;
      idx[d] = 0;
    }
  }
}
