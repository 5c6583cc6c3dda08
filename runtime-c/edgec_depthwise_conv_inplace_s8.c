/*
 * edgec_depthwise_conv_inplace_s8: int8 depthwise convolution (ch_mult 1)
 * whose output overwrites its input, with a temporary of a few output rows of
 * four channels instead of a whole output tensor (MCUNet style). Same
 * arithmetic as edgec_depthwise_conv_s8 (its DSP path computes the rows), so
 * bit-exact with it.
 *
 *  data    [batches, in_h, in_w, C] int8 NHWC on entry,
 *          [batches, out_h, out_w, C] on return (same base address);
 *          requires out_c == in_c (ch_mult 1) and out_h * out_w <= in_h * in_w
 *  temp    edgec_depthwise_inplace_temp_bytes(p) bytes, not overlapping data
 *
 * Why this is safe in NHWC: output channel c depends on input channel c only,
 * so channels go in groups (four on the DSP path, one otherwise), and a
 * group's output bytes overlap only that group's input. Within a group, rows
 * are computed in order (batch, then output row) into a ring of `slots` rows
 * in temp, and a row is stored in place once every input pixel its bytes
 * cover is dead: with the same channel stride, output pixel P (flat over
 * batches) lies on input pixel P. For the row's last pixel P at input (b',
 * iy): dead when b' is an earlier batch, or when the last output row reading
 * input row iy, min(out_h - 1, floor((iy + pad_top) / stride_h)), has been
 * computed (a bound: it ignores dilation holes). Earlier pixels of the row
 * die no later. slots is the largest such delay in rows, plus one (3x3,
 * stride 1, pad 1: two rows).
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_window.h"

#include <string.h>

void edgec_depthwise_conv_inplace_s8(const edgec_conv_params_t *p, int8_t *data, const int8_t *filter,
                                     const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *temp);
int32_t edgec_depthwise_inplace_temp_bytes(const edgec_conv_params_t *p);
/* In edgec_depthwise_conv_s8.c: its DSP path with the rows sent where row() says. */
int32_t edgec_depthwise_conv_rows_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                                     const int32_t *bias, const int32_t *mult, const int32_t *shift,
                                     int8_t *(*row)(void *ctx, int32_t c, int32_t b, int32_t oy), void *ctx,
                                     int32_t px_step);

/* The flat output row (batch * out_h + oy) after whose computation flat row r
 * may be stored in place (see the header comment). */
static int32_t store_after(const edgec_conv_params_t *p, int32_t r)
{
  const int32_t in_hw = p->in_h * p->in_w;
  const int32_t last_px = (r + 1) * p->out_w - 1; /* the row's last pixel, flat; also its input pixel */
  const int32_t b_in = last_px / in_hw, b = r / p->out_h;
  const int32_t iy = (last_px % in_hw) / p->in_w;
  int32_t last;
  if (b_in < b) return r;
  last = (iy + p->pad_top) / p->stride_h;
  if (last > p->out_h - 1) last = p->out_h - 1;
  return b * p->out_h + last > r ? b * p->out_h + last : r;
}

/* Rows of the ring: the largest delay, plus the row being computed. */
static int32_t ring_slots(const edgec_conv_params_t *p)
{
  int32_t r, slots = 1;
  for (r = 0; r < p->batches * p->out_h; ++r) {
    const int32_t d = store_after(p, r) - r + 1;
    if (d > slots) slots = d;
  }
  return slots;
}

/* Bytes of temp the kernel needs: ring rows of out_w pixels of up to four channels. */
int32_t edgec_depthwise_inplace_temp_bytes(const edgec_conv_params_t *p)
{
  return ring_slots(p) * p->out_w * (p->in_c < 4 ? p->in_c : 4);
}

/* Rows of one channel group computed but not yet stored: flat rows [first, next). */
typedef struct {
  const edgec_conv_params_t *p;
  int8_t *data, *temp;
  int32_t slots, gw; /* ring rows; channels per group (bytes between pixels in temp) */
  int32_t c;         /* the group's first channel */
  int32_t first, next;
} ring_t;

