/*
 * edgec_resize_bilinear_s8: bilinear resize of an NHWC int8 tensor, TFLite
 * Micro RESIZE_BILINEAR int8 (reference_ops::ResizeBilinearInteger).
 *
 *  input  [batches, in_h, in_w, channels], output [batches, out_h, out_w, channels]
 *  h_scale_10 / w_scale_10: in / out size ratio in 10-bit fixed point, rounded
 *  as TFLite does (align_corners: (in - 1) / (out - 1)); half_pixel: TF's
 *  half_pixel_centers. The raw int8 values are interpolated with int64
 *  weights summing to 2^20 and rounded half away from zero (input and output
 *  share their quantization). Output must not alias input.
 */
#include "edgec_kernels.h"

static void edgec_resize_bilinear_axis(int32_t value, int32_t scale_10, int32_t half_pixel, int32_t size,
                                       int32_t *scaled, int32_t *lower, int32_t *upper)
{
  const int32_t s = half_pixel ? value * scale_10 + scale_10 / 2 - (1 << 9) : value * scale_10;
  const int32_t lo = s / (1 << 10);
  const int32_t hi = (s + (1 << 10) - 1) / (1 << 10);
  *scaled = s;
  *lower = lo > 0 ? lo : 0;
  *upper = hi < size - 1 ? hi : size - 1;
}

void edgec_resize_bilinear_s8(int32_t batches, int32_t in_h, int32_t in_w, int32_t channels, int32_t out_h,
                              int32_t out_w, int32_t h_scale_10, int32_t w_scale_10, int32_t half_pixel,
                              const int8_t *input, int8_t *output)
{
  int32_t b, y, x, c;
  for (b = 0; b < batches; ++b) {
    const int8_t *in_b = input + b * in_h * in_w * channels;
    for (y = 0; y < out_h; ++y) {
      int32_t in_y, y0, y1;
      edgec_resize_bilinear_axis(y, h_scale_10, half_pixel, in_h, &in_y, &y0, &y1);
      for (x = 0; x < out_w; ++x) {
        int32_t in_x, x0, x1;
        const int8_t *p00, *p10, *p01, *p11;
        int64_t wy1, wy0, wx1, wx0;
        edgec_resize_bilinear_axis(x, w_scale_10, half_pixel, in_w, &in_x, &x0, &x1);
        wy1 = in_y - (1 << 10) * y0;
        wy0 = (1 << 10) - wy1;
        wx1 = in_x - (1 << 10) * x0;
        wx0 = (1 << 10) - wx1;
        p00 = in_b + (y0 * in_w + x0) * channels;
        p10 = in_b + (y1 * in_w + x0) * channels;
        p01 = in_b + (y0 * in_w + x1) * channels;
        p11 = in_b + (y1 * in_w + x1) * channels;
        for (c = 0; c < channels; ++c) {
          const int64_t acc = (int64_t)p00[c] * wy0 * wx0 + (int64_t)p10[c] * wy1 * wx0 + (int64_t)p01[c] * wy0 * wx1 +
                              (int64_t)p11[c] * wy1 * wx1;
          const int64_t round = acc > 0 ? (1 << 19) : -(1 << 19);
          *output++ = (int8_t)((acc + round) / (1 << 20));
        }
      }
    }
  }
}
