/*
 * edgec_minmax_broadcast_s8: elementwise Max / Min of two int8 tensors
 * (ONNX Max / Min, TFLite MAXIMUM / MINIMUM) with broadcasting.
 *
 * TFLite Micro requires the inputs and output to share one quantization and
 * compares the raw int8 values. ONNX QDQ models may quantize each side
 * differently, so each input is first brought to the output's quantization:
 *
 *  y_i = requant((q_i + in_i_offset) << 20, in_i_mult, in_i_shift) + out_offset   (clamped to int8)
 *  out = is_max ? max(y_1, y_2) : min(y_1, y_2)
 *
 * in_i_mult / in_i_shift encode s_i / (2^20 s_out): the left shift (ADD's
 * trick) keeps the fixed-point multiply from rounding twice. |q + offset| <=
 * 383, so the shifted value fits int32. With equal quantizations this is the
 * identity (mult = 2^30, shift = -19), so the result equals TFLM's byte for
 * byte. Requantization is monotonic, so taking
 * max/min after it equals quantizing the real max/min (up to the rounding of
 * one requantization). Output may equal an input that is not broadcast.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_broadcast.h"

static inline int32_t to_out(int32_t q, int32_t offset, int32_t mult, int32_t shift, int32_t out_offset)
{
  return edgec_clamp_s32(edgec_requantize((q + offset) * (1 << 20), mult, shift) + out_offset, -128, 127);
}

void edgec_minmax_broadcast_s8(const edgec_minmax_params_t *p, const edgec_broadcast_t *b, const int8_t *in1,
                               const int8_t *in2, int8_t *output)
{
  edgec_broadcast_iter_t it;
  int32_t row, i;
  edgec_broadcast_begin(b, &it);
  for (row = 0; row < it.rows; ++row) {
    const int8_t *a = in1 + it.off1, *c = in2 + it.off2;
    for (i = 0; i < it.inner; ++i) {
      const int32_t y1 = to_out(*a, p->in1_offset, p->in1_mult, p->in1_shift, p->out_offset);
      const int32_t y2 = to_out(*c, p->in2_offset, p->in2_mult, p->in2_shift, p->out_offset);
      *output++ = (int8_t)(p->is_max ? (y1 > y2 ? y1 : y2) : (y1 < y2 ? y1 : y2));
      a += it.step1;
      c += it.step2;
    }
    edgec_broadcast_next(b, &it);
  }
}
