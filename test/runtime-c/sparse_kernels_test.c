/* The bitmap-sparse kernels (runtime-c/edgec_*_sparse_s8.c) against the dense
 * ones on random shapes and random sparse weights: unstructured at 0, 50, 80,
 * 90, 97 and 100 % zeros, 2:4, pruned rows (filters) and pruned columns (input
 * channels). Each case encodes the dense weights in the index format of
 * edgec_sparse.h and requires the sparse output to equal the dense output
 * byte for byte. Prints "cases N mismatches M" and exits non-zero on any. */
#include <stdio.h>
#include <string.h>
#include "edgec_kernels.h"

static uint32_t rng_state = 2024u;
static uint32_t rnd(uint32_t n)
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return (rng_state >> 8) % n;
}

#define MAX_W 40000
#define MAX_ROWS 96
#define MAX_ACT 40000
static int8_t dense[MAX_W], rows_w[MAX_W], values[MAX_W], index_buf[MAX_W / 8 + MAX_ROWS * 8 + 16];
static int8_t input[MAX_ACT], out_dense[MAX_ACT], out_sparse[MAX_ACT];
static int32_t bias[MAX_ROWS], mult[MAX_ROWS], shift[MAX_ROWS];

/* Pattern of zeros in a [rows][cols] matrix (row-major). */
enum { UNSTRUCTURED, TWO_OF_FOUR, ZERO_ROWS, ZERO_COLS, PATTERNS };

static void random_weights(int8_t *w, int32_t rows, int32_t cols, int pattern, uint32_t zero_pct)
{
  int32_t r, c;
  for (r = 0; r < rows; ++r)
    for (c = 0; c < cols; ++c) {
      int8_t v = (int8_t)((int32_t)rnd(255) - 127);
      if (v == 0) v = 1;
      if (pattern == UNSTRUCTURED && rnd(100) < zero_pct) v = 0;
      if (pattern == TWO_OF_FOUR && (c & 3) >= 2) v = 0;
      w[r * cols + c] = v;
    }
  if (pattern == ZERO_ROWS)
    for (r = 0; r < rows; ++r)
      if (rnd(100) < zero_pct) memset(w + r * cols, 0, (size_t)cols);
  if (pattern == ZERO_COLS)
    for (c = 0; c < cols; ++c)
      if (rnd(100) < zero_pct)
        for (r = 0; r < rows; ++r) w[r * cols + c] = 0;
}

/* Encodes rows x cols row-major weights as edgec_sparse.h describes. */
static void encode(const int8_t *w, int32_t rows, int32_t cols)
{
  const int32_t nb = (cols + 7) / 8;
  uint8_t *idx = (uint8_t *)index_buf;
  uint8_t *bits = idx + (rows + 7) / 8;
  int8_t *v = values;
  int32_t r, c;
  memset(index_buf, 0, sizeof index_buf);
  for (r = 0; r < rows; ++r) {
    int32_t any = 0;
    for (c = 0; c < cols; ++c) any |= w[r * cols + c] != 0;
    if (!any) continue;
    idx[r >> 3] |= (uint8_t)(1u << (r & 7));
    for (c = 0; c < cols; ++c)
      if (w[r * cols + c] != 0) {
        bits[c >> 3] |= (uint8_t)(1u << (c & 7));
        *v++ = w[r * cols + c];
      }
    bits += nb;
  }
}

static void random_quant(int32_t n, edgec_conv_params_t *p)
{
  int32_t i;
  for (i = 0; i < n; ++i) {
    bias[i] = (int32_t)rnd(20001) - 10000;
    mult[i] = (int32_t)(0x40000000u + rnd(0x3FFFFFFFu));
    shift[i] = -(int32_t)rnd(12) - 6;
  }
  p->input_offset = (int32_t)rnd(256) - 127;
  p->output_offset = (int32_t)rnd(256) - 128;
  p->act_min = rnd(2) ? -128 : p->output_offset;
  p->act_max = 127;
}

static const uint32_t zero_pcts[] = {0, 50, 80, 90, 97, 100};

static int compare(int32_t n)
{
  return memcmp(out_dense, out_sparse, (size_t)n) != 0;
}

