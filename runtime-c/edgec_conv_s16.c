/*
 * edgec_conv_s16: 16x8 convolution (int16 activations with zero point 0, int8
 * per-channel weights, int64 bias and accumulator), TFLite Micro's
 * ConvPerChannel for int16 input.
 *
 *  acc = bias[oc] + sum over valid taps of filter * input      (int64)
 *  out = clamp(edgec_requantize_s64(acc, mult[oc], shift[oc]), act_min, act_max)
 *
 * Input / output offsets are zero in this scheme (p->input_offset and
 * p->output_offset are ignored). Filter OHWI with I = in_c / groups. Padding
 * taps contribute nothing. No scratch buffer; output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_conv_s16(const edgec_conv_params_t *p, const int16_t *input, const int8_t *filter, const int64_t *bias,
                    const int32_t *mult, const int32_t *shift, int16_t *output)
{
  const int32_t in_c = p->in_c, out_c = p->out_c;
  const int32_t group_in = in_c / p->groups, group_out = out_c / p->groups;
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        int16_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
        for (oc = 0; oc < out_c; ++oc) {
          const int32_t first_in = (oc / group_out) * group_in;
          int64_t acc = 0;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
            if (iy < 0 || iy >= p->in_h) continue;
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
              const int16_t *x;
              const int8_t *w;
              if (ix < 0 || ix >= p->in_w) continue;
              x = input + ((b * p->in_h + iy) * p->in_w + ix) * in_c + first_in;
              w = filter + ((oc * p->k_h + ky) * p->k_w + kx) * group_in;
              for (ic = 0; ic < group_in; ++ic) acc += (int32_t)w[ic] * (int32_t)x[ic];
            }
          }
          if (bias) acc += bias[oc];
          out[oc] = (int16_t)edgec_clamp_s32(edgec_requantize_s64(acc, mult[oc], shift[oc]), p->act_min, p->act_max);
        }
      }
    }
  }
}
