/*
 * edgec_conv_s16: 16x8 convolution (int16 activations with zero point 0, int8
 * per-channel weights, int64 bias and accumulator), TFLite Micro's
 * ConvPerChannel for int16 input.
 *
 *  acc = bias[oc] + sum over valid taps of filter * input      (int64, exact)
 *  out = clamp(edgec_requantize_s64(acc, mult[oc], shift[oc]), act_min, act_max)
 *
 * Input / output offsets are zero in this scheme (p->input_offset and
 * p->output_offset are ignored). Filter OHWI with I = in_c / groups. Only the
 * taps inside the input are visited (padding contributes nothing); each tap's
 * channels are summed in 32 bits (edgec_dot_s16_s8). No scratch buffer;
 * output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_dot_s16.h"
#include "edgec_window.h"

void edgec_conv_s16(const edgec_conv_params_t *p, const int16_t *input, const int8_t *filter, const int64_t *bias,
                    const int32_t *mult, const int32_t *shift, int16_t *output)
{
  const int32_t in_c = p->in_c, out_c = p->out_c;
  const int32_t group_in = in_c / p->groups, group_out = out_c / p->groups;
  const int32_t x_row = p->dil_h * p->in_w * in_c, x_tap = p->dil_w * in_c;
  int32_t b, oy, ox, oc, ky, kx, ky0, ky1, kx0, kx1;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ++ox) {
        int16_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
        /* the first valid tap of the window, channel 0 */
        const int16_t *window;
        int32_t small, taps_w;
        edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
        window = input + ((b * p->in_h + oy * p->stride_h - p->pad_top + ky0 * p->dil_h) * p->in_w +
                          ox * p->stride_w - p->pad_left + kx0 * p->dil_w) * in_c;
        taps_w = kx1 - kx0;
        /* a window of at most 511 products is summed in 32 bits at once (a small-channel first layer) */
        small = (ky1 - ky0) * taps_w * group_in <= EDGEC_S16_DOT_CHUNK;
        oc = 0;
        if (small && p->groups == 1 && group_in > 1) {
          /* two output channels per pass share every activation load */
          const int32_t filter_size = p->k_h * p->k_w * group_in;
          for (; oc + 1 < out_c; oc += 2) {
            const int16_t *x_ky = window;
            const int8_t *w_ky = filter + ((oc * p->k_h + ky0) * p->k_w + kx0) * group_in;
            int32_t a0 = 0, a1 = 0;
            for (ky = ky0; ky < ky1; ++ky, x_ky += x_row, w_ky += p->k_w * group_in) {
              const int16_t *x = x_ky;
              const int8_t *w = w_ky;
              for (kx = 0; kx < taps_w; ++kx, x += x_tap, w += group_in) edgec_dot2_s16_s8_part(x, w, w + filter_size, group_in, &a0, &a1);
            }
            out[oc] = (int16_t)edgec_clamp_s32(edgec_requantize_s64((bias ? bias[oc] : 0) + a0, mult[oc], shift[oc]), p->act_min, p->act_max);
            out[oc + 1] = (int16_t)edgec_clamp_s32(edgec_requantize_s64((bias ? bias[oc + 1] : 0) + a1, mult[oc + 1], shift[oc + 1]), p->act_min, p->act_max);
          }
        }
        for (; oc < out_c; ++oc) {
          const int16_t *x_ky = window + (oc / group_out) * group_in;
          const int8_t *w_ky = filter + ((oc * p->k_h + ky0) * p->k_w + kx0) * group_in;
          int64_t acc = bias ? bias[oc] : 0;
          int32_t part = 0;
          for (ky = ky0; ky < ky1; ++ky) {
            const int16_t *x = x_ky;
            const int8_t *w = w_ky;
            if (group_in == 1 && small) {
              for (kx = 0; kx < taps_w; ++kx) part += (int32_t)x[kx * x_tap] * (int32_t)w[kx];
            } else if (small) {
              for (kx = 0; kx < taps_w; ++kx, x += x_tap, w += group_in) part += edgec_dot_s16_s8_part(x, w, group_in);
            } else {
              for (kx = 0; kx < taps_w; ++kx, x += x_tap, w += group_in) acc += edgec_dot_s16_s8(x, w, group_in);
            }
            x_ky += x_row;
            w_ky += p->k_w * group_in;
          }
          acc += part;
          out[oc] = (int16_t)edgec_clamp_s32(edgec_requantize_s64(acc, mult[oc], shift[oc]), p->act_min, p->act_max);
        }
      }
    }
  }
}
