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
 *
 *  With the Arm DSP extension and ch_mult 1, four adjacent channels per pass
 *  (one input word per tap, SMLABB / SMLATT on its 16-bit lanes), channel
 *  groups outermost: the group's weights are expanded once into a small stack
 *  buffer, and pixels whose window lies inside the input (the interior) use a
 *  bias with the input offset folded in (bias + offset * sum of the weights),
 *  so their taps skip the offset add; border pixels add the offset per valid
 *  tap like the reference. Other channels: a plain C loop.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_window.h"
#include "edgec_dsp.h"

/* Taps (k_h * k_w) up to which the DSP path expands a channel group's weights
 * on the stack (8 bytes a tap); larger windows take the per-tap path. */
#define EDGEC_DW_MAX_TAPS 25

/* One output channel at one pixel over its valid taps (x, w: first valid tap). */
static int32_t dw_one(const int8_t *x, const int8_t *w, int32_t nky, int32_t nkx, int32_t x_step, int32_t y_step,
                      int32_t w_step, int32_t wy_step, int32_t off, int32_t acc)
{
  int32_t ky, kx;
  for (ky = 0; ky < nky; ++ky) {
    for (kx = 0; kx < nkx; ++kx) acc += w[kx * w_step] * (x[kx * x_step] + off);
    x += y_step;
    w += wy_step;
  }
  return acc;
}

/* Channels [ic0, in_c) of every output pixel, per channel and multiplier. */
static void dw_plain(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                     const int32_t *mult, const int32_t *shift, int8_t *output, int32_t ic0)
{
  const int32_t in_c = p->in_c, out_c = p->out_c, ch_mult = out_c / in_c;
  const int32_t row = p->in_w * in_c;
  int32_t b, oy, ox, ic, m, ky0, ky1, kx0, kx1;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ++ox) {
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
        const int8_t *x;
        const int8_t *w;
        int32_t nky = ky1 - ky0;
        edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
        x = input; /* window in the padding: no taps */
        w = filter;
        if (nky <= 0 || kx1 <= kx0) {
          nky = 0;
        } else {
          x += (b * p->in_h + oy * p->stride_h - p->pad_top + ky0 * p->dil_h) * row +
               (ox * p->stride_w - p->pad_left + kx0 * p->dil_w) * in_c;
          w += (ky0 * p->k_w + kx0) * out_c;
        }
        for (ic = ic0; ic < in_c; ++ic) {
          for (m = 0; m < ch_mult; ++m) {
            const int32_t oc = ic * ch_mult + m;
            const int32_t acc = dw_one(x + ic, w + oc, nky, kx1 - kx0, p->dil_w * in_c, p->dil_h * row, out_c,
                                       p->k_w * out_c, p->input_offset, bias ? bias[oc] : 0);
            out[oc] = (int8_t)edgec_out_s8(acc, mult[oc], shift[oc], p->output_offset, p->act_min, p->act_max);
          }
        }
      }
    }
  }
}

#if EDGEC_DSP
/* One group of four channels (ch_mult 1) for the whole tensor. */
typedef struct {
  int32_t wexp[2 * EDGEC_DW_MAX_TAPS]; /* per tap: SXTB16 of the weight word, then SXTB16 ROR 8 */
  int32_t bias[4];                     /* bias of each channel */
  int32_t bias_in[4];                  /* bias + input offset * sum of the channel's weights */
  edgec_rq4_t rq;
} dw_group_t;

#define dw_store(G, OUT, A0, A1, A2, A3) edgec_rq4_store(&(G)->rq, (OUT), (A0), (A1), (A2), (A3))

/* Four channels of one input word (lanes e: bytes 0, 2; o: bytes 1, 3) times
 * the expanded weights of one tap (we: channels 0, 2; wo: 1, 3). */
#define DW_TAP(V, WE, WO)                      \
  do {                                         \
    const int32_t e_ = __sxtb16(V);            \
    const int32_t o_ = edgec_sxtb16_ror8(V);   \
    a0 = __smlabb((WE), e_, a0);               \
    a2 = __smlatt((WE), e_, a2);               \
    a1 = __smlabb((WO), o_, a1);               \
    a3 = __smlatt((WO), o_, a3);               \
  } while (0)

/* n interior pixels of a row (whole window inside the input): x is the first
 * tap of the first pixel (channel c), pixels advance by px_step in the input
 * and by out_c in the output. No offset add: it is in bias_in. */
