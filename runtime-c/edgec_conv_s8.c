/*
 * edgec_conv_s8: int8 convolution (regular and grouped), TFLite Micro
 * ConvPerChannel semantics.
 *
 *  input   [batches, in_h, in_w, in_c]                 int8, NHWC
 *  filter  [out_c, k_h, k_w, in_c / groups]            int8, OHWI, symmetric
 *  bias    [out_c]                                     int32 or NULL
 *  mult/shift [out_c]                                  Q31 multiplier, shift (positive = left)
 *  output  [batches, out_h, out_w, out_c]              int8
 *
 *  acc = bias[oc] + sum over taps inside the input of w * (x + input_offset)
 *  (padding taps contribute nothing), out = clamp(requant(acc) + output_offset).
 *  in_c and out_c must be multiples of groups. input_offset in [-127, 128].
 *  No scratch buffer. Output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_window.h"
#include "edgec_dsp.h"

#include <string.h>

#if !EDGEC_DSP
#include "edgec_dot.h"
#endif

static int8_t conv_out(int32_t acc, int32_t mult, int32_t shift, const edgec_conv_params_t *p)
{
  return (int8_t)edgec_out_s8(acc, mult, shift, p->output_offset, p->act_min, p->act_max);
}

#if EDGEC_DSP
/* The valid taps of one output pixel as a grid of contiguous runs: run (i, j)
 * starts at x + i * x_i + j * x_j in the input and w + i * w_i + j * w_j in
 * output channel 0's filter, and is len bytes long. With groups == 1 and
 * dil_w == 1 a whole tap row is one run (nj == 1). */
typedef struct {
  const int8_t *x, *w;
  int32_t ni, nj, len;
  int32_t x_i, x_j, w_i, w_j;
} conv_runs_t;

/* Out channels oc..oc+3 of one pixel: acc[r] += taps of channel oc + r. */
static void runs_4r1c(const conv_runs_t *t, int32_t oc_off, int32_t fsize, int32_t off, int32_t *acc)
{
  int32_t i, j;
  for (i = 0; i < t->ni; ++i)
    for (j = 0; j < t->nj; ++j)
      edgec_dot_4r1c(t->x + i * t->x_i + j * t->x_j, t->w + oc_off + i * t->w_i + j * t->w_j, fsize, t->len, off, acc);
}

/* One out channel of one pixel. */
static int32_t runs_1r1c(const conv_runs_t *t, int32_t oc_off, int32_t off, int32_t acc)
{
  int32_t i, j;
  for (i = 0; i < t->ni; ++i)
    for (j = 0; j < t->nj; ++j)
      acc = edgec_dot_1r1c(t->x + i * t->x_i + j * t->x_j, t->w + oc_off + i * t->w_i + j * t->w_j, t->len,
                           off, acc);
  return acc;
}

/* Writes out channels [oc, oc + n) of a pixel from its accumulators (+ bias). */
static void conv_store(const edgec_conv_params_t *p, const int32_t *acc, int32_t n, int32_t oc, const int32_t *bias,
                       const int32_t *mult, const int32_t *shift, int8_t *out)
{
  int32_t r;
  for (r = 0; r < n; ++r) out[oc + r] = conv_out(acc[r] + (bias ? bias[oc + r] : 0), mult[oc + r], shift[oc + r], p);
}

/* Filter size (k_h * k_w * in_c bytes) up to which groups == 1 convolutions
 * take the expanded-weight path: the weights of up to EDGEC_CONV_GROUPS groups
 * of 4 output channels expanded into a stack buffer of 8 * EDGEC_CONV_MAX_FSIZE
 * bytes, plus an im2col window of EDGEC_CONV_MAX_FSIZE bytes for pixels that
 * need one (288: 3x3 on 32 input channels, about 3.3 KB of stack). */
#ifndef EDGEC_CONV_MAX_FSIZE
#define EDGEC_CONV_MAX_FSIZE 288
#endif
#define EDGEC_CONV_GROUPS 8

