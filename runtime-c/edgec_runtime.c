/*
 * edgec_runtime: scalar float <-> int8 / int16 helpers declared in edgec.h
 * (int8: ONNX QuantizeLinear / DequantizeLinear rules, see edgec_quantize_s8.c;
 * int16: TFLite Micro's QUANTIZE rule, see edgec_quantize_s16.c).
 */
#include "edgec.h"
#include "edgec_fixedpoint.h"

int8_t edgec_quantize_f32(float value, float scale, int32_t zero_point)
{
  return edgec_quantize_value_f32(value, scale, zero_point);
}

float edgec_dequantize_f32(int8_t value, float scale, int32_t zero_point)
{
  return (float)((int32_t)value - zero_point) * scale;
}

int16_t edgec_quantize16_f32(float value, float scale, int32_t zero_point)
{
  return edgec_quantize_value_f32_s16(value, scale, zero_point);
}

float edgec_dequantize16_f32(int16_t value, float scale, int32_t zero_point)
{
  return (float)((int32_t)value - zero_point) * scale;
}
