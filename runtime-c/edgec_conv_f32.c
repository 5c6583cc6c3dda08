/*
 * edgec_conv_f32: float convolution (regular and grouped) for layers kept in
 * float32 (--float-layers, --auto-float, or a float layer an exporter left
 * between int8 ones). ONNX Conv semantics on NHWC data.
 *
 *  input   [batches, in_h, in_w, in_c]                 float, NHWC
 *  filter  [out_c, k_h, k_w, in_c / groups]            float, OHWI
 *  bias    [out_c]                                     float or NULL
 *  output  [batches, out_h, out_w, out_c]              float
 *
 *  out = clamp(bias[oc] + sum over taps inside the input of w * x, act_min, act_max)
 *  (padding taps contribute nothing; act_min/act_max are a fused Relu / Clip,
 *  +-FLT_MAX without one). Output must not alias input. No scratch buffer.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_conv_f32(const edgec_conv_f32_params_t *p, const float *input, const float *filter, const float *bias,
                    float *output)
{
  const int32_t in_per_group = p->in_c / p->groups;
  const int32_t out_per_group = p->out_c / p->groups;
  int32_t b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const float *x = input + (size_t)b * p->in_h * p->in_w * p->in_c;
    float *y = output + (size_t)b * p->out_h * p->out_w * p->out_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        for (oc = 0; oc < p->out_c; ++oc) {
          const int32_t g = oc / out_per_group;
          const float *w = filter + (size_t)oc * p->k_h * p->k_w * in_per_group;
          float acc = bias ? bias[oc] : 0.0f;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t iy = iy0 + ky * p->dil_h;
            if (iy < 0 || iy >= p->in_h) continue;
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t ix = ix0 + kx * p->dil_w;
              const float *xp;
              const float *wp;
              if (ix < 0 || ix >= p->in_w) continue;
              xp = x + ((size_t)iy * p->in_w + ix) * p->in_c + g * in_per_group;
              wp = w + ((size_t)ky * p->k_w + kx) * in_per_group;
              for (ic = 0; ic < in_per_group; ++ic) acc += xp[ic] * wp[ic];
            }
          }
          y[((size_t)oy * p->out_w + ox) * p->out_c + oc] = edgec_clamp_f32(acc, p->act_min, p->act_max);
        }
      }
    }
  }
}
