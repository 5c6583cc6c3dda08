/*
 * edgec 16x8 dot products (header only, C99, static inline): int16
 * activations times int8 weights, summed exactly.
 *
 * Products of an int16 activation and an int8 weight are at most 2^22 in
 * magnitude, so 511 of them always fit an int32: the 16x8 kernels add that
 * many in 32 bits and only then widen, which gives the int64 sum TFLite
 * Micro's reference accumulates (the same integers, fewer 64-bit additions).
 * With the Arm DSP extension, contiguous runs take SMLAD: one 32-bit load
 * holds two int16 activations, one SXTB16 pair and two halfword packs turn
 * four int8 weights into the matching pairs.
 */
#ifndef EDGEC_DOT_S16_H
#define EDGEC_DOT_S16_H

#include <stdint.h>
#include <string.h>
#include "edgec_dsp.h"

#define EDGEC_S16_DOT_CHUNK 511

/* sum of x[i] * w[i], i < n <= EDGEC_S16_DOT_CHUNK, in int32 (cannot overflow). */
static inline int32_t edgec_dot_s16_s8_part(const int16_t *x, const int8_t *w, int32_t n)
{
  int32_t acc = 0, k;
#if EDGEC_DSP
  for (k = n >> 2; k > 0; --k) {
    int32_t xa, xb, wv, e, o;
    memcpy(&xa, x, 4);     /* x0 | x1 << 16 */
    memcpy(&xb, x + 2, 4); /* x2 | x3 << 16 */
    memcpy(&wv, w, 4);
    e = __sxtb16(wv);            /* w0 | w2 << 16 */
    o = edgec_sxtb16_ror8(wv);   /* w1 | w3 << 16 */
    acc = __smlad(xa, (int32_t)(((uint32_t)e & 0xFFFFu) | ((uint32_t)o << 16)), acc);
    acc = __smlad(xb, (int32_t)(((uint32_t)e >> 16) | ((uint32_t)o & 0xFFFF0000u)), acc);
    x += 4;
    w += 4;
  }
  n &= 3;
#endif
  for (k = 0; k < n; ++k) acc += (int32_t)x[k] * (int32_t)w[k];
  return acc;
}

/* Two weight rows against one run of activations (each activation pair loaded
 * once): *a0 += sum x[i] * w0[i], *a1 += sum x[i] * w1[i], i < n, where every
 * sum stays within EDGEC_S16_DOT_CHUNK products. */
static inline void edgec_dot2_s16_s8_part(const int16_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t *a0, int32_t *a1)
{
  int32_t s0 = *a0, s1 = *a1, k;
#if EDGEC_DSP
  for (k = n >> 2; k > 0; --k) {
    int32_t xa, xb, v0, v1, e, o;
    memcpy(&xa, x, 4);
    memcpy(&xb, x + 2, 4);
    memcpy(&v0, w0, 4);
    memcpy(&v1, w1, 4);
    e = __sxtb16(v0);
    o = edgec_sxtb16_ror8(v0);
    s0 = __smlad(xa, (int32_t)(((uint32_t)e & 0xFFFFu) | ((uint32_t)o << 16)), s0);
    s0 = __smlad(xb, (int32_t)(((uint32_t)e >> 16) | ((uint32_t)o & 0xFFFF0000u)), s0);
    e = __sxtb16(v1);
    o = edgec_sxtb16_ror8(v1);
    s1 = __smlad(xa, (int32_t)(((uint32_t)e & 0xFFFFu) | ((uint32_t)o << 16)), s1);
    s1 = __smlad(xb, (int32_t)(((uint32_t)e >> 16) | ((uint32_t)o & 0xFFFF0000u)), s1);
    x += 4;
    w0 += 4;
    w1 += 4;
  }
  n &= 3;
#endif
  for (k = 0; k < n; ++k) {
    s0 += (int32_t)x[k] * (int32_t)w0[k];
    s1 += (int32_t)x[k] * (int32_t)w1[k];
  }
  *a0 = s0;
  *a1 = s1;
}

/* sum of x[i] * w[i], i < n, exactly, as int64 (contiguous operands). */
static inline int64_t edgec_dot_s16_s8(const int16_t *x, const int8_t *w, int32_t n)
{
  int64_t acc = 0;
  while (n > 0) {
    const int32_t len = n < EDGEC_S16_DOT_CHUNK ? n : EDGEC_S16_DOT_CHUNK;
    acc += edgec_dot_s16_s8_part(x, w, len);
    x += len;
    w += len;
    n -= len;
  }
  return acc;
}

/* sum of x[i * x_step] * w[i * w_step], i < n, exactly, as int64 (a depthwise window row). */
static inline int64_t edgec_dot_s16_s8_strided(const int16_t *x, int32_t x_step, const int8_t *w, int32_t w_step, int32_t n)
{
  int64_t acc = 0;
  while (n > 0) {
    const int32_t len = n < EDGEC_S16_DOT_CHUNK ? n : EDGEC_S16_DOT_CHUNK;
    int32_t part = 0, i;
    for (i = 0; i < len; ++i) part += (int32_t)x[i * x_step] * (int32_t)w[i * w_step];
    acc += part;
    x += len * x_step;
    w += len * w_step;
    n -= len;
  }
  return acc;
}

#endif /* EDGEC_DOT_S16_H */
