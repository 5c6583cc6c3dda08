/*
 * edgec_depthwise_conv_inplace_s8: int8 depthwise convolution (ch_mult 1)
 * whose output overwrites its input, with a temporary of one output channel
 * plane (out_h * out_w bytes) instead of a whole output tensor (MCUNet style).
 * Same arithmetic as edgec_depthwise_conv_s8, bit-exact with it.
 *
 *  data    [batches, in_h, in_w, C] int8 NHWC on entry,
 *          [batches, out_h, out_w, C] on return (same base address);
 *          requires out_c == in_c (ch_mult 1) and out_h * out_w <= in_h * in_w
 *  temp    out_h * out_w bytes, not overlapping data
 *
 * Why this is safe in NHWC: output channel c depends on input channel c only.
 * Channel c is computed for a whole batch plane into temp (reading only
 * input channel c), then scattered to positions (b, p) * C + c. Those bytes
 * belong to channel c of the input (same C stride), at a flat index
 * (b * out_hw + p) <= (b * in_hw + p), i.e. input channel c of this batch or
 * an earlier one: data that every later read (channel c of later batches, or
 * channels > c) never touches. Channels are the outer loop, batches inner.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_depthwise_conv_inplace_s8(const edgec_conv_params_t *p, int8_t *data, const int8_t *filter,
                                     const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *temp);

void edgec_depthwise_conv_inplace_s8(const edgec_conv_params_t *p, int8_t *data, const int8_t *filter,
                                     const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *temp)
{
  const int32_t C = p->in_c;
  const int32_t off = p->input_offset, out_off = p->output_offset;
  const int32_t act_min = p->act_min, act_max = p->act_max;
  const int32_t in_hw = p->in_h * p->in_w, out_hw = p->out_h * p->out_w;
  const int32_t x_step = p->dil_w * C;           /* input step between horizontal taps */
  const int32_t y_step = p->dil_h * p->in_w * C; /* input step between tap rows */
  const int32_t wx_step = C, wy_step = p->k_w * C;
  int32_t c, b, oy, ox, ky, kx, i;

  for (c = 0; c < C; ++c) {
    const int32_t bias_c = bias ? bias[c] : 0, mult_c = mult[c], shift_c = shift[c];
    for (b = 0; b < p->batches; ++b) {
      const int8_t *in_b = data + b * in_hw * C + c;
      int8_t *t = temp;
      for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int32_t ky0 = 0, ky1 = p->k_h;
        while (ky0 < ky1 && iy0 + ky0 * p->dil_h < 0) ky0++;
        while (ky1 > ky0 && iy0 + (ky1 - 1) * p->dil_h >= p->in_h) ky1--;
        for (ox = 0; ox < p->out_w; ++ox) {
          const int32_t ix0 = ox * p->stride_w - p->pad_left;
          int32_t kx0 = 0, kx1 = p->k_w;
          int32_t acc = bias_c;
          while (kx0 < kx1 && ix0 + kx0 * p->dil_w < 0) kx0++;
          while (kx1 > kx0 && ix0 + (kx1 - 1) * p->dil_w >= p->in_w) kx1--;
          if (ky1 > ky0 && kx1 > kx0) {
            const int8_t *xr = in_b + ((iy0 + ky0 * p->dil_h) * p->in_w + ix0 + kx0 * p->dil_w) * C;
            const int8_t *wr = filter + (ky0 * p->k_w + kx0) * C + c;
            for (ky = ky0; ky < ky1; ++ky) {
              const int8_t *x = xr;
              const int8_t *w = wr;
              for (kx = kx0; kx < kx1; ++kx) {
                acc += *w * (*x + off);
                x += x_step;
                w += wx_step;
              }
              xr += y_step;
              wr += wy_step;
            }
          }
          *t++ = (int8_t)edgec_clamp_s32(edgec_requantize(acc, mult_c, shift_c) + out_off, act_min, act_max);
        }
      }
      {
        int8_t *out = data + b * out_hw * C + c;
        for (i = 0; i < out_hw; ++i) out[i * C] = temp[i];
      }
    }
  }
}
