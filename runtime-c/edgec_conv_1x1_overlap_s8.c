/*
 * edgec_conv_1x1_overlap_s8: a pointwise convolution (1x1, stride 1, no
 * padding, groups 1) whose input and output overlap in memory. Same
 * arithmetic as edgec_conv_s8 (products and int32 sums, then the same
 * requantization), so bit-exact with it.
 *
 *  input   N pixels of in_c int8 (N = batches * in_h * in_w), NHWC
 *  output  N pixels of out_c int8
 *  temp    edgec_conv_1x1_overlap_temp_bytes(p, block) bytes, overlapping
 *          neither (none, NULL is fine, when in_c <= EDGEC_PW_STAGE_HALVES)
 *
 * Output pixel p depends on input pixel p only. Pixels go in groups of up to
 * four: a group's input pixels are copied (as 16-bit lanes, input offset
 * added) to a stack buffer, then every output channel of the group is
 * computed from that copy and stored straight into the output, so when a
 * group [q, q + n) is stored, input pixels < q + n are no longer needed. The
 * stores therefore must not reach input pixels >= q + n:
 *     output + (q + n) * out_c <= input + (q + n) * in_c   for every q + n <= N,
 * which holds for every group when
 *   - out_c >= in_c: input - output >= N * (out_c - in_c) (the input in the
 *     top of the output block; the planner places it at that offset, rounded
 *     up to the arena alignment), or
 *   - out_c <  in_c: output == input (the output in the bottom of the input),
 * and trivially when the two do not overlap at all. Weights are read as they
 * are (no per-call expansion), so small groups cost nothing extra.
 *
 * Over EDGEC_PW_STAGE_HALVES input channels the copy does not fit: runs of
 * `block` pixels then go through edgec_conv_s8 into temp (block * out_c
 * bytes) and are copied out, under the same condition.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_dsp.h"

#include <string.h>

/* 16-bit lanes of staged input (2 KB of stack): four pixels up to 256 input
 * channels, two up to 512, one up to 1024. */
#ifndef EDGEC_PW_STAGE_HALVES
#define EDGEC_PW_STAGE_HALVES 1024
#endif

int32_t edgec_conv_1x1_overlap_temp_bytes(const edgec_conv_params_t *p, int32_t block);

/* Arena temporary the kernel needs: none when a pixel's input fits the stack copy. */
int32_t edgec_conv_1x1_overlap_temp_bytes(const edgec_conv_params_t *p, int32_t block)
{
  return p->in_c <= EDGEC_PW_STAGE_HALVES ? 0 : (block < 1 ? 1 : block) * p->out_c;
}

/* Requantization of one output channel (shared by the group's pixels). */
typedef struct {
  int32_t mult, shift, em1, h, fast, out_off, lo, hi;
} pw_rq_t;

static void pw_rq_init(pw_rq_t *q, const edgec_conv_params_t *p, int32_t mult, int32_t shift)
{
  q->mult = mult;
  q->shift = shift;
  q->em1 = ~shift;
  q->h = shift <= -2 ? (int32_t)(1u << (-shift - 2)) : 0;
  q->fast = shift <= -2 && mult > (1 << 30); /* edgec_requantize_rshift2's domain */
  q->out_off = p->output_offset;
  q->lo = p->act_min;
  q->hi = p->act_max;
}

static int8_t pw_out(const pw_rq_t *q, int32_t acc)
{
  const int32_t r = q->fast ? edgec_requantize_rshift2(acc, q->mult, q->em1, q->h) : edgec_requantize_ch(acc, q->mult, q->shift);
  return (int8_t)edgec_clamp_s32(r + q->out_off, q->lo, q->hi);
}

#if EDGEC_DSP
/* acc[0..np) += dot products of one filter row w (k4 words) with np staged
 * pixels; xs holds, per input word k, the pixels' (SXTB16, SXTB16 ROR 8)
 * lane pairs (np pairs). Four pixels: 17 instructions per 16 MACs. */
