/*
 * edgec_depthwise_conv_s16: 16x8 depthwise convolution with channel
 * multiplier, TFLite Micro's DepthwiseConvPerChannel for int16 input: an int64
 * accumulator of filter * input over the valid taps plus the int64 bias, then
 * edgec_requantize_s64 and the clamp. Zero points are 0 (offsets ignored).
 * Filter [1, k_h, k_w, out_c], output channel = ic * ch_mult + m. No scratch;
 * output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_depthwise_conv_s16(const edgec_conv_params_t *p, const int16_t *input, const int8_t *filter,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift, int16_t *output)
{
  const int32_t in_c = p->in_c, out_c = p->out_c, ch_mult = out_c / in_c;
  int32_t b, oy, ox, ic, m, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        int16_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
        for (ic = 0; ic < in_c; ++ic) {
          for (m = 0; m < ch_mult; ++m) {
            const int32_t oc = ic * ch_mult + m;
            int64_t acc = 0;
            for (ky = 0; ky < p->k_h; ++ky) {
              const int32_t iy = oy * p->stride_h - p->pad_top + ky * p->dil_h;
              if (iy < 0 || iy >= p->in_h) continue;
              for (kx = 0; kx < p->k_w; ++kx) {
                const int32_t ix = ox * p->stride_w - p->pad_left + kx * p->dil_w;
                if (ix < 0 || ix >= p->in_w) continue;
                acc += (int32_t)filter[(ky * p->k_w + kx) * out_c + oc] * (int32_t)input[((b * p->in_h + iy) * p->in_w + ix) * in_c + ic];
              }
            }
            if (bias) acc += bias[oc];
            out[oc] = (int16_t)edgec_clamp_s32(edgec_requantize_s64(acc, mult[oc], shift[oc]), p->act_min, p->act_max);
          }
        }
      }
    }
  }
}
