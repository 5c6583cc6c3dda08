/*
 * edgec_conv_wzp_s8: int8 convolution (regular, grouped and depthwise as
 * groups == in_c) whose weights have a zero point per output channel, as
 * onnxruntime's uint8 asymmetric weights (QOperator U8U8) have. Exact:
 *
 *  input   [batches, in_h, in_w, in_c]                 int8, NHWC
 *  filter  [out_c, k_h, k_w, in_c / groups]            int8, OHWI (stored w, not w - zero point)
 *  filter_offset [out_c]                               int32, minus the weight zero point, in [-127, 128]
 *  bias    [out_c]                                     int32 or NULL
 *  mult/shift [out_c]                                  Q31 multiplier, shift (positive = left)
 *  output  [batches, out_h, out_w, out_c]              int8
 *
 *  acc = bias[oc] + sum over taps inside the input of (w + filter_offset[oc]) * (x + input_offset)
 *      = bias[oc] + sum w * (x + input_offset) + filter_offset[oc] * S,
 *  S = the window sum of (x + input_offset) over the group's input channels.
 *  Padding taps hold the input zero point, i.e. x + input_offset = 0: they
 *  contribute to neither term. |S| <= 255 * k_h * k_w * in_c / groups, so
 *  filter_offset * S and the weight term each stay within 32640 * taps:
 *  the lowering (ops/weights.ts) keeps windows under 32768 taps so acc fits int32.
 *  out = clamp(requant(acc) + output_offset). in_c and out_c multiples of
 *  groups; input_offset in [-127, 128]. No scratch buffer. Output must not
 *  alias input. CMSIS-NN / ESP-NN have no such kernel: always portable.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_window.h"

void edgec_conv_wzp_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                       const int32_t *filter_offset, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                       int8_t *output)
{
  const int32_t groups = p->groups > 0 ? p->groups : 1;
  const int32_t cin_g = p->in_c / groups, cout_g = p->out_c / groups;
  const int32_t fsize = p->k_h * p->k_w * cin_g;
  const int32_t off = p->input_offset;
  int32_t b, oy, ox, g, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      int32_t ky0, ky1;
      edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * p->out_c;
        int32_t kx0, kx1;
        edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
        for (g = 0; g < groups; ++g) {
          const int8_t *in_g = in_b + g * cin_g;
          int32_t window_sum = 0;
          for (ky = ky0; ky < ky1; ++ky)
            for (kx = kx0; kx < kx1; ++kx) {
              const int8_t *x = in_g + ((iy0 + ky * p->dil_h) * p->in_w + ix0 + kx * p->dil_w) * p->in_c;
              for (ic = 0; ic < cin_g; ++ic) window_sum += x[ic] + off;
            }
          for (oc = g * cout_g; oc < (g + 1) * cout_g; ++oc) {
            int32_t acc = (bias ? bias[oc] : 0) + filter_offset[oc] * window_sum;
            for (ky = ky0; ky < ky1; ++ky)
              for (kx = kx0; kx < kx1; ++kx) {
                const int8_t *x = in_g + ((iy0 + ky * p->dil_h) * p->in_w + ix0 + kx * p->dil_w) * p->in_c;
                const int8_t *w = filter + oc * fsize + (ky * p->k_w + kx) * cin_g;
                for (ic = 0; ic < cin_g; ++ic) acc += w[ic] * (x[ic] + off);
              }
            out[oc] = (int8_t)edgec_out_s8(acc, mult[oc], shift[oc], p->output_offset, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}