static EDGEC_NOINLINE void pw_dot(const int8_t *w, const int32_t *xs, int32_t k4, int32_t np, int32_t *acc)
{
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t k;
#if defined(__OPTIMIZE__)
  if (np == 4) {
    int32_t wv, we, e, o;
    k = k4;
    __asm__ volatile(
        "1:\n\t"
        "ldr    %[wv], [%[w]], #4\n\t"
        "ldrd   %[e], %[o], [%[x]], #8\n\t"
        "sxtb16 %[we], %[wv]\n\t"
        "sxtb16 %[wv], %[wv], ror #8\n\t"
        "smlad  %[a0], %[we], %[e], %[a0]\n\t"
        "smlad  %[a0], %[wv], %[o], %[a0]\n\t"
        "ldrd   %[e], %[o], [%[x]], #8\n\t"
        "smlad  %[a1], %[we], %[e], %[a1]\n\t"
        "smlad  %[a1], %[wv], %[o], %[a1]\n\t"
        "ldrd   %[e], %[o], [%[x]], #8\n\t"
        "smlad  %[a2], %[we], %[e], %[a2]\n\t"
        "smlad  %[a2], %[wv], %[o], %[a2]\n\t"
        "ldrd   %[e], %[o], [%[x]], #8\n\t"
        "smlad  %[a3], %[we], %[e], %[a3]\n\t"
        "smlad  %[a3], %[wv], %[o], %[a3]\n\t"
        "subs   %[k], %[k], #1\n\t"
        "bne    1b\n\t"
        : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(xs), [w] "+r"(w), [k] "+r"(k),
          [wv] "=&r"(wv), [we] "=&r"(we), [e] "=&r"(e), [o] "=&r"(o)
        :
        : "cc", "memory");
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
    return;
  }
#endif
  for (k = 0; k < k4; ++k) {
    const int32_t v = edgec_ld4(w + 4 * k);
    const int32_t we = __sxtb16(v), wo = edgec_sxtb16_ror8(v);
    const int32_t *x = xs + 2 * np * k;
    a0 = __smlad(wo, x[1], __smlad(we, x[0], a0));
    if (np > 1) a1 = __smlad(wo, x[3], __smlad(we, x[2], a1));
    if (np > 2) a2 = __smlad(wo, x[5], __smlad(we, x[4], a2));
    if (np > 3) a3 = __smlad(wo, x[7], __smlad(we, x[6], a3));
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

/* Four whole staged pixels (np == 4), every output channel: out is the first
 * pixel's output. The dot products inline (accumulators in registers) and the
 * requantization of the four pixels unrolled: about 16 instructions per
 * output channel besides the 17 per input word. */
#define PW_RQ(A) ((A) = fast ? edgec_requantize_rshift2((A), m, em1, h) : edgec_requantize_ch((A), m, sh))
#define PW_CLAMP(A) ((A) = (A) + out_off < lo ? lo : ((A) + out_off > hi ? hi : (A) + out_off))
static EDGEC_NOINLINE void pw_px4(const edgec_conv_params_t *p, const int8_t *filter, const int32_t *xs,
                                  const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *out)
{
  const int32_t in_c = p->in_c, out_c = p->out_c, k4 = in_c >> 2;
  const int32_t out_off = p->output_offset, lo = p->act_min, hi = p->act_max;
  const int8_t *w = filter;
  int32_t oc;
  for (oc = 0; oc < out_c; ++oc, ++out) {
    const int32_t m = mult[oc], sh = shift[oc];
    const int32_t fast = sh <= -2 && m > (1 << 30); /* edgec_requantize_rshift2's domain: the usual case */
    const int32_t em1 = ~sh, h = fast ? (int32_t)(1u << (-sh - 2)) : 0;
    int32_t a0 = bias ? bias[oc] : 0, a1 = a0, a2 = a0, a3 = a0;
#if defined(__OPTIMIZE__)
    {
      /* One input word: 4 pixels x 4 MACs; twice per pass when k4 is even (one loop branch per 32 MACs). */
#define PW_WORD                                   \
  "ldr    %[wv], [%[w]], #4\n\t"                   \
  "ldrd   %[e], %[o], [%[x]], #8\n\t"              \
  "sxtb16 %[we], %[wv]\n\t"                        \
  "sxtb16 %[wv], %[wv], ror #8\n\t"                \
  "smlad  %[a0], %[we], %[e], %[a0]\n\t"           \
  "smlad  %[a0], %[wv], %[o], %[a0]\n\t"           \
  "ldrd   %[e], %[o], [%[x]], #8\n\t"              \
  "smlad  %[a1], %[we], %[e], %[a1]\n\t"           \
  "smlad  %[a1], %[wv], %[o], %[a1]\n\t"           \
  "ldrd   %[e], %[o], [%[x]], #8\n\t"              \
  "smlad  %[a2], %[we], %[e], %[a2]\n\t"           \
  "smlad  %[a2], %[wv], %[o], %[a2]\n\t"           \
  "ldrd   %[e], %[o], [%[x]], #8\n\t"              \
  "smlad  %[a3], %[we], %[e], %[a3]\n\t"           \
  "smlad  %[a3], %[wv], %[o], %[a3]\n\t"
      const int32_t *x = xs;
      int32_t k = (k4 & 1) == 0 ? k4 >> 1 : k4, wv, we, e, o;
      if ((k4 & 1) == 0)
        __asm__ volatile("1:\n\t" PW_WORD PW_WORD "subs   %[k], %[k], #1\n\t"
                         "bne    1b\n\t"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
                           [k] "+r"(k), [wv] "=&r"(wv), [we] "=&r"(we), [e] "=&r"(e), [o] "=&r"(o)
                         :
                         : "cc", "memory");
      else
        __asm__ volatile("1:\n\t" PW_WORD "subs   %[k], %[k], #1\n\t"
                         "bne    1b\n\t"
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [x] "+r"(x), [w] "+r"(w),
                           [k] "+r"(k), [wv] "=&r"(wv), [we] "=&r"(we), [e] "=&r"(e), [o] "=&r"(o)
                         :
                         : "cc", "memory");
#undef PW_WORD
    }
#else
    {
      int32_t acc[4];
      acc[0] = a0, acc[1] = a1, acc[2] = a2, acc[3] = a3;
      pw_dot(w, xs, k4, 4, acc);
      a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
      w += in_c;
    }
#endif
    PW_RQ(a0);
    PW_RQ(a1);
    PW_RQ(a2);
    PW_RQ(a3);
    out[0] = (int8_t)PW_CLAMP(a0);
    out[out_c] = (int8_t)PW_CLAMP(a1);
    out[2 * out_c] = (int8_t)PW_CLAMP(a2);
    out[3 * out_c] = (int8_t)PW_CLAMP(a3);
  }
}
#undef PW_RQ
#undef PW_CLAMP
#endif

/* Groups of np pixels (np * in_c <= EDGEC_PW_STAGE_HALVES): stage, then every
 * output channel straight into the output. With the DSP extension and in_c a
 * multiple of 4, the staged lanes are SMLAD pairs; otherwise int16 per
 * channel and a plain loop. */
static void pw_staged(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                      const int32_t *mult, const int32_t *shift, int8_t *output, int32_t np)
{
  const int32_t pixels = p->batches * p->in_h * p->in_w, in_c = p->in_c, out_c = p->out_c;
  const int32_t off = p->input_offset;
  union {
    int32_t w[EDGEC_PW_STAGE_HALVES / 2];
    int16_t h[EDGEC_PW_STAGE_HALVES];
  } xs;
  int32_t q, n, i, oc, px;
#if EDGEC_DSP
  const int32_t pairs = (in_c & 3) == 0, k4 = in_c >> 2, off2 = edgec_dup16(off);
#else
  const int32_t pairs = 0;
#endif
  for (q = 0; q < pixels; q += n) {
    n = pixels - q < np ? pixels - q : np;
#if EDGEC_DSP
    /* Per input word i, np (e, o) pairs; missing pixels of the last group are zeros. */
    for (px = 0; pairs && px < np; ++px) {
      const int8_t *x = input + (q + px) * in_c;
      int32_t *d = xs.w + 2 * px;
      for (i = 0; i < k4; ++i, d += 2 * np) {
        const int32_t v = px < n ? edgec_ld4(x + 4 * i) : 0;
        d[0] = px < n ? __sadd16(__sxtb16(v), off2) : 0;
        d[1] = px < n ? __sadd16(edgec_sxtb16_ror8(v), off2) : 0;
      }
    }
#endif
    for (px = 0; !pairs && px < n; ++px)
      for (i = 0; i < in_c; ++i) xs.h[px * in_c + i] = (int16_t)(input[(q + px) * in_c + i] + off);
    /* Input pixels [q, q + n) are in xs from here on: the stores below may overwrite them. */
#if EDGEC_DSP
    if (pairs && n == 4) {
      pw_px4(p, filter, xs.w, bias, mult, shift, output + q * out_c);
      continue;
    }
#endif
    for (oc = 0; oc < out_c; ++oc) {
      const int8_t *w = filter + oc * in_c;
      const int32_t b0 = bias ? bias[oc] : 0;
      int32_t acc[4];
      pw_rq_t rq;
      acc[0] = acc[1] = acc[2] = acc[3] = b0;
#if EDGEC_DSP
      if (pairs) pw_dot(w, xs.w, k4, np, acc);
#endif
      for (px = 0; !pairs && px < n; ++px) {
        const int16_t *x = xs.h + px * in_c;
        int32_t a = b0;
        for (i = 0; i < in_c; ++i) a += w[i] * x[i];
        acc[px] = a;
      }
      pw_rq_init(&rq, p, mult[oc], shift[oc]);
      for (px = 0; px < n; ++px) output[(q + px) * out_c + oc] = pw_out(&rq, acc[px]);
    }
  }
}

void edgec_conv_1x1_overlap_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                               const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output,
                               int8_t *temp, int32_t block)
{
  const int32_t pixels = p->batches * p->in_h * p->in_w;
  const int32_t in_c = p->in_c, out_c = p->out_c;
  edgec_conv_params_t run = *p;
  int32_t px, np = EDGEC_PW_STAGE_HALVES / (in_c > 0 ? in_c : 1);
  if (np > 4) np = 4;
  if (np >= 1) { /* no temp needed (edgec_conv_1x1_overlap_temp_bytes is 0) */
    pw_staged(p, input, filter, bias, mult, shift, output, np);
    return;
  }
  /* Runs of `block` pixels through edgec_conv_s8 (one row of n pixels: its interior loop covers it in one call). */
  if (block < 1) block = 1;
  run.batches = 1;
  run.in_h = run.out_h = 1;
  for (px = 0; px < pixels; px += block) {
    const int32_t n = pixels - px < block ? pixels - px : block;
    run.in_w = run.out_w = n;
    edgec_conv_s8(&run, input + px * in_c, filter, bias, mult, shift, temp);
    memcpy(output + px * out_c, temp, (size_t)(n * out_c));
  }
}
