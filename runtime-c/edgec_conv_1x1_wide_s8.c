/*
 * edgec_conv_1x1_wide_s8: pointwise convolution (1x1, stride 1, no padding,
 * groups 1; TFLite Micro ConvPerChannel semantics) with pre-widened weights,
 * chosen per layer where flash allows (compiler/passes/wide-weights.ts).
 *
 *  input   [pixels, in_c] int8 (NHWC), in_c <= 1024
 *  filter  int32 words, the layout of edgec_wide.h (fsize = in_c)
 *  bias    [out_c] int32 or NULL;  mult/shift [out_c]
 *  output  [pixels, out_c] int8
 *
 * Runs of up to EDGEC_WIDE_MAX_RUN pixels: their channels are widened to int16
 * lanes (+ input offset) into a stack buffer once, then every group of 4
 * output channels runs over the run (requantization prepared once per group
 * and run). 11 instructions per 16 MACs in the inner loop
 * (edgec_wide_run4, edgec_wide.h); four channels requantized per pass in
 * assembly (edgec_wide_rq_run).
 *
 * Memory: output may overlap input as edgec_conv_1x1_overlap_s8 allows
 * (output + k * out_c <= input + k * in_c for every k <= pixels): a run's
 * input pixels are all read before any of its outputs is written, and output
 * pixel q then ends at or below input pixel q + 1, so no unread input is
 * overwritten. No arena scratch (EDGEC_WIDE_1X1_WORDS words of stack).
 */
#include "edgec_kernels.h"
#include "edgec_wide.h"

/* Stack for the widened pixels: 2 KB, one pixel of 1024 channels. */
#define EDGEC_WIDE_1X1_WORDS 512

void edgec_conv_1x1_wide_s8(const edgec_conv_params_t *p, const int8_t *input, const int32_t *filter,
                            const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
  int32_t buf[EDGEC_WIDE_1X1_WORDS];
  const int32_t in_c = p->in_c, out_c = p->out_c, n4 = (in_c + 3) >> 2, win = 2 * n4;
  const int32_t pixels = p->batches * p->in_h * p->in_w;
  int32_t tile = EDGEC_WIDE_1X1_WORDS / win, px, t, oc;
  if (tile > EDGEC_WIDE_MAX_RUN) tile = EDGEC_WIDE_MAX_RUN;
  if (tile < 1) return; /* over 1024 channels: never chosen (wide-weights.ts) */
  for (px = 0; px < pixels; px += tile) {
    const int32_t run = pixels - px < tile ? pixels - px : tile;
    const int32_t *w = filter;
    for (t = 0; t < run; ++t) edgec_wide_words(input + (px + t) * in_c, in_c, p->input_offset, buf + t * win);
    for (oc = 0; oc < out_c; oc += 4, w += 8 * n4) {
      const int32_t n = out_c - oc < 4 ? out_c - oc : 4;
      edgec_wide_group(buf, run, w, n4, oc, n, bias, mult, shift, p->output_offset, p->act_min, p->act_max,
                       output + px * out_c, out_c);
    }
  }
}