int main(void)
{
  int cases = 0, bad = 0, k;
  for (k = 0; k < 1800; ++k) {
    const int pattern = (int)rnd(PATTERNS);
    const uint32_t zero_pct = zero_pcts[rnd(6)];
    const int kind = k % 3; /* 0 fully connected, 1 conv, 2 depthwise */
    edgec_conv_params_t p;
    int32_t i, in_bytes, out_bytes;
    random_quant(MAX_ROWS, &p);
    if (kind == 0) {
      edgec_fc_params_t f;
      f.batches = 1 + (int32_t)rnd(3);
      f.in_depth = 1 + (int32_t)rnd(300);
      f.out_depth = 1 + (int32_t)rnd(MAX_ROWS);
      f.input_offset = p.input_offset, f.output_offset = p.output_offset;
      f.act_min = p.act_min, f.act_max = p.act_max, f.per_channel = (int32_t)rnd(2);
      random_weights(dense, f.out_depth, f.in_depth, pattern, zero_pct);
      for (i = 0; i < f.batches * f.in_depth; ++i) input[i] = (int8_t)((int32_t)rnd(256) - 128);
      encode(dense, f.out_depth, f.in_depth);
      {
        const int32_t *b = rnd(4) ? bias : NULL; /* NULL bias: treated as 0 by both */
        edgec_fully_connected_s8(&f, input, dense, b, mult, shift, out_dense);
        edgec_fully_connected_sparse_s8(&f, input, index_buf, values, b, mult, shift, out_sparse);
      }
      ++cases;
      if (compare(f.batches * f.out_depth)) {
        ++bad;
        printf("fc mismatch: case %d in %ld out %ld pattern %d zeros %lu\n", k, (long)f.in_depth, (long)f.out_depth,
               pattern, (unsigned long)zero_pct);
      }
      continue;
    }
    p.batches = 1 + (int32_t)rnd(2);
    p.in_h = 1 + (int32_t)rnd(12);
    p.in_w = 1 + (int32_t)rnd(12);
    p.k_h = 1 + (int32_t)rnd(4);
    p.k_w = 1 + (int32_t)rnd(4);
    p.stride_h = 1 + (int32_t)rnd(2);
    p.stride_w = 1 + (int32_t)rnd(2);
    p.dil_h = 1 + (int32_t)rnd(2);
    p.dil_w = 1 + (int32_t)rnd(2);
    p.groups = 1;
    p.pad_top = (int32_t)rnd((uint32_t)((p.k_h - 1) * p.dil_h + 1));
    p.pad_left = (int32_t)rnd((uint32_t)((p.k_w - 1) * p.dil_w + 1));
    p.out_h = (p.in_h + 2 * p.pad_top - ((p.k_h - 1) * p.dil_h + 1)) / p.stride_h + 1;
    p.out_w = (p.in_w + 2 * p.pad_left - ((p.k_w - 1) * p.dil_w + 1)) / p.stride_w + 1;
    if (p.out_h <= 0 || p.out_w <= 0) continue;
    if (kind == 1) {
      p.in_c = 1 + (int32_t)rnd(k % 7 == 0 ? 300 : 40); /* some windows over EDGEC_SPARSE_MAX_WINDOW */
      p.out_c = 1 + (int32_t)rnd(48);
    } else {
      p.in_c = 1 + (int32_t)rnd(24);
      p.out_c = p.in_c * (1 + (int32_t)rnd(3));
    }
    in_bytes = p.batches * p.in_h * p.in_w * p.in_c;
    out_bytes = p.batches * p.out_h * p.out_w * p.out_c;
    if (in_bytes > MAX_ACT || out_bytes > MAX_ACT || p.k_h * p.k_w * p.in_c * p.out_c > MAX_W) continue;
    for (i = 0; i < in_bytes; ++i) input[i] = (int8_t)((int32_t)rnd(256) - 128);
    if (kind == 1) {
      const int32_t cols = p.k_h * p.k_w * p.in_c;
      random_weights(dense, p.out_c, cols, pattern, zero_pct);
      encode(dense, p.out_c, cols);
      edgec_conv_s8(&p, input, dense, bias, mult, shift, out_dense);
      edgec_conv_sparse_s8(&p, input, index_buf, values, bias, mult, shift, out_sparse);
    } else {
      /* Rows per output channel over the taps, then the dense [taps][out_c] layout. */
      const int32_t taps = p.k_h * p.k_w;
      int32_t t, c;
      random_weights(rows_w, p.out_c, taps, pattern, zero_pct);
      for (c = 0; c < p.out_c; ++c)
        for (t = 0; t < taps; ++t) dense[t * p.out_c + c] = rows_w[c * taps + t];
      encode(rows_w, p.out_c, taps);
      edgec_depthwise_conv_s8(&p, input, dense, bias, mult, shift, out_dense);
      edgec_depthwise_conv_sparse_s8(&p, input, index_buf, values, bias, mult, shift, out_sparse);
    }
    ++cases;
    if (compare(out_bytes)) {
      ++bad;
      printf("%s mismatch: case %d\n", kind == 1 ? "conv" : "depthwise", k);
    }
  }
  printf("cases %d mismatches %d\n", cases, bad);
  return bad != 0;
}
