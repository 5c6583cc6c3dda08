/*
 * edgec_conv_wide_s8: int8 convolution (groups 1, any kernel, stride,
 * dilation and padding; TFLite Micro ConvPerChannel semantics) with
 * pre-widened weights, chosen per layer where flash allows
 * (compiler/passes/wide-weights.ts).
 *
 *  input   [batches, in_h, in_w, in_c] int8 (NHWC)
 *  filter  int32 words, the layout of edgec_wide.h (fsize = k_h * k_w * in_c
 *          <= EDGEC_WIDE_MAX_FSIZE)
 *  bias    [out_c] int32 or NULL;  mult/shift [out_c]
 *  output  [batches, out_h, out_w, out_c] int8, must not alias input
 *
 * An int16 im2col, as CMSIS-NN's: runs of up to EDGEC_WIDE_MAX_RUN output pixels
 * (raster order, across rows) have their windows widened (+ input offset; padding taps hold the
 * input zero point, so they add 0) into a stack buffer, then every group of 4
 * output channels runs over the run against the widened weights
 * (edgec_wide_run4: 11 instructions per 16 MACs). A window inside the input
 * whose tap rows are whole words is widened straight from the input; others
 * are gathered into an int8 window first.
 */
#include "edgec_kernels.h"
#include "edgec_wide.h"

#include <string.h>

/* Largest window (3x3 on 64 channels), and the stack for the widened windows:
 * two windows of that size (2.3 KB), plus the int8 gather window. */
#define EDGEC_WIDE_MAX_FSIZE 576
#define EDGEC_WIDE_WORDS 576

/* The int8 window of output pixel (oy, ox) into d (fsize bytes), padding taps
 * holding the input zero point. */
static void wide_gather(const edgec_conv_params_t *p, const int8_t *in_b, int32_t iy0, int32_t ix0, int8_t *d)
{
  const int8_t zp = (int8_t)(-p->input_offset);
  const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c;
  int32_t ky, kx, ic;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dil_h;
    for (kx = 0; kx < p->k_w; ++kx, d += in_c) {
      const int32_t ix = ix0 + kx * p->dil_w;
      if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
        for (ic = 0; ic < in_c; ++ic) d[ic] = zp;
      } else {
        const int8_t *src = in_b + (iy * in_w + ix) * in_c;
        for (ic = 0; ic < in_c; ++ic) d[ic] = src[ic];
      }
    }
  }
}

/* Widens output pixel (oy, ox)'s window into dst (2 * n4 words). */
static void wide_window(const edgec_conv_params_t *p, const int8_t *in_b, int32_t iy0, int32_t ix0, int32_t fsize,
                        int8_t *gather, int32_t *dst)
{
  const int32_t run = p->k_w * p->in_c;
  const int32_t inside = iy0 >= 0 && iy0 + (p->k_h - 1) * p->dil_h < p->in_h && ix0 >= 0 &&
                         ix0 + (p->k_w - 1) * p->dil_w < p->in_w;
  if (inside && p->dil_w == 1 && (run & 3) == 0) {
    int32_t ky;
    for (ky = 0; ky < p->k_h; ++ky, dst += run >> 1)
      edgec_wide_words(in_b + ((iy0 + ky * p->dil_h) * p->in_w + ix0) * p->in_c, run, p->input_offset, dst);
    return;
  }
  if (inside && p->dil_w == 1) {
    /* tap rows of whole runs that are not whole words (3x3 on 3 channels): copied a word at a time */
    int8_t *d = gather;
    int32_t ky, i;
    for (ky = 0; ky < p->k_h; ++ky, d += run) {
      const int8_t *src = in_b + ((iy0 + ky * p->dil_h) * p->in_w + ix0) * p->in_c;
      for (i = 0; i + 4 <= run; i += 4) {
        int32_t v;
        memcpy(&v, src + i, 4);
        memcpy(d + i, &v, 4);
      }
      for (; i < run; ++i) d[i] = src[i];
    }
  } else {
    wide_gather(p, in_b, iy0, ix0, gather);
  }
  edgec_wide_words(gather, fsize, p->input_offset, dst);
}

void edgec_conv_wide_s8(const edgec_conv_params_t *p, const int8_t *input, const int32_t *filter,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
  int32_t buf[EDGEC_WIDE_WORDS];
  int8_t gather[EDGEC_WIDE_MAX_FSIZE];
  const int32_t fsize = p->k_h * p->k_w * p->in_c, n4 = (fsize + 3) >> 2, win = 2 * n4, out_c = p->out_c;
  const int32_t pixels = p->out_h * p->out_w;
  int32_t tile = EDGEC_WIDE_WORDS / win, b, px, t, oc;
  if (tile > EDGEC_WIDE_MAX_RUN) tile = EDGEC_WIDE_MAX_RUN;
  if (fsize > EDGEC_WIDE_MAX_FSIZE || tile < 1) return; /* never chosen (wide-weights.ts) */
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    /* runs of output pixels in raster order, across rows (a run's outputs are contiguous in NHWC) */
    for (px = 0; px < pixels; px += tile) {
      const int32_t run = pixels - px < tile ? pixels - px : tile;
      int8_t *out = output + (b * pixels + px) * out_c;
      const int32_t *w = filter;
      const int32_t oy = px / p->out_w;
      int32_t ox = px - oy * p->out_w;
      int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
      for (t = 0; t < run; ++t) {
        wide_window(p, in_b, iy0, ix0, fsize, gather, buf + t * win);
        ix0 += p->stride_w;
        if (++ox == p->out_w) {
          ox = 0;
          ix0 = -p->pad_left;
          iy0 += p->stride_h;
        }
      }
      for (oc = 0; oc < out_c; oc += 4, w += 8 * n4) {
        const int32_t n = out_c - oc < 4 ? out_c - oc : 4;
        edgec_wide_group(buf, run, w, n4, oc, n, bias, mult, shift, p->output_offset, p->act_min, p->act_max, out,
                         out_c);
      }
    }
  }
}
