/*
 * edgec_copy_window_s8: copies a rows x cols window of pixels (channels bytes
 * each) between two NHWC buffers of different widths. Patch-based execution
 * (compiler/passes/patch-stage.ts) uses it to cut a tile's input region (with
 * its halo) out of the stage input, and to write a finished tile into the
 * stage output at the tile's offset. Source and destination must not overlap.
 */
#include <string.h>
#include "edgec_kernels.h"

void edgec_copy_window_s8(const int8_t *src, int32_t src_w, int32_t src_y, int32_t src_x,
                          int8_t *dst, int32_t dst_w, int32_t dst_y, int32_t dst_x,
                          int32_t rows, int32_t cols, int32_t channels)
{
  const size_t row_bytes = (size_t)cols * (size_t)channels;
  const int8_t *s = src + ((size_t)src_y * (size_t)src_w + (size_t)src_x) * (size_t)channels;
  int8_t *d = dst + ((size_t)dst_y * (size_t)dst_w + (size_t)dst_x) * (size_t)channels;
  int32_t r;
  for (r = 0; r < rows; ++r) {
    memcpy(d, s, row_bytes);
    s += (size_t)src_w * (size_t)channels;
    d += (size_t)dst_w * (size_t)channels;
  }
}
