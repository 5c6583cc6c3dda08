/*
 * edgec_fully_connected_s8: int8 fully connected layer, TFLite Micro
 * FullyConnected (per tensor or per channel) semantics.
 *
 *  input   [batches, in_depth]              int8
 *  filter  [out_depth, in_depth]            int8, row-major, symmetric (zero point 0)
 *  bias    [out_depth]                      int32 or NULL
 *  mult/shift [out_depth] if per_channel, else [1]   (positive shift = left)
 *  output  [batches, out_depth]             int8
 *
 *  acc = bias[o] + sum_i w[o][i] * (x[i] + input_offset);
 *  out = clamp(requant(acc) + output_offset, act_min, act_max).
 *  Four output rows per pass share each input load (with the Arm DSP extension:
 *  SXTB16/SMLAD on four bytes at a time, see edgec_dsp.h). Output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_dsp.h"

#if !EDGEC_DSP
#include "edgec_dot.h"
#endif

static int8_t fc_out(const edgec_fc_params_t *p, int32_t acc, const int32_t *mult, const int32_t *shift, int32_t o)
{
  const int32_t q = p->per_channel ? o : 0;
  return (int8_t)edgec_out_s8_row(acc, mult[q], shift[q], p->output_offset, p->act_min, p->act_max);
}

void edgec_fully_connected_s8(const edgec_fc_params_t *p, const int8_t *input, const int8_t *filter,
                              const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
  const int32_t n = p->in_depth, rows = p->out_depth, off = p->input_offset;
  int32_t b, o;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *x = input + b * n;
    int8_t *out = output + b * rows;
    for (o = 0; o + 4 <= rows; o += 4) {
      int32_t a[4] = {0, 0, 0, 0};
#if EDGEC_DSP
      edgec_dot_4r1c(x, filter + o * n, n, n, off, a);
#else
      edgec_dot4_s8(x, filter + o * n, n, off, a);
#endif
      if (bias) {
        a[0] += bias[o];
        a[1] += bias[o + 1];
        a[2] += bias[o + 2];
        a[3] += bias[o + 3];
      }
      out[o] = fc_out(p, a[0], mult, shift, o);
      out[o + 1] = fc_out(p, a[1], mult, shift, o + 1);
      out[o + 2] = fc_out(p, a[2], mult, shift, o + 2);
      out[o + 3] = fc_out(p, a[3], mult, shift, o + 3);
    }
    for (; o < rows; ++o) {
      const int8_t *w0 = filter + o * n;
      int32_t a0 = bias ? bias[o] : 0;
#if EDGEC_DSP
      a0 = edgec_dot_1r1c(x, w0, n, off, a0);
#else
      int32_t i;
      for (i = 0; i < n; ++i) a0 += w0[i] * (x[i] + off);
#endif
      out[o] = fc_out(p, a0, mult, shift, o);
    }
  }
}
