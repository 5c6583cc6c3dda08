/*
 * edgec_requantize_s16_s16 / _s16_s8 / _s8_s16: TFLite Micro's QUANTIZE
 * between quantized types with an int16 side (reference Requantize):
 *
 *  out = clamp(requant(q + input_offset, mult, shift) + output_offset, out type's range)
 *
 * mult/shift from in_scale / out_scale (positive shift = left); input_offset
 * = -input zero point, output_offset = +output zero point. Same-type
 * requantization may run in place.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

static int32_t requant_one(int32_t q, int32_t input_offset, int32_t output_offset, int32_t mult, int32_t shift)
{
  return edgec_requantize(q + input_offset, mult, shift) + output_offset;
}

void edgec_requantize_s16_s16(const int16_t *input, int32_t size, int32_t input_offset, int32_t output_offset,
                              int32_t mult, int32_t shift, int16_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (int16_t)edgec_clamp_s32(requant_one(input[i], input_offset, output_offset, mult, shift), -32768, 32767);
}

void edgec_requantize_s16_s8(const int16_t *input, int32_t size, int32_t input_offset, int32_t output_offset,
                             int32_t mult, int32_t shift, int8_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (int8_t)edgec_clamp_s32(requant_one(input[i], input_offset, output_offset, mult, shift), -128, 127);
}

void edgec_requantize_s8_s16(const int8_t *input, int32_t size, int32_t input_offset, int32_t output_offset,
                             int32_t mult, int32_t shift, int16_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = (int16_t)edgec_clamp_s32(requant_one(input[i], input_offset, output_offset, mult, shift), -32768, 32767);
}
