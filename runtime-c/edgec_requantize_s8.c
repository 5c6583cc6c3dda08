/*
 * edgec_requantize_s8: int8 -> int8 with another scale / zero point
 * (TFLite Requantize): out = clamp(requant(x + input_offset, mult, shift)
 * + output_offset, act_min, act_max). input_offset = -in_zp,
 * output_offset = +out_zp, mult/shift from in_scale / out_scale. In place allowed.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_requantize_s8(const int8_t *input, int32_t size, int32_t input_offset, int32_t output_offset,
                         int32_t mult, int32_t shift, int32_t act_min, int32_t act_max, int8_t *output)
{
  int32_t i;
  for (i = 0; i < size; ++i) {
    const int32_t y = edgec_requantize(input[i] + input_offset, mult, shift) + output_offset;
    output[i] = (int8_t)edgec_clamp_s32(y, act_min, act_max);
  }
}
