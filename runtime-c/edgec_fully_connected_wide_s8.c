/*
 * edgec_fully_connected_wide_s8: edgec_fully_connected_s8 (TFLite Micro
 * FullyConnected, per tensor or per channel) with its weights pre-widened at
 * compile time, chosen per layer where flash allows (compiler/passes/wide-weights.ts).
 *
 *  input   [batches, in_depth]      int8; in_depth a multiple of 4
 *  filter  int32 words: for each block of 4 output rows r0..r0+3 and each
 *          4 inputs i..i+3, 8 words E0 O0 E1 O1 E2 O2 E3 O3 with
 *          E_r = (w[r][i], w[r][i+2]) and O_r = (w[r][i+1], w[r][i+3]) as
 *          int16 lanes (low lane first); out_depth a multiple of 4
 *  bias    [out_depth] int32: bias[o] + input_offset * sum_i w[o][i]
 *  mult/shift [out_depth] if per_channel, else [1]
 *  output  [batches, out_depth]     int8
 *
 * Why: SXTB16 of an input word gives lanes (x[i], x[i+2]) and (x[i+1],
 * x[i+3]); with the weights already in that form each SMLAD takes them
 * straight from memory (LDRD, two words), so per 4 inputs x 4 rows: one
 * input load, two SXTB16, four LDRD and eight SMLAD, 17 instructions per 16
 * MACs against 28 in edgec_fully_connected_s8 (which also expands every
 * weight word and adds the offset to the input lanes). The sums are the same
 * int32 products and additions (the offset term regrouped, exact in int32
 * arithmetic), so the outputs are byte for byte the dense kernel's.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_dsp.h"

/* The int16 lanes of a widened weight word. */
static inline int32_t lane_lo(int32_t v)
{
  return (int16_t)(uint16_t)((uint32_t)v & 0xFFFFu);
}

static inline int32_t lane_hi(int32_t v)
{
  return (int16_t)(uint16_t)((uint32_t)v >> 16);
}

/* acc[0..3] += the four rows of one block over k4 words of input x. */
static EDGEC_NOINLINE void wide_block(const int8_t *x, const int32_t *w, int32_t k4, int32_t *acc)
{
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#if EDGEC_DSP && defined(__OPTIMIZE__)
  if (k4 > 0) {
    int32_t xe, xo, t0, t1;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[xo], [%[x]], #4\n\t"
        "ldrd   %[t0], %[t1], [%[w]], #8\n\t"
        "sxtb16 %[xe], %[xo]\n\t"
        "sxtb16 %[xo], %[xo], ror #8\n\t"
        "smlad  %[a0], %[t0], %[xe], %[a0]\n\t"
        "smlad  %[a0], %[t1], %[xo], %[a0]\n\t"
        "ldrd   %[t0], %[t1], [%[w]], #8\n\t"
        "smlad  %[a1], %[t0], %[xe], %[a1]\n\t"
        "smlad  %[a1], %[t1], %[xo], %[a1]\n\t"
        "ldrd   %[t0], %[t1], [%[w]], #8\n\t"
        "smlad  %[a2], %[t0], %[xe], %[a2]\n\t"
        "smlad  %[a2], %[t1], %[xo], %[a2]\n\t"
        "ldrd   %[t0], %[t1], [%[w]], #8\n\t"
        "smlad  %[a3], %[t0], %[xe], %[a3]\n\t"
        "smlad  %[a3], %[t1], %[xo], %[a3]\n\t"
        "subs   %[k], %[k], #1\n\t"
        "bne    1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w), [k] "+r"(k4),
          [xe] "=&r"(xe), [xo] "=&r"(xo), [t0] "=&r"(t0), [t1] "=&r"(t1)
        :
        : "cc", "memory");
  }
#else
  /* Plain C (no DSP extension, or -O0): the same products from the lanes. */
  for (; k4 > 0; --k4, x += 4, w += 8) {
    const int32_t x0 = x[0], x1 = x[1], x2 = x[2], x3 = x[3];
    a0 += lane_lo(w[0]) * x0 + lane_hi(w[0]) * x2 + lane_lo(w[1]) * x1 + lane_hi(w[1]) * x3;
    a1 += lane_lo(w[2]) * x0 + lane_hi(w[2]) * x2 + lane_lo(w[3]) * x1 + lane_hi(w[3]) * x3;
    a2 += lane_lo(w[4]) * x0 + lane_hi(w[4]) * x2 + lane_lo(w[5]) * x1 + lane_hi(w[5]) * x3;
    a3 += lane_lo(w[6]) * x0 + lane_hi(w[6]) * x2 + lane_lo(w[7]) * x1 + lane_hi(w[7]) * x3;
  }
#endif
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

void edgec_fully_connected_wide_s8(const edgec_fc_params_t *p, const int8_t *input, const int32_t *filter,
                                   const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
  const int32_t n = p->in_depth, rows = p->out_depth, k4 = n >> 2;
  int32_t b, o;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *x = input + b * n;
    int8_t *out = output + b * rows;
    const int32_t *w = filter;
    for (o = 0; o < rows; o += 4, w += 8 * k4) {
      int32_t a[4];
      a[0] = bias[o];
      a[1] = bias[o + 1];
      a[2] = bias[o + 2];
      a[3] = bias[o + 3];
      wide_block(x, w, k4, a);
      {
        int32_t r;
        for (r = 0; r < 4; ++r) {
          const int32_t q = p->per_channel ? o + r : 0;
          out[o + r] = (int8_t)edgec_out_s8_row(a[r], mult[q], shift[q], p->output_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}