/* Stores pending rows in order while they may be stored after flat row `done` (all of them when done < 0). */
static void ring_flush(ring_t *q, int32_t done)
{
  const int32_t out_w = q->p->out_w, C = q->p->in_c, gw = q->gw;
  while (q->first < q->next && (done < 0 || store_after(q->p, q->first) <= done)) {
    const int8_t *src = q->temp + (q->first % q->slots) * out_w * gw;
    int8_t *dst = q->data + q->first * out_w * C + q->c;
    int32_t x;
    if (gw == 4) {
      for (x = 0; x < out_w; ++x) memcpy(dst + x * C, src + 4 * x, 4);
    } else {
      for (x = 0; x < out_w; ++x) memcpy(dst + x * C, src + x * gw, (size_t)gw);
    }
    q->first++;
  }
}

/* Where row (b, oy) of the group at channel c goes: its ring slot, after
 * storing what the rows computed so far allow (and all of a previous group). */
static int8_t *ring_row(void *ctx, int32_t c, int32_t b, int32_t oy)
{
  ring_t *q = (ring_t *)ctx;
  const int32_t r = b * q->p->out_h + oy;
  if (c != q->c) {
    ring_flush(q, -1);
    q->c = c;
    q->first = q->next = 0;
  }
  ring_flush(q, r - 1);
  q->next = r + 1;
  return q->temp + (r % q->slots) * q->p->out_w * q->gw;
}

/* One output row of channel c into out (pixels one byte apart), plain C. */
static void plain_row(const edgec_conv_params_t *p, const int8_t *data, const int8_t *filter, int32_t c, int32_t b,
                      int32_t oy, int32_t bias_c, int32_t mult_c, int32_t shift_c, int8_t *out)
{
  const int32_t C = p->in_c, off = p->input_offset;
  const int32_t x_step = p->dil_w * C, y_step = p->dil_h * p->in_w * C, wy_step = p->k_w * C;
  const int8_t *in_b = data + b * p->in_h * p->in_w * C + c;
  const int32_t iy0 = oy * p->stride_h - p->pad_top;
  int32_t ky0, ky1, ox, ky, kx;
  edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
  for (ox = 0; ox < p->out_w; ++ox) {
    const int32_t ix0 = ox * p->stride_w - p->pad_left;
    int32_t kx0, kx1;
    int32_t acc = bias_c;
    edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
    if (ky1 > ky0 && kx1 > kx0) {
      const int8_t *xr = in_b + ((iy0 + ky0 * p->dil_h) * p->in_w + ix0 + kx0 * p->dil_w) * C;
      const int8_t *wr = filter + (ky0 * p->k_w + kx0) * C + c;
      for (ky = ky0; ky < ky1; ++ky, xr += y_step, wr += wy_step)
        for (kx = 0; kx < kx1 - kx0; ++kx) acc += wr[kx * C] * (xr[kx * x_step] + off);
    }
    out[ox] = (int8_t)edgec_out_s8(acc, mult_c, shift_c, p->output_offset, p->act_min, p->act_max);
  }
}

void edgec_depthwise_conv_inplace_s8(const edgec_conv_params_t *p, int8_t *data, const int8_t *filter,
                                     const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *temp)
{
  ring_t q;
  int32_t c, b, oy, c4;
  q.p = p;
  q.data = data;
  q.temp = temp;
  q.slots = ring_slots(p);
  q.gw = 4;
  q.c = -1;
  q.first = q.next = 0;
  /* Groups of four channels on the DSP path (none without the extension). */
  c4 = edgec_depthwise_conv_rows_s8(p, data, filter, bias, mult, shift, ring_row, &q, 4);
  ring_flush(&q, -1);
  /* The other channels one at a time, plain C. */
  q.gw = 1;
  q.c = -1;
  for (c = c4; c < p->in_c; ++c) {
    for (b = 0; b < p->batches; ++b)
      for (oy = 0; oy < p->out_h; ++oy)
        plain_row(p, data, filter, c, b, oy, bias ? bias[c] : 0, mult[c], shift[c], ring_row(&q, c, b, oy));
  }
  ring_flush(&q, -1);
}
