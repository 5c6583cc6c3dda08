/*
 * edgec pre-widened convolution helpers (header only, C99, static inline),
 * shared by edgec_conv_1x1_wide_s8.c and edgec_conv_wide_s8.c.
 *
 * Weights (compiler/passes/wide-weights.ts, widenFilter): the filter of
 * out_c channels, each a window of fsize int8 values (OHWI), padded with
 * zeros to n4 = ceil(fsize / 4) words per channel and to whole groups of 4
 * channels, stored as int32 words: for each group of 4 channels, for each 4
 * window values i..i+3, 8 words E0 O0 E1 O1 E2 O2 E3 O3 with
 * E_r = (w[r][i], w[r][i+2]) and O_r = (w[r][i+1], w[r][i+3]) as int16 lanes
 * (low lane first).
 *
 * Input: a pixel's window widened once (edgec_wide_words) into the same
 * lanes, 2 words per 4 values: E = (x[i] + off, x[i+2] + off),
 * O = (x[i+1] + off, x[i+3] + off), so padding taps holding the input zero
 * point contribute 0, as in the reference. The widened window is then shared
 * by every output channel: per 4 values and 4 channels one LDRD of the
 * window, two LDM of four weight words and eight SMLAD, 11 instructions per
 * 16 MACs (against 17 for the int8 weights' SXTB16 path, edgec_conv_s8.c).
 * The products and int32 sums are those of the reference, so the outputs are
 * the same bytes.
 */
#ifndef EDGEC_WIDE_H
#define EDGEC_WIDE_H

#include <stdint.h>
#include <string.h>

#include "edgec_fixedpoint.h"
#include "edgec_dsp.h"

/* The int16 lanes of a widened word. */
static inline int32_t edgec_wide_lo(int32_t v)
{
  return (int16_t)(uint16_t)((uint32_t)v & 0xFFFFu);
}

static inline int32_t edgec_wide_hi(int32_t v)
{
  return (int16_t)(uint16_t)((uint32_t)v >> 16);
}

/* Two int16 values as one word (lo in the low lane). */
static inline int32_t edgec_wide_pack(int32_t lo, int32_t hi)
{
  return (int32_t)(((uint32_t)lo & 0xFFFFu) | ((uint32_t)hi << 16));
}

/* Widens n bytes of src (+ off) into dst, 2 words per 4 bytes; a last
 * partial word reads only the n bytes and holds zeros after them (their
 * weights are zero). */
static inline void edgec_wide_words(const int8_t *src, int32_t n, int32_t off, int32_t *dst)
{
  const int32_t whole = n >> 2;
  int32_t i;
#if EDGEC_DSP
  const int32_t off2 = edgec_dup16(off);
  for (i = 0; i < whole; ++i, dst += 2) {
    const int32_t v = edgec_ld4(src + 4 * i);
    dst[0] = __sadd16(__sxtb16(v), off2);
    dst[1] = __sadd16(edgec_sxtb16_ror8(v), off2);
  }
#else
  for (i = 0; i < whole; ++i, dst += 2) {
    const int8_t *b = src + 4 * i;
    dst[0] = edgec_wide_pack(b[0] + off, b[2] + off);
    dst[1] = edgec_wide_pack(b[1] + off, b[3] + off);
  }
#endif
  if ((n & 3) != 0) {
    int32_t t[4] = {0, 0, 0, 0};
    int32_t j;
    for (j = 0; j < (n & 3); ++j) t[j] = src[4 * whole + j] + off;
    dst[0] = edgec_wide_pack(t[0], t[2]);
    dst[1] = edgec_wide_pack(t[1], t[3]);
  }
}

/* Most pixels per run (the kernels' runs; the accumulators of a run are kept
 * on the stack between the dot products and the requantization). */
#define EDGEC_WIDE_MAX_RUN 16

/* One group of 4 output channels over a run of pixels whose widened windows
 * lie back to back from x (2 * n4 words each): acc[4 * p + r] = bias4[r] +
 * the dot product of channel r's widened weights w with window p. */