static EDGEC_NOINLINE void dw_interior(const dw_group_t *g, const int8_t *x, int8_t *out, int32_t n, int32_t px_step,
                                       int32_t out_c, int32_t taps, int32_t k_w, int32_t x_step, int32_t y_step)
{
  const int32_t x_row = y_step - k_w * x_step;
  for (; n > 0; --n) {
    int32_t a0 = g->bias_in[0], a1 = g->bias_in[1], a2 = g->bias_in[2], a3 = g->bias_in[3];
    const int32_t *we = g->wexp;
    const int32_t *w_end = we + 2 * taps;
    const int8_t *xp = x;
    int32_t kx = 0;
    while (we < w_end) {
      const int32_t v = edgec_ld4(xp);
      DW_TAP(v, we[0], we[1]);
      we += 2;
      xp += x_step;
      if (++kx == k_w) {
        kx = 0;
        xp += x_row;
      }
    }
    dw_store(g, out, a0, a1, a2, a3);
    x += px_step;
    out += out_c;
  }
}

/* dw_interior for 3x3 windows, unrolled. */
static EDGEC_NOINLINE void dw_interior3x3(const dw_group_t *g, const int8_t *x, int8_t *out, int32_t n,
                                          int32_t px_step, int32_t out_c, int32_t x_step, int32_t y_step)
{
  for (; n > 0; --n) {
    int32_t a0 = g->bias_in[0], a1 = g->bias_in[1], a2 = g->bias_in[2], a3 = g->bias_in[3];
    const int32_t *we = g->wexp;
    const int8_t *xr = x;
    int32_t ky;
    for (ky = 0; ky < 3; ++ky) {
      const int32_t v0 = edgec_ld4(xr), v1 = edgec_ld4(xr + x_step), v2 = edgec_ld4(xr + 2 * x_step);
      DW_TAP(v0, we[0], we[1]);
      DW_TAP(v1, we[2], we[3]);
      DW_TAP(v2, we[4], we[5]);
      we += 6;
      xr += y_step;
    }
    EDGEC_RQ4_STORE_INLINE(&g->rq, out, a0, a1, a2, a3);
    x += px_step;
    out += out_c;
  }
}

/* One border pixel: valid taps [ky0, ky1) x [kx0, kx1), x at the first valid
 * tap; the input offset is added per tap (padding taps contribute nothing). */
static EDGEC_NOINLINE void dw_border(const dw_group_t *g, const int8_t *x, int8_t *out, int32_t ky0, int32_t ky1,
                                     int32_t kx0, int32_t kx1, int32_t k_w, int32_t x_step, int32_t y_step,
                                     int32_t off2)
{
  int32_t a0 = g->bias[0], a1 = g->bias[1], a2 = g->bias[2], a3 = g->bias[3];
  int32_t ky, kx;
  for (ky = ky0; ky < ky1; ++ky) {
    const int32_t *we = g->wexp + 2 * (ky * k_w + kx0);
    const int8_t *xp = x;
    for (kx = kx0; kx < kx1; ++kx) {
      const int32_t v = edgec_ld4(xp);
      const int32_t e = __sadd16(__sxtb16(v), off2), o = __sadd16(edgec_sxtb16_ror8(v), off2);
      a0 = __smlabb(we[0], e, a0);
      a2 = __smlatt(we[0], e, a2);
      a1 = __smlabb(we[1], o, a1);
      a3 = __smlatt(we[1], o, a3);
      we += 2;
      xp += x_step;
    }
    x += y_step;
  }
  dw_store(g, out, a0, a1, a2, a3);
}

/* 3x3 windows (dilation 1, stride 1, any padding) by row buffers: the three
 * input rows an output row reads, of a group's four channels, are expanded
 * once into a ring of rows of (SXTB16, SXTB16 ROR 8) word pairs, padding
 * columns and rows holding the input zero point. Every pixel then takes the
 * interior path (with bias_in a zero-point tap adds w * zp = -w * offset,
 * cancelling its share of the folded offset, so the sums are those of the
 * reference): per tap one LDRD of the input pair, one of the weight pair and
 * four MACs, against an input load, two expansions and two weight loads in
 * dw_interior3x3, and no border pixels (DS-CNN's 5-wide rows are 2/5 border). */
#define EDGEC_DW3_MAX_COLS 64 /* padded input columns per row: 3 * 64 * 8 = 1,536 bytes of stack */

typedef struct {
  int32_t lanes[3][EDGEC_DW3_MAX_COLS][2]; /* ring of three input rows: per column (bytes 0, 2; bytes 1, 3) */
  int32_t row_of[3];                        /* input row held by each slot (padding rows included) */
} dw3_rows_t;

