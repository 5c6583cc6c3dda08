/*
 * edgec_quantize_s8: conversions at the model's edges.
 *  - edgec_quantize_f32_s8: ONNX QuantizeLinear, saturate(round_half_even(x / scale) + zp)
 *    (a division, as onnxruntime does; NaN gives zp);
 *  - edgec_dequantize_s8_f32: ONNX DequantizeLinear, (float)(q - zp) * scale;
 *  - edgec_u8_to_s8 / edgec_s8_to_u8: q -/+ 128 (flip the sign bit). In place allowed.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_quantize_f32_s8(const float *input, int32_t size, float scale, int32_t zero_point, int8_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = edgec_quantize_value_f32(input[i], scale, zero_point);
}

void edgec_dequantize_s8_f32(const int8_t *input, int32_t size, float scale, int32_t zero_point, float *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (float)((int32_t)input[i] - zero_point) * scale;
}

void edgec_u8_to_s8(const uint8_t *input, int32_t size, int8_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (int8_t)((int32_t)input[i] - 128);
}

void edgec_s8_to_u8(const int8_t *input, int32_t size, uint8_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (uint8_t)((int32_t)input[i] + 128);
}