typedef struct {
  const int32_t *bias4; /* offset 0 */
  const int32_t *w;     /* 4 */
  int32_t n4;           /* 8 */
  int32_t *acc;         /* 12: advanced by 4 per pixel */
  int32_t pixels;       /* 16: counts down */
} edgec_wide_run_t;

#if EDGEC_DSP && defined(__OPTIMIZE__)
/* Assembly, in its own function: the loop needs 13 registers (r0-r3 for the
 * LDM of four weight words, which needs a fixed ascending list), more than
 * GCC 12 finds around an inlined copy; the run's bookkeeping lives in *c,
 * whose address is kept on the stack during the dot products. Per pixel ~18
 * instructions besides the 11 per 4 values x 4 channels (blocks of four per
 * iteration: 11.5). */
static __attribute__((noinline, unused)) void edgec_wide_run4(const int32_t *x, edgec_wide_run_t *c)
{
  int32_t a0, a1, a2, a3, xe, xo;
  const int32_t *w;
  edgec_wide_run_t *k = c;
#define EDGEC_WIDE_BLOCK                                 \
  "ldrd   %[xe], %[xo], [%[x]], #8\n\t"                  \
  "ldmia  %[w]!, {r0, r1, r2, r3}\n\t"                   \
  "smlad  %[a0], r0, %[xe], %[a0]\n\t"                   \
  "smlad  %[a0], r1, %[xo], %[a0]\n\t"                   \
  "smlad  %[a1], r2, %[xe], %[a1]\n\t"                   \
  "smlad  %[a1], r3, %[xo], %[a1]\n\t"                   \
  "ldmia  %[w]!, {r0, r1, r2, r3}\n\t"                   \
  "smlad  %[a2], r0, %[xe], %[a2]\n\t"                   \
  "smlad  %[a2], r1, %[xo], %[a2]\n\t"                   \
  "smlad  %[a3], r2, %[xe], %[a3]\n\t"                   \
  "smlad  %[a3], r3, %[xo], %[a3]\n\t"
  __asm__ volatile(
      "str    %[k], [sp, #-8]!\n\t"
      "0:\n\t"
      "ldr    %[xe], [sp]\n\t"
      "ldrd   r0, %[w], [%[xe]]\n\t"
      "ldrd   %[a0], %[a1], [r0]\n\t"
      "ldrd   %[a2], %[a3], [r0, #8]\n\t"
      "ldr    %[k], [%[xe], #8]\n\t"
      "lsrs   %[k], %[k], #1\n\t"   /* an odd block */
      "bcc    2f\n\t"
      EDGEC_WIDE_BLOCK
      "2:\n\t"
      "lsrs   %[k], %[k], #1\n\t"   /* two more */
      "bcc    4f\n\t"
      EDGEC_WIDE_BLOCK
      EDGEC_WIDE_BLOCK
      "4:\n\t"
      "cmp    %[k], #0\n\t"
      "beq    3f\n\t"
      "1:\n\t"                      /* then four per iteration */
      EDGEC_WIDE_BLOCK
      EDGEC_WIDE_BLOCK
      EDGEC_WIDE_BLOCK
      EDGEC_WIDE_BLOCK
      "subs   %[k], %[k], #1\n\t"
      "bne    1b\n\t"
      "3:\n\t"
      "ldr    %[xe], [sp]\n\t"
      "ldrd   r0, r1, [%[xe], #12]\n\t"
      "strd   %[a0], %[a1], [r0], #8\n\t"
      "strd   %[a2], %[a3], [r0], #8\n\t"
      "subs   r1, r1, #1\n\t"
      "strd   r0, r1, [%[xe], #12]\n\t"
      "bne    0b\n\t"
      "add    sp, sp, #8\n\t"
      : [a0] "=&r"(a0), [a1] "=&r"(a1), [a2] "=&r"(a2), [a3] "=&r"(a3), [x] "+r"(x), [w] "=&r"(w), [k] "+r"(k),
        [xe] "=&r"(xe), [xo] "=&r"(xo)
      :
      : "r0", "r1", "r2", "r3", "cc", "memory");
#undef EDGEC_WIDE_BLOCK
}
#else
/* Plain C (no DSP extension, or -O0): the same products from the lanes. */
static inline void edgec_wide_run4(const int32_t *x, edgec_wide_run_t *c)
{
  for (; c->pixels > 0; --c->pixels, c->acc += 4) {
    const int32_t *w = c->w;
    int32_t a0 = c->bias4[0], a1 = c->bias4[1], a2 = c->bias4[2], a3 = c->bias4[3], k;
    for (k = c->n4; k > 0; --k, x += 2, w += 8) {
      const int32_t x0 = edgec_wide_lo(x[0]), x2 = edgec_wide_hi(x[0]), x1 = edgec_wide_lo(x[1]), x3 = edgec_wide_hi(x[1]);
      a0 += edgec_wide_lo(w[0]) * x0 + edgec_wide_hi(w[0]) * x2 + edgec_wide_lo(w[1]) * x1 + edgec_wide_hi(w[1]) * x3;
      a1 += edgec_wide_lo(w[2]) * x0 + edgec_wide_hi(w[2]) * x2 + edgec_wide_lo(w[3]) * x1 + edgec_wide_hi(w[3]) * x3;
      a2 += edgec_wide_lo(w[4]) * x0 + edgec_wide_hi(w[4]) * x2 + edgec_wide_lo(w[5]) * x1 + edgec_wide_hi(w[5]) * x3;
      a3 += edgec_wide_lo(w[6]) * x0 + edgec_wide_hi(w[6]) * x2 + edgec_wide_lo(w[7]) * x1 + edgec_wide_hi(w[7]) * x3;
    }
    c->acc[0] = a0;
    c->acc[1] = a1;
    c->acc[2] = a2;
    c->acc[3] = a3;
  }
}
#endif

