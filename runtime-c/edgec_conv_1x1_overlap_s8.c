/*
 * edgec_conv_1x1_overlap_s8: a pointwise convolution (1x1, stride 1, no
 * padding, groups 1) whose input and output overlap in memory, with a
 * temporary of `block` output pixels (block * out_c bytes) instead of a
 * disjoint output tensor. Same arithmetic as edgec_conv_s8 (it calls it on
 * runs of `block` pixels), so bit-exact with it.
 *
 *  input   N pixels of in_c int8 (N = batches * in_h * in_w), NHWC
 *  output  N pixels of out_c int8
 *  temp    block * out_c bytes, overlapping neither
 *
 * Output pixel p depends on input pixel p only. Pixels are computed in runs of
 * `block` into temp and then copied to the output, so when the copy of run
 * [q, q + n) lands, input pixels < q + n have been read for the last time.
 * The copy therefore must not reach input pixels >= q + n:
 *     output + (q + n) * out_c <= input + (q + n) * in_c   for every q + n <= N,
 * which holds for every run when
 *   - out_c >= in_c: input - output >= N * (out_c - in_c) (the input in the
 *     top of the output block; the planner places it at that offset, rounded
 *     up to the arena alignment), or
 *   - out_c <  in_c: output == input (the output in the bottom of the input),
 * and trivially when the two do not overlap at all.
 */
#include "edgec_kernels.h"

#include <string.h>

void edgec_conv_1x1_overlap_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                               const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output,
                               int8_t *temp, int32_t block)
{
  const int32_t pixels = p->batches * p->in_h * p->in_w;
  const int32_t in_c = p->in_c, out_c = p->out_c;
  edgec_conv_params_t run = *p;
  int32_t px;
  if (block < 1) block = 1;
  /* A run is one row of `n` pixels: the conv kernel's interior loop covers it in one call. */
  run.batches = 1;
  run.in_h = run.out_h = 1;
  for (px = 0; px < pixels; px += block) {
    const int32_t n = pixels - px < block ? pixels - px : block;
    run.in_w = run.out_w = n;
    edgec_conv_s8(&run, input + px * in_c, filter, bias, mult, shift, temp);
    memcpy(output + px * out_c, temp, (size_t)(n * out_c));
  }
}
