/*
 * edgec Arm DSP-extension helpers (header only, C99, static inline).
 *
 * EDGEC_DSP is 1 when the compiler targets the Armv7E-M / Armv8-M DSP
 * extension (__ARM_FEATURE_DSP: Cortex-M4, M7, M33, M55, ...) and EDGEC_NO_DSP
 * is not defined; the kernels then use dual 16-bit multiply-accumulates
 * (SXTB16 + SMLAD). Every other target (x86 host, RISC-V, Xtensa, Cortex-M0)
 * compiles the plain C loops. Both paths are bit-exact: the products and the
 * int32 sums are the same, only the order of the additions differs.
 *
 * Data layout trick: SXTB16(v) sign-extends bytes 0 and 2 of a word into two
 * int16 lanes, SXTB16(v ROR 8) bytes 1 and 3. Applying the same split to the
 * input word and to the weight word pairs matching elements, so
 * SMLAD(sxtb16(w), sxtb16(x)) + SMLAD(sxtb16_ror8(w), sxtb16_ror8(x)) is the
 * dot product of 4 bytes without any reordering.
 *
 * The input offset (x + input_offset, in [-255, 255]) is added to the
 * expanded input lanes with SADD16 once per input word and shared by every
 * output row of a pass, so padding semantics stay those of the reference.
 */
#ifndef EDGEC_DSP_H
#define EDGEC_DSP_H

#include <stdint.h>
#include <string.h>

#include "edgec_fixedpoint.h"

/* GCC-style inline assembly is needed for SXTB16 ROR 8: GCC and clang (armclang) only. */
#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP && !defined(EDGEC_NO_DSP) && (defined(__GNUC__) || defined(__clang__))
#define EDGEC_DSP 1
#else
#define EDGEC_DSP 0
#endif

#if EDGEC_DSP
#include <arm_acle.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A hot loop in its own function (all registers for the accumulators); unused
 * copies in a translation unit are dropped without a warning. */
#define EDGEC_HOT static __attribute__((noinline, unused))

/* 4 bytes from any address (Cortex-M3 and up load unaligned words with LDR;
 * memcpy compiles to that single instruction). */
