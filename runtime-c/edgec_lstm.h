/*
 * Integer LSTM (TFLite UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations and
 * weights, int16 cell state, int32 bias), bit-exact with TFLite Micro's
 * integer LSTM kernel. Gate order everywhere: input, forget, cell, output.
 *
 * Per step, each gate = act(sat16(FC(x) in Q3.12) + sat16(FC(h) in Q3.12)),
 * act the int16 sigmoid (Q3.12 -> Q0.15) or tanh; then
 *   c = clip(sat16(f * c) + sat16(i * g))        (c in 2^cell_scale_power)
 *   h = o * tanh(c)                               (int8, the hidden state's quantization)
 * h is copied to the output at each step. All multipliers are computed at
 * compile time (compiler/ops/lstm.ts). With `reverse` the steps run from the
 * last to the first and step t's h is still written at row t (ONNX's reverse
 * LSTM direction; TFLM has no such flag, its kernel is reverse = 0).
 */
#ifndef EDGEC_LSTM_H
#define EDGEC_LSTM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t batches, steps, input_size, hidden;
  int32_t time_major;               /* 1: input [steps][batches][input], else [batches][steps][input] */
  int32_t input_offset;             /* -input zero point */
  int32_t hidden_zero_point;        /* h's zero point: its initial value (0.0) and the output's */
  int32_t in_mult[4], in_shift[4];  /* input FC accumulator -> Q3.12, per gate */
  int32_t rec_mult[4], rec_shift[4];/* recurrent FC accumulator -> Q3.12, per gate */
  int32_t cell_gate_sigmoid;        /* cell gate activation: 1 sigmoid, 0 tanh */
  int32_t forget_mult, forget_shift;/* f (Q0.15) * c -> c */
  int32_t update_mult, update_shift;/* i (Q0.15) * g (Q0.15) -> c */
  int32_t hidden_mult, hidden_shift;/* o (Q0.15) * tanh(c) (Q0.15) -> h */
  int32_t cell_clip;                /* |c| bound in c's units; 0: no clipping */
  int32_t tanh_cell_mult, tanh_cell_shift; /* c onto the tanh table's input scale */
  int32_t reverse;                  /* 1: steps run last to first (an ONNX reverse direction); TFLM: 0 */
} edgec_lstm_params_t;

/* Scratch bytes edgec_lstm_s8 needs: cell state, three gate rows, hidden state. */
#define EDGEC_LSTM_SCRATCH_BYTES(batches, hidden) \
  ((int32_t)(2 * (batches) * (hidden) + 2 * 3 * (hidden) + (batches) * (hidden)))

/* w_in [4][hidden][input_size], w_rec [4][hidden][hidden], bias [4][hidden];
 * output [batches][steps][hidden] (time_major: [steps][batches][hidden]).
 * scratch: EDGEC_LSTM_SCRATCH_BYTES, 2-byte aligned.
 * hidden_in [batches][hidden] / cell_in [batches][hidden]: the state the call
 * starts from, or NULL to start from zero (h at its zero point), as TFLM
 * after a reset. hidden_out / cell_out: where the final state is written
 * (NULL: dropped). A --stateful build passes both, so the state carries
 * over to the next invoke as TFLM's variable tensors do. */
void edgec_lstm_s8(const edgec_lstm_params_t *p, const int8_t *input, const int8_t *w_in, const int8_t *w_rec,
                   const int32_t *bias, void *scratch, const int8_t *hidden_in, const int16_t *cell_in,
                   int8_t *hidden_out, int16_t *cell_out, int8_t *output);

#ifdef __cplusplus
}
#endif

#endif /* EDGEC_LSTM_H */