/* One group of 4 output channels: the input offset folded into the bias, and
 * its requantization. */
typedef struct {
  int32_t bias_in[4];
  edgec_rq4_t q;
} conv_grp_t;

/* Where one pixel's window is read: rows runs of n4 words, the next run y_adv
 * bytes after the end of the previous one; pixels px_step apart in the input,
 * out_step in the output. */
typedef struct {
  int32_t rows, n4, y_adv, px_step, out_step;
} conv_geo_t;

/* npx pixels of four output channels with expanded weights w (per input word:
 * rows 0..3 x (SXTB16, SXTB16 ROR 8), 8 words). Per input word 17
 * instructions for 16 MACs; the requantization of the usual case (right
 * shifts) is inline. */
static EDGEC_NOINLINE void conv_px4(const conv_geo_t *geo, const int32_t *w0p, const conv_grp_t *g, const int8_t *x,
                                    int8_t *out, int32_t npx)
{
  for (;;) {
    int32_t a0 = g->bias_in[0], a1 = g->bias_in[1], a2 = g->bias_in[2], a3 = g->bias_in[3];
    const int32_t *w = w0p;
    const int8_t *xp = x;
    int32_t rows;
    for (rows = geo->rows; rows > 0; --rows) {
      int32_t k = geo->n4;
#if defined(__OPTIMIZE__)
      /* GCC 12 splits the weight pairs into single loads; LDRD keeps it at 17. */
      int32_t e, o, w0, w1;
      __asm__ volatile(
          "1:\n\t"
          "ldr    %[o], [%[x]], #4\n\t"
          "sxtb16 %[e], %[o]\n\t"
          "sxtb16 %[o], %[o], ror #8\n\t"
          "ldrd   %[w0], %[w1], [%[w]], #8\n\t"
          "smlad  %[a0], %[w0], %[e], %[a0]\n\t"
          "smlad  %[a0], %[w1], %[o], %[a0]\n\t"
          "ldrd   %[w0], %[w1], [%[w]], #8\n\t"
          "smlad  %[a1], %[w0], %[e], %[a1]\n\t"
          "smlad  %[a1], %[w1], %[o], %[a1]\n\t"
          "ldrd   %[w0], %[w1], [%[w]], #8\n\t"
          "smlad  %[a2], %[w0], %[e], %[a2]\n\t"
          "smlad  %[a2], %[w1], %[o], %[a2]\n\t"
          "ldrd   %[w0], %[w1], [%[w]], #8\n\t"
          "smlad  %[a3], %[w0], %[e], %[a3]\n\t"
          "smlad  %[a3], %[w1], %[o], %[a3]\n\t"
          "subs   %[k], %[k], #1\n\t"
          "bne    1b\n\t"
          : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xp), [w] "+r"(w), [k] "+r"(k),
            [e] "=&r"(e), [o] "=&r"(o), [w0] "=&r"(w0), [w1] "=&r"(w1)
          :
          : "cc", "memory");
#else
      for (; k > 0; --k) {
        const int32_t v = edgec_ld4(xp);
        const int32_t e = __sxtb16(v), o = edgec_sxtb16_ror8(v);
        xp += 4;
        a0 = __smlad(w[1], o, __smlad(w[0], e, a0));
        a1 = __smlad(w[3], o, __smlad(w[2], e, a1));
        a2 = __smlad(w[5], o, __smlad(w[4], e, a2));
        a3 = __smlad(w[7], o, __smlad(w[6], e, a3));
        w += 8;
      }
#endif
      if (rows > 1) xp += geo->y_adv; /* no pointer past the window */
    }
    EDGEC_RQ4_STORE_INLINE(&g->q, out, a0, a1, a2, a3);
    if (--npx <= 0) break;
    x += geo->px_step;
    out += geo->out_step;
  }
}

/* im2col of one output pixel's window into buf (fsize bytes, then zeros up to
 * a whole word); padding taps hold the input zero point (-offset), so with the
 * offset folded into the bias they contribute nothing, as in the reference. */
