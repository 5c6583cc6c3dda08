/*
 * edgec_transpose_conv_s8: int8 transposed convolution, TFLite Micro
 * TRANSPOSE_CONV int8 arithmetic (reference_integer_ops::TransposeConv):
 * int32 sums of (x + input_offset) * w over every input pixel and tap that
 * reaches an output pixel, + bias, per-channel requantize, + output_offset,
 * clamp to [act_min, act_max].
 *
 * TFLM scatters each input pixel into an int32 scratch image; this kernel
 * gathers instead: output (oy, ox) receives input (iy, ix) through tap
 * (ky, kx) when oy = iy * stride_h - pad_top + ky * dil_h (same along x).
 * The int32 sum is the same set of exact integer products, so the result is
 * identical, without the out_h * out_w * out_c int32 scratch.
 *
 * Layouts: input NHWC [batches, in_h, in_w, in_c], filter OHWI
 * [out_c, k_h, k_w, in_c], output NHWC [batches, out_h, out_w, out_c]; bias,
 * mult, shift per output channel. Groups: 1. Output must not overlap input.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

/* First tap k >= 0 with (o + pad - k * dil) a multiple of stride, or -1; the input index is (o + pad - k * dil) / stride. */
static int32_t tap_in_range(int32_t o_plus_pad, int32_t k, int32_t stride, int32_t dil, int32_t in_size)
{
  const int32_t t = o_plus_pad - k * dil;
  if (t < 0 || t % stride != 0) return -1;
  return t / stride < in_size ? t / stride : -1;
}

void edgec_transpose_conv_s8(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                             const int32_t *bias, const int32_t *mult, const int32_t *shift, int8_t *output)
{
  int32_t b, oy, ox, ky, kx, oc, ic;
  for (b = 0; b < p->batches; ++b) {
    const int8_t *in_b = input + b * p->in_h * p->in_w * p->in_c;
    for (oy = 0; oy < p->out_h; ++oy) {
      for (ox = 0; ox < p->out_w; ++ox) {
        int8_t *out = output + ((b * p->out_h + oy) * p->out_w + ox) * p->out_c;
        for (oc = 0; oc < p->out_c; ++oc) {
          int32_t acc = bias ? bias[oc] : 0;
          for (ky = 0; ky < p->k_h; ++ky) {
            const int32_t iy = tap_in_range(oy + p->pad_top, ky, p->stride_h, p->dil_h, p->in_h);
            if (iy < 0) continue;
            for (kx = 0; kx < p->k_w; ++kx) {
              const int32_t ix = tap_in_range(ox + p->pad_left, kx, p->stride_w, p->dil_w, p->in_w);
              const int8_t *x;
              const int8_t *w;
              if (ix < 0) continue;
              x = in_b + (iy * p->in_w + ix) * p->in_c;
              w = filter + ((oc * p->k_h + ky) * p->k_w + kx) * p->in_c;
              for (ic = 0; ic < p->in_c; ++ic) acc += (x[ic] + p->input_offset) * w[ic];
            }
          }
          out[oc] = (int8_t)edgec_out_s8(acc, mult[oc], shift[oc], p->output_offset, p->act_min, p->act_max);
        }
      }
    }
  }
}
