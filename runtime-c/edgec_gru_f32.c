/*
 * edgec_gru_f32: ONNX GRU in float32 (a recurrent layer kept float inside an
 * int8 model, see edgec_lstm_f32.c). Activations f (gates) and g (candidate)
 * from the parameters (defaults sigmoid, tanh), no clip, linear_before_reset 0 or 1.
 *
 *  x, h0, y, y_h  as edgec_lstm_f32 (layout 0 or 1; h0, y, y_h may be NULL)
 *  weights  [directions][3 * hidden][input_size + hidden]: row r of gate g
 *           (ONNX order z, r, h) is W[g*H + r] followed by R[g*H + r]
 *  bias     [directions][4 * hidden]: Wbz + Rbz, Wbr + Rbr, Wbh, Rbh
 *  scratch  input_size + 5 * hidden floats
 *
 *  z = f(Wz x + Rz h + bz), r = f(Wr x + Rr h + br),
 *  linear_before_reset 0: h' = g(Wh x + Rh (r * h) + Rbh + Wbh)
 *  linear_before_reset 1: h' = g(Wh x + Wbh + r * (Rh h + Rbh))
 *  h = (1 - z) * h' + z * h.
 * Outputs must not alias inputs.
 */
#include "edgec_kernels.h"
#include "edgec_rnn_f32.h"

void edgec_gru_f32(const edgec_rnn_f32_params_t *p, int32_t linear_before_reset, const float *x, const float *weights,
                   const float *bias, const float *h0, float *y, float *y_h, float *scratch)
{
  const int32_t n_in = p->input_size, n_h = p->hidden_size, row = n_in + n_h;
  float *xh = scratch;              /* [x | h]: the z and r rows' operand */
  float *h = scratch + n_in;
  float *gates = h + n_h;           /* z, r */
  float *rh = gates + 2 * n_h;      /* r * h (linear_before_reset 0) */
  float *cand = rh + n_h;           /* h' */
  int32_t d, b, s, g, j, k;
  for (d = 0; d < p->directions; ++d) {
    const int reverse = (d == 1) || p->reverse_first;
    const float *w_dir = weights + (size_t)d * 3 * n_h * row;
    const float *b_dir = bias + (size_t)d * 4 * n_h;
    for (b = 0; b < p->batch; ++b) {
      const size_t state = edgec_rnn_state_at(p, d, b);
      for (j = 0; j < n_h; ++j) h[j] = h0 ? h0[state + j] : 0.0f;
      for (s = 0; s < p->seq_len; ++s) {
        const int32_t t = reverse ? p->seq_len - 1 - s : s;
        const float *xt = x + edgec_rnn_seq_at(p, t, 0, b, 1, n_in);
        for (k = 0; k < n_in; ++k) xh[k] = xt[k];
        for (g = 0; g < 2 * n_h; ++g) gates[g] = b_dir[g] + edgec_dot_f32(w_dir + (size_t)g * row, xh, row);
        edgec_rnn_act_f32(p, 0, gates, 2 * n_h);   /* z, r */
        if (!linear_before_reset) for (k = 0; k < n_h; ++k) rh[k] = gates[n_h + k] * h[k];
        for (j = 0; j < n_h; ++j) {
          const float *w = w_dir + (size_t)(2 * n_h + j) * row;
          const float *operand = linear_before_reset ? h : rh;
          const float wx = b_dir[2 * n_h + j] + edgec_dot_f32(w, xh, n_in);
          const float rec = b_dir[3 * n_h + j] + edgec_dot_f32(w + n_in, operand, n_h);
          cand[j] = linear_before_reset ? wx + gates[n_h + j] * rec : wx + rec;
        }
        edgec_rnn_act_f32(p, 1, cand, n_h);
        for (j = 0; j < n_h; ++j) h[j] = (1.0f - gates[j]) * cand[j] + gates[j] * h[j];
        if (y) {
          float *yt = y + edgec_rnn_seq_at(p, t, d, b, p->directions, n_h);
          for (j = 0; j < n_h; ++j) yt[j] = h[j];
        }
      }
      if (y_h) for (j = 0; j < n_h; ++j) y_h[state + j] = h[j];
    }
  }
}