static void conv_gather(const edgec_conv_params_t *p, const int8_t *in_b, int32_t iy0, int32_t ix0, int8_t *buf,
                        int32_t n4)
{
  /* Locals: the int8 stores may alias *p, which would reload it per byte. */
  const int8_t zp = (int8_t)(-p->input_offset);
  const int32_t in_h = p->in_h, in_w = p->in_w, in_c = p->in_c, k_h = p->k_h, k_w = p->k_w;
  const int32_t dil_h = p->dil_h, dil_w = p->dil_w, run = k_w * in_c;
  const int32_t whole = dil_w == 1 && ix0 >= 0 && ix0 + k_w <= in_w; /* tap rows inside */
  const int32_t zp4 = edgec_dup8(zp);
  int8_t *d = buf;
  int8_t *const end = buf + 4 * n4;
  int32_t ky, kx, ic;
  for (ky = 0; ky < k_h; ++ky, d += run) {
    const int32_t iy = iy0 + ky * dil_h;
    if (iy < 0 || iy >= in_h) { /* a tap row in the padding */
      for (ic = 0; ic + 4 <= run; ic += 4) memcpy(d + ic, &zp4, 4);
      for (; ic < run; ++ic) d[ic] = zp;
    } else if (whole) {
      const int8_t *src = in_b + (iy * in_w + ix0) * in_c;
      for (ic = 0; ic + 4 <= run; ic += 4) {
        const int32_t v = edgec_ld4(src + ic);
        memcpy(d + ic, &v, 4);
      }
      for (; ic < run; ++ic) d[ic] = src[ic];
    } else if ((in_c & 3) == 0) { /* whole words per tap */
      for (kx = 0; kx < k_w; ++kx) {
        const int32_t ix = ix0 + kx * dil_w;
        int8_t *dk = d + kx * in_c;
        if (ix >= 0 && ix < in_w) {
          const int8_t *src = in_b + (iy * in_w + ix) * in_c;
          for (ic = 0; ic < in_c; ic += 4) {
            const int32_t v = edgec_ld4(src + ic);
            memcpy(dk + ic, &v, 4);
          }
        } else {
          for (ic = 0; ic < in_c; ic += 4) memcpy(dk + ic, &zp4, 4);
        }
      }
    } else {
      for (kx = 0; kx < k_w; ++kx) {
        const int32_t ix = ix0 + kx * dil_w;
        const int32_t inside = ix >= 0 && ix < in_w;
        const int8_t *src = in_b + (iy * in_w + (inside ? ix : 0)) * in_c;
        /* One loop with a select: GCC turns separate copy / fill loops into
         * memcpy / memset calls, slow for these few bytes. */
        for (ic = 0; ic < in_c; ++ic) d[kx * in_c + ic] = inside ? src[ic] : zp;
      }
    }
  }
  while (d < end) *d++ = 0;
}

/* Expands the filters of output channels oc..oc+3 (fsize bytes each) into w
 * (n4 words x 8) and returns in sum[r] the sum of channel r's weights. */
static void conv_expand4(const int8_t *filter, int32_t fsize, int32_t n4, int32_t *w, int32_t *sum)
{
  const int32_t ones = 0x00010001;
  const int32_t whole = fsize >> 2;
  int32_t r, i;
  for (r = 0; r < 4; ++r) {
    const int8_t *f = filter + r * fsize;
    int32_t *d = w + 2 * r, s = 0;
    for (i = 0; i < n4; ++i, d += 8) {
      int32_t v;
      if (i < whole) {
        v = edgec_ld4(f + 4 * i);
      } else { /* the last, partial word: zeros after the filter */
        int8_t wb[4] = {0, 0, 0, 0};
        int32_t j;
        for (j = 0; 4 * i + j < fsize; ++j) wb[j] = f[4 * i + j];
        memcpy(&v, wb, 4);
      }
      d[0] = __sxtb16(v);
      d[1] = edgec_sxtb16_ror8(v);
      s = __smlad(d[0], ones, s);
      s = __smlad(d[1], ones, s);
    }
    sum[r] = s;
  }
}

