/*
 * edgec_mul_s16 / edgec_mul_broadcast_s16: int16 multiplication, TFLite
 * Micro's int16 Mul (zero points 0):
 *
 *  out = clamp(requant((a + in1_offset) * (b + in2_offset), out_mult, out_shift)
 *              + out_offset, act_min, act_max)
 *
 * The product of two int16 values fits int32. Same-shape mul: output may
 * equal in1 or in2. Broadcast iteration as in edgec_add_s8.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_broadcast.h"

static inline int16_t mul_one_s16(const edgec_mul_params_t *p, int32_t a, int32_t b)
{
  const int32_t y = edgec_requantize((a + p->in1_offset) * (b + p->in2_offset), p->out_mult, p->out_shift);
  return (int16_t)edgec_clamp_s32(y + p->out_offset, p->act_min, p->act_max);
}

void edgec_mul_s16(const edgec_mul_params_t *p, const int16_t *in1, const int16_t *in2, int16_t *output, int32_t size)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = mul_one_s16(p, in1[i], in2[i]);
}

void edgec_mul_broadcast_s16(const edgec_mul_params_t *p, const edgec_broadcast_t *b, const int16_t *in1,
                             const int16_t *in2, int16_t *output)
{
  edgec_broadcast_iter_t it;
  int32_t row, i;
  edgec_broadcast_begin(b, &it);
  for (row = 0; row < it.rows; ++row) {
    const int16_t *a = in1 + it.off1, *c = in2 + it.off2;
    for (i = 0; i < it.inner; ++i) {
      *output++ = mul_one_s16(p, *a, *c);
      a += it.step1;
      c += it.step2;
    }
    edgec_broadcast_next(b, &it);
  }
}
