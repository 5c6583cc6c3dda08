/*
 * edgec_fully_connected_s16: 16x8 fully connected layer, TFLite Micro's
 * FullyConnected / FullyConnectedPerChannel for int16 input with an int64
 * bias: acc = bias[o] + sum filter * input (int64, summed 511 products at a
 * time in 32 bits: edgec_dot_s16_s8), then
 * edgec_requantize_s64 and the clamp. Zero points are 0 (offsets ignored);
 * per_channel = 0 uses mult[0] / shift[0] for every output.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_dot_s16.h"

void edgec_fully_connected_s16(const edgec_fc_params_t *p, const int16_t *input, const int8_t *filter,
                               const int64_t *bias, const int32_t *mult, const int32_t *shift, int16_t *output)
{
  const int32_t n = p->in_depth, rows = p->out_depth;
  int32_t b, o;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *x = input + b * n;
    int16_t *out = output + b * rows;
    for (o = 0; o < rows; ++o) {
      const int8_t *w = filter + o * n;
      const int32_t q = p->per_channel ? o : 0;
      const int64_t acc = (bias ? bias[o] : 0) + edgec_dot_s16_s8(x, w, n);
      out[o] = (int16_t)edgec_clamp_s32(edgec_requantize_s64(acc, mult[q], shift[q]), p->act_min, p->act_max);
    }
  }
}