/* groups == 1, fsize <= EDGEC_CONV_MAX_FSIZE, output channels [0, oc4) (a
 * multiple of 4). Blocks of up to EDGEC_CONV_GROUPS groups of 4 output
 * channels whose expanded weights fit the buffer; within a block, pixel by
 * pixel, so that a pixel's im2col window is gathered once for all its groups.
 * Pixels read the input in place when the whole window is inside and each
 * tap row is whole words (1x1 with in_c % 4 == 0, 3x3 on 16), runs of such
 * pixels in one call; short tap rows (DS-CNN's 10x4 on one channel) are
 * gathered, as the copy costs less than the per-row loop. */
static void conv_fast(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                      const int32_t *mult, const int32_t *shift, int8_t *output, int32_t oc4)
{
  int32_t wexp[2 * EDGEC_CONV_MAX_FSIZE];
  int8_t xbuf[EDGEC_CONV_MAX_FSIZE + 4];
  conv_grp_t grp[EDGEC_CONV_GROUPS];
  int32_t sum[4];
  conv_geo_t gi, gg;
  const int32_t fsize = p->k_h * p->k_w * p->in_c, n4 = (fsize + 3) >> 2, off = p->input_offset;
  const int32_t row = p->in_w * p->in_c, run = p->k_w * p->in_c, out_c = p->out_c;
  const int32_t in_place = p->dil_w == 1 && (run & 3) == 0 && (p->k_h == 1 || run >= 8);
  int32_t gpb = (2 * EDGEC_CONV_MAX_FSIZE) / (8 * n4);
  int32_t oc, j, r, b, oy, ox, ox_lo = p->out_w, ox_hi = 0;
  if (gpb > EDGEC_CONV_GROUPS) gpb = EDGEC_CONV_GROUPS;
  /* In-place geometry: k_h tap rows of run bytes, dil_h input rows apart. */
  gi.rows = p->k_h;
  gi.n4 = run >> 2;
  gi.y_adv = p->dil_h * row - run;
  gi.px_step = p->stride_w * p->in_c;
  gi.out_step = out_c;
  /* Gathered geometry: one window of n4 words. */
  gg.rows = 1;
  gg.n4 = n4;
  gg.y_adv = 0;
  gg.px_step = 0;
  gg.out_step = 0;
  /* Columns whose window is inside the input: contiguous [ox_lo, ox_hi). */
  for (ox = 0; ox < p->out_w; ++ox) {
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    if (ix0 >= 0 && ix0 + p->k_w - 1 < p->in_w) {
      if (ox < ox_lo) ox_lo = ox;
      ox_hi = ox + 1;
    }
  }
  if (!in_place || ox_hi <= ox_lo) ox_lo = ox_hi = p->out_w;
  for (oc = 0; oc < oc4; oc += 4 * gpb) {
    const int32_t ng = (oc4 - oc) / 4 < gpb ? (oc4 - oc) / 4 : gpb;
    for (j = 0; j < ng; ++j) {
      const int32_t c = oc + 4 * j;
      conv_expand4(filter + c * fsize, fsize, n4, wexp + 8 * n4 * j, sum);
      for (r = 0; r < 4; ++r) grp[j].bias_in[r] = (bias ? bias[c + r] : 0) + off * sum[r];
      edgec_rq4_init(&grp[j].q, mult + c, shift + c, p->output_offset, p->act_min, p->act_max);
    }
    for (b = 0; b < p->batches; ++b) {
      const int8_t *in_b = input + b * p->in_h * row;
      for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        const int32_t rows_in = iy0 >= 0 && iy0 + (p->k_h - 1) * p->dil_h < p->in_h;
        int8_t *out = output + (b * p->out_h + oy) * p->out_w * out_c + oc;
        for (ox = 0; ox < p->out_w; ++ox) {
          const int32_t ix0 = ox * p->stride_w - p->pad_left;
          if (rows_in && ox == ox_lo) { /* the interior run of this row */
            const int8_t *x = in_b + iy0 * row + ix0 * p->in_c;
            for (j = 0; j < ng; ++j)
              conv_px4(&gi, wexp + 8 * n4 * j, &grp[j], x, out + ox * out_c + 4 * j, ox_hi - ox_lo);
            ox = ox_hi - 1;
            continue;
          }
          conv_gather(p, in_b, iy0, ix0, xbuf, n4);
          for (j = 0; j < ng; ++j) conv_px4(&gg, wexp + 8 * n4 * j, &grp[j], xbuf, out + ox * out_c + 4 * j, 1);
        }
      }
    }
  }
}

