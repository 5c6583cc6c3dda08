/*
 * edgec_avg_pool_s16: int16 average pooling, TFLite Micro's int16 AveragePool:
 * the mean of the window positions inside the input (padding not counted),
 * int32 sum, round half away from zero, clamped. Input and output share the
 * quantization. count_include_pad and pad_value are not used (TFLite has no
 * such mode); a window with no position inside outputs 0.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_avg_pool_s16(const edgec_pool_params_t *p, const int16_t *input, int16_t *output)
{
  const int32_t c_n = p->channels;
  int32_t b, oy, ox, c, y, x;
  for (b = 0; b < p->batches; ++b) {
    const int16_t *in_b = input + b * p->in_h * p->in_w * c_n;
    for (oy = 0; oy < p->out_h; ++oy) {
      const int32_t iy0 = oy * p->stride_h - p->pad_top;
      const int32_t y0 = iy0 < 0 ? 0 : iy0;
      const int32_t y1 = iy0 + p->k_h < p->in_h ? iy0 + p->k_h : p->in_h;
      for (ox = 0; ox < p->out_w; ++ox) {
        const int32_t ix0 = ox * p->stride_w - p->pad_left;
        const int32_t x0 = ix0 < 0 ? 0 : ix0;
        const int32_t x1 = ix0 + p->k_w < p->in_w ? ix0 + p->k_w : p->in_w;
        const int32_t count = (y1 > y0 && x1 > x0) ? (y1 - y0) * (x1 - x0) : 0;
        int16_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * c_n;
        for (c = 0; c < c_n; ++c) {
          int32_t sum = 0;
          for (y = y0; y < y1; ++y) {
            const int16_t *in = in_b + (y * p->in_w + x0) * c_n + c;
            for (x = x0; x < x1; ++x) {
              sum += *in;
              in += c_n;
            }
          }
          if (count > 0) sum = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
          out[c] = (int16_t)edgec_clamp_s32(sum, p->act_min, p->act_max);
        }
      }
    }
  }
}
