/*
 * edgec_fully_connected_wzp_s8: int8 fully connected layer whose weights
 * have a zero point per output row, as onnxruntime's uint8 asymmetric
 * weights (QOperator U8U8) have. Exact:
 *
 *  input   [batches, in_depth]              int8
 *  filter  [out_depth, in_depth]            int8, row-major (stored w, not w - zero point)
 *  filter_offset [out_depth]                int32, minus the weight zero point, in [-127, 128]
 *  bias    [out_depth]                      int32 or NULL
 *  mult/shift [out_depth] if per_channel, else [1]   (positive shift = left)
 *  output  [batches, out_depth]             int8
 *
 *  acc = bias[o] + sum_i (w[o][i] + filter_offset[o]) * (x[i] + input_offset)
 *      = bias[o] + sum_i w[o][i] * (x[i] + input_offset) + filter_offset[o] * S,
 *  S = sum_i (x[i] + input_offset), once per sample (|S| <= 255 * in_depth;
 *  in_depth < 32768, checked at lowering, keeps acc within int32).
 *  out = clamp(requant(acc) + output_offset, act_min, act_max). Output must
 *  not alias input. CMSIS-NN / ESP-NN have no such kernel: always portable.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_fully_connected_wzp_s8(const edgec_fc_params_t *p, const int8_t *input, const int8_t *filter,
                                  const int32_t *filter_offset, const int32_t *bias, const int32_t *mult,
                                  const int32_t *shift, int8_t *output)
{
  const int32_t n = p->in_depth, rows = p->out_depth, off = p->input_offset;
  int32_t b, o, i;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *x = input + b * n;
    int8_t *out = output + b * rows;
    int32_t input_sum = 0;
    for (i = 0; i < n; ++i) input_sum += x[i] + off;
    for (o = 0; o < rows; ++o) {
      const int8_t *w = filter + o * n;
      const int32_t q = p->per_channel ? o : 0;
      int32_t acc = (bias ? bias[o] : 0) + filter_offset[o] * input_sum;
      for (i = 0; i < n; ++i) acc += w[i] * (x[i] + off);
      out[o] = (int8_t)edgec_out_s8(acc, mult[q], shift[q], p->output_offset, p->act_min, p->act_max);
    }
  }
}