/* DSP path: direct convolution (no im2col copy), four output channels per
 * pass over the valid taps of one output pixel. */
static void conv_dsp(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                     const int32_t *mult, const int32_t *shift, int8_t *output, int32_t oc_begin)
{
  const int32_t groups = p->groups > 0 ? p->groups : 1;
  const int32_t cin_g = p->in_c / groups, cout_g = p->out_c / groups;
  const int32_t fsize = p->k_h * p->k_w * cin_g;
  const int32_t off = p->input_offset, row = p->in_w * p->in_c;
  const int32_t one_run = groups == 1 && p->dil_w == 1;
  int32_t b, oy, ox, g, oc;
  conv_runs_t t;
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
        if (t.nj <= 0 || t.len <= 0) t.ni = 0;
        for (g = 0; g < groups; ++g) {
          const int32_t oc_end = (g + 1) * cout_g;
          int32_t acc[4];
          /* First valid tap (none when the window lies in the padding). */
          t.x = t.ni > 0 ? in_b + (iy0 + ky0 * p->dil_h) * row + (ix0 + kx0 * p->dil_w) * p->in_c + g * cin_g : in_b;
          t.w = t.ni > 0 ? filter + (ky0 * p->k_w + kx0) * cin_g : filter;
          for (oc = g * cout_g + oc_begin; oc + 4 <= oc_end; oc += 4) {
            acc[0] = acc[1] = acc[2] = acc[3] = 0;
            runs_4r1c(&t, oc * fsize, fsize, off, acc);
            conv_store(p, acc, 4, oc, bias, mult, shift, out);
          }
          for (; oc < oc_end; ++oc) {
            acc[0] = runs_1r1c(&t, oc * fsize, off, 0);
            conv_store(p, acc, 1, oc, bias, mult, shift, out);
          }
        }
      }
    }
  }
}
#endif /* EDGEC_DSP */

#if !EDGEC_DSP
/* 1x1, stride 1, no padding, groups 1: output pixel = W * input pixel
 * (a matrix multiply). Four output channels share each input load. */
static void conv_1x1_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                        const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
  const int32_t pixels = p->batches * p->in_h * p->in_w;
  const int32_t cin = p->in_c, cout = p->out_c, off = p->input_offset;
  int32_t px, oc, ic;
  for (px = 0; px < pixels; ++px) {
    const int8_t *x = input + px * cin;
    int8_t *out = output + px * cout;
    for (oc = 0; oc + 4 <= cout; oc += 4) {
      int32_t a[4] = {0, 0, 0, 0};
      edgec_dot4_s8(x, filter + oc * cin, cin, off, a);
      if (bias) {
        a[0] += bias[oc];
        a[1] += bias[oc + 1];
        a[2] += bias[oc + 2];
        a[3] += bias[oc + 3];
      }
      out[oc] = conv_out(a[0], mult[oc], shift[oc], p);
      out[oc + 1] = conv_out(a[1], mult[oc + 1], shift[oc + 1], p);
      out[oc + 2] = conv_out(a[2], mult[oc + 2], shift[oc + 2], p);
      out[oc + 3] = conv_out(a[3], mult[oc + 3], shift[oc + 3], p);
    }
    for (; oc < cout; ++oc) {
      const int8_t *w0 = filter + oc * cin;
      int32_t a0 = bias ? bias[oc] : 0;
      for (ic = 0; ic < cin; ++ic) a0 += w0[ic] * (x[ic] + off);
      out[oc] = conv_out(a0, mult[oc], shift[oc], p);
    }
  }
}

