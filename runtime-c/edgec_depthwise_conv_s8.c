/*
 * edgec_depthwise_conv_s8: int8 depthwise convolution with channel multiplier,
 * TFLite Micro DepthwiseConvPerChannel semantics.
 *
 *  input   [batches, in_h, in_w, in_c]       int8, NHWC
 *  filter  [1, k_h, k_w, out_c]              int8, out_c = in_c * ch_mult,
 *                                            output channel = ic * ch_mult + m
 *  bias    [out_c]                           int32 or NULL
 *  mult/shift [out_c]                        per output channel (positive shift = left)
 *  output  [batches, out_h, out_w, out_c]    int8
 *
 *  ch_mult = out_c / in_c; p->groups is ignored. Padding taps contribute
 *  nothing. No scratch buffer. Output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_dsp.h"

/* Four adjacent channels (ch_mult 1) over the valid taps: x and w point at the
 * first valid tap of the first channel; taps advance by x_step / w_step within
 * a row and by y_step / wy_step between rows. Own function so the compiler
 * keeps the accumulators in registers. */
static EDGEC_NOINLINE void dw_taps4(const int8_t *x, const int8_t *w, int32_t nky, int32_t nkx, int32_t x_step,
                                    int32_t y_step, int32_t w_step, int32_t wy_step, int32_t off, int32_t *acc)
{
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const int32_t x_row = y_step - nkx * x_step, w_row = wy_step - nkx * w_step;
  int32_t ky, kx;
#if EDGEC_DSP
  /* One word of input (offset added in both lanes with SADD16) and one of
   * weights per tap; SMLABB / SMLATT multiply matching 16-bit lanes. */
  const int32_t off2 = edgec_dup16(off);
  for (ky = 0; ky < nky; ++ky) {
    for (kx = 0; kx < nkx; ++kx) {
      const int32_t xv = edgec_ld4(x), wv = edgec_ld4(w);
      const int32_t xe = __sadd16(__sxtb16(xv), off2), xo = __sadd16(edgec_sxtb16_ror8(xv), off2);
      const int32_t we = __sxtb16(wv), wo = edgec_sxtb16_ror8(wv);
      a0 = __smlabb(we, xe, a0);
      a2 = __smlatt(we, xe, a2);
      a1 = __smlabb(wo, xo, a1);
      a3 = __smlatt(wo, xo, a3);
      x += x_step;
      w += w_step;
    }
    x += x_row;
    w += w_row;
  }
#else
  for (ky = 0; ky < nky; ++ky) {
    for (kx = 0; kx < nkx; ++kx) {
      a0 += w[0] * (x[0] + off);
      a1 += w[1] * (x[1] + off);
      a2 += w[2] * (x[2] + off);
      a3 += w[3] * (x[3] + off);
      x += x_step;
      w += w_step;
    }
    x += x_row;
    w += w_row;
  }
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

static int8_t dw_out(int32_t acc, int32_t mult, int32_t shift, int32_t out_off, int32_t act_min, int32_t act_max)
{
  return (int8_t)edgec_clamp_s32(edgec_requantize(acc, mult, shift) + out_off, act_min, act_max);
}

void edgec_depthwise_conv_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
  const int32_t in_c = p->in_c, out_c = p->out_c;
  const int32_t ch_mult = out_c / in_c;
  const int32_t off = p->input_offset;
  const int32_t in_row_stride = p->in_w * in_c;
  const int32_t x_step = p->dil_w * in_c;      /* input step between horizontal taps */
  const int32_t y_step = p->dil_h * in_row_stride; /* input step between tap rows */
  const int32_t wy_step = p->k_w * out_c;       /* filter step between tap rows */
  const int32_t out_off = p->output_offset, act_min = p->act_min, act_max = p->act_max;
  int32_t b, oy, ox, ic, m, ky, kx;

  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * in_row_stride;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      int32_t ky0 = 0, ky1 = p->k_h;
      while (ky0 < ky1 && iy0 + ky0 * p->dil_h < 0) ky0++;
      while (ky1 > ky0 && iy0 + (ky1 - 1) * p->dil_h >= p->in_h) ky1--;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
        int32_t kx0 = 0, kx1 = p->k_w;
        while (kx0 < kx1 && ix0 + kx0 * p->dil_w < 0) kx0++;
        while (kx1 > kx0 && ix0 + (kx1 - 1) * p->dil_w >= p->in_w) kx1--;
        {
          /* First valid tap of channel 0 in the input and in the filter. */
          const int32_t nky = ky1 - ky0, nkx = kx1 - kx0;
          const int8_t *x_base =
              nky > 0 && nkx > 0 ? in_b + (iy0 + ky0 * p->dil_h) * in_row_stride + (ix0 + kx0 * p->dil_w) * in_c : in_b;
          const int8_t *w_base = nky > 0 && nkx > 0 ? filter + (ky0 * p->k_w + kx0) * out_c : filter;
          ic = 0;
          if (ch_mult == 1) {
            /* Four channels per pass: contiguous input and filter loads. */
            for (; ic + 4 <= in_c; ic += 4) {
              int32_t a[4] = {0, 0, 0, 0};
              dw_taps4(x_base + ic, w_base + ic, nky, nkx, x_step, y_step, out_c, wy_step, off, a);
              if (bias) {
                a[0] += bias[ic];
                a[1] += bias[ic + 1];
                a[2] += bias[ic + 2];
                a[3] += bias[ic + 3];
              }
              out[ic] = dw_out(a[0], mult[ic], shift[ic], out_off, act_min, act_max);
              out[ic + 1] = dw_out(a[1], mult[ic + 1], shift[ic + 1], out_off, act_min, act_max);
              out[ic + 2] = dw_out(a[2], mult[ic + 2], shift[ic + 2], out_off, act_min, act_max);
              out[ic + 3] = dw_out(a[3], mult[ic + 3], shift[ic + 3], out_off, act_min, act_max);
            }
          }
          for (; ic < in_c; ++ic) {
            for (m = 0; m < ch_mult; ++m) {
              const int32_t oc = ic * ch_mult + m;
              const int8_t *xr = x_base + ic;
              const int8_t *wr = w_base + oc;
              int32_t acc = bias ? bias[oc] : 0;
              for (ky = 0; ky < nky; ++ky) {
                const int8_t *x = xr;
                const int8_t *w = wr;
                for (kx = 0; kx < nkx; ++kx) {
                  acc += *w * (*x + off);
                  x += x_step;
                  w += out_c;
                }
                xr += y_step;
                wr += wy_step;
              }
              out[oc] = dw_out(acc, mult[oc], shift[oc], out_off, act_min, act_max);
            }
          }
        }
      }
    }
  }
}
