/*
 * Broadcast iteration shared by the binary elementwise kernels: walks the
 * outer (all but innermost) dims of an edgec_broadcast_t like an odometer,
 * keeping each operand's element offset. The innermost dim is the caller's
 * tight loop.
 */
#ifndef EDGEC_BROADCAST_H
#define EDGEC_BROADCAST_H

#include "edgec_kernels.h"

typedef struct {
  int32_t idx[EDGEC_MAX_RANK];
  int32_t off1, off2;  /* element offsets of the current inner row in in1 / in2 */
  int32_t rows;        /* number of inner rows */
  int32_t inner;       /* length of the inner row */
  int32_t step1, step2;/* inner strides */
} edgec_broadcast_iter_t;

static inline void edgec_broadcast_begin(const edgec_broadcast_t *b, edgec_broadcast_iter_t *it)
{
  const int32_t r = b->rank;
  int32_t d;
  for (d = 0; d < EDGEC_MAX_RANK; ++d) it->idx[d] = 0;
  it->off1 = 0;
  it->off2 = 0;
  it->inner = r > 0 ? b->dims[r - 1] : 1;
  it->step1 = r > 0 ? b->stride1[r - 1] : 0;
  it->step2 = r > 0 ? b->stride2[r - 1] : 0;
  it->rows = 1;
  for (d = 0; d < r - 1; ++d) it->rows *= b->dims[d];
}

/* Advance to the next inner row. */
static inline void edgec_broadcast_next(const edgec_broadcast_t *b, edgec_broadcast_iter_t *it)
{
  int32_t d;
  for (d = b->rank - 2; d >= 0; --d) {
    it->off1 += b->stride1[d];
    it->off2 += b->stride2[d];
    if (++it->idx[d] < b->dims[d]) return;
    it->off1 -= b->stride1[d] * b->dims[d];
    it->off2 -= b->stride2[d] * b->dims[d];
    it->idx[d] = 0;
  }
}

#endif /* EDGEC_BROADCAST_H */