/* Padded input columns the output row's windows cover. */
static int32_t dw3_cols(const edgec_conv_params_t *p)
{
  return (p->out_w - 1) * p->stride_w + 3;
}

/* Whether the row-buffer path takes this layer: stride 1 only, where each
 * expanded input pixel serves nine taps (at stride 2 it serves about two and
 * a quarter, and expanding every column costs more than dw_interior3x3's
 * loads: MobileNet's stride-2 layers measured 20-30% slower this way). */
static int32_t dw3_applies(const edgec_conv_params_t *p)
{
  return p->k_h == 3 && p->k_w == 3 && p->dil_h == 1 && p->dil_w == 1 && p->stride_h == 1 && p->stride_w == 1 &&
         dw3_cols(p) <= EDGEC_DW3_MAX_COLS;
}

/* Expands input row iy of batch b (outside [0, in_h): zero points) of channels c..c+3 into ring slot `slot`. */
static void dw3_fill(dw3_rows_t *rb, int32_t slot, const edgec_conv_params_t *p, const int8_t *input, int32_t c,
                     int32_t b, int32_t iy, int32_t cols)
{
  const int32_t zp2 = edgec_dup16(-p->input_offset);
  int32_t(*d)[2] = rb->lanes[slot];
  int32_t j;
  if (iy < 0 || iy >= p->in_h) {
    for (j = 0; j < cols; ++j) d[j][0] = d[j][1] = zp2;
    return;
  }
  {
    const int8_t *x = input + ((b * p->in_h + iy) * p->in_w - p->pad_left) * p->in_c + c;
    for (j = 0; j < cols; ++j) {
      const int32_t ix = j - p->pad_left;
      if (ix < 0 || ix >= p->in_w) {
        d[j][0] = d[j][1] = zp2;
      } else {
        const int32_t v = edgec_ld4(x + j * p->in_c);
        d[j][0] = __sxtb16(v);
        d[j][1] = edgec_sxtb16_ror8(v);
      }
    }
  }
}

/* One tap: input column pair X, weight pair W (dw_group_t.wexp layout). */
#define DW3_TAP(X, W)                 \
  do {                                \
    const int32_t e_ = (X)[0], o_ = (X)[1]; \
    const int32_t we_ = (W)[0], wo_ = (W)[1]; \
    a0 = __smlabb(we_, e_, a0);       \
    a2 = __smlatt(we_, e_, a2);       \
    a1 = __smlabb(wo_, o_, a1);       \
    a3 = __smlatt(wo_, o_, a3);       \
  } while (0)

/* One output row of the group from ring rows r0..r2 (word pairs, from the first window's column). */
static EDGEC_NOINLINE void dw3_row(const dw_group_t *g, const int32_t *r0, const int32_t *r1, const int32_t *r2,
                                   int8_t *out, int32_t out_w, int32_t stride, int32_t o_n)
{
  const int32_t *w = g->wexp;
  const int32_t step = 2 * stride; /* words between windows */
  for (; out_w > 0; --out_w) {
    int32_t a0 = g->bias_in[0], a1 = g->bias_in[1], a2 = g->bias_in[2], a3 = g->bias_in[3];
    DW3_TAP(r0 + 0, w + 0);
    DW3_TAP(r0 + 2, w + 2);
    DW3_TAP(r0 + 4, w + 4);
    DW3_TAP(r1 + 0, w + 6);
    DW3_TAP(r1 + 2, w + 8);
    DW3_TAP(r1 + 4, w + 10);
    DW3_TAP(r2 + 0, w + 12);
    DW3_TAP(r2 + 2, w + 14);
    DW3_TAP(r2 + 4, w + 16);
    EDGEC_RQ4_STORE_INLINE(&g->rq, out, a0, a1, a2, a3);
    r0 += step;
    r1 += step;
    r2 += step;
    out += o_n;
  }
}
#undef DW3_TAP

/* Where dw_dsp writes output rows when not into the output tensor: row(ctx, c,
 * b, oy) gives the place of row (b, oy) of channels c..c+3, pixels px_step
 * bytes apart (edgec_depthwise_conv_rows_s8). */
typedef struct dw_rows_s {
  int8_t *(*row)(void *ctx, int32_t c, int32_t b, int32_t oy);
  void *ctx;
  int32_t px_step;
} dw_rows_t;

