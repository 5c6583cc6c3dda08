/*
 * edgec_arg_minmax_s8: index of the largest (is_max) or smallest int8 value
 * along one axis, TFLite Micro ARG_MAX / ARG_MIN semantics (strict compare:
 * the first index wins ties) or, with select_last, ONNX select_last_index = 1
 * (the last index wins). The input is [outer, axis_size, inner] in memory,
 * the int32 output [outer, inner]. Comparing the raw int8 values equals
 * comparing the real values (a positive scale keeps the order).
 */
#include "edgec_kernels.h"

void edgec_arg_minmax_s8(const int8_t *input, int32_t outer, int32_t axis_size, int32_t inner, int32_t is_max,
                         int32_t select_last, int32_t *output)
{
  int32_t o, i, k;
  for (o = 0; o < outer; ++o) {
    for (i = 0; i < inner; ++i) {
      const int8_t *x = input + o * axis_size * inner + i;
      int32_t best = x[0], index = 0;
      for (k = 1; k < axis_size; ++k) {
        const int32_t v = x[k * inner];
        const int better = is_max ? (select_last ? v >= best : v > best) : (select_last ? v <= best : v < best);
        if (better) {
          best = v;
          index = k;
        }
      }
      output[o * inner + i] = index;
    }
  }
}
