/*
 * edgec_global_avg_pool_s8: mean over the spatial positions, TFLite MEAN style.
 *
 *  input  [batches, spatial, channels]  int8 (NHWC with spatial = H * W)
 *  output [batches, channels]           int8
 *
 *  acc = sum_s (x + input_offset); out = clamp(requant(acc, mult, shift) + output_offset).
 *  mult/shift encode in_scale / (out_scale * spatial) as TFLite's QuantizedMeanOrSum derives it
 *  (compiler/ops/reduce.ts meanMultiplier). spatial * 255 must fit int32.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_global_avg_pool_s8(int32_t batches, int32_t spatial, int32_t channels, int32_t input_offset,
                              int32_t output_offset, int32_t mult, int32_t shift, int32_t act_min,
                              int32_t act_max, const int8_t *input, int8_t *output)
{
  const int32_t offset_sum = input_offset * spatial;
  int32_t b, c, s;
  for (b = 0; b < batches; ++b) {
    const int8_t *in_b = input + b * spatial * channels;
    int8_t *out = output + b * channels;
    for (c = 0; c < channels; ++c) {
      const int8_t *in = in_b + c;
      int32_t acc = offset_sum;
      for (s = 0; s < spatial; ++s) {
        acc += *in;
        in += channels;
      }
      out[c] = (int8_t)edgec_clamp_s32(edgec_requantize(acc, mult, shift) + output_offset, act_min, act_max);
    }
  }
}
