/*
 * edgec_add_s8 / edgec_add_broadcast_s8: int8 addition, TFLite Micro int8 Add
 * semantics (left_shift = 20, input and output multipliers "smaller than one",
 * i.e. shifts <= 0; a positive shift is applied as a left shift):
 *
 *  x_i = requant((q_i + in_i_offset) << left_shift, in_i_mult, in_i_shift)
 *  out = clamp(requant(x_1 + x_2, out_mult, out_shift) + out_offset, act_min, act_max)
 *
 * Offsets are -zero_point for the inputs and +zero_point for the output.
 * Same-shape add: output may equal in1 or in2. Broadcast: the output is
 * iterated over b->rank dims with per-input element strides (0 = broadcast);
 * output may equal an input only if that input is not broadcast.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_broadcast.h"

static inline int8_t add_one(const edgec_add_params_t *p, int32_t a, int32_t b)
{
  const int32_t x1 = edgec_requantize((a + p->in1_offset) * (1 << p->left_shift), p->in1_mult, p->in1_shift);
  const int32_t x2 = edgec_requantize((b + p->in2_offset) * (1 << p->left_shift), p->in2_mult, p->in2_shift);
  const int32_t y = edgec_requantize(x1 + x2, p->out_mult, p->out_shift) + p->out_offset;
  return (int8_t)edgec_clamp_s32(y, p->act_min, p->act_max);
}

/* One input's rescaling for shift <= 0 (em1 = -shift - 1 >= -1) and mult >= 0:
 * shift 0 is SRDHM alone (the input with the larger scale always has it:
 * multiplier 0.5 = 2^30 * 2^-31), otherwise edgec_requantize_rshift. */
static inline int32_t add_input(int32_t acc, int32_t mult, int32_t em1)
{
  if (em1 < 0) return (int32_t)(((int64_t)acc * mult + ((int64_t)1 << 30)) >> 31);
  return edgec_requantize_rshift(acc, mult, em1);
}

/* Same-shape add with input shifts <= 0 and a negative output shift (what
 * TFLite's add parameters are but for extreme scale ratios): the rounding
 * shifts without the general routine's 64-bit shifts, the parameters in
 * registers (about 96 instructions per element before, see the report). */
static void add_rshift(const edgec_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *output, int32_t size)
{
  const int32_t o1 = p->in1_offset, o2 = p->in2_offset, scale = 1 << p->left_shift;
  const int32_t m1 = p->in1_mult, m2 = p->in2_mult, mo = p->out_mult;
  const int32_t e1 = ~p->in1_shift, e2 = ~p->in2_shift, eo = ~p->out_shift;
  const int32_t out_off = p->out_offset, lo = p->act_min, hi = p->act_max;
  int32_t i;
  for (i = 0; i < size; ++i) {
    const int32_t x1 = add_input((in1[i] + o1) * scale, m1, e1);
    const int32_t x2 = add_input((in2[i] + o2) * scale, m2, e2);
    output[i] = (int8_t)edgec_clamp_s32(edgec_requantize_rshift(x1 + x2, mo, eo) + out_off, lo, hi);
  }
}

void edgec_add_s8(const edgec_add_params_t *p, const int8_t *in1, const int8_t *in2, int8_t *output, int32_t size)
{
  int32_t i;
  if (p->in1_shift <= 0 && p->in2_shift <= 0 && p->out_shift < 0 && p->in1_mult >= 0 && p->in2_mult >= 0 &&
      p->out_mult >= 0) {
    add_rshift(p, in1, in2, output, size);
    return;
  }
  for (i = 0; i < size; ++i) output[i] = add_one(p, in1[i], in2[i]);
}

void edgec_add_broadcast_s8(const edgec_add_params_t *p, const edgec_broadcast_t *b, const int8_t *in1,
                            const int8_t *in2, int8_t *output)
{
  edgec_broadcast_iter_t it;
  int32_t row, i;
  edgec_broadcast_begin(b, &it);
  for (row = 0; row < it.rows; ++row) {
    const int8_t *a = in1 + it.off1, *c = in2 + it.off2;
    for (i = 0; i < it.inner; ++i) {
      *output++ = add_one(p, *a, *c);
      a += it.step1;
      c += it.step2;
    }
    edgec_broadcast_next(b, &it);
  }
}
