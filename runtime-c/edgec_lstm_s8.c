/*
 * Integer LSTM, bit-exact with TFLite Micro's UNIDIRECTIONAL_SEQUENCE_LSTM
 * for int8 input / hidden state / output, int8 weights, int16 cell state and
 * int32 bias (see edgec_lstm.h for the step and the parameters).
 *
 * Rounding follows TFLM step by step, since every intermediate is saturated
 * to int16 there: the input and the recurrent fully connected layers are
 * requantized to Q3.12 separately (TFLM writes both to int16 buffers), then
 * added with saturation; each element-wise product is requantized with
 * TFLite's MultiplyByQuantizedMultiplier and clamped to its output type.
 * Batches are independent, so both layouts run batch by batch, each batch
 * keeping its own h and c, as TFLM's batch-major loop does (its time-major
 * loop computes the same values for all batches of a step at once).
 *
 * The int16 sigmoid and tanh are TFLite's reference integer routines
 * (integer_ops/logistic.h, tanh.h), shared with the 16x8 LOGISTIC / TANH
 * kernel: edgec_sigmoid_s16.h.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_dsp.h"
#include "edgec_sigmoid_s16.h"

#if !EDGEC_DSP
#include "edgec_dot.h"
#endif

#include <string.h>

enum { GATE_INPUT = 0, GATE_FORGET = 1, GATE_CELL = 2, GATE_OUTPUT = 3 };

/* Sigmoid of a Q3.12 value, Q0.15 result. TFLM calls it with input
 * multiplier 3 and no shift: the table spans |x| < 8 * 4/3 in steps of 2^9. */
static inline int16_t lstm_sigmoid_s16(int16_t x)
{
  return edgec_sigmoid_s16_at((int32_t)x * 3);
}

/* Tanh of an int16 value brought onto the table's scale by
 * (x * mult + round) >> shift; Q0.15 result. */
static inline int16_t lstm_tanh_s16(int16_t x, int32_t mult, int32_t shift)
{
  return edgec_tanh_s16_at(edgec_sigmoid_table_input(x, mult, shift));
}

/* acc[0..rows) += w[r] . (x + off) for the rows of w (stride n); four rows
 * share each input load (SXTB16/SMLAD with the Arm DSP extension). */
static void lstm_rows(const int8_t *x, const int8_t *w, int32_t n, int32_t off, int32_t rows, int32_t *acc)
{
  int32_t r = 0;
  if (rows == 4) {
#if EDGEC_DSP
    edgec_dot_4r1c(x, w, n, n, off, acc);
#else
    edgec_dot4_s8(x, w, n, off, acc);
#endif
    return;
  }
  for (; r < rows; r++) {
    const int8_t *wr = w + r * n;
#if EDGEC_DSP
    acc[r] = edgec_dot_1r1c(x, wr, n, off, acc[r]);
#else
    int32_t k;
    for (k = 0; k < n; k++) acc[r] += (int32_t)wr[k] * ((int32_t)x[k] + off);
#endif
  }
}

/* One gate for one batch row: sat16(sat16(W x + b) + sat16(R h)), then its
 * activation, into gate[hidden]; four hidden units at a time. */
static void lstm_gate(const edgec_lstm_params_t *p, int32_t g, const int8_t *x, const int8_t *h, const int8_t *w_in,
                      const int8_t *w_rec, const int32_t *bias, int32_t sigmoid, int16_t *gate)
{
  const int32_t n_in = p->input_size;
  const int32_t n_h = p->hidden;
  const int8_t *wi = w_in + (int32_t)g * n_h * n_in;
  const int8_t *wr = w_rec + (int32_t)g * n_h * n_h;
  const int32_t *b = bias + (int32_t)g * n_h;
  const int32_t h_offset = -p->hidden_zero_point;
  const int32_t in_mult = p->in_mult[g], in_shift = p->in_shift[g], rec_mult = p->rec_mult[g], rec_shift = p->rec_shift[g];
  int32_t j, r;
  for (j = 0; j < n_h; j += 4) {
    const int32_t rows = n_h - j < 4 ? n_h - j : 4;
    /* the bias copied element by element (GCC would call memcpy for a loop) */
    int32_t acc_in[4], acc_rec[4] = {0, 0, 0, 0};
    acc_in[0] = b[j];
    acc_in[1] = rows > 1 ? b[j + 1] : 0;
    acc_in[2] = rows > 2 ? b[j + 2] : 0;
    acc_in[3] = rows > 3 ? b[j + 3] : 0;
    lstm_rows(x, wi + j * n_in, n_in, p->input_offset, rows, acc_in);
    lstm_rows(h, wr + j * n_h, n_h, h_offset, rows, acc_rec);
    for (r = 0; r < rows; r++) {
      const int32_t from_input = edgec_sat_s16(edgec_requantize_ch(acc_in[r], in_mult, in_shift));
      const int32_t from_state = edgec_sat_s16(edgec_requantize_ch(acc_rec[r], rec_mult, rec_shift));
      const int16_t pre = edgec_sat_s16(from_input + from_state);
      /* TFLM's gate tanh: input scale 2^-12, i.e. multiplier 3 and no shift */
      gate[j + r] = sigmoid ? lstm_sigmoid_s16(pre) : lstm_tanh_s16(pre, 3, 0);
    }
  }
}

