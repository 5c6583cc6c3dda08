/*
 * edgec_depthwise_conv_s16: 16x8 depthwise convolution with channel
 * multiplier, TFLite Micro's DepthwiseConvPerChannel for int16 input: the
 * int64 sum of filter * input over the valid taps plus the int64 bias, then
 * edgec_requantize_s64 and the clamp. Zero points are 0 (offsets ignored).
 * Filter [1, k_h, k_w, out_c], output channel = ic * ch_mult + m. Each
 * window row is summed in 32 bits (edgec_dot_s16_s8_strided), exact. No scratch;
 * output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_dot_s16.h"
#include "edgec_window.h"

/* Channels summed side by side (channel multiplier 1, window of at most 511 taps). */
#define EDGEC_DW_S16_BLOCK 32

/* One output pixel with channel multiplier 1: tap by tap over runs of
 * channels (input and weights contiguous), 32-bit sums per channel. */
static void dw_block_pixel(const edgec_conv_params_t *p, const int16_t *window, const int8_t *filter, int32_t rows,
                           int32_t taps_w, const int64_t *bias, const int32_t *mult, const int32_t *shift, int16_t *out)
{
  const int32_t c_n = p->in_c, x_row = p->dil_h * p->in_w * c_n, x_tap = p->dil_w * c_n;
  int32_t part[EDGEC_DW_S16_BLOCK];
  int32_t c0, c, ky, kx;
  for (c0 = 0; c0 < c_n; c0 += EDGEC_DW_S16_BLOCK) {
    const int32_t n = c_n - c0 < EDGEC_DW_S16_BLOCK ? c_n - c0 : EDGEC_DW_S16_BLOCK;
    for (c = 0; c < n; ++c) part[c] = 0;
    for (ky = 0; ky < rows; ++ky) {
      const int16_t *x = window + ky * x_row + c0;
      const int8_t *w = filter + ky * p->k_w * c_n + c0;
      for (kx = 0; kx < taps_w; ++kx, x += x_tap, w += c_n) {
        for (c = 0; c < n; ++c) part[c] += (int32_t)x[c] * (int32_t)w[c];
      }
    }
    for (c = 0; c < n; ++c) {
      const int32_t oc = c0 + c;
      const int64_t acc = (bias ? bias[oc] : 0) + part[c];
      out[oc] = (int16_t)edgec_clamp_s32(edgec_requantize_s64(acc, mult[oc], shift[oc]), p->act_min, p->act_max);
    }
  }
}

void edgec_depthwise_conv_s16(const edgec_conv_params_t *p, const int16_t *input, const int8_t *filter,
                              const int64_t *bias, const int32_t *mult, const int32_t *shift, int16_t *output)
{
  const int32_t in_c = p->in_c, out_c = p->out_c, ch_mult = out_c / in_c;
  const int32_t x_row = p->dil_h * p->in_w * in_c, x_tap = p->dil_w * in_c;
  int32_t b, oy, ox, ic, m, ky, ky0, ky1, kx0, kx1, small;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ++ox) {
        int16_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
        const int16_t *window;
        int32_t taps_w;
        edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
        /* the first valid tap of the window, channel 0 */
        window = input + ((b * p->in_h + oy * p->stride_h - p->pad_top + ky0 * p->dil_h) * p->in_w +
                          ox * p->stride_w - p->pad_left + kx0 * p->dil_w) * in_c;
        taps_w = kx1 - kx0;
        small = (ky1 - ky0) * taps_w <= EDGEC_S16_DOT_CHUNK;
        if (ch_mult == 1 && small) {
          dw_block_pixel(p, window, filter + (ky0 * p->k_w + kx0) * out_c, ky1 - ky0, taps_w, bias, mult, shift, out);
          continue;
        }
        for (ic = 0; ic < in_c; ++ic) {
          for (m = 0; m < ch_mult; ++m) {
            const int32_t oc = ic * ch_mult + m;
            int64_t acc = bias ? bias[oc] : 0;
            int32_t part = 0; /* a window of at most 511 taps is summed in 32 bits at once */
            const int16_t *x_ky = window + ic;
            const int8_t *w_ky = filter + (ky0 * p->k_w + kx0) * out_c + oc;
            for (ky = ky0; ky < ky1; ++ky) {
              if (small) {
                const int16_t *x = x_ky;
                const int8_t *w = w_ky;
                int32_t kx;
                for (kx = 0; kx < taps_w; ++kx) {
                  part += (int32_t)*x * (int32_t)*w;
                  x += x_tap;
                  w += out_c;
                }
              } else {
                acc += edgec_dot_s16_s8_strided(x_ky, x_tap, w_ky, out_c, taps_w);
              }
              x_ky += x_row;
              w_ky += p->k_w * out_c;
            }
            acc += part;
            out[oc] = (int16_t)edgec_clamp_s32(edgec_requantize_s64(acc, mult[oc], shift[oc]), p->act_min, p->act_max);
          }
        }
      }
    }
  }
}