static inline int32_t edgec_ld4(const int8_t *p)
{
  int32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* SXTB16 with the ROR #8 folded in; GCC 12 does not fold a rotate into
 * __sxtb16 and has no __ror, hence the inline assembly. */
static inline int32_t edgec_sxtb16_ror8(int32_t x)
{
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
}

/* The input offset duplicated in both 16-bit lanes. */
static inline int32_t edgec_dup16(int32_t off)
{
  return (int32_t)(((uint32_t)off & 0xFFFFu) * 0x10001u);
}

/* Four values, each already in [-128, 127], as the bytes of one word (v0 lowest):
 * three BFI into v0 (GCC 12 makes seven instructions of the C shifts and masks). */
static inline int32_t edgec_pack4_s8(int32_t v0, int32_t v1, int32_t v2, int32_t v3)
{
  int32_t r = v0;
  __asm__("bfi %0, %1, #8, #8\n\t"
          "bfi %0, %2, #16, #8\n\t"
          "bfi %0, %3, #24, #8"
          : "+r"(r)
          : "r"(v1), "r"(v2), "r"(v3));
  return r;
}

/* A byte duplicated in the four lanes of a word. */
static inline int32_t edgec_dup8(int32_t v)
{
  return (int32_t)(((uint32_t)v & 0xFFu) * 0x01010101u);
}

/* Stores four outputs (int32, before saturation) at out[0..3]: saturate to int8,
 * pack, clamp each byte to [lo4, hi4] (edgec_dup8 of act_min / act_max) with
 * SSUB8 + SEL, one word store (unaligned is fine on Armv7E-M). */
static inline void edgec_store4_s8(int8_t *out, int32_t v0, int32_t v1, int32_t v2, int32_t v3, int32_t lo4,
                                   int32_t hi4)
{
  uint32_t v = (uint32_t)edgec_pack4_s8(__ssat(v0, 8), __ssat(v1, 8), __ssat(v2, 8), __ssat(v3, 8));
  (void)__ssub8((int8x4_t)v, (int8x4_t)lo4);
  v = __sel(v, (uint8x4_t)lo4); /* max(v, lo) per byte */
  (void)__ssub8((int8x4_t)v, (int8x4_t)hi4);
  v = __sel((uint8x4_t)hi4, v); /* min(v, hi) per byte */
  memcpy(out, &v, 4);
}

/* Requantization of four adjacent output channels, prepared once per group. */
typedef struct {
  int32_t mult[4], shift[4];
  int32_t em1[4]; /* ~shift: the right shift minus one (fast path) */
  int32_t h[4];   /* 2^(-shift - 2) (fast path) */
  int32_t fast;   /* all four shifts <= -2, multipliers > 2^30: edgec_requantize_rshift2 */
  int32_t out_off, lo4, hi4;
} edgec_rq4_t;

static inline void edgec_rq4_init(edgec_rq4_t *q, const int32_t *mult, const int32_t *shift, int32_t out_off,
                                  int32_t act_min, int32_t act_max)
{
  int32_t r;
  q->fast = 1;
  for (r = 0; r < 4; ++r) {
    q->mult[r] = mult[r];
    q->shift[r] = shift[r];
    q->em1[r] = ~shift[r];
    q->h[r] = shift[r] <= -2 ? (int32_t)(1u << (-shift[r] - 2)) : 0;
    if (shift[r] > -2 || mult[r] <= (1 << 30)) q->fast = 0;
  }
  q->out_off = out_off;
  q->lo4 = edgec_dup8(act_min);
  q->hi4 = edgec_dup8(act_max);
}

/* edgec_rq4_store inline for the usual case (q->fast), else the call: for hot
 * loops where the call and its argument moves are a tenth of the pixel. */
#define EDGEC_RQ4_STORE_INLINE(Q, OUT, A0, A1, A2, A3)                                                          \
  do {                                                                                                         \
    const edgec_rq4_t *q_ = (Q);                                                                               \
    if (q_->fast)                                                                                              \
      edgec_store4_s8((OUT), edgec_requantize_rshift2((A0), q_->mult[0], q_->em1[0], q_->h[0]) + q_->out_off, \
                      edgec_requantize_rshift2((A1), q_->mult[1], q_->em1[1], q_->h[1]) + q_->out_off,         \
                      edgec_requantize_rshift2((A2), q_->mult[2], q_->em1[2], q_->h[2]) + q_->out_off,         \
                      edgec_requantize_rshift2((A3), q_->mult[3], q_->em1[3], q_->h[3]) + q_->out_off, q_->lo4, \
                      q_->hi4);                                                                                \
    else                                                                                                       \
      edgec_rq4_store(q_, (OUT), (A0), (A1), (A2), (A3));                                                      \
  } while (0)

/* Requantize, clamp and store four adjacent channels of one pixel. */
EDGEC_HOT void edgec_rq4_store(const edgec_rq4_t *q, int8_t *out, int32_t a0, int32_t a1, int32_t a2,
                                      int32_t a3)
{
  if (q->fast) {
    edgec_store4_s8(out, edgec_requantize_rshift2(a0, q->mult[0], q->em1[0], q->h[0]) + q->out_off,
                    edgec_requantize_rshift2(a1, q->mult[1], q->em1[1], q->h[1]) + q->out_off,
                    edgec_requantize_rshift2(a2, q->mult[2], q->em1[2], q->h[2]) + q->out_off,
                    edgec_requantize_rshift2(a3, q->mult[3], q->em1[3], q->h[3]) + q->out_off, q->lo4, q->hi4);
  } else {
    edgec_store4_s8(out, edgec_requantize_ch(a0, q->mult[0], q->shift[0]) + q->out_off,
                    edgec_requantize_ch(a1, q->mult[1], q->shift[1]) + q->out_off,
                    edgec_requantize_ch(a2, q->mult[2], q->shift[2]) + q->out_off,
                    edgec_requantize_ch(a3, q->mult[3], q->shift[3]) + q->out_off, q->lo4, q->hi4);
  }
}

/* One MAC row of the 4-row loop: wv <- 4 weight bytes, acc += their dot product
 * with the expanded input lanes xe (bytes 0, 2) and xo (bytes 1, 3). */
#define EDGEC_DSP_ROW(LOAD, ACC)                 \
  "ldr    %[wv], " LOAD "\n\t"                   \
  "sxtb16 %[t], %[wv]\n\t"                        \
  "smlad  " ACC ", %[t], %[xe], " ACC "\n\t"      \
  "sxtb16 %[wv], %[wv], ror #8\n\t"               \
  "smlad  " ACC ", %[wv], %[xo], " ACC "\n\t"

/* acc[r] += sum_i w[r * w_stride + i] * (x[i] + off), r = 0..3, i < n.
 * One input expansion per word (SXTB16 + SADD16 of the offset) is shared by
 * the four rows: 28 instructions per 16 MACs. The loop is assembly because
 * GCC 12 spills pointers and accumulators out of the 14 usable registers; it
 * needs 13 and reads the offset from memory. */
EDGEC_HOT void edgec_dot_4r1c(const int8_t *x, const int8_t *w, int32_t w_stride, int32_t n, int32_t off,
                              int32_t *acc)
{
  const int32_t off2 = edgec_dup16(off);
  const int8_t *w0 = w, *w2 = w + 2 * w_stride;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t k = n >> 2;
#if defined(__OPTIMIZE__)
  if (k > 0) {
    int32_t xe, xo, wv, t;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[xo], [%[x]], #4\n\t"
        "ldr    %[t], %[off2]\n\t"
        "sxtb16 %[xe], %[xo]\n\t"
        "sxtb16 %[xo], %[xo], ror #8\n\t"
        "sadd16 %[xe], %[xe], %[t]\n\t"
        "sadd16 %[xo], %[xo], %[t]\n\t"
        EDGEC_DSP_ROW("[%[w0], %[s]]", "%[a1]")
        EDGEC_DSP_ROW("[%[w0]], #4", "%[a0]")
        EDGEC_DSP_ROW("[%[w2], %[s]]", "%[a3]")
        EDGEC_DSP_ROW("[%[w2]], #4", "%[a2]")
        "subs   %[k], %[k], #1\n\t"
        "bne    1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w0] "+r"(w0), [w2] "+r"(w2),
          [k] "+r"(k), [xe] "=&r"(xe), [xo] "=&r"(xo), [wv] "=&r"(wv), [t] "=&r"(t)
        : [s] "r"(w_stride), [off2] "m"(off2)
        : "cc", "memory");
  }
#else
  /* -O0 (hard-float GCC cannot allocate the 13 registers): the same MACs in C. */
  for (; k > 0; --k) {
    const int32_t xv = edgec_ld4(x), p0 = edgec_ld4(w0), p1 = edgec_ld4(w0 + w_stride);
    const int32_t p2 = edgec_ld4(w2), p3 = edgec_ld4(w2 + w_stride);
    const int32_t xe = __sadd16(__sxtb16(xv), off2), xo = __sadd16(edgec_sxtb16_ror8(xv), off2);
    a0 = __smlad(edgec_sxtb16_ror8(p0), xo, __smlad(__sxtb16(p0), xe, a0));
    a1 = __smlad(edgec_sxtb16_ror8(p1), xo, __smlad(__sxtb16(p1), xe, a1));
    a2 = __smlad(edgec_sxtb16_ror8(p2), xo, __smlad(__sxtb16(p2), xe, a2));
    a3 = __smlad(edgec_sxtb16_ror8(p3), xo, __smlad(__sxtb16(p3), xe, a3));
    x += 4;
    w0 += 4;
    w2 += 4;
  }
#endif
  {
    const int8_t *w1 = w0 + w_stride, *w3 = w2 + w_stride;
    for (k = n & 3; k > 0; --k) {
      const int32_t v = *x++ + off;
      a0 += *w0++ * v;
      a1 += *w1++ * v;
      a2 += *w2++ * v;
      a3 += *w3++ * v;
    }
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* acc += sum_i w[i] * (x[i] + off), i < n (leftover single rows). */
static inline int32_t edgec_dot_1r1c(const int8_t *x, const int8_t *w, int32_t n, int32_t off, int32_t acc)
{
  const int32_t off2 = edgec_dup16(off);
  int32_t k;
  for (k = n >> 2; k > 0; --k) {
    const int32_t xv = edgec_ld4(x), wv = edgec_ld4(w);
    x += 4;
    w += 4;
    acc = __smlad(__sxtb16(wv), __sadd16(__sxtb16(xv), off2), acc);
    acc = __smlad(edgec_sxtb16_ror8(wv), __sadd16(edgec_sxtb16_ror8(xv), off2), acc);
  }
  for (k = n & 3; k > 0; --k) acc += *w++ * (*x++ + off);
  return acc;
}

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_DSP */

#endif /* EDGEC_DSP_H */
