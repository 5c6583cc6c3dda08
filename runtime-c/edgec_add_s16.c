/*
 * edgec_add_s16 / edgec_add_broadcast_s16: int16 addition, TFLite Micro's
 * int16 Add (the general-scale path it always takes: left_shift = 15, input
 * and output multipliers "smaller than one"):
 *
 *  x_i = requant((q_i + in_i_offset) << left_shift, in_i_mult, in_i_shift)
 *  out = clamp(requant(x_1 + x_2, out_mult, out_shift) + out_offset, act_min, act_max)
 *
 * Same-shape add: output may equal in1 or in2. Broadcast iteration as in
 * edgec_add_s8.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_broadcast.h"

static inline int16_t add_one_s16(const edgec_add_params_t *p, int32_t a, int32_t b)
{
  const int32_t x1 = edgec_requantize((a + p->in1_offset) * (1 << p->left_shift), p->in1_mult, p->in1_shift);
  const int32_t x2 = edgec_requantize((b + p->in2_offset) * (1 << p->left_shift), p->in2_mult, p->in2_shift);
  const int32_t y = edgec_requantize(x1 + x2, p->out_mult, p->out_shift) + p->out_offset;
  return (int16_t)edgec_clamp_s32(y, p->act_min, p->act_max);
}

void edgec_add_s16(const edgec_add_params_t *p, const int16_t *in1, const int16_t *in2, int16_t *output, int32_t size)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = add_one_s16(p, in1[i], in2[i]);
}

void edgec_add_broadcast_s16(const edgec_add_params_t *p, const edgec_broadcast_t *b, const int16_t *in1,
                             const int16_t *in2, int16_t *output)
{
  edgec_broadcast_iter_t it;
  int32_t row, i;
  edgec_broadcast_begin(b, &it);
  for (row = 0; row < it.rows; ++row) {
    const int16_t *a = in1 + it.off1, *c = in2 + it.off2;
    for (i = 0; i < it.inner; ++i) {
      *output++ = add_one_s16(p, *a, *c);
      a += it.step1;
      c += it.step2;
    }
    edgec_broadcast_next(b, &it);
  }
}
