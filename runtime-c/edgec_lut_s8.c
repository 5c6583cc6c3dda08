/*
 * edgec_lut_s8: table lookup for int8 elementwise functions (sigmoid, tanh,
 * ...): out[i] = table[(uint8_t)(in[i] + 128)]. table has 256 entries indexed
 * by in + 128. In place allowed.
 */
#include "edgec_kernels.h"

void edgec_lut_s8(const int8_t *input, const int8_t *table, int8_t *output, int32_t size)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = table[(uint8_t)(input[i] + 128)];
}
