/*
 * edgec_where_s8: ONNX Where with a constant condition: out = mask ? x : y,
 * each side first brought to the output's quantization (the same requantize
 * as edgec_minmax_s8: (q + offset) << 20, multiplier s_i / (2^20 s_out),
 * + out_offset, clamped; the identity when the quantizations are equal).
 * mask holds one byte per output element in the output's memory order
 * (expanded at compile time). x and y are read through b (stride1 = x,
 * stride2 = y; 0 where broadcast). Output may equal x or y when that side is
 * not broadcast.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_broadcast.h"

static inline int32_t to_out(int32_t q, int32_t offset, int32_t mult, int32_t shift, int32_t out_offset)
{
  return edgec_clamp_s32(edgec_requantize((q + offset) * (1 << 20), mult, shift) + out_offset, -128, 127);
}

void edgec_where_s8(const edgec_where_params_t *p, const edgec_broadcast_t *b, const int8_t *mask, const int8_t *x,
                    const int8_t *y, int8_t *output)
{
  edgec_broadcast_iter_t it;
  int32_t row, i;
  edgec_broadcast_begin(b, &it);
  for (row = 0; row < it.rows; ++row) {
    const int8_t *a = x + it.off1, *c = y + it.off2;
    for (i = 0; i < it.inner; ++i) {
      *output++ = (int8_t)(*mask++ ? to_out(*a, p->x_offset, p->x_mult, p->x_shift, p->out_offset)
                                   : to_out(*c, p->y_offset, p->y_mult, p->y_shift, p->out_offset));
      a += it.step1;
      c += it.step2;
    }
    edgec_broadcast_next(b, &it);
  }
}
