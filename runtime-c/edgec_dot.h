/*
 * Plain C inner loop shared by the convolution and fully connected kernels
 * on CPUs without the Arm DSP extension (x86 hosts, RISC-V, Xtensa, M0+).
 * The DSP versions live in edgec_dsp.h.
 */
#ifndef EDGEC_DOT_H
#define EDGEC_DOT_H

#include "edgec_fixedpoint.h"

/* Four dot products of x[0..n) (+ offset) with the rows w, w + n, w + 2n, w + 3n,
 * added to acc[0..3]. Each input load is shared by the four rows; kept out of
 * line so the caller's loop does not spill the four accumulators. Include
 * it only where it is used (no unused-function warning). */
static EDGEC_NOINLINE void edgec_dot4_s8(const int8_t *x, const int8_t *w, int32_t n, int32_t offset, int32_t *acc)
{
  const int8_t *w0 = w, *w1 = w + n, *w2 = w + 2 * n, *w3 = w + 3 * n;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t i;
  for (i = 0; i < n; ++i) {
    const int32_t v = x[i] + offset;
    a0 += w0[i] * v;
    a1 += w1[i] * v;
    a2 += w2[i] * v;
    a3 += w3[i] * v;
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}

#endif /* EDGEC_DOT_H */
