/*
 * edgec_sub_s8 / edgec_sub_broadcast_s8: int8 subtraction, TFLite Micro int8
 * SUB semantics (reference_ops::SubElementwise; the parameters are ADD's:
 * left_shift = 20, input multipliers s_i / (2 max(s_1, s_2)), output
 * multiplier 2 max(s_1, s_2) / (2^20 s_out)):
 *
 *  x_i = requant((q_i + in_i_offset) << left_shift, in_i_mult, in_i_shift)
 *  out = clamp(requant(x_1 - x_2, out_mult, out_shift) + out_offset, act_min, act_max)
 *
 * Offsets are -zero_point for the inputs and +zero_point for the output.
 * Same-shape sub: output may equal in1 or in2. Broadcast: the output is
 * iterated over b->rank dims with per-input element strides (0 = broadcast);
 * output may equal an input only if that input is not broadcast.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_broadcast.h"

static inline int8_t sub_one(const edgec_add_params_t *p, int32_t a, int32_t b)
{
  const int32_t x1 = edgec_requantize((a + p->in1_offset) * (1 << p->left_shift), p->in1_mult, p->in1_shift);
  const int32_t x2 = edgec_requantize((b + p->in2_offset) * (1 << p->left_shift), p->in2_mult, p->in2_shift);
  const int32_t y = edgec_requantize(x1 - x2, p->out_mult, p->out_shift) + p->out_offset;
  return (int8_t)edgec_clamp_s32(y, p->act_min, p->act_max);
}

void edgec_sub_s8(const edgec_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *output, int32_t size)
{
  int32_t i;
  for (i = 0; i < size; ++i) output[i] = sub_one(p, in1[i], in2[i]);
}

void edgec_sub_broadcast_s8(const edgec_add_params_t *p, const edgec_broadcast_t *b, const int8_t *in1,
                            const int8_t *in2, int8_t *output)
{
  edgec_broadcast_iter_t it;
  int32_t row, i;
  edgec_broadcast_begin(b, &it);
  for (row = 0; row < it.rows; ++row) {
    const int8_t *a = in1 + it.off1, *c = in2 + it.off2;
    for (i = 0; i < it.inner; ++i) {
      *output++ = sub_one(p, *a, *c);
      a += it.step1;
      c += it.step2;
    }
    edgec_broadcast_next(b, &it);
  }
}