void edgec_lstm_s8(const edgec_lstm_params_t *p, const int8_t *input, const int8_t *w_in, const int8_t *w_rec,
                   const int32_t *bias, void *scratch, const int8_t *hidden_in, const int16_t *cell_in,
                   int8_t *hidden_out, int16_t *cell_out, int8_t *output)
{
  const int32_t n_b = p->batches;
  const int32_t n_h = p->hidden;
  int16_t *cell = (int16_t *)scratch;           /* [batches][hidden] */
  int16_t *forget_gate = cell + n_b * n_h;      /* then the output gate */
  int16_t *input_gate = forget_gate + n_h;
  int16_t *cell_gate = input_gate + n_h;
  int8_t *hidden = (int8_t *)(cell_gate + n_h); /* [batches][hidden] */
  int32_t b, s, j;
  const size_t state_count = (size_t)n_b * (size_t)n_h;
  if (cell_in != NULL) memcpy(cell, cell_in, state_count * sizeof(int16_t));
  else memset(cell, 0, state_count * sizeof(int16_t));
  if (hidden_in != NULL) memcpy(hidden, hidden_in, state_count);
  else memset(hidden, p->hidden_zero_point, state_count);
  for (b = 0; b < n_b; b++) {
    int16_t *c = cell + b * n_h;
    int8_t *h = hidden + b * n_h;
    for (s = 0; s < p->steps; s++) {
      const int32_t t = p->reverse ? p->steps - 1 - s : s;
      const int32_t row = p->time_major ? t * n_b + b : b * p->steps + t;
      const int8_t *x = input + row * p->input_size;
      lstm_gate(p, GATE_FORGET, x, h, w_in, w_rec, bias, 1, forget_gate);
      lstm_gate(p, GATE_INPUT, x, h, w_in, w_rec, bias, 1, input_gate);
      lstm_gate(p, GATE_CELL, x, h, w_in, w_rec, bias, p->cell_gate_sigmoid, cell_gate);
      {
        const int32_t f_mult = p->forget_mult, f_shift = p->forget_shift, u_mult = p->update_mult, u_shift = p->update_shift;
        const int32_t clip = p->cell_clip;
        for (j = 0; j < n_h; j++) {
          const int16_t kept = edgec_sat_s16(edgec_requantize_ch((int32_t)forget_gate[j] * c[j], f_mult, f_shift));
          const int16_t added = edgec_sat_s16(edgec_requantize_ch((int32_t)input_gate[j] * cell_gate[j], u_mult, u_shift));
          int16_t next = edgec_sat_s16((int32_t)kept + added);
          if (clip > 0) next = (int16_t)edgec_clamp_s32(next, -clip, clip);
          c[j] = next;
        }
      }
      /* the output gate still reads the previous h; h changes only below */
      lstm_gate(p, GATE_OUTPUT, x, h, w_in, w_rec, bias, 1, forget_gate);
      {
        /* in locals: the int8 stores to h may alias *p as far as C is concerned */
        const int32_t tanh_mult = p->tanh_cell_mult, tanh_shift = p->tanh_cell_shift;
        const int32_t h_mult = p->hidden_mult, h_shift = p->hidden_shift, h_zero = p->hidden_zero_point;
        for (j = 0; j < n_h; j++) {
          const int32_t squashed = lstm_tanh_s16(c[j], tanh_mult, tanh_shift);
          h[j] = edgec_sat_s8(edgec_requantize_ch(squashed * forget_gate[j], h_mult, h_shift) + h_zero);
        }
      }
      memcpy(output + row * n_h, h, (size_t)n_h);
    }
  }
  if (hidden_out != NULL) memcpy(hidden_out, hidden, state_count);
  if (cell_out != NULL) memcpy(cell_out, cell, state_count * sizeof(int16_t));
}
