/*
 * Bitmap-sparse int8 weights, shared by the sparse fully connected, conv and
 * depthwise kernels (header only, C99).
 *
 * A weight matrix of `rows` reduction rows (one per output channel) of `cols`
 * weights (the row's reduction: in_depth, k_h * k_w * in_c or k_h * k_w taps)
 * is stored as two const int8 arrays:
 *
 *   index  = row mask, then one bitmap per nonzero row
 *     row mask: (rows + 7) / 8 bytes, bit (r & 7) of byte r >> 3 set when
 *               row r has a nonzero weight (an all-zero row -- a pruned
 *               filter -- costs one bit and its output is the bias alone);
 *     bitmap:   for each row whose mask bit is set, in row order,
 *               (cols + 7) / 8 bytes, bit (j & 7) of byte j >> 3 set when
 *               w[r][j] != 0;
 *   values = the nonzero weights, row by row, in column order.
 *
 * Flash: (rows + 7) / 8 + nonzero_rows * (cols + 7) / 8 + nonzeros bytes.
 * One bit per weight is the whole index cost, so this one format is the
 * smallest of the usual ones for magnitude (unstructured) pruning at 50 to
 * 90 % (4-weight block bitmaps keep most blocks at 50 %, column lists cost a
 * byte or two per nonzero), ties the 2-bit-index N:M format on 2:4 (one
 * bit per weight either way) and drops pruned filters to one bit.
 * The bytes of the index are read as uint8 (the arrays are emitted as int8).
 *
 * The kernels add w * (x + input_offset) over the nonzero weights only:
 * zero weights add nothing, int32 sums are exact and order-free (the
 * compiler bounds |bias| + terms * 2^15 below 2^31), so results equal the
 * dense kernels' byte for byte.
 */
#ifndef EDGEC_SPARSE_H
#define EDGEC_SPARSE_H

#include <stdint.h>

/* Whether row r of the row mask is set. */
static inline int32_t edgec_sparse_row_set(const uint8_t *row_mask, int32_t r)
{
  return (row_mask[r >> 3] >> (r & 7)) & 1;
}

/* Index of the lowest set bit of a nonzero byte: RBIT + CLZ on Cortex-M3 and
 * up, TZCNT/BSF on x86, CTZ with RISC-V Zbb; elsewhere (Cortex-M0+, plain
 * RISC-V, Xtensa, or -DEDGEC_SPARSE_NO_CTZ) a short loop rather than a libgcc call. */
#if !defined(EDGEC_SPARSE_NO_CTZ) && defined(__GNUC__) && ((defined(__ARM_FEATURE_CLZ) && defined(__thumb2__)) || defined(__aarch64__) || \
                          defined(__x86_64__) || defined(__i386__) || defined(__riscv_zbb))
#define edgec_sparse_lowest_bit(b) ((int32_t)__builtin_ctz(b))
#else
static inline int32_t edgec_sparse_lowest_bit(uint32_t b)
{
  int32_t n = 0;
  while (!(b & 1u)) b >>= 1, ++n;
  return n;
}
#endif

/* acc + sum over the set bits j of one row's bitmap (nbytes bytes) of
 * (*values)[k] * (x[j] + off); *values moves past the row's nonzeros. A zero
 * byte (eight pruned weights) costs one test, a nonzero weight a few
 * instructions whatever its position in the byte. */
static inline int32_t edgec_sparse_row_dot(const uint8_t *bits, int32_t nbytes, const int8_t **values, const int8_t *x,
                                           int32_t off, int32_t acc)
{
  const int8_t *v = *values;
  const uint8_t *const end = bits + nbytes;
  for (; bits < end; ++bits, x += 8) {
    uint32_t b = *bits;
    while (b != 0) {
      acc += (int32_t)(*v++) * (x[edgec_sparse_lowest_bit(b)] + off);
      b &= b - 1u;
    }
  }
  *values = v;
  return acc;
}

#endif /* EDGEC_SPARSE_H */
