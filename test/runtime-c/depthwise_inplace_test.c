/* edgec_depthwise_conv_inplace_s8 vs edgec_depthwise_conv_s8 on random
 * shapes (kernel, stride, dilation, symmetric and asymmetric padding,
 * batches, channels incl. multiples of 4 for the DSP path, offsets,
 * per-channel requantization) and on DS-CNN's layer: the in-place result must
 * equal the ordinary kernel's byte for byte, and the temporary must not be
 * written past edgec_depthwise_inplace_temp_bytes (two rows of four channels
 * for DS-CNN's layer). Prints "cases N mismatches M" and exits non-zero on any. */
#include <stdio.h>
#include <string.h>
#include "edgec_kernels.h"

void edgec_depthwise_conv_inplace_s8(const edgec_conv_params_t *p, int8_t *data, const int8_t *filter,
                                     const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *temp);
int32_t edgec_depthwise_inplace_temp_bytes(const edgec_conv_params_t *p);

static uint32_t rng_state = 12345u;
static uint32_t rnd(uint32_t n)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) % n;
}

#define MAX_IN (3 * 20 * 20 * 24) /* >= 25 * 5 * 64 */
#define MAX_C 64
static int8_t input[MAX_IN], data[MAX_IN], expected[MAX_IN], filter[7 * 7 * MAX_C], temp[MAX_IN];
static int32_t bias[MAX_C], mult[MAX_C], shift[MAX_C];

int main(void)
{
  int cases = 0, bad = 0, k;
  for (k = 0; k < 3000; ++k) {
    edgec_conv_params_t p;
    int32_t i, out_bytes, in_bytes, eff_h, eff_w, pad_h_total, pad_w_total, temp_bytes;
    p.batches = 1 + (int32_t)rnd(3);
    /* Multiples of 4 half the time (the DSP path's groups), else any count (its plain rest). */
    p.in_c = p.out_c = rnd(2) ? 4 * (1 + (int32_t)rnd(6)) : 2 + (int32_t)rnd(23);
    p.in_h = 1 + (int32_t)rnd(20);
    p.in_w = 1 + (int32_t)rnd(20);
    p.k_h = 1 + (int32_t)rnd(5);
    p.k_w = 1 + (int32_t)rnd(5);
    p.stride_h = 1 + (int32_t)rnd(3);
    p.stride_w = 1 + (int32_t)rnd(3);
    p.dil_h = 1 + (int32_t)rnd(2);
    p.dil_w = 1 + (int32_t)rnd(2);
    eff_h = (p.k_h - 1) * p.dil_h + 1;
    eff_w = (p.k_w - 1) * p.dil_w + 1;
    /* SAME-like padding half the time, VALID otherwise. */
    pad_h_total = rnd(2) ? eff_h - 1 : 0;
    pad_w_total = rnd(2) ? eff_w - 1 : 0;
    /* Odd totals split both ways: more padding at the bottom, or at the top. */
    p.pad_top = rnd(2) ? pad_h_total / 2 : pad_h_total - pad_h_total / 2;
    p.pad_left = rnd(2) ? pad_w_total / 2 : pad_w_total - pad_w_total / 2;
    p.out_h = (p.in_h + pad_h_total - eff_h) / p.stride_h + 1;
    if (k == 0) { /* DS-CNN's depthwise layer: 25x5x64, 3x3, stride 1, pad 1 */
      p.batches = 1, p.in_h = 25, p.in_w = 5, p.in_c = p.out_c = 64, p.k_h = p.k_w = 3;
      p.stride_h = p.stride_w = p.dil_h = p.dil_w = 1, p.pad_top = p.pad_left = 1;
      p.out_h = 25, p.out_w = 5;
    }
    if (k != 0) p.out_w = (p.in_w + pad_w_total - eff_w) / p.stride_w + 1;
    if (p.out_h <= 0 || p.out_w <= 0) continue;
    p.groups = p.in_c;
    p.input_offset = (int32_t)rnd(256) - 128;
    p.output_offset = (int32_t)rnd(256) - 128;
    p.act_min = -128 + (int32_t)rnd(2) * 128;
    p.act_max = 127;
    in_bytes = p.batches * p.in_h * p.in_w * p.in_c;
    out_bytes = p.batches * p.out_h * p.out_w * p.out_c;
    if (out_bytes > in_bytes) continue; /* the planner only offers in place when the output fits */
    for (i = 0; i < in_bytes; ++i) input[i] = (int8_t)((int32_t)rnd(256) - 128);
    for (i = 0; i < p.k_h * p.k_w * p.out_c; ++i) filter[i] = (int8_t)((int32_t)rnd(255) - 127);
    for (i = 0; i < p.out_c; ++i) {
      bias[i] = (int32_t)rnd(20001) - 10000;
      mult[i] = 1073741824 + (int32_t)rnd(1073741823);
      shift[i] = -(int32_t)rnd(10) - 1;
    }
    {
      const int32_t *b = rnd(4) ? bias : NULL;
      edgec_depthwise_conv_s8(&p, input, filter, b, mult, shift, expected);
      memcpy(data, input, (size_t)in_bytes);
      temp_bytes = edgec_depthwise_inplace_temp_bytes(&p);
      memset(temp, 0x5a, sizeof temp);
      edgec_depthwise_conv_inplace_s8(&p, data, filter, b, mult, shift, temp);
    }
    ++cases;
    if (memcmp(data, expected, (size_t)out_bytes) != 0) {
      ++bad;
      if (bad <= 5)
        printf("mismatch: b%d %dx%dx%d k%dx%d s%dx%d d%dx%d pad t%d l%d -> %dx%d\n", (int)p.batches, (int)p.in_h, (int)p.in_w,
               (int)p.in_c, (int)p.k_h, (int)p.k_w, (int)p.stride_h, (int)p.stride_w, (int)p.dil_h, (int)p.dil_w,
               (int)p.pad_top, (int)p.pad_left, (int)p.out_h, (int)p.out_w);
    }
    if (k == 0 && temp_bytes != 2 * 5 * 4) {
      ++bad;
      printf("DS-CNN layer: temporary %d bytes, expected two rows of 5 pixels x 4 channels\n", (int)temp_bytes);
    }
    for (i = temp_bytes; i < (int32_t)sizeof temp; ++i) {
      if (temp[i] != 0x5a) {
        ++bad;
        printf("temporary written past edgec_depthwise_inplace_temp_bytes\n");
        break;
      }
    }
  }
  printf("cases %d mismatches %d\n", cases, bad);
  return bad == 0 && cases > 1000 ? 0 : 1;
}
