/*
 * edgec_prelu_s8: int8 PRelu, TFLite Micro PRELU int8 semantics
 * (reference_ops::BroadcastPrelu4DSlow):
 *
 *  v = q + input_offset
 *  out = v >= 0 ? requant(v, mult_pos, shift_pos)
 *               : requant(v * (alpha + alpha_offset), mult_neg, shift_neg)
 *  out = clamp(out + output_offset, -128, 127)
 *
 * mult_pos encodes in_scale / out_scale, mult_neg in_scale * alpha_scale /
 * out_scale; offsets are -zero_point for input and alpha, +zero_point for
 * the output. The output is iterated over b->rank dims: stride1 walks the
 * input, stride2 the (constant) alpha, 0 where alpha is broadcast (one slope
 * per channel: stride 1 on the channel dim). In place allowed (output ==
 * input; the input is never broadcast).
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_broadcast.h"

void edgec_prelu_s8(const edgec_prelu_params_t *p, const edgec_broadcast_t *b, const int8_t *input,
                    const int8_t *alpha, int8_t *output)
{
  edgec_broadcast_iter_t it;
  int32_t row, i;
  edgec_broadcast_begin(b, &it);
  for (row = 0; row < it.rows; ++row) {
    const int8_t *x = input + it.off1, *a = alpha + it.off2;
    for (i = 0; i < it.inner; ++i) {
      const int32_t v = *x + p->input_offset;
      const int32_t y = v >= 0 ? edgec_requantize(v, p->mult_pos, p->shift_pos)
                               : edgec_requantize(v * (*a + p->alpha_offset), p->mult_neg, p->shift_neg);
      *output++ = edgec_sat_s8(y + p->output_offset);
      x += it.step1;
      a += it.step2;
    }
    edgec_broadcast_next(b, &it);
  }
}
