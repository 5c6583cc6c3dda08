/*
 * edgec_concat_s8: concatenation of 1-byte tensors. The output is `outer`
 * blocks; block k is input 0's inner_sizes[0] bytes of block k, then input 1's,
 * and so on (inner_sizes[j] = product of input j's dims from the axis on).
 * Inputs must not overlap the output.
 */
#include <string.h>
#include "edgec_kernels.h"

void edgec_concat_s8(int32_t outer, int32_t num_inputs, const int8_t *const *inputs, const int32_t *inner_sizes,
                     int8_t *output)
{
  int32_t k, j;
  for (k = 0; k < outer; ++k) {
    for (j = 0; j < num_inputs; ++j) {
      const int32_t n = inner_sizes[j];
      memcpy(output, inputs[j] + k * n, (size_t)n);
      output += n;
    }
  }
}
