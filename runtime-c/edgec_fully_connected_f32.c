/*
 * edgec_fully_connected_f32: float fully connected layer (ONNX Gemm / MatMul
 * with constant weights) for layers kept in float32.
 *
 *  input   [batches, in_depth]              float
 *  filter  [out_depth, in_depth]            float, row-major
 *  bias    [out_depth]                      float or NULL
 *  output  [batches, out_depth]             float
 *
 *  out = clamp(bias[o] + sum_i w[o][i] * x[i], act_min, act_max).
 *  Output must not alias input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_fully_connected_f32(const edgec_fc_f32_params_t *p, const float *input, const float *filter,
                               const float *bias, float *output)
{
  int32_t b, o, i;
  for (b = 0; b < p->batches; ++b) {
    const float *x = input + (size_t)b * p->in_depth;
    float *y = output + (size_t)b * p->out_depth;
    for (o = 0; o < p->out_depth; ++o) {
      const float *w = filter + (size_t)o * p->in_depth;
      float acc = bias ? bias[o] : 0.0f;
      for (i = 0; i < p->in_depth; ++i) acc += w[i] * x[i];
      y[o] = edgec_clamp_f32(acc, p->act_min, p->act_max);
    }
  }
}