static void dw3_group(const edgec_conv_params_t *p, const int8_t *input, const dw_group_t *g, int8_t *output,
                      int32_t c, int32_t o_n, const dw_rows_t *rows)
{
  dw3_rows_t rb;
  const int32_t cols = dw3_cols(p), c_n = p->in_c;
  int32_t b, oy, i;
  for (b = 0; b < p->batches; ++b) {
    for (i = 0; i < 3; ++i) rb.row_of[i] = -p->in_h - 8; /* no row yet */
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      int8_t *out_row = rows ? rows->row(rows->ctx, c, b, oy) : output + (b * p->out_h + oy) * p->out_w * c_n + c;
      int32_t slot[3];
      for (i = 0; i < 3; ++i) {
        const int32_t iy = iy0 + i;
        slot[i] = ((iy % 3) + 3) % 3;
        if (rb.row_of[slot[i]] != iy) {
          dw3_fill(&rb, slot[i], p, input, c, b, iy, cols);
          rb.row_of[slot[i]] = iy;
        }
      }
      dw3_row(g, rb.lanes[slot[0]][0], rb.lanes[slot[1]][0], rb.lanes[slot[2]][0], out_row, p->out_w, p->stride_w, o_n);
    }
  }
}

/* ch_mult 1, channels [0, c4) (c4 a multiple of 4), windows of at most
 * EDGEC_DW_MAX_TAPS taps; rows into `output`, or where `rows` says. */
static void dw_dsp(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                   const int32_t *mult, const int32_t *shift, int8_t *output, int32_t c4, const dw_rows_t *rows)
{
  const int32_t o_n = rows ? rows->px_step : p->in_c; /* bytes between output pixels */
  const int32_t c_n = p->in_c, taps = p->k_h * p->k_w, off = p->input_offset;
  const int32_t row = p->in_w * c_n, x_step = p->dil_w * c_n, y_step = p->dil_h * row;
  const int32_t px_step = p->stride_w * c_n, off2 = edgec_dup16(off);
  int32_t ox_lo = p->out_w, ox_hi = 0; /* interior columns [ox_lo, ox_hi): contiguous */
  int32_t c, i, r, b, oy, ox, ky0, ky1, kx0, kx1;
  dw_group_t g;
  for (ox = 0; ox < p->out_w; ++ox) {
    edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
    if (kx0 == 0 && kx1 == p->k_w) {
      if (ox < ox_lo) ox_lo = ox;
      ox_hi = ox + 1;
    }
  }
  if (ox_hi <= ox_lo) ox_lo = ox_hi = 0;
  for (c = 0; c < c4; c += 4) {
    int32_t sum[4] = {0, 0, 0, 0};
    edgec_rq4_init(&g.rq, mult + c, shift + c, p->output_offset, p->act_min, p->act_max);
    for (i = 0; i < taps; ++i) {
      const int32_t v = edgec_ld4(filter + i * c_n + c);
      g.wexp[2 * i] = __sxtb16(v);
      g.wexp[2 * i + 1] = edgec_sxtb16_ror8(v);
      for (r = 0; r < 4; ++r) sum[r] += filter[i * c_n + c + r];
    }
    for (r = 0; r < 4; ++r) {
      g.bias[r] = bias ? bias[c + r] : 0;
      g.bias_in[r] = g.bias[r] + off * sum[r];
    }
    if (dw3_applies(p)) {
      dw3_group(p, input, &g, output, c, o_n, rows);
      continue;
    }
    for (b = 0; b < p->batches; ++b) {
      const int8_t *in_b = input + b * p->in_h * row + c;
      for (oy = 0; oy < p->out_h; ++oy) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top;
        int8_t *out_row = rows ? rows->row(rows->ctx, c, b, oy) : output + (b * p->out_h + oy) * p->out_w * c_n + c;
        edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
        for (ox = 0; ox < p->out_w; ++ox) {
          const int32_t ix0 = ox * p->stride_w - p->pad_left;
          if (ky0 == 0 && ky1 == p->k_h && ox == ox_lo && ox_hi > ox_lo) {
            if (p->k_h == 3 && p->k_w == 3)
              dw_interior3x3(&g, in_b + iy0 * row + ix0 * c_n, out_row + ox * o_n, ox_hi - ox_lo, px_step, o_n,
                             x_step, y_step);
            else
              dw_interior(&g, in_b + iy0 * row + ix0 * c_n, out_row + ox * o_n, ox_hi - ox_lo, px_step, o_n, taps,
                          p->k_w, x_step, y_step);
            ox = ox_hi - 1;
            continue;
          }
          edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
          if (ky1 <= ky0 || kx1 <= kx0) { /* window in the padding: bias only */
            dw_border(&g, in_b, out_row + ox * o_n, 0, 0, 0, 0, p->k_w, x_step, y_step, off2);
            continue;
          }
          dw_border(&g, in_b + (iy0 + ky0 * p->dil_h) * row + (ix0 + kx0 * p->dil_w) * c_n, out_row + ox * o_n, ky0,
                    ky1, kx0, kx1, p->k_w, x_step, y_step, off2);
        }
      }
    }
  }
}
#endif /* EDGEC_DSP */

