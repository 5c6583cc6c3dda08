/*
 * edgec_fully_connected_sparse_s8: int8 fully connected layer with
 * bitmap-sparse weights (index format: edgec_sparse.h, rows = out_depth,
 * cols = in_depth). Same parameters, semantics and results (byte for byte)
 * as edgec_fully_connected_s8:
 *
 *  acc = bias[o] + sum over nonzero w[o][i] of w[o][i] * (x[i] + input_offset);
 *  out = clamp(requant(acc) + output_offset, act_min, act_max).
 *
 * A pruned row (mask bit clear) outputs requant(bias[o]). Output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_sparse.h"

void edgec_fully_connected_sparse_s8(const edgec_fc_params_t *p, const int8_t *input, const int8_t *index,
                                     const int8_t *values, const int32_t *bias, const int32_t *mult,
                                     const int32_t *shift, int8_t *output)
{
  const int32_t rows = p->out_depth, n = p->in_depth, nbytes = (n + 7) >> 3, off = p->input_offset;
  const uint8_t *row_mask = (const uint8_t *)index;
  int32_t b, o;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *x = input + b * n;
    int8_t *out = output + b * rows;
    const uint8_t *bits = row_mask + ((rows + 7) >> 3);
    const int8_t *v = values;
    for (o = 0; o < rows; ++o) {
      const int32_t q = p->per_channel ? o : 0;
      int32_t acc = bias ? bias[o] : 0;
      if (edgec_sparse_row_set(row_mask, o)) {
        acc = edgec_sparse_row_dot(bits, nbytes, &v, x, off, acc);
        bits += nbytes;
      }
      out[o] = (int8_t)edgec_out_s8(acc, mult[q], shift[q], p->output_offset, p->act_min, p->act_max);
    }
  }
}
