/*
 * edgec_sigmoid_s16.h: TFLite Micro's int16 sigmoid and tanh on one value
 * already on the table's scale (v: 2^9 steps per table segment for the
 * sigmoid, 2^8 for tanh; |v| < 2^17 stands for |x| < 32/3), interpolating
 * linearly in one 256-entry table of sigmoid(i / 24) in unsigned Q0.16 and
 * restoring the sign by symmetry (sigmoid(-x) = 1 - sigmoid(x),
 * tanh(x) = 2 sigmoid(2x) - 1). Q0.15 results, every rounding the reference
 * kernel's. Used by edgec_logistic_s16.c (LOGISTIC / TANH 16x8) and
 * edgec_lstm_s8.c (the integer LSTM's gates and cell tanh).
 *
 * The table's values are TFLite's published ones: they are not round(2^16
 * sigmoid(i/24)) (44 entries differ by one, tuned for the interpolation), and
 * bit-exactness with TFLite Micro needs these.
 */
#ifndef EDGEC_SIGMOID_S16_H
#define EDGEC_SIGMOID_S16_H

#include <stdint.h>

/* sigmoid(i / 24) * 2^16 (saturated at 65535), i = 0..255: TFLite's published table values. */
static const uint16_t edgec_sigmoid_q16[256] = {
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

/* floor(x / 2^n) for n in [0, 31], without relying on >> of a negative value. */
static inline int32_t edgec_floor_shift_s32(int32_t x, int32_t n)
{
  return x >= 0 ? x >> n : -(int32_t)((~(uint32_t)x) >> n) - 1;
}

/* An int16 input on the table's scale: round(x * mult / 2^shift), half up. */
static inline int32_t edgec_sigmoid_table_input(int16_t x, int32_t mult, int32_t shift)
{
  const int32_t round = shift > 0 ? (int32_t)1 << (shift - 1) : 0;
  return edgec_floor_shift_s32((int32_t)x * mult + round, shift);
}

/* sigmoid of v on the table's scale, Q0.15. */
static inline int16_t edgec_sigmoid_s16_at(int32_t v)
{
  const uint32_t a = (uint32_t)(v < 0 ? -v : v);
  const uint32_t seg = a >> 9; /* 512 input steps per table segment */
  uint32_t r;
  if (seg >= 255u) {
    r = (uint32_t)0x7FFF << 10;
  } else {
    const uint32_t lo = edgec_sigmoid_q16[seg], hi = edgec_sigmoid_q16[seg + 1u];
    r = (lo << 9) + (a & 0x1FFu) * (hi - lo); /* Q0.25; hi >= lo, wraps like the reference otherwise */
  }
  r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
  return (int16_t)(r >> 10);
}

/* tanh of v on the table's scale (the sigmoid's table read at twice the rate), Q0.15. */
static inline int16_t edgec_tanh_s16_at(int32_t v)
{
  const uint32_t a = (uint32_t)(v < 0 ? -v : v);
  const uint32_t seg = a >> 8;
  int32_t r;
  if (seg >= 255u) {
    r = (int32_t)((uint32_t)0xFFFF << 8);
  } else {
    const uint32_t lo = edgec_sigmoid_q16[seg], hi = edgec_sigmoid_q16[seg + 1u];
    r = (int32_t)((lo << 8) + (a & 0xFFu) * (hi - lo));
  }
  r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
  return (int16_t)edgec_floor_shift_s32(r, 8);
}

#endif /* EDGEC_SIGMOID_S16_H */
