/*
 * edgec_conv_sparse_s8: int8 convolution (groups 1) with bitmap-sparse
 * weights (index format: edgec_sparse.h, rows = out_c, cols = k_h * k_w *
 * in_c in OHWI order). Same parameters, semantics and results (byte for
 * byte) as edgec_conv_s8.
 *
 * Per output pixel the window is gathered (im2col) into a stack buffer of
 * EDGEC_SPARSE_MAX_WINDOW bytes, padding taps holding the input zero point
 * (-input_offset) so that they add w * 0, as the dense kernel skips them;
 * then every output channel is a sparse dot product with that window.
 * Larger windows (k_h * k_w * in_c over EDGEC_SPARSE_MAX_WINDOW) decompose
 * each nonzero's position into (ky, kx, ic) instead: slower, same results.
 * Output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_sparse.h"

#ifndef EDGEC_SPARSE_MAX_WINDOW
#define EDGEC_SPARSE_MAX_WINDOW 2304
#endif

/* One output pixel's window, OHWI tap order, into buf. */
static void sparse_gather(const edgec_conv_params_t *p, const int8_t *in_b, int32_t iy0, int32_t ix0, int8_t *buf)
{
  const int8_t zp = (int8_t)(-p->input_offset);
  const int32_t in_c = p->in_c;
  int32_t ky, kx, ic;
  for (ky = 0; ky < p->k_h; ++ky) {
    const int32_t iy = iy0 + ky * p->dil_h;
    for (kx = 0; kx < p->k_w; ++kx, buf += in_c) {
      const int32_t ix = ix0 + kx * p->dil_w;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
        for (ic = 0; ic < in_c; ++ic) buf[ic] = zp;
      } else {
        const int8_t *src = in_b + (iy * p->in_w + ix) * in_c;
        for (ic = 0; ic < in_c; ++ic) buf[ic] = src[ic];
      }
    }
  }
}

/* Windows too large for the stack buffer: each nonzero's column j is the tap
 * (j / in_c) and channel (j % in_c); taps in the padding add nothing. */
static void conv_sparse_direct(const edgec_conv_params_t *p, const int8_t *input, const int8_t *index,
                               const int8_t *values, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                               int8_t *output)
{
  const int32_t in_c = p->in_c, cols = p->k_h * p->k_w * in_c, nbytes = (cols + 7) >> 3, rows = p->out_c;
  const uint8_t *row_mask = (const uint8_t *)index;
  int32_t b, oy, ox, oc, j;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t iy0 = oy * p->stride_h - p->pad_top, ix0 = ox * p->stride_w - p->pad_left;
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * rows;
        const uint8_t *bits = row_mask + ((rows + 7) >> 3);
        const int8_t *v = values;
        for (oc = 0; oc < rows; ++oc) {
          int32_t acc = bias ? bias[oc] : 0;
          if (edgec_sparse_row_set(row_mask, oc)) {
            for (j = 0; j < cols; ++j) {
              if ((bits[j >> 3] >> (j & 7)) & 1) {
                const int32_t tap = j / in_c, ic = j - tap * in_c;
                const int32_t iy = iy0 + (tap / p->k_w) * p->dil_h, ix = ix0 + (tap % p->k_w) * p->dil_w;
                const int32_t w = *v++;
                if (iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w)
                  acc += w * (input[((b * p->in_h + iy) * p->in_w + ix) * in_c + ic] + p->input_offset);
              }
            }
            bits += nbytes;
          }
          out[oc] = (int8_t)edgec_out_s8(acc, mult[oc], shift[oc], p->output_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}

void edgec_conv_sparse_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *index, const int8_t *values,
                          const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
  int8_t window[EDGEC_SPARSE_MAX_WINDOW];
  const int32_t cols = p->k_h * p->k_w * p->in_c, nbytes = (cols + 7) >> 3, rows = p->out_c;
  const uint8_t *row_mask = (const uint8_t *)index;
  const uint8_t *bits0 = row_mask + ((rows + 7) >> 3);
  int32_t b, oy, ox, oc;
  if (cols > EDGEC_SPARSE_MAX_WINDOW) {
    conv_sparse_direct(p, input, index, values, bias, mult, shift, output);
    return;
  }
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * rows;
        const uint8_t *bits = bits0;
        const int8_t *v = values;
        sparse_gather(p, in_b, oy * p->stride_h - p->pad_top, ox * p->stride_w - p->pad_left, window);
        for (oc = 0; oc < rows; ++oc) {
          int32_t acc = bias ? bias[oc] : 0;
          if (edgec_sparse_row_set(row_mask, oc)) {
            acc = edgec_sparse_row_dot(bits, nbytes, &v, window, p->input_offset, acc);
            bits += nbytes;
          }
          out[oc] = (int8_t)edgec_out_s8(acc, mult[oc], shift[oc], p->output_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}
