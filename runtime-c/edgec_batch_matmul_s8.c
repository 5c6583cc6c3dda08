/*
 * edgec_batch_matmul_s8: int8 matrix product of two activations, TFLite
 * Micro BATCH_MATMUL int8 arithmetic (reference_ops::BatchMatMul):
 *
 *  out[b][i][j] = clamp(requant(sum_k (a[b][i][k] + a_offset) * (c[b][k][j] + b_offset),
 *                              mult, shift) + out_offset, act_min, act_max)
 *
 * with one multiplier for a_scale * b_scale / out_scale. TFLM walks the
 * operands in another order (it transposes the right-hand side); the int32
 * sum holds the same exact integer products, so the result is the same.
 * a is [batch..., m, k], c is [batch..., k, n], out [batch..., m, n], all
 * row-major; up to two batch dims (dims b0, b1), each operand's batch step
 * is 0 where it is broadcast. Output must not overlap the inputs.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

void edgec_batch_matmul_s8(const edgec_batch_matmul_params_t *p, const int8_t *a, const int8_t *c, int8_t *output)
{
  int32_t b0, b1, i, j, k;
  for (b0 = 0; b0 < p->b0; ++b0) {
    for (b1 = 0; b1 < p->b1; ++b1) {
      const int8_t *a_mat = a + b0 * p->a_step0 + b1 * p->a_step1;
      const int8_t *c_mat = c + b0 * p->c_step0 + b1 * p->c_step1;
      for (i = 0; i < p->m; ++i) {
        const int8_t *a_row = a_mat + i * p->k;
        for (j = 0; j < p->n; ++j) {
          int32_t acc = 0;
          for (k = 0; k < p->k; ++k) acc += (a_row[k] + p->a_offset) * (c_mat[k * p->n + j] + p->b_offset);
          *output++ = (int8_t)edgec_clamp_s32(edgec_requantize(acc, p->mult, p->shift) + p->out_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}
