/*
 * edgec_rnn_f32.h: what the float recurrent kernels (edgec_lstm_f32.c,
 * edgec_gru_f32.c) share: tanh and sigmoid in float32 without libm, a dot
 * product, and the element offsets of ONNX's sequence and state tensors in
 * either layout.
 *
 * tanh is the 13/6 rational approximation Eigen and onnxruntime's MLAS use
 * for float tanh (input clamped to [-9, 9], beyond which tanh is +-1 in
 * float32); sigmoid(x) = 0.5 + 0.5 tanh(x / 2). Both are within a few float
 * ulps of the exact functions (test/ops/recurrent-float.test.ts measures it),
 * so a model's quantized outputs match onnxruntime's float LSTM / GRU. No
 * expf: one division and a dozen multiply-adds, no library call, the same
 * cost on every core.
 */
#ifndef EDGEC_RNN_F32_H
#define EDGEC_RNN_F32_H

#include <stddef.h>
#include "edgec_kernels.h"

static inline float edgec_tanh_f32(float a)
{
  const float x = a > 9.0f ? 9.0f : (a < -9.0f ? -9.0f : a);
  const float x2 = x * x;
  float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
  float q;
  p = x2 * p + -8.60467152213735e-11f;
  p = x2 * p + 5.12229709037114e-08f;
  p = x2 * p + 1.48572235717979e-05f;
  p = x2 * p + 6.37261928875436e-04f;
  p = x2 * p + 4.89352455891786e-03f;
  p = x * p;
  q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
  q = x2 * q + 2.26843463243900e-03f;
  q = x2 * q + 4.89352518554385e-03f;
  return p / q;
}

static inline float edgec_sigmoid_f32(float x)
{
  return 0.5f + 0.5f * edgec_tanh_f32(0.5f * x);
}

/* The activations an ONNX LSTM / GRU may name (ops/recurrent-float.ts
 * recurrentActivations): Keras' defaults, activation='relu',
 * recurrent_activation='hard_sigmoid' (alpha 0.2, beta 0.5), LeakyRelu. */
enum { EDGEC_RNN_SIGMOID = 0, EDGEC_RNN_TANH = 1, EDGEC_RNN_RELU = 2, EDGEC_RNN_HARD_SIGMOID = 3, EDGEC_RNN_LEAKY_RELU = 4 };

/* v[0..n) = activation `slot` (0 f, 1 g, 2 h) of v, as onnxruntime computes
 * it. The kind is chosen once per row, outside the element loop: a switch
 * per element let GCC version the kernels' loops per activation (36 KB of
 * Cortex-M4 code for edgec_lstm_f32 instead of 3 KB). */
static inline void edgec_rnn_act_f32(const edgec_rnn_f32_params_t *p, int32_t slot, float *v, int32_t n)
{
  const float alpha = p->act_alpha[slot], beta = p->act_beta[slot];
  int32_t j;
  switch (p->act[slot]) {
    case EDGEC_RNN_SIGMOID: for (j = 0; j < n; ++j) v[j] = edgec_sigmoid_f32(v[j]); break;
    case EDGEC_RNN_TANH: for (j = 0; j < n; ++j) v[j] = edgec_tanh_f32(v[j]); break;
    case EDGEC_RNN_RELU: for (j = 0; j < n; ++j) v[j] = v[j] > 0.0f ? v[j] : 0.0f; break;
    case EDGEC_RNN_HARD_SIGMOID:
      for (j = 0; j < n; ++j) {
        const float y = alpha * v[j] + beta;
        v[j] = y < 0.0f ? 0.0f : (y > 1.0f ? 1.0f : y);
      }
      break;
    default: for (j = 0; j < n; ++j) v[j] = v[j] >= 0.0f ? v[j] : alpha * v[j]; break;
  }
}

/* Dot product of n floats in four interleaved partial sums (a fixed order,
 * the same on every target: no contraction into fused multiply-adds under
 * -std=c99): four independent multiply-add chains instead of one, about a
 * third fewer instructions per element on a Cortex-M4F, and the FPU's
 * latency hidden. */
static inline float edgec_dot_f32(const float *a, const float *b, int32_t n)
{
  float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
  int32_t k = 0;
  for (; k + 4 <= n; k += 4) {
    s0 += a[k] * b[k];
    s1 += a[k + 1] * b[k + 1];
    s2 += a[k + 2] * b[k + 2];
    s3 += a[k + 3] * b[k + 3];
  }
  for (; k < n; ++k) s0 += a[k] * b[k];
  return (s0 + s1) + (s2 + s3);
}

/* Element offset of [step t, direction d, batch b] (each a row of `width`
 * floats, `dirs` directions) in a sequence tensor: X (dirs 1) or Y. */
static inline size_t edgec_rnn_seq_at(const edgec_rnn_f32_params_t *p, int32_t t, int32_t d, int32_t b, int32_t dirs, int32_t width)
{
  return p->batch_major ? (((size_t)b * p->seq_len + t) * dirs + d) * width
                        : (((size_t)t * dirs + d) * p->batch + b) * width;
}

/* Element offset of [direction d, batch b] in a state tensor (initial_h / initial_c, Y_h, Y_c). */
static inline size_t edgec_rnn_state_at(const edgec_rnn_f32_params_t *p, int32_t d, int32_t b)
{
  return p->batch_major ? ((size_t)b * p->directions + d) * p->hidden_size : ((size_t)d * p->batch + b) * p->hidden_size;
}

#endif /* EDGEC_RNN_F32_H */
