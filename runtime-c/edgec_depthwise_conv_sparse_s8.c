/*
 * edgec_depthwise_conv_sparse_s8: int8 depthwise convolution (channel
 * multiplier out_c / in_c) with bitmap-sparse weights (index format:
 * edgec_sparse.h, rows = out_c, cols = k_h * k_w taps in row-major tap
 * order: the dense [1, KH, KW, out_c] filter transposed to one row per output
 * channel). Same parameters, semantics and results (byte for byte) as
 * edgec_depthwise_conv_s8: out channel oc reads input channel oc / ch_mult,
 * padding taps add nothing. Output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_sparse.h"
#include "edgec_window.h"

/* One output channel of one pixel: taps [ky0, ky1) x [kx0, kx1) of its row. */
static int32_t dw_sparse_taps(const uint8_t *bits, const int8_t **values, const int8_t *input, int32_t base, int32_t k_w,
                              int32_t taps, int32_t ky0, int32_t ky1, int32_t kx0, int32_t kx1, int32_t x_step,
                              int32_t y_step, int32_t off, int32_t acc)
{
  const int8_t *v = *values;
  int32_t t;
  for (t = 0; t < taps; ++t) {
    if ((bits[t >> 3] >> (t & 7)) & 1) {
      const int32_t ky = t / k_w, kx = t - (t / k_w) * k_w;
      const int32_t w = *v++;
      if (ky >= ky0 && ky < ky1 && kx >= kx0 && kx < kx1) acc += w * (input[base + ky * y_step + kx * x_step] + off);
    }
  }
  *values = v;
  return acc;
}

void edgec_depthwise_conv_sparse_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *index,
                                    const int8_t *values, const int32_t *bias, const int32_t *mult,
                                    const int32_t *shift, int8_t *output)
{
  const int32_t in_c = p->in_c, out_c = p->out_c, ch_mult = out_c / in_c;
  const int32_t taps = p->k_h * p->k_w, nbytes = (taps + 7) >> 3, row = p->in_w * in_c;
  const uint8_t *row_mask = (const uint8_t *)index;
  const uint8_t *bits0 = row_mask + ((out_c + 7) >> 3);
  int32_t b, oy, ox, oc, ky0, ky1, kx0, kx1;
  for (b = 0; b < p->batches; ++b) {
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      edgec_valid_taps(oy, p->stride_h, p->pad_top, p->dil_h, p->k_h, p->in_h, &ky0, &ky1);
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        /* Element index of tap (0, 0) of channel 0 (negative in the padding: only taps inside the input are read). */
        const int32_t base = b * p->in_h * row + iy0 * row + ix0 * in_c;
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * out_c;
        const uint8_t *bits = bits0;
        const int8_t *v = values;
        edgec_valid_taps(ox, p->stride_w, p->pad_left, p->dil_w, p->k_w, p->in_w, &kx0, &kx1);
        for (oc = 0; oc < out_c; ++oc) {
          int32_t acc = bias ? bias[oc] : 0;
          if (edgec_sparse_row_set(row_mask, oc)) {
            acc = dw_sparse_taps(bits, &v, input, base + oc / ch_mult, p->k_w, taps, ky0, ky1, kx0, kx1, p->dil_w * in_c,
                                 p->dil_h * row, p->input_offset, acc);
            bits += nbytes;
          }
          out[oc] = (int8_t)edgec_out_s8(acc, mult[oc], shift[oc], p->output_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}
