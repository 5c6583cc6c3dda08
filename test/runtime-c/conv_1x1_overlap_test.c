/* edgec_conv_1x1_overlap_s8 vs edgec_conv_s8 on random pointwise shapes
 * (out_c >, = and < in_c, batches, in_c not a multiple of 4, offsets,
 * per-channel requantization, runs of 1..N pixels): the input is placed
 * inside the output block exactly as the planner does (at N * (out_c - in_c)
 * bytes rounded up to 16, or at the output's address when out_c < in_c), the
 * overlapped result must equal the ordinary kernel's byte for byte, nothing
 * past the output block may change, and the temporary must not be written
 * past edgec_conv_1x1_overlap_temp_bytes (none on the staged path). Case 1 is
 * DS-CNN's 25x5 64->64 layer. Built with the default stack copy (four staged
 * pixels here) and with -DEDGEC_PW_STAGE_HALVES=32 (four, two, one staged
 * pixels and the run fallback through temp, by in_c). Prints "cases N
 * mismatches M"; exits non-zero on any. */
#include <stdio.h>
#include <string.h>
#include "edgec_kernels.h"

int32_t edgec_conv_1x1_overlap_temp_bytes(const edgec_conv_params_t *p, int32_t block);

static uint32_t rng_state = 2024u;
static uint32_t rnd(uint32_t n)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) % n;
}

#define MAX_PX 128
#define MAX_C 64
#define GUARD 64
#define ARENA (MAX_PX * MAX_C + 16 + GUARD)
static int8_t input[MAX_PX * MAX_C], expected[MAX_PX * MAX_C], arena[ARENA], filter[MAX_C * MAX_C];
static int8_t temp[MAX_PX * MAX_C + GUARD];
static int32_t bias[MAX_C], mult[MAX_C], shift[MAX_C];

static int32_t align16(int32_t n) { return (n + 15) & ~15; }

int main(void)
{
  int cases = 0, bad = 0, k;
  for (k = 0; k < 1500; ++k) {
    edgec_conv_params_t p;
    int32_t i, pixels, in_bytes, out_bytes, in_at, block, span, temp_bytes;
    const int32_t *b;
    const int32_t kind = k % 3; /* 0: out_c > in_c, 1: equal, 2: out_c < in_c */
    p.batches = 1 + (int32_t)rnd(3);
    p.in_h = p.out_h = 1 + (int32_t)rnd(4);
    p.in_w = p.out_w = 1 + (int32_t)rnd(4);
    p.in_c = 1 + (int32_t)rnd(MAX_C);
    p.out_c = kind == 1 ? p.in_c : 1 + (int32_t)rnd(MAX_C);
    if (k == 1) p.batches = 1, p.in_h = p.out_h = 25, p.in_w = p.out_w = 5, p.in_c = p.out_c = 64;
    if ((kind == 0 && p.out_c <= p.in_c) || (kind == 2 && p.out_c >= p.in_c)) {
      const int32_t t = p.in_c;
      p.in_c = p.out_c;
      p.out_c = t;
    }
    if ((kind == 0 && p.out_c == p.in_c) || (kind == 2 && p.out_c == p.in_c)) continue;
    p.k_h = p.k_w = 1;
    p.stride_h = p.stride_w = 1;
    p.dil_h = p.dil_w = 1;
    p.pad_top = p.pad_left = 0;
    p.groups = 1;
    p.input_offset = (int32_t)rnd(256) - 127;
    p.output_offset = (int32_t)rnd(256) - 128;
    p.act_min = -128 + (int32_t)rnd(2) * 128;
    p.act_max = 127 - (int32_t)rnd(2) * 27;
    pixels = p.batches * p.in_h * p.in_w;
    in_bytes = pixels * p.in_c;
    out_bytes = pixels * p.out_c;
    for (i = 0; i < in_bytes; ++i) input[i] = (int8_t)((int32_t)rnd(256) - 128);
    for (i = 0; i < p.out_c * p.in_c; ++i) filter[i] = (int8_t)((int32_t)rnd(255) - 127);
    for (i = 0; i < p.out_c; ++i) {
      bias[i] = (int32_t)rnd(20001) - 10000;
      mult[i] = 1073741824 + (int32_t)rnd(1073741823);
      shift[i] = -(int32_t)rnd(10) - 1 + (int32_t)(rnd(8) == 0) * 3;
    }
    b = rnd(4) ? bias : NULL;
    block = rnd(3) == 0 ? 1 : 1 + (int32_t)rnd((uint32_t)pixels + 2);
    edgec_conv_s8(&p, input, filter, b, mult, shift, expected);
    /* The planner's placement: output at the block start, the input at the top. */
    in_at = p.out_c >= p.in_c ? align16(pixels * (p.out_c - p.in_c)) : 0;
    span = in_at + in_bytes > out_bytes ? in_at + in_bytes : out_bytes;
    memset(arena, 0x33, sizeof arena);
    memcpy(arena + in_at, input, (size_t)in_bytes);
    temp_bytes = edgec_conv_1x1_overlap_temp_bytes(&p, block);
    memset(temp, 0x5a, sizeof temp);
    edgec_conv_1x1_overlap_s8(&p, arena + in_at, filter, b, mult, shift, arena, temp, block);
    ++cases;
    if (memcmp(arena, expected, (size_t)out_bytes) != 0) {
      ++bad;
      if (bad <= 5)
        printf("mismatch: b%d %dx%d %d->%d block %d\n", (int)p.batches, (int)p.in_h, (int)p.in_w, (int)p.in_c,
               (int)p.out_c, (int)block);
    }
    for (i = span; i < (int32_t)sizeof arena; ++i) {
      if (arena[i] != 0x33) {
        ++bad;
        printf("written past the block\n");
        break;
      }
    }
    if (temp_bytes != 0 && temp_bytes != block * p.out_c) {
      ++bad;
      printf("temporary of %d bytes: neither none nor block * out_c\n", (int)temp_bytes);
    }
    for (i = temp_bytes; i < (int32_t)sizeof temp; ++i) {
      if (temp[i] != 0x5a) {
        ++bad;
        printf("temporary written past edgec_conv_1x1_overlap_temp_bytes\n");
        break;
      }
    }
  }
  printf("cases %d mismatches %d\n", cases, bad);
  return bad == 0 && cases > 1000 ? 0 : 1;
}
