/*
 * edgec_lstm_f32: ONNX LSTM in float32 (a recurrent layer kept float inside an
 * int8 model: onnxruntime's quantize_static leaves LSTM float between a
 * DequantizeLinear and a QuantizeLinear). Activations f, g, h from the
 * parameters (defaults sigmoid, tanh, tanh), no peepholes, no clip,
 * input_forget 0.
 *
 *  x        layout 0: [seq_len, batch, input_size]; layout 1: [batch, seq_len, input_size]
 *  weights  [directions][4 * hidden][input_size + hidden]: row r of gate g
 *           (ONNX order i, o, f, c) is W[g*H + r] followed by R[g*H + r]
 *  bias     [directions][4 * hidden]: Wb + Rb
 *  h0, c0   layout 0: [directions, batch, hidden]; layout 1: [batch, directions, hidden]; NULL: zeros
 *  y        layout 0: [seq_len, directions, batch, hidden]; layout 1: [batch, seq_len, directions, hidden]; or NULL
 *  y_h, y_c the last hidden / cell state, laid out as h0; or NULL
 *  scratch  input_size + 6 * hidden floats
 *
 *  it = f(Wi x + Ri h + bi), ft = f(Wf x + Rf h + bf),
 *  ct' = g(Wc x + Rc h + bc), ot = f(Wo x + Ro h + bo),
 *  c = ft * c + it * ct', h = ot * h(c).
 * Direction 1 of a bidirectional layer (and direction 0 when reverse_first)
 * runs from the last step to the first. Outputs must not alias inputs.
 */
#include "edgec_kernels.h"
#include "edgec_rnn_f32.h"

void edgec_lstm_f32(const edgec_rnn_f32_params_t *p, const float *x, const float *weights, const float *bias,
                    const float *h0, const float *c0, float *y, float *y_h, float *y_c, float *scratch)
{
  const int32_t n_in = p->input_size, n_h = p->hidden_size, row = n_in + n_h;
  float *xh = scratch;              /* [x | h]: the rows' operand */
  float *h = scratch + n_in;
  float *c = h + n_h;
  float *gates = c + n_h;           /* [4 * hidden] */
  int32_t d, b, s, g, j, k;
  for (d = 0; d < p->directions; ++d) {
    const int reverse = (d == 1) || p->reverse_first;
    const float *w_dir = weights + (size_t)d * 4 * n_h * row;
    const float *b_dir = bias + (size_t)d * 4 * n_h;
    for (b = 0; b < p->batch; ++b) {
      const size_t state = edgec_rnn_state_at(p, d, b);
      for (j = 0; j < n_h; ++j) {
        h[j] = h0 ? h0[state + j] : 0.0f;
        c[j] = c0 ? c0[state + j] : 0.0f;
      }
      for (s = 0; s < p->seq_len; ++s) {
        const int32_t t = reverse ? p->seq_len - 1 - s : s;
        const float *xt = x + edgec_rnn_seq_at(p, t, 0, b, 1, n_in);
        for (k = 0; k < n_in; ++k) xh[k] = xt[k];
        for (g = 0; g < 4 * n_h; ++g) {
          gates[g] = b_dir[g] + edgec_dot_f32(w_dir + (size_t)g * row, xh, row);
        }
        edgec_rnn_act_f32(p, 0, gates, 3 * n_h);           /* i, o, f */
        edgec_rnn_act_f32(p, 1, gates + 3 * n_h, n_h);     /* the candidate */
        for (j = 0; j < n_h; ++j) {
          c[j] = gates[2 * n_h + j] * c[j] + gates[j] * gates[3 * n_h + j];
          gates[3 * n_h + j] = c[j];                       /* h(c) computed in place of the spent candidate */
        }
        edgec_rnn_act_f32(p, 2, gates + 3 * n_h, n_h);
        for (j = 0; j < n_h; ++j) h[j] = gates[n_h + j] * gates[3 * n_h + j];
        if (y) {
          float *yt = y + edgec_rnn_seq_at(p, t, d, b, p->directions, n_h);
          for (j = 0; j < n_h; ++j) yt[j] = h[j];
        }
      }
      for (j = 0; j < n_h; ++j) {
        if (y_h) y_h[state + j] = h[j];
        if (y_c) y_c[state + j] = c[j];
      }
    }
  }
}
