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
 * (integer_ops/logistic.h, tanh.h): a 256-entry table of sigmoid(i / 24),
 * read with linear interpolation. They are static here, named
 * lstm_sigmoid_s16 / lstm_tanh_s16, until edgec has shared int16 LUT kernels.
 */
#include "edgec_kernels.h"
#include "edgec_fixedpoint.h"
#include "edgec_dsp.h"

#if !EDGEC_DSP
#include "edgec_dot.h"
#endif

#include <string.h>

/* sigmoid(i / 24) in 0.16 fixed point (65535 at the top): TFLite's table values. */
static const uint16_t lstm_sigmoid_table[256] = {
  32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
  40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
  47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
  53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
  57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
  60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
  62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
  63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
  64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
  64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
  65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
  65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
  65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
  65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
  65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
  65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
  65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
  65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
  65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
  65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
  65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
  65534, 65534, 65534, 65535
};

enum { GATE_INPUT = 0, GATE_FORGET = 1, GATE_CELL = 2, GATE_OUTPUT = 3 };

/* Sigmoid of a Q3.12 value, Q0.15 result. TFLM calls it with input
 * multiplier 3 and no shift: the table spans |x| < 8 * 4/3 in steps of 2^9. */
static inline int16_t lstm_sigmoid_s16(int16_t x)
{
  const int32_t v = (int32_t)x * 3;
  const uint32_t a = (uint32_t)(v < 0 ? -v : v);
  const uint32_t seg = a >> 9;
  uint32_t r;
  if (seg >= 255u) {
    r = 0x7FFFu << 10;
  } else {
    const uint32_t lo = lstm_sigmoid_table[seg];
    const uint32_t hi = lstm_sigmoid_table[seg + 1u];
    r = (lo << 9) + (a & 0x1FFu) * (hi - lo);
  }
  /* sigmoid(-x) = 1 - sigmoid(x); the +2^9 / -1 terms are TFLM's rounding */
  r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
  return (int16_t)(r >> 10);
}

/* Tanh of an int16 value brought onto the table's scale by
 * (x * mult + round) >> shift; Q0.15 result. tanh(x) = 2 sigmoid(2x) - 1, so
 * the table is read at twice the rate (segments of 2^8). */
static inline int16_t lstm_tanh_s16(int16_t x, int32_t mult, int32_t shift)
{
  const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
  const int32_t v = ((int32_t)x * mult + round) >> shift;
  const uint32_t a = (uint32_t)(v < 0 ? -v : v);
  const uint32_t seg = a >> 8;
  int32_t r;
  if (seg >= 255u) {
    r = (int32_t)(0xFFFFu << 8);
  } else {
    const uint32_t lo = lstm_sigmoid_table[seg];
    const uint32_t hi = lstm_sigmoid_table[seg + 1u];
    r = (int32_t)((lo << 8) + (a & 0xFFu) * (hi - lo));
  }
  r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
  return (int16_t)(r >> 8);
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
                   const int32_t *bias, void *scratch, int8_t *output)
{
  const int32_t n_b = p->batches;
  const int32_t n_h = p->hidden;
  int16_t *cell = (int16_t *)scratch;           /* [batches][hidden] */
  int16_t *forget_gate = cell + n_b * n_h;      /* then the output gate */
  int16_t *input_gate = forget_gate + n_h;
  int16_t *cell_gate = input_gate + n_h;
  int8_t *hidden = (int8_t *)(cell_gate + n_h); /* [batches][hidden] */
  int32_t b, t, j;
  memset(cell, 0, (size_t)n_b * (size_t)n_h * sizeof(int16_t));
  memset(hidden, p->hidden_zero_point, (size_t)n_b * (size_t)n_h);
  for (b = 0; b < n_b; b++) {
    int16_t *c = cell + b * n_h;
    int8_t *h = hidden + b * n_h;
    for (t = 0; t < p->steps; t++) {
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
}
