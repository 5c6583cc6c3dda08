/*
 * edgec_softmax_s16: int16 softmax over the innermost dimension, TFLite
 * Micro's SoftmaxInt16 (input and output zero point 0, output scale 2^-15).
 * Two 513-entry tables made by the compiler as TFLM's Prepare makes them:
 * exp(x) on [-10, 0] and 1 / (1 + x) on [0, 1], both read with 9 index bits
 * and 7 bits of linear interpolation (edgec_lut16_lookup). Per row:
 *
 *  e[c]  = exp_lut(clamp(requant(x[c] - max, mult, shift) + 32767))   Q0.15
 *  sum   = sum of e[c]; normalised by its leading zeros, re-centred to
 *          [-32768, 32767] and looked up in the reciprocal table
 *  out[c] = clamp(round(e[c] * reciprocal / 2^(31 - clz(sum))), 0, 32767)
 *
 * The exp values are kept in the output row meanwhile (as TFLM does), so the
 * output must not alias the input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

/* TFLM's LUTLookup for int16: base entry from the top 9 bits, slope times the low 7 bits, rounded. */
static int16_t edgec_lut16_lookup(int32_t value, const int16_t *lut)
{
  const int32_t index = 256 + (value >= 0 ? value >> 7 : -((-value - 1) >> 7) - 1);
  const int32_t offset = (int32_t)((uint32_t)value & 0x7Fu);
  const int32_t base = lut[index];
  const int32_t slope = (int32_t)lut[index + 1] - base;
  const int32_t t = slope * offset + 64;
  const int32_t delta = t >= 0 ? t >> 7 : -((-t - 1) >> 7) - 1;
  return (int16_t)(base + delta);
}

void edgec_softmax_s16(const int16_t *input, int32_t rows, int32_t row_size, int32_t mult, int32_t shift,
                       const int16_t *exp_lut, const int16_t *recip_lut, int16_t *output)
{
  int32_t r, c;
  for (r = 0; r < rows; ++r) {
    const int16_t *x = input + r * row_size;
    int16_t *out = output + r * row_size;
    int32_t max = -32768, sum = 0, headroom, right_shift;
    int64_t round;
    int16_t recip;
    for (c = 0; c < row_size; ++c) if (x[c] > max) max = x[c];
    for (c = 0; c < row_size; ++c) {
      const int32_t scaled = edgec_requantize(x[c] - max, mult, shift) + 32767;
      out[c] = edgec_lut16_lookup(edgec_clamp_s32(scaled, -32768, 32767), exp_lut);
      sum += out[c];
    }
    headroom = edgec_clz_u32((uint32_t)sum); /* sum >= the max element's exp > 0 */
    {
      const int32_t shifted = (int32_t)((((int64_t)sum << (headroom - 1)) + (1 << 13)) >> 14);
      /* 1 / (1 + x) of x = sum - 1, re-centred from [0, 65535] to [-32768, 32767] */
      recip = edgec_lut16_lookup(edgec_clamp_s32(shifted - ((1 << 15) + (1 << 16)), -32768, 32767), recip_lut);
    }
    right_shift = 31 - headroom;
    round = (int64_t)1 << (right_shift - 1);
    for (c = 0; c < row_size; ++c) {
      const int64_t v = (int64_t)out[c] * recip + round;
      const int32_t result = (int32_t)(v >= 0 ? v >> right_shift : -((-v - 1) >> right_shift) - 1);
      out[c] = (int16_t)edgec_clamp_s32(result, 0, 32767);
    }
  }
}
