/*
 * edgec_avg_pool_s8: int8 average pooling, TFLite Micro AveragePool semantics
 * plus ONNX count_include_pad (see edgec_kernels.h).
 *
 *  input  [batches, in_h, in_w, channels]   int8, NHWC
 *  output [batches, out_h, out_w, channels] int8, same scale and zero point
 *
 *  out = clamp(round_half_away(sum / count), act_min, act_max), one integer
 *  division per output element. Output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_avg_pool_s8(const edgec_pool_params_t *p, const int8_t *input, int8_t *output)
{
  const int32_t c_n = p->channels;
  int32_t b, oy, ox, c, y, x;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * c_n;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      const int32_t y0 = iy0 < 0 ? 0 : iy0;
      const int32_t y1 = iy0 + p->k_h < p->in_h ? iy0 + p->k_h : p->in_h;
      /* Window clipped to the padded extent [-pad_top, in_h + pad_bottom). */
      const int32_t py0 = iy0 < -p->pad_top ? -p->pad_top : iy0;
      const int32_t py1 = iy0 + p->k_h < p->in_h + p->pad_bottom ? iy0 + p->k_h : p->in_h + p->pad_bottom;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        const int32_t x0 = ix0 < 0 ? 0 : ix0;
        const int32_t x1 = ix0 + p->k_w < p->in_w ? ix0 + p->k_w : p->in_w;
        const int32_t px0 = ix0 < -p->pad_left ? -p->pad_left : ix0;
        const int32_t px1 = ix0 + p->k_w < p->in_w + p->pad_right ? ix0 + p->k_w : p->in_w + p->pad_right;
        const int32_t inside = (y1 > y0 && x1 > x0) ? (y1 - y0) * (x1 - x0) : 0;
        int32_t count = inside, pad_sum = 0;
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * c_n;
        if (p->count_include_pad) {
          count = (py1 > py0 && px1 > px0) ? (py1 - py0) * (px1 - px0) : 0;
          pad_sum = (count - inside) * p->pad_value;
        }
        for (c = 0; c < c_n; ++c) {
          int32_t sum = pad_sum;
          for (y = y0; y < y1; ++y) {
            const int8_t *in = in_b + (y * p->in_w + x0) * c_n + c;
            for (x = x0; x < x1; ++x) {
              sum += *in;
              in += c_n;
            }
          }
          if (count > 0) {
            sum = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
          } else {
            sum = p->pad_value;
          }
          out[c] = (int8_t)edgec_clamp_s32(sum, p->act_min, p->act_max);
        }
      }
    }
  }
}
