/*
 * edgec_quantize_f32_s16 / edgec_dequantize_s16_f32: float <-> int16 at the
 * model's edges, TFLite Micro's QUANTIZE / DEQUANTIZE for int16:
 *
 *  quantize:   q = clamp(round_half_away(x / scale) + zero_point, -32768, 32767)
 *              (x / scale in float, as TFLM's AffineQuantize; NaN gives zero_point)
 *  dequantize: x = (q - zero_point) * scale
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_quantize_f32_s16(const float *input, int32_t size, float scale, int32_t zero_point, int16_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = edgec_quantize_value_f32_s16(input[i], scale, zero_point);
}

void edgec_dequantize_s16_f32(const int16_t *input, int32_t size, float scale, int32_t zero_point, float *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (float)((int32_t)input[i] - zero_point) * scale;
}