#if EDGEC_DSP && defined(__OPTIMIZE__)
/* edgec_rq4_t's fast path (all four channels: edgec_requantize_rshift2)
 * with its constants in the order one LDM reads them. */
typedef struct {
  int32_t c[12]; /* per channel: mult, h, em1 */
  int32_t lo4, hi4;
} edgec_wide_rq_t;

/* Requantizes, clamps and stores `pixels` pixels of 4 channels (acc: 4 per
 * pixel), outputs out_step bytes apart: edgec_rq4_store's fast path, the
 * same arithmetic, in assembly because GCC 12 spills the twelve constants
 * and takes ~65 instructions per pixel where this takes 48. */
static __attribute__((noinline, unused)) void edgec_wide_rq_run(const int32_t *acc, int32_t pixels,
                                                                const edgec_wide_rq_t *q, int32_t out_off,
                                                                int8_t *out, int32_t out_step)
{
  int32_t a, t, pk;
#define EDGEC_WIDE_RQ(FIRST_OR_BFI)                      \
  "ldr    %[a], [%[acc]], #4\n\t"                        \
  "ldmia  %[q]!, {r0, r1, r2}\n\t"                       \
  "and    %[t], %[a], #0x80000000\n\t"                   \
  "eor    %[t], %[t], #0x40000000\n\t"                   \
  "add    r1, r1, %[a], asr #31\n\t"                     \
  "smlal  %[t], r1, %[a], r0\n\t"                        \
  "asr    r1, r1, r2\n\t"                                \
  "add    r1, r1, %[off]\n\t"                            \
  "ssat   r1, #8, r1\n\t"                                \
  FIRST_OR_BFI "\n\t"
  __asm__ volatile(
      "0:\n\t"
      EDGEC_WIDE_RQ("mov    %[pk], r1")
      EDGEC_WIDE_RQ("bfi    %[pk], r1, #8, #8")
      EDGEC_WIDE_RQ("bfi    %[pk], r1, #16, #8")
      EDGEC_WIDE_RQ("bfi    %[pk], r1, #24, #8")
      "ldrd   r0, r1, [%[q]]\n\t"
      "ssub8  r2, %[pk], r0\n\t"
      "sel    %[pk], %[pk], r0\n\t"
      "ssub8  r2, %[pk], r1\n\t"
      "sel    %[pk], r1, %[pk]\n\t"
      "str    %[pk], [%[out]]\n\t"
      "add    %[out], %[out], %[step]\n\t"
      "sub    %[q], %[q], #48\n\t"
      "subs   %[n], %[n], #1\n\t"
      "bne    0b\n\t"
      : [acc] "+r"(acc), [n] "+r"(pixels), [q] "+r"(q), [out] "+r"(out), [a] "=&r"(a), [t] "=&r"(t), [pk] "=&r"(pk)
      : [off] "r"(out_off), [step] "r"(out_step)
      : "r0", "r1", "r2", "cc", "memory");
#undef EDGEC_WIDE_RQ
}
#endif

