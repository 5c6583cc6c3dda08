/*
 * Convolution window clipping shared by the conv and depthwise kernels.
 */
#ifndef EDGEC_WINDOW_H
#define EDGEC_WINDOW_H

#include <stdint.h>

/* Taps [*k0, *k1) of a k-tap window (dilation dil) whose first tap sits at
 * input index o * stride - pad, clipped to the input [0, in). Padded taps
 * contribute nothing, so kernels loop over this range only. */
static inline void edgec_valid_taps(int32_t o, int32_t stride, int32_t pad, int32_t dil, int32_t k, int32_t in,
                                    int32_t *k0, int32_t *k1)
{
  const int32_t i0 = o * stride - pad;
  int32_t a = 0, b = k;
  while (a < b && i0 + a * dil < 0) a++;
  while (b > a && i0 + (b - 1) * dil >= in) b--;
  *k0 = a;
  *k1 = b;
}

#endif /* EDGEC_WINDOW_H */
