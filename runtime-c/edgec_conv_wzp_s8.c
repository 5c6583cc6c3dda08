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
 *  With the Arm DSP extension the weight term runs four output channels per
 *  pass over contiguous runs of valid taps (SXTB16/SMLAD, edgec_dsp.h); the
 *  sums are the same integers in another order, so both paths are bit-exact.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_window.h"
#include "edgec_dsp.h"

/* The valid taps of one output pixel in one group, as runs of contiguous
 * bytes: ni x nj runs of len bytes, run (i, j) at x + i * x_i + j * x_j in the
 * input and at i * w_i + j * w_j in an output channel's filter. With one
 * group and no horizontal dilation a whole tap row is one run. */
typedef struct {
  const int8_t *x;
  int32_t w0; /* filter offset of the first valid tap */
  int32_t ni, nj, len, x_i, x_j, w_i, w_j;
} wzp_runs_t;

/* Sum of (x + off) over the runs: the window sum S of the correction term. */
static int32_t window_sum(const wzp_runs_t *t, int32_t off)
{
  int32_t i, j, k, sum = 0;
  for (i = 0; i < t->ni; ++i)
    for (j = 0; j < t->nj; ++j) {
      const int8_t *x = t->x + i * t->x_i + j * t->x_j;
      for (k = 0; k < t->len; ++k) sum += x[k] + off;
    }
  return sum;
}

/* acc += sum over the runs of w * (x + off) for the filter at w. */
static int32_t runs_dot(const wzp_runs_t *t, const int8_t *w, int32_t off, int32_t acc)
{
  int32_t i, j, k;
  for (i = 0; i < t->ni; ++i)
    for (j = 0; j < t->nj; ++j) {
      const int8_t *x = t->x + i * t->x_i + j * t->x_j;
      const int8_t *wr = w + t->w0 + i * t->w_i + j * t->w_j;
#if EDGEC_DSP
      acc = edgec_dot_1r1c(x, wr, t->len, off, acc);
      (void)k;
#else
      for (k = 0; k < t->len; ++k) acc += wr[k] * (x[k] + off);
#endif
    }
  return acc;
}

#if EDGEC_DSP
/* Four output channels whose filters are fsize bytes apart, from w. */
static void runs_dot4(const wzp_runs_t *t, const int8_t *w, int32_t fsize, int32_t off, int32_t *acc)
{
  int32_t i, j;
  for (i = 0; i < t->ni; ++i)
    for (j = 0; j < t->nj; ++j)
      edgec_dot_4r1c(t->x + i * t->x_i + j * t->x_j, w + t->w0 + i * t->w_i + j * t->w_j, fsize, t->len, off, acc);
}
#endif

static int8_t wzp_out(const edgec_conv_params_t *p, int32_t acc, int32_t oc, const int32_t *mult, const int32_t *shift)
{
  return (int8_t)edgec_out_s8(acc, mult[oc], shift[oc], p->output_offset, p->act_min, p->act_max);
}

void edgec_conv_wzp_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                       const int32_t *filter_offset, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                       int8_t *output)
{
  const int32_t groups = p->groups > 0 ? p->groups : 1;
  const int32_t cin_g = p->in_c / groups, cout_g = p->out_c / groups;
  const int32_t fsize = p->k_h * p->k_w * cin_g;
  const int32_t off = p->input_offset, row = p->in_w * p->in_c;
  const int32_t one_run = groups == 1 && p->dil_w == 1;
  int32_t b, oy, ox, g, oc;
  wzp_runs_t t;
  t.x_i = p->dil_h * row;
  t.x_j = p->dil_w * p->in_c;
  t.w_i = p->k_w * cin_g;
  t.w_j = cin_g;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * row;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      int32_t ky0, ky1;
      edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * p->out_c;
        int32_t kx0, kx1;
        edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
        t.ni = ky1 - ky0;
        t.nj = one_run ? 1 : kx1 - kx0;
        t.len = one_run ? (kx1 - kx0) * cin_g : cin_g;
        if (t.nj <= 0 || t.len <= 0) t.ni = 0; /* the whole window in the padding */
        t.w0 = (ky0 * p->k_w + kx0) * cin_g;
        for (g = 0; g < groups; ++g) {
          const int32_t oc_end = (g + 1) * cout_g;
          int32_t sum;
          t.x = t.ni > 0 ? in_b + (iy0 + ky0 * p->dil_h) * row + (ix0 + kx0 * p->dil_w) * p->in_c + g * cin_g : in_b;
          sum = window_sum(&t, off);
          oc = g * cout_g;
#if EDGEC_DSP
          for (; oc + 4 <= oc_end; oc += 4) {
            int32_t acc[4] = {0, 0, 0, 0}, r;
            runs_dot4(&t, filter + oc * fsize, fsize, off, acc);
            for (r = 0; r < 4; ++r)
              out[oc + r] = wzp_out(p, acc[r] + (bias ? bias[oc + r] : 0) + filter_offset[oc + r] * sum, oc + r, mult, shift);
          }
#endif
          for (; oc < oc_end; ++oc) {
            const int32_t acc = runs_dot(&t, filter + oc * fsize, off, (bias ? bias[oc] : 0) + filter_offset[oc] * sum);
            out[oc] = wzp_out(p, acc, oc, mult, shift);
          }
        }
      }
    }
  }
}