/* Output channels oc..oc+3 of `pixels` (<= EDGEC_WIDE_MAX_RUN) widened
 * windows lying back to back from x, outputs out_step bytes apart: bias, dot
 * products, requantization; only the first n (< 4 in the last group of a
 * channel count not a multiple of 4) are stored. */
static EDGEC_NOINLINE void edgec_wide_group(const int32_t *x, int32_t pixels, const int32_t *w, int32_t n4,
                                            int32_t oc, int32_t n, const int32_t *bias, const int32_t *mult,
                                            const int32_t *shift, int32_t out_off, int32_t act_min, int32_t act_max,
                                            int8_t *out, int32_t out_step)
{
  int32_t acc[4 * EDGEC_WIDE_MAX_RUN];
  int32_t b[4] = {0, 0, 0, 0};
  const int32_t *a = acc;
  edgec_wide_run_t c;
  int32_t r, px;
  if (bias && n == 4) {
    c.bias4 = bias + oc;
  } else {
    if (bias)
      for (r = 0; r < n; ++r) b[r] = bias[oc + r];
    c.bias4 = b;
  }
  c.w = w;
  c.n4 = n4;
  c.acc = acc;
  c.pixels = pixels;
  edgec_wide_run4(x, &c);
  out += oc;
#if EDGEC_DSP && defined(__OPTIMIZE__)
  if (n == 4) {
    edgec_rq4_t q;
    edgec_rq4_init(&q, mult + oc, shift + oc, out_off, act_min, act_max);
    if (q.fast && pixels > 0) {
      edgec_wide_rq_t f;
      for (r = 0; r < 4; ++r) {
        f.c[3 * r] = q.mult[r];
        f.c[3 * r + 1] = q.h[r];
        f.c[3 * r + 2] = q.em1[r];
      }
      f.lo4 = q.lo4;
      f.hi4 = q.hi4;
      edgec_wide_rq_run(a, pixels, &f, out_off, out, out_step);
      return;
    }
    for (px = 0; px < pixels; ++px, a += 4, out += out_step) edgec_rq4_store(&q, out, a[0], a[1], a[2], a[3]);
    return;
  }
#elif EDGEC_DSP
  if (n == 4) {
    edgec_rq4_t q;
    edgec_rq4_init(&q, mult + oc, shift + oc, out_off, act_min, act_max);
    for (px = 0; px < pixels; ++px, a += 4, out += out_step) EDGEC_RQ4_STORE_INLINE(&q, out, a[0], a[1], a[2], a[3]);
    return;
  }
#endif
  for (px = 0; px < pixels; ++px, a += 4, out += out_step)
    for (r = 0; r < n; ++r) out[r] = (int8_t)edgec_out_s8(a[r], mult[oc + r], shift[oc + r], out_off, act_min, act_max);
}

#endif /* EDGEC_WIDE_H */