#if !EDGEC_DSP
/* Four adjacent channels (ch_mult 1), channels [0, c4), pixel by pixel: each
 * input load serves four accumulators. */
static EDGEC_NOINLINE void dw_taps4(const int8_t *x, const int8_t *w, int32_t nky, int32_t nkx, int32_t x_step,
                                    int32_t y_step, int32_t w_step, int32_t wy_step, int32_t off, int32_t *acc)
{
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  const int32_t x_row = y_step - nkx * x_step, w_row = wy_step - nkx * w_step;
  int32_t ky, kx;
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
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

static void dw_c4(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                  const int32_t *mult, const int32_t *shift, int8_t *output, int32_t c4)
{
  const int32_t c_n = p->in_c, row = p->in_w * c_n;
  int32_t b, oy, ox, ic, m, ky0, ky1, kx0, kx1;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ++ox) {
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * c_n;
        const int8_t *x;
        const int8_t *w;
        const int32_t any = ky1 > ky0;
        edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
        x = input;
        w = filter;
        if (any && kx1 > kx0) {
          x += (b * p->in_h + oy * p->stride_h - p->pad_top + ky0 * p->dil_h) * row +
               (ox * p->stride_w - p->pad_left + kx0 * p->dil_w) * c_n;
          w += (ky0 * p->k_w + kx0) * c_n;
        }
        for (ic = 0; ic < c4; ic += 4) {
          int32_t a[4] = {0, 0, 0, 0};
          if (any && kx1 > kx0)
            dw_taps4(x + ic, w + ic, ky1 - ky0, kx1 - kx0, p->dil_w * c_n, p->dil_h * row, c_n, p->k_w * c_n,
                     p->input_offset, a);
          for (m = 0; m < 4; ++m)
            out[ic + m] = (int8_t)edgec_out_s8(a[m] + (bias ? bias[ic + m] : 0), mult[ic + m], shift[ic + m],
                                               p->output_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}
#endif /* !EDGEC_DSP */

void edgec_depthwise_conv_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
  const int32_t c4 = p->out_c == p->in_c ? p->in_c & ~3 : 0; /* ch_mult 1: 4-channel passes */
#if EDGEC_DSP
  const int32_t c4_dsp = p->k_h * p->k_w <= EDGEC_DW_MAX_TAPS ? c4 : 0;
  if (c4_dsp > 0) dw_dsp(p, input, filter, bias, mult, shift, output, c4_dsp, NULL);
  if (c4_dsp < p->in_c) dw_plain(p, input, filter, bias, mult, shift, output, c4_dsp);
#else
  if (c4 > 0) dw_c4(p, input, filter, bias, mult, shift, output, c4);
  if (c4 < p->in_c) dw_plain(p, input, filter, bias, mult, shift, output, c4);
#endif
}

/* For edgec_depthwise_conv_inplace_s8.c: the DSP path's channel groups (ch_mult
 * 1, channels [0, c4) in groups of four, one group at a time over every batch
 * and row in order), each output row of a group written where row(ctx, c, b,
 * oy) says, pixels px_step bytes apart. Returns c4, the channels computed: 0
 * without the DSP extension, for ch_mult > 1 or for windows over
 * EDGEC_DW_MAX_TAPS taps (the caller computes the channels from c4 on). */
int32_t edgec_depthwise_conv_rows_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                                     const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                     int8_t *(*row)(void *ctx, int32_t c, int32_t b, int32_t oy), void *ctx,
                                     int32_t px_step)
{
#if EDGEC_DSP
  const int32_t c4 = p->out_c == p->in_c && p->k_h * p->k_w <= EDGEC_DW_MAX_TAPS ? p->in_c & ~3 : 0;
  dw_rows_t rows;
  rows.row = row;
  rows.ctx = ctx;
  rows.px_step = px_step;
  if (c4 > 0) dw_dsp(p, input, filter, bias, mult, shift, NULL, c4, &rows);
  return c4;
#else
  (void)p, (void)input, (void)filter, (void)bias, (void)mult, (void)shift, (void)row, (void)ctx, (void)px_step;
  return 0;
#endif
}
