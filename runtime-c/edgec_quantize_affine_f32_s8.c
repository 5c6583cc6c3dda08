/*
 * edgec_quantize_affine_f32_s8: a float input's in-model normalisation, then
 * ONNX QuantizeLinear, in one pass (passes/fold-input-affine.ts).
 *
 * input:     float [outer][channels][inner] (the axis the constants vary
 *            along has `channels` entries, `inner` elements apart; 1 and 1
 *            when every constant is a scalar)
 * steps:     n_steps codes: 0 add (x + c), 1 sub (x - c), 2 rsub (c - x),
 *            3 mul (x * c), 4 div (x / c), 5 rdiv (c / x)
 * constants: float [n_steps][channels]
 * output:    saturate(round_half_even(v / scale) + zero_point), as
 *            edgec_quantize_f32_s8.
 * Each step is one float32 operation stored to a float, in the model's
 * order: what onnxruntime computes for the float Sub / Div / Mul / Add
 * nodes in front of its QuantizeLinear.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"

static float edgec_affine_step(int8_t step, float v, float c)
{
  switch (step) {
    case 0: return v + c;
    case 1: return v - c;
    case 2: return c - v;
    case 3: return v * c;
    case 4: return v / c;
    default: return c / v;
  }
}

void edgec_quantize_affine_f32_s8(const float *input, int32_t outer, int32_t channels, int32_t inner, int32_t n_steps,
                                  const int8_t *steps, const float *constants, float scale, int32_t zero_point, int8_t *output)
{
  int32_t o, c, k, s;
  for (o = 0; o < outer; ++o) {
    for (c = 0; c < channels; ++c) {
      for (k = 0; k < inner; ++k) {
        float v = *input++;
        for (s = 0; s < n_steps; ++s) v = edgec_affine_step(steps[s], v, constants[s * channels + c]);
        *output++ = edgec_quantize_value_f32(v, scale, zero_point);
      }
    }
  }
}