/* Plain C path: two output channels per pass, 1x1 convolutions as a matrix multiply. */
static void conv_c(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                   const int32_t *mult, const int32_t *shift, int8_t *output)
{
  const int32_t groups = p->groups > 0 ? p->groups : 1;
  const int32_t cin_g = p->in_c / groups, cout_g = p->out_c / groups;
  const int32_t fsize = p->k_h * p->k_w * cin_g; /* one output channel's filter */
  const int32_t off = p->input_offset;
  int32_t b, oy, ox, g, oc, ky, kx, ic;

  if (groups == 1 && p->k_h == 1 && p->k_w == 1 && p->stride_h == 1 && p->stride_w == 1 && p->pad_top == 0 &&
      p->pad_left == 0 && p->out_h == p->in_h && p->out_w == p->in_w) {
    conv_1x1_s8(p, input, filter, bias, mult, shift, output);
    return;
  }

  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      /* Taps inside the input: ky in [ky0, ky1). */
      int32_t ky0, ky1;
      edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * p->out_c;
        int32_t kx0, kx1;
        edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
        for (g = 0; g < groups; ++g) {
          const int8_t *in_g = in_b + g * cin_g;
          const int32_t oc_end = (g + 1) * cout_g;
          /* Two output channels per pass share the input loads. */
          for (oc = g * cout_g; oc + 2 <= oc_end; oc += 2) {
            int32_t a0 = 0, a1 = 0;
            for (ky = ky0; ky < ky1; ++ky) {
              const int8_t *in_row = in_g + (iy0 + ky * p->dil_h) * p->in_w * p->in_c;
              for (kx = kx0; kx < kx1; ++kx) {
                const int8_t *x = in_row + (ix0 + kx * p->dil_w) * p->in_c;
                const int8_t *w0 = filter + oc * fsize + (ky * p->k_w + kx) * cin_g;
                const int8_t *w1 = w0 + fsize;
                for (ic = 0; ic < cin_g; ++ic) {
                  const int32_t v = x[ic] + off;
                  a0 += w0[ic] * v;
                  a1 += w1[ic] * v;
                }
              }
            }
            if (bias) {
              a0 += bias[oc];
              a1 += bias[oc + 1];
            }
            out[oc] = conv_out(a0, mult[oc], shift[oc], p);
            out[oc + 1] = conv_out(a1, mult[oc + 1], shift[oc + 1], p);
          }
          if (oc < oc_end) {
            int32_t a0 = bias ? bias[oc] : 0;
            for (ky = ky0; ky < ky1; ++ky) {
              const int8_t *in_row = in_g + (iy0 + ky * p->dil_h) * p->in_w * p->in_c;
              for (kx = kx0; kx < kx1; ++kx) {
                const int8_t *x = in_row + (ix0 + kx * p->dil_w) * p->in_c;
                const int8_t *w0 = filter + oc * fsize + (ky * p->k_w + kx) * cin_g;
                for (ic = 0; ic < cin_g; ++ic) a0 += w0[ic] * (x[ic] + off);
              }
            }
            out[oc] = conv_out(a0, mult[oc], shift[oc], p);
          }
        }
      }
    }
  }
}
#endif /* !EDGEC_DSP */

void edgec_conv_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                   const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
#if EDGEC_DSP
  const int32_t oc4 = (p->groups <= 1 && p->k_h * p->k_w * p->in_c <= EDGEC_CONV_MAX_FSIZE) ? p->out_c & ~3 : 0;
  if (oc4 > 0) conv_fast(p, input, filter, bias, mult, shift, output, oc4);
  /* Other convolutions, and the channels after the last group of four. */
  if (oc4 < p->out_c) conv_dsp(p, input, filter, bias, mult, shift, output, oc4);
#else
  conv_c(p, input, filter, bias, mult, shift, output);
#endif
}
