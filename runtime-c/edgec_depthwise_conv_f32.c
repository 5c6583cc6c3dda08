/*
 * edgec_depthwise_conv_f32: float depthwise convolution with channel
 * multiplier, for layers kept in float32. ONNX Conv (group = in_c) on NHWC.
 *
 *  input   [batches, in_h, in_w, in_c]                 float, NHWC
 *  filter  [1, k_h, k_w, out_c], out_c = in_c * ch_mult, out channel = ic * ch_mult + m
 *  bias    [out_c]                                     float or NULL
 *  output  [batches, out_h, out_w, out_c]              float
 *
 *  out = clamp(bias[oc] + sum over taps inside the input of w * x, act_min, act_max).
 *  Output must not alias input. No scratch buffer.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_depthwise_conv_f32(const edgec_conv_f32_params_t *p, const float *input, const float *filter,
                              const float *bias, float *output)
{
  const int32_t ch_mult = p->out_c / p->in_c;
  int32_t b, oy, ox, oc, ky, kx;
  for (b = 0; b < p->batches; ++b) {
    const float *x = input + (size_t)b * p->in_h * p->in_w * p->in_c;
    float *y = output + (size_t)b * p->out_h * p->out_w * p->out_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        for (oc = 0; oc < p->out_c; ++oc) {
          const int32_t ic = oc / ch_mult;
          float acc = bias ? bias[oc] : 0.0f;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t iy = iy0 + ky * p->dil_h;
            if (iy < 0 || iy >= p->in_h) continue;
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t ix = ix0 + kx * p->dil_w;
              if (ix < 0 || ix >= p->in_w) continue;
              acc += x[((size_t)iy * p->in_w + ix) * p->in_c + ic] * filter[((size_t)ky * p->k_w + kx) * p->out_c + oc];
            }
          }
          y[((size_t)oy * p->out_w + ox) * p->out_c + oc] = edgec_clamp_f32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
