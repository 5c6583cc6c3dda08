/*
 * Native tests for runtime-c: every kernel against a deliberately naive
 * reference written from the TFLite Micro reference-kernel semantics
 * (obvious loops, gemmlowp arithmetic transcribed literally), on many
 * randomized shapes, plus fixed known values for the fixed-point helpers.
 *
 * Build: cc -std=c99 -Wall -Wextra -Werror -pedantic -I runtime-c \
 *          test/runtime-c/kernels_test.c runtime-c/edgec_*.c -lm
 * Exit status 0 iff every check passes; prints a summary line per kernel.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgec.h"
#include "edgec_fixedpoint.h"
#include "edgec_kernels.h"

static int g_failures = 0;
static long g_checks = 0;

#define CHECK(cond, ...)                                   \
  do {                                                     \
    g_checks++;                                            \
    if (!(cond)) {                                         \
      if (g_failures < 50) {                               \
        printf("FAIL %s:%d: ", __FILE__, __LINE__);        \
        printf(__VA_ARGS__);                               \
        printf("\n");                                      \
      }                                                    \
      g_failures++;                                        \
    }                                                      \
  } while (0)

/* ---- deterministic PRNG -------------------------------------------------- */
static uint32_t g_rng = 0x12345678u;
static uint32_t rnd(void)
{
  /* xorshift32 */
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return g_rng;
}
/* uniform in [lo, hi] */
static int32_t rr(int32_t lo, int32_t hi) { return lo + (int32_t)(rnd() % (uint32_t)(hi - lo + 1)); }
static void fill_s8(int8_t *p, int32_t n, int32_t lo, int32_t hi)
{
  int32_t i;
  for (i = 0; i < n; ++i) p[i] = (int8_t)rr(lo, hi);
}

/* ---- reference fixed point (gemmlowp / TFLite, transcribed literally) ---- */
static int32_t ref_srdhm(int32_t a, int32_t b)
{
  const int overflow = a == b && a == INT32_MIN;
  const int64_t ab_64 = (int64_t)a * (int64_t)b;
  const int32_t nudge = ab_64 >= 0 ? (1 << 30) : (1 - (1 << 30));
  const int32_t ab_x2_high32 = (int32_t)((ab_64 + nudge) / ((int64_t)1 << 31));
  return overflow ? INT32_MAX : ab_x2_high32;
}

/* Round half away from zero of x / 2^e, computed on magnitudes in 64 bits. */
static int32_t ref_rdbpot(int32_t x, int e)
{
  const int64_t half = e > 0 ? ((int64_t)1 << (e - 1)) : 0;
  const int64_t v = x;
  if (v >= 0) return (int32_t)((v + half) / ((int64_t)1 << e));
  return (int32_t)(-((-v + half) / ((int64_t)1 << e)));
}

static int32_t ref_mbqm(int32_t x, int32_t m, int shift)
{
  const int left = shift > 0 ? shift : 0;
  const int right = shift > 0 ? 0 : -shift;
  /* x * (1 << left) in int32 (two's complement wrap like the reference on every target) */
  const int32_t shifted = (int32_t)(uint32_t)((uint64_t)(int64_t)x << left);
  return ref_rdbpot(ref_srdhm(shifted, m), right);
}

static int32_t ref_clamp(int32_t x, int32_t lo, int32_t hi)
{
  if (x < lo) return lo;
  if (x > hi) return hi;
  return x;
}

/* gemmlowp SaturatingRoundingMultiplyByPOT<+e> */
static int32_t ref_sat_pot(int32_t x, int e)
{
  const int32_t threshold = (int32_t)((1ll << (31 - e)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((int64_t)x * ((int64_t)1 << e));
}

/* gemmlowp exp_on_interval_between_negative_one_quarter_and_0_excl (F0 = Q0.31) */
static int32_t ref_exp_quarter(int32_t a)
{
  const int32_t constant_term = 1895147668;
  const int32_t constant_1_over_3 = 715827883;
  int32_t x = a + (1 << 28); /* F::ConstantPOT<-3>() */
  int32_t x2 = ref_srdhm(x, x);
  int32_t x3 = ref_srdhm(x2, x);
  int32_t x4 = ref_srdhm(x2, x2);
  int32_t x4_over_4 = ref_rdbpot(x4, 2);
  int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 = ref_rdbpot(ref_srdhm(x4_over_4 + x3, constant_1_over_3) + x2, 1);
  return constant_term + ref_srdhm(constant_term, x + x4_over_24_plus_x3_over_6_plus_x2_over_2);
}

/* gemmlowp exp_on_negative_values for FixedPoint<int32, 5> */
static int32_t ref_exp_neg(int32_t a)
{
  const int kIntegerBits = 5, kFractionalBits = 26;
  const int32_t kOneQuarter = 1 << (kFractionalBits - 2);
  const int32_t mask = kOneQuarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - kOneQuarter;
  int32_t result = ref_exp_quarter(ref_sat_pot(a_mod_quarter_minus_one_quarter, kIntegerBits)); /* Rescale<0> */
  const int32_t remainder = a_mod_quarter_minus_one_quarter - a;
  const int32_t mults[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  int exponent;
  for (exponent = -2; exponent <= 4; ++exponent) {
    if (kIntegerBits > exponent) {
      const int shift_amount = kFractionalBits + exponent;
      if (remainder & (1 << shift_amount)) result = ref_srdhm(result, mults[exponent + 2]);
    }
  }
  if (a == 0) result = INT32_MAX; /* ResultF::One() */
  return result;
}

static int32_t ref_one_over_one_plus_x(int32_t a)
{
  /* RoundingHalfSum(a, F0::One()) */
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t c48_17 = 1515870810, cm32_17 = -1010580540;
  int32_t x = c48_17 + ref_srdhm(half_denominator, cm32_17); /* F2 */
  int i;
  for (i = 0; i < 3; i++) {
    int32_t half_denominator_times_x = ref_srdhm(half_denominator, x); /* F2 */
    int32_t one_minus = (1 << 29) - half_denominator_times_x;          /* F2::One() - ... */
    x = x + ref_sat_pot(ref_srdhm(x, one_minus), 2);                   /* Rescale<2>(F4) */
  }
  return ref_sat_pot(x, 1); /* Rescale<0>(ExactMulByPot<-1>(x)) */
}

static int ref_clz(uint32_t x)
{
  int n = 0;
  if (x == 0) return 32;
  while (!(x & 0x80000000u)) {
    x <<= 1;
    n++;
  }
  return n;
}

/* TFLite reference_ops::Softmax<int8_t, int8_t> */
static void ref_softmax(const int8_t *in, int rows, int depth, int32_t mult, int32_t left_shift, int32_t diff_min,
                        int8_t *out)
{
  int i, c;
  for (i = 0; i < rows; ++i) {
    int8_t max_in_row = -128;
    int32_t sum_of_exps = 0;
    int headroom_plus_one, num_bits_over_unit;
    int32_t shifted_sum_minus_one, shifted_scale;
    for (c = 0; c < depth; ++c)
      if (in[i * depth + c] > max_in_row) max_in_row = in[i * depth + c];
    for (c = 0; c < depth; ++c) {
      int32_t input_diff = (int32_t)in[i * depth + c] - max_in_row;
      if (input_diff >= diff_min) {
        const int32_t rescaled = ref_srdhm(input_diff * (1 << left_shift), mult);
        sum_of_exps = sum_of_exps + ref_rdbpot(ref_exp_neg(rescaled), 12); /* Rescale<12> */
      }
    }
    headroom_plus_one = ref_clz((uint32_t)sum_of_exps);
    num_bits_over_unit = 12 - headroom_plus_one;
    shifted_sum_minus_one = (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - ((uint32_t)1 << 31));
    shifted_scale = ref_one_over_one_plus_x(shifted_sum_minus_one);
    for (c = 0; c < depth; ++c) {
      int32_t input_diff = (int32_t)in[i * depth + c] - max_in_row;
      if (input_diff >= diff_min) {
        const int32_t rescaled = ref_srdhm(input_diff * (1 << left_shift), mult);
        const int32_t exp_in_0 = ref_exp_neg(rescaled);
        const int32_t unsat = ref_rdbpot(ref_srdhm(shifted_scale, exp_in_0), num_bits_over_unit + 31 - 8);
        out[i * depth + c] = (int8_t)ref_clamp(unsat - 128, -128, 127);
      } else {
        out[i * depth + c] = -128;
      }
    }
  }
}

/* QuantizeMultiplier (quantization.md): real -> (m, shift), positive = left. */
static void quantize_multiplier(double real, int32_t *m, int32_t *shift)
{
  int e;
  double q;
  int64_t qf;
  if (real == 0.0) {
    *m = 0;
    *shift = 0;
    return;
  }
  q = frexp(real, &e);
  qf = (int64_t)floor(fabs(q) * 2147483648.0 + 0.5);
  if (q < 0) qf = -qf;
  if (qf == ((int64_t)1 << 31)) {
    qf /= 2;
    e++;
  }
  if (e < -31) {
    e = 0;
    qf = 0;
  }
  *m = (int32_t)qf;
  *shift = e;
}

/* random real multiplier 2^u, u uniform in [lo, hi] */
static void rand_multiplier(double lo, double hi, int32_t *m, int32_t *shift)
{
  double u = lo + (hi - lo) * (double)(rnd() % 100000u) / 100000.0;
  quantize_multiplier(pow(2.0, u), m, shift);
}

static size_t usz(int32_t n) { return n > 0 ? (size_t)n : 0u; }

/* ---- buffers with overrun guards ----------------------------------------- */
#define BUF 65536
#define GUARD 32
static int8_t g_in[BUF], g_in2[BUF], g_w[BUF];
static int8_t g_out[BUF + GUARD], g_ref[BUF];
static int32_t g_bias[4096], g_mult[4096], g_shift[4096];

static void arm_guard(int32_t n) { memset(g_out, 0x5A, usz(n + GUARD)); }
static int guard_ok(int32_t n)
{
  int32_t i;
  for (i = n; i < n + GUARD; ++i)
    if (g_out[i] != 0x5A) return 0;
  return 1;
}
static int compare(const char *what, int case_id, int32_t n)
{
  int32_t i;
  for (i = 0; i < n; ++i) {
    if (g_out[i] != g_ref[i]) {
      CHECK(0, "%s case %d: element %ld got %d expected %d", what, case_id, (long)i, g_out[i], g_ref[i]);
      return 0;
    }
  }
  CHECK(guard_ok(n), "%s case %d: wrote past the output", what, case_id);
  return 1;
}

/* Statistics so a test that only ever saturates cannot pass silently. */
static long g_total_outputs, g_interior_outputs;
static void note_outputs(int32_t n, int32_t lo, int32_t hi)
{
  int32_t i;
  for (i = 0; i < n; ++i) {
    g_total_outputs++;
    if (g_ref[i] > lo && g_ref[i] < hi) g_interior_outputs++;
  }
}

/* ---- fixed-point known values --------------------------------------------- */
static void test_fixedpoint(void)
{
  int i;
  /* SRDHM */
  CHECK(edgec_srdhm(INT32_MIN, INT32_MIN) == INT32_MAX, "srdhm(min,min)");
  CHECK(edgec_srdhm(INT32_MAX, INT32_MAX) == INT32_MAX - 1, "srdhm(max,max)=%ld", (long)edgec_srdhm(INT32_MAX, INT32_MAX));
  CHECK(edgec_srdhm(INT32_MIN, INT32_MAX) == -INT32_MAX, "srdhm(min,max)");
  CHECK(edgec_srdhm(1, 1 << 30) == 1, "srdhm 0.5 -> 1");
  CHECK(edgec_srdhm(-1, 1 << 30) == 0, "srdhm -0.5 -> 0 (gemmlowp nudge)");
  CHECK(edgec_srdhm(-3, 1 << 30) == -1, "srdhm -1.5 -> -1");
  CHECK(edgec_srdhm(3, 1 << 30) == 2, "srdhm 1.5 -> 2");
  CHECK(edgec_srdhm(0, INT32_MIN) == 0, "srdhm 0");
  CHECK(edgec_srdhm(1 << 30, 1 << 30) == 1 << 29, "srdhm 0.5*0.5");
  CHECK(edgec_srdhm(-(1 << 30), 1 << 30) == -(1 << 29), "srdhm -0.5*0.5");
  /* RDBPOT: round half away from zero */
  CHECK(edgec_rdbpot(3, 1) == 2, "rdbpot 1.5");
  CHECK(edgec_rdbpot(-3, 1) == -2, "rdbpot -1.5");
  CHECK(edgec_rdbpot(-1, 1) == -1, "rdbpot -0.5");
  CHECK(edgec_rdbpot(1, 1) == 1, "rdbpot 0.5");
  CHECK(edgec_rdbpot(5, 2) == 1, "rdbpot 1.25");
  CHECK(edgec_rdbpot(-5, 2) == -1, "rdbpot -1.25");
  CHECK(edgec_rdbpot(6, 2) == 2, "rdbpot 1.5");
  CHECK(edgec_rdbpot(-6, 2) == -2, "rdbpot -1.5");
  CHECK(edgec_rdbpot(-7, 2) == -2, "rdbpot -1.75");
  CHECK(edgec_rdbpot(-10, 2) == -3, "rdbpot -2.5");
  CHECK(edgec_rdbpot(12345, 0) == 12345, "rdbpot e=0");
  CHECK(edgec_rdbpot(-12345, 0) == -12345, "rdbpot e=0 neg");
  CHECK(edgec_rdbpot(INT32_MIN, 31) == -1, "rdbpot min,31");
  CHECK(edgec_rdbpot(INT32_MAX, 31) == 1, "rdbpot max,31");
  CHECK(edgec_rdbpot(-(1 << 30), 31) == -1, "rdbpot -0.5 at 31");
  CHECK(edgec_rdbpot((1 << 30) - 1, 31) == 0, "rdbpot <0.5 at 31");
  CHECK(edgec_rdbpot(INT32_MIN, 1) == -(1 << 30), "rdbpot min,1");
  /* requantize = MultiplyByQuantizedMultiplier */
  CHECK(edgec_requantize(100, 1 << 30, 0) == 50, "requant 100*0.5");
  CHECK(edgec_requantize(101, 1 << 30, 0) == 51, "requant 101*0.5");
  CHECK(edgec_requantize(-101, 1 << 30, 0) == -50, "requant -101*0.5 (srdhm rounds half up)");
  CHECK(edgec_requantize(101, 1 << 30, -1) == 26, "requant 101*0.25");
  CHECK(edgec_requantize(-103, 1 << 30, -1) == -26, "requant -103*0.25 = -25.75");
  CHECK(edgec_requantize(-102, 1 << 30, -1) == -26, "requant -102*0.25 = -25.5 -> -26");
  CHECK(edgec_requantize(-100, 1 << 30, -3) == -6, "requant -100/16 = -6.25");
  CHECK(edgec_requantize(-104, 1 << 30, -3) == -7, "requant -104/16 = -6.5 -> -7");
  CHECK(edgec_requantize(3, 1 << 30, 2) == 6, "requant 3*0.5*4");
  CHECK(edgec_requantize(1000000, 1518500250, -20) == 1, "requant sqrt2/2 * 1e6 / 2^20 = 0.674");
  CHECK(edgec_requantize(123456, 0, 0) == 0, "requant m=0");
  /* exp / reciprocal: known gemmlowp values */
  CHECK(edgec_exp_on_negative_values_q5_26(0) == INT32_MAX, "exp(0)");
  CHECK(edgec_sat_mul_pot(1 << 29, 2) == INT32_MAX, "sat_mul_pot saturates");
  CHECK(edgec_sat_mul_pot(-(1 << 29), 2) == INT32_MIN, "sat_mul_pot neg");
  CHECK(edgec_sat_mul_pot(-(1 << 29) + 1, 2) == INT32_MIN + 4, "sat_mul_pot neg exact");
  CHECK(edgec_rounding_half_sum(1, 2) == 2, "rhs 1.5->2");
  CHECK(edgec_rounding_half_sum(-1, -2) == -2, "rhs -1.5->-2");
  CHECK(edgec_rounding_half_sum(INT32_MAX, INT32_MAX) == INT32_MAX, "rhs max");
  CHECK(edgec_clz_u32(0) == 32 && edgec_clz_u32(1) == 31 && edgec_clz_u32(0x80000000u) == 0, "clz");
  CHECK(edgec_clamp_s32(5, -3, 3) == 3 && edgec_clamp_s32(-5, -3, 3) == -3 && edgec_sat_s8(200) == 127 &&
            edgec_sat_s8(-200) == -128,
        "clamp");
  /* exp close to the real exp; equal to the literal gemmlowp transcription */
  for (i = 0; i <= 32 * 64; ++i) {
    const int32_t a = (int32_t)(-(int64_t)i * (1 << 26) / 64); /* -32 .. 0 in Q5.26 */
    const int32_t e = edgec_exp_on_negative_values_q5_26(a);
    const double real = exp((double)a / 67108864.0) * 2147483648.0;
    CHECK(e == ref_exp_neg(a), "exp(%ld) %ld vs ref %ld", (long)a, (long)e, (long)ref_exp_neg(a));
    CHECK(fabs((double)e - real) <= 64.0 + real * 1e-6, "exp(%ld) = %ld, real %.1f", (long)a, (long)e, real);
  }
  for (i = 0; i < 200000; ++i) {
    int32_t a = -(int32_t)(rnd() & 0x7FFFFFFFu);
    int32_t x = (int32_t)(rnd() & 0x7FFFFFFFu);
    CHECK(edgec_exp_on_negative_values_q5_26(a) == ref_exp_neg(a), "exp rand %ld", (long)a);
    CHECK(edgec_one_over_one_plus_x_for_x_in_0_1(x) == ref_one_over_one_plus_x(x), "1/(1+x) %ld", (long)x);
    {
      const double real = 2147483648.0 / (1.0 + (double)x / 2147483648.0);
      const double got = (double)edgec_one_over_one_plus_x_for_x_in_0_1(x);
      CHECK(fabs(got - real) <= 16.0, "1/(1+x) accuracy x=%ld got %.0f real %.0f", (long)x, got, real);
    }
  }
  /* randomized equality with the literal reference */
  for (i = 0; i < 2000000; ++i) {
    int32_t a = (int32_t)rnd(), b = (int32_t)rnd();
    int e = (int)(rnd() % 32u);
    int s = (int)(rnd() % 40u) - 31;
    int32_t m = (int32_t)((rnd() >> 1) | 0x40000000u);
    if (i % 4 == 1) a = (int32_t)(a >> (rnd() % 31u)); /* small magnitudes, more ties */
    if (i % 4 == 2) b = (int32_t)(b >> (rnd() % 31u));
    if (i % 97 == 0) a = INT32_MIN;
    if (i % 89 == 0) b = INT32_MIN;
    CHECK(edgec_srdhm(a, b) == ref_srdhm(a, b), "srdhm(%ld,%ld)", (long)a, (long)b);
    CHECK(edgec_rdbpot(a, e) == ref_rdbpot(a, e), "rdbpot(%ld,%d)", (long)a, e);
    if (s > 0) a = (int32_t)(a >> (rnd() % 31u)); /* keep left shifts mostly in range */
    CHECK(edgec_requantize(a, m, s) == ref_mbqm(a, m, s), "requant(%ld,%ld,%d)", (long)a, (long)m, s);
    /* the kernels' requantization (mult >= 0): extremes of acc and mult, every shift */
    if (i % 5 == 0) a = (int32_t)rnd();
    if (i % 101 == 0) a = INT32_MIN;
    if (i % 103 == 0) a = INT32_MAX;
    if (i % 107 == 0) m = INT32_MAX;
    if (i % 109 == 0) m = 0;
    if (i % 113 == 0) m = 1 << 30;
    CHECK(edgec_requantize_ch(a, m, s) == ref_mbqm(a, m, s), "requant_ch(%ld,%ld,%d)", (long)a, (long)m, s);
    /* the one-rounding fast form: mult in (2^30, 2^31), shift <= -2; acc -1 and 0 too */
    if (m > (1 << 30) && s <= -2) {
      const int32_t h = (int32_t)(1u << (-s - 2));
      if (i % 7 == 3) a = (int32_t)(i % 3) - 1;
      CHECK(edgec_requantize_rshift2(a, m, ~s, h) == ref_mbqm(a, m, s), "requant_rshift2(%ld,%ld,%d)", (long)a,
            (long)m, s);
    }
  }
  printf("fixedpoint: ok\n");
}

/* ---- conv ------------------------------------------------------------------ */
static int32_t out_size(int32_t in, int32_t k, int32_t stride, int32_t dil, int32_t pad_a, int32_t pad_b)
{
  const int32_t eff = dil * (k - 1) + 1;
  if (in + pad_a + pad_b < eff) return 0;
  return (in + pad_a + pad_b - eff) / stride + 1;
}

static void ref_conv(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                     const int32_t *mult, const int32_t *shift, int8_t *output)
{
  const int filter_input_depth = p->in_c / p->groups;
  const int filters_per_group = p->out_c / p->groups;
  int batch, out_y, out_x, out_channel, filter_y, filter_x, in_channel;
  for (batch = 0; batch < p->batches; ++batch)
    for (out_y = 0; out_y < p->out_h; ++out_y)
      for (out_x = 0; out_x < p->out_w; ++out_x)
        for (out_channel = 0; out_channel < p->out_c; ++out_channel) {
          const int in_y_origin = out_y * p->stride_h - p->pad_top;
          const int in_x_origin = out_x * p->stride_w - p->pad_left;
          const int group = out_channel / filters_per_group;
          int32_t acc = 0;
          for (filter_y = 0; filter_y < p->k_h; ++filter_y)
            for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
              const int in_y = in_y_origin + p->dil_h * filter_y;
              const int in_x = in_x_origin + p->dil_w * filter_x;
              if (!(in_x >= 0 && in_x < p->in_w && in_y >= 0 && in_y < p->in_h)) continue;
              for (in_channel = 0; in_channel < filter_input_depth; ++in_channel) {
                const int32_t input_val =
                    input[((batch * p->in_h + in_y) * p->in_w + in_x) * p->in_c + in_channel + group * filter_input_depth];
                const int32_t filter_val =
                    filter[((out_channel * p->k_h + filter_y) * p->k_w + filter_x) * filter_input_depth + in_channel];
                acc += filter_val * (input_val + p->input_offset);
              }
            }
          if (bias) acc += bias[out_channel];
          acc = ref_mbqm(acc, mult[out_channel], shift[out_channel]);
          acc += p->output_offset;
          acc = ref_clamp(acc, p->act_min, p->act_max);
          output[((batch * p->out_h + out_y) * p->out_w + out_x) * p->out_c + out_channel] = (int8_t)acc;
        }
}

static void ref_dwconv(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter, const int32_t *bias,
                       const int32_t *mult, const int32_t *shift, int8_t *output)
{
  const int depth_multiplier = p->out_c / p->in_c;
  int batch, out_y, out_x, in_channel, m, filter_y, filter_x;
  for (batch = 0; batch < p->batches; ++batch)
    for (out_y = 0; out_y < p->out_h; ++out_y)
      for (out_x = 0; out_x < p->out_w; ++out_x)
        for (in_channel = 0; in_channel < p->in_c; ++in_channel)
          for (m = 0; m < depth_multiplier; ++m) {
            const int output_channel = m + in_channel * depth_multiplier;
            const int in_x_origin = out_x * p->stride_w - p->pad_left;
            const int in_y_origin = out_y * p->stride_h - p->pad_top;
            int32_t acc = 0;
            for (filter_y = 0; filter_y < p->k_h; ++filter_y)
              for (filter_x = 0; filter_x < p->k_w; ++filter_x) {
                const int in_x = in_x_origin + p->dil_w * filter_x;
                const int in_y = in_y_origin + p->dil_h * filter_y;
                if (in_x >= 0 && in_x < p->in_w && in_y >= 0 && in_y < p->in_h) {
                  int32_t input_val = input[((batch * p->in_h + in_y) * p->in_w + in_x) * p->in_c + in_channel];
                  int32_t filter_val = filter[(filter_y * p->k_w + filter_x) * p->out_c + output_channel];
                  acc += filter_val * (input_val + p->input_offset);
                }
              }
            if (bias) acc += bias[output_channel];
            acc = ref_mbqm(acc, mult[output_channel], shift[output_channel]);
            acc += p->output_offset;
            acc = ref_clamp(acc, p->act_min, p->act_max);
            output[((batch * p->out_h + out_y) * p->out_w + out_x) * p->out_c + output_channel] = (int8_t)acc;
          }
}

/* Random activation range: full, ReLU-like or ReLU6-like. */
static void rand_act(int32_t zp, int32_t *lo, int32_t *hi)
{
  switch (rnd() % 3u) {
  case 0: *lo = -128; *hi = 127; break;
  case 1: *lo = zp; *hi = 127; break;
  default: *lo = zp; *hi = ref_clamp(zp + rr(10, 120), zp, 127); break;
  }
}

static int rand_conv_case(edgec_conv_params_t *p, int depthwise, int fast)
{
  int32_t pad_b, pad_r, in_zp, out_zp, tries;
  for (tries = 0; tries < 100; ++tries) {
    memset(p, 0, sizeof(*p));
    p->batches = rr(1, 2);
    p->in_h = rr(1, 9);
    p->in_w = rr(1, 9);
    if (rnd() % 8u == 0) p->in_h = p->in_w = 1; /* 1x1 inputs */
    p->k_h = rr(1, 4);
    p->k_w = rr(1, 4);
    p->stride_h = rr(1, 3);
    p->stride_w = rr(1, 3);
    p->dil_h = rnd() % 3u == 0 ? rr(2, 3) : 1;
    p->dil_w = rnd() % 3u == 0 ? rr(2, 3) : 1;
    p->pad_top = rr(0, p->k_h);
    p->pad_left = rr(0, p->k_w);
    pad_b = rr(0, p->k_h);
    pad_r = rr(0, p->k_w);
    if (depthwise) {
      p->in_c = rr(1, 13);
      p->out_c = p->in_c * (rnd() % 3u == 0 ? rr(2, 3) : 1);
      p->groups = 1;
    } else {
      p->groups = rnd() % 4u == 0 ? rr(2, 4) : 1;
      p->in_c = p->groups * rr(1, 7);
      p->out_c = p->groups * rr(1, 9);
    }
    if (fast == 2 && !depthwise) { /* wide channels: the blocked (DSP) inner loops with word tails */
      p->groups = 1;
      p->in_c = rr(4, 70);
      p->out_c = rr(1, 13);
      p->in_h = rr(1, 6);
      p->in_w = rr(1, 6);
      if (rnd() % 3u == 0) { /* many output channels: several blocks of channel groups (DSP) */
        p->in_c = rr(1, 8);
        p->out_c = rr(30, 72);
      }
    }
    if (fast == 2 && !depthwise && rnd() % 4u == 0) { /* DS-CNN's first layer: tall kernel on one channel, padded */
      p->in_c = 1;
      p->k_h = rr(5, 10);
      p->k_w = rr(3, 4);
      p->pad_top = rr(0, p->k_h - 1);
      pad_b = rr(0, p->k_h - 1);
      p->in_h = rr(p->k_h - 2, 14);
      p->in_w = rr(3, 10);
      p->dil_h = p->dil_w = 1;
    }
    if (fast == 2 && depthwise) { /* many channels: the 4-channel passes */
      p->in_c = rr(4, 70);
      p->out_c = p->in_c;
      if (rnd() % 2u == 0) { /* 3x3 row-buffer path (stride 1; stride 2 the other path): odd widths, pads 0-2, rows past its column limit */
        p->k_h = p->k_w = 3;
        p->dil_h = p->dil_w = 1;
        p->stride_h = rr(1, 2);
        p->stride_w = rr(1, 2);
        p->pad_top = rr(0, 2);
        p->pad_left = rr(0, 2);
        pad_b = rr(0, 2);
        pad_r = rr(0, 2);
        p->in_h = rr(1, 7);
        p->in_w = rnd() % 4u == 0 ? rr(60, 140) : rr(1, 12);
        p->in_c = rr(4, 20);
        p->out_c = p->in_c;
      }
    }
    if (fast == 3 && rnd() % 2u == 0) { /* pre-widened pointwise: wide inputs, odd channel counts, pixel runs with tails */
      p->k_h = p->k_w = 1;
      p->stride_h = p->stride_w = 1;
      p->dil_h = p->dil_w = 1;
      p->pad_top = p->pad_left = pad_b = pad_r = 0;
      p->groups = 1;
      p->batches = 1;
      p->in_c = rr(60, 300);
      p->out_c = rr(1, 70);
      p->in_h = rr(1, 5);
      p->in_w = rr(1, 7);
    } else if (fast == 3) { /* pre-widened 3x3 (ResNet-8, a first layer on 3 channels): stride 1 or 2, padding */
      p->k_h = p->k_w = 3;
      p->dil_h = p->dil_w = 1;
      p->groups = 1;
      p->stride_h = p->stride_w = rr(1, 2);
      p->pad_top = rr(0, 2);
      p->pad_left = rr(0, 2);
      pad_b = rr(0, 2);
      pad_r = rr(0, 2);
      p->in_c = rnd() % 3u == 0 ? 3 : rr(13, 64);
      p->out_c = rr(1, 40);
      p->in_h = rr(3, 12);
      p->in_w = rr(3, 12);
    }
    if (fast == 1) { /* 1x1 stride 1 unpadded, a matrix multiply */
      p->k_h = p->k_w = 1;
      p->stride_h = p->stride_w = 1;
      p->pad_top = p->pad_left = pad_b = pad_r = 0;
      p->groups = 1;
      p->in_c = rr(1, 40);
      p->out_c = rr(1, 23);
      p->in_h = rr(1, 6);
      p->in_w = rr(1, 6);
    }
    p->out_h = out_size(p->in_h, p->k_h, p->stride_h, p->dil_h, p->pad_top, pad_b);
    p->out_w = out_size(p->in_w, p->k_w, p->stride_w, p->dil_w, p->pad_left, pad_r);
    if (p->out_h > 0 && p->out_w > 0) break;
  }
  if (p->out_h <= 0 || p->out_w <= 0) return 0;
  in_zp = rr(-128, 127);
  out_zp = rr(-128, 127);
  p->input_offset = -in_zp;
  p->output_offset = out_zp;
  rand_act(out_zp, &p->act_min, &p->act_max);
  return 1;
}

static void rand_conv_data(const edgec_conv_params_t *p, int32_t in_n, int32_t w_n, int32_t taps)
{
  int32_t c;
  fill_s8(g_in, in_n, -128, 127);
  fill_s8(g_w, w_n, -127, 127);
  for (c = 0; c < p->out_c; ++c) {
    g_bias[c] = rr(-20000, 20000);
    /* acc ~ sqrt(taps) * 127 * 128: aim the output around +-64 with some saturation */
    rand_multiplier(-log2(sqrt((double)taps) * 127.0 * 128.0 / 64.0) - 1.5,
                    -log2(sqrt((double)taps) * 127.0 * 128.0 / 64.0) + 1.5, &g_mult[c], &g_shift[c]);
  }
}

/* The compiler's layout for edgec_conv_wide_s8 / edgec_conv_1x1_wide_s8
 * (edgec_wide.h, passes/wide-weights.ts widenFilter): channels padded to
 * groups of 4, windows to whole words, zeros; per 4 channels and 4 window
 * values (w[i], w[i+2]) and (w[i+1], w[i+3]) as int16 lanes, channel by
 * channel. Returns 0 when the widened filter does not fit g_wide_conv. */
static int32_t g_wide_conv[32768];

static int32_t lanes16(int8_t lo, int8_t hi);

static int widen_conv(const edgec_conv_params_t *p)
{
  const int32_t fsize = p->k_h * p->k_w * p->in_c, n4 = (fsize + 3) / 4, rows = (p->out_c + 3) & ~3;
  int32_t o, i, r, j, k = 0;
  if (rows * n4 * 2 > (int32_t)(sizeof g_wide_conv / sizeof g_wide_conv[0])) return 0;
  for (o = 0; o < rows; o += 4)
    for (i = 0; i < 4 * n4; i += 4)
      for (r = 0; r < 4; ++r) {
        int8_t w[4];
        for (j = 0; j < 4; ++j) w[j] = (o + r < p->out_c && i + j < fsize) ? g_w[(o + r) * fsize + i + j] : 0;
        g_wide_conv[k++] = lanes16(w[0], w[2]);
        g_wide_conv[k++] = lanes16(w[1], w[3]);
      }
  return 1;
}

/* The 1x1 wide kernel with its input inside its output, as the planner
 * overlaps them: input at pixels * (out_c - in_c) bytes into the output when
 * out_c > in_c, at the output otherwise. */
static void run_1x1_wide_overlapped(const edgec_conv_params_t *p, const int32_t *bias, int32_t in_n, int32_t out_n)
{
  const int32_t pixels = p->batches * p->in_h * p->in_w;
  const int32_t off = p->out_c > p->in_c ? pixels * (p->out_c - p->in_c) : 0;
  arm_guard(out_n);
  memcpy(g_out + off, g_in, usz(in_n));
  edgec_conv_1x1_wide_s8(p, g_out + off, g_wide_conv, bias, g_mult, g_shift, g_out);
  /* in_c > out_c: the input's tail lies past the output; the kernel must leave it as it was */
  if (off + in_n > out_n) {
    CHECK(memcmp(g_out + out_n, g_in + (out_n - off), usz(off + in_n - out_n)) == 0, "conv_1x1_wide overlapped wrote past its output");
    memset(g_out + out_n, 0x5A, usz(off + in_n - out_n));
  }
}

static void test_conv(void)
{
  int n, cases = 0, wide = 0, wide1x1 = 0;
  for (n = 0; n < 3000; ++n) {
    edgec_conv_params_t p;
    int32_t in_n, w_n, out_n;
    const int fast = n % 6 == 0 ? 1 : n % 6 == 1 ? 2 : n % 6 == 5 ? 3 : 0;
    if (!rand_conv_case(&p, 0, fast)) continue;
    in_n = p.batches * p.in_h * p.in_w * p.in_c;
    w_n = p.out_c * p.k_h * p.k_w * (p.in_c / p.groups);
    out_n = p.batches * p.out_h * p.out_w * p.out_c;
    rand_conv_data(&p, in_n, w_n, p.k_h * p.k_w * p.in_c / p.groups);
    ref_conv(&p, g_in, g_w, n % 7 == 3 ? NULL : g_bias, g_mult, g_shift, g_ref);
    arm_guard(out_n);
    edgec_conv_s8(&p, g_in, g_w, n % 7 == 3 ? NULL : g_bias, g_mult, g_shift, g_out);
    if (!compare("conv", n, out_n))
      printf("  conv params: b%ld in %ldx%ldx%ld out %ldx%ldx%ld k %ldx%ld s %ld,%ld d %ld,%ld pad %ld,%ld g %ld\n",
             (long)p.batches, (long)p.in_h, (long)p.in_w, (long)p.in_c, (long)p.out_h, (long)p.out_w, (long)p.out_c,
             (long)p.k_h, (long)p.k_w, (long)p.stride_h, (long)p.stride_w, (long)p.dil_h, (long)p.dil_w,
             (long)p.pad_top, (long)p.pad_left, (long)p.groups);
    note_outputs(out_n, p.act_min, p.act_max);
    cases++;
    if (p.groups == 1 && p.k_h * p.k_w * p.in_c <= 576 && widen_conv(&p)) {
      const int32_t *bias = n % 7 == 3 ? NULL : g_bias;
      arm_guard(out_n);
      edgec_conv_wide_s8(&p, g_in, g_wide_conv, bias, g_mult, g_shift, g_out);
      compare("conv_wide", n, out_n);
      wide++;
      if (p.k_h == 1 && p.k_w == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
          p.out_h == p.in_h && p.out_w == p.in_w) {
        arm_guard(out_n);
        edgec_conv_1x1_wide_s8(&p, g_in, g_wide_conv, bias, g_mult, g_shift, g_out);
        compare("conv_1x1_wide", n, out_n);
        run_1x1_wide_overlapped(&p, bias, in_n, out_n);
        compare("conv_1x1_wide overlapped", n, out_n);
        wide1x1++;
      }
    }
  }
  printf("conv: %d cases, %d pre-widened, %d of them pointwise\n", cases, wide, wide1x1);
}

static void test_dwconv(void)
{
  int n, cases = 0;
  for (n = 0; n < 3000; ++n) {
    edgec_conv_params_t p;
    int32_t in_n, w_n, out_n;
    if (!rand_conv_case(&p, 1, n % 4 == 1 ? 2 : 0)) continue;
    in_n = p.batches * p.in_h * p.in_w * p.in_c;
    w_n = p.k_h * p.k_w * p.out_c;
    out_n = p.batches * p.out_h * p.out_w * p.out_c;
    rand_conv_data(&p, in_n, w_n, p.k_h * p.k_w);
    ref_dwconv(&p, g_in, g_w, n % 7 == 3 ? NULL : g_bias, g_mult, g_shift, g_ref);
    arm_guard(out_n);
    edgec_depthwise_conv_s8(&p, g_in, g_w, n % 7 == 3 ? NULL : g_bias, g_mult, g_shift, g_out);
    if (!compare("depthwise", n, out_n))
      printf("  depthwise params: b%ld in %ldx%ldx%ld out %ldx%ldx%ld k %ldx%ld s %ld,%ld d %ld,%ld pad %ld,%ld\n",
             (long)p.batches, (long)p.in_h, (long)p.in_w, (long)p.in_c, (long)p.out_h, (long)p.out_w, (long)p.out_c,
             (long)p.k_h, (long)p.k_w, (long)p.stride_h, (long)p.stride_w, (long)p.dil_h, (long)p.dil_w,
             (long)p.pad_top, (long)p.pad_left);
    note_outputs(out_n, p.act_min, p.act_max);
    cases++;
  }
  printf("depthwise: %d cases\n", cases);
}

/* ---- fully connected ------------------------------------------------------- */
/* The compiler's layout for edgec_fully_connected_wide_s8 (passes/wide-weights.ts):
 * per block of 4 rows and 4 inputs, (w[i], w[i+2]) and (w[i+1], w[i+3]) as
 * int16 lanes, row by row; the input offset folded into the bias. */
static int32_t g_wide[4096], g_wide_bias[64];

static int32_t lanes16(int8_t lo, int8_t hi)
{
  return (int32_t)(((uint32_t)(uint16_t)(int16_t)lo) | ((uint32_t)(uint16_t)(int16_t)hi << 16));
}

static void widen_fc(const edgec_fc_params_t *p, int use_bias)
{
  const int32_t n = p->in_depth;
  int32_t o, i, r, k = 0;
  for (o = 0; o < p->out_depth; o += 4)
    for (i = 0; i < n; i += 4)
      for (r = 0; r < 4; ++r) {
        const int8_t *w = g_w + (o + r) * n + i;
        g_wide[k++] = lanes16(w[0], w[2]);
        g_wide[k++] = lanes16(w[1], w[3]);
      }
  for (o = 0; o < p->out_depth; ++o) {
    int32_t sum = 0;
    for (i = 0; i < n; ++i) sum += g_w[o * n + i];
    g_wide_bias[o] = (use_bias ? g_bias[o] : 0) + p->input_offset * sum;
  }
}

static void test_fc(void)
{
  int n, wide = 0;
  for (n = 0; n < 2000; ++n) {
    edgec_fc_params_t p;
    int32_t b, o, i, out_n;
    const int use_bias = n % 5 != 0;
    p.batches = rr(1, 3);
    p.in_depth = rr(1, 70);
    p.out_depth = rr(1, 19);
    if (n % 3 == 0) { /* multiples of 4: the pre-widened kernel applies too */
      p.in_depth = (p.in_depth + 3) & ~3;
      p.out_depth = (p.out_depth + 3) & ~3;
    }
    p.per_channel = (int32_t)(rnd() & 1u);
    p.input_offset = -rr(-128, 127);
    p.output_offset = rr(-128, 127);
    rand_act(p.output_offset, &p.act_min, &p.act_max);
    fill_s8(g_in, p.batches * p.in_depth, -128, 127);
    fill_s8(g_w, p.out_depth * p.in_depth, -127, 127);
    for (o = 0; o < p.out_depth; ++o) {
      g_bias[o] = rr(-30000, 30000);
      rand_multiplier(-log2(sqrt((double)p.in_depth) * 127.0 * 128.0 / 64.0) - 1.5,
                      -log2(sqrt((double)p.in_depth) * 127.0 * 128.0 / 64.0) + 1.5, &g_mult[o], &g_shift[o]);
    }
    out_n = p.batches * p.out_depth;
    for (b = 0; b < p.batches; ++b)
      for (o = 0; o < p.out_depth; ++o) {
        const int q = p.per_channel ? o : 0;
        int32_t acc = 0;
        for (i = 0; i < p.in_depth; ++i)
          acc += g_w[o * p.in_depth + i] * (g_in[b * p.in_depth + i] + p.input_offset);
        if (use_bias) acc += g_bias[o];
        acc = ref_mbqm(acc, g_mult[q], g_shift[q]) + p.output_offset;
        g_ref[b * p.out_depth + o] = (int8_t)ref_clamp(acc, p.act_min, p.act_max);
      }
    arm_guard(out_n);
    edgec_fully_connected_s8(&p, g_in, g_w, use_bias ? g_bias : NULL, g_mult, g_shift, g_out);
    compare("fully_connected", n, out_n);
    note_outputs(out_n, p.act_min, p.act_max);
    if (p.in_depth % 4 == 0 && p.out_depth % 4 == 0) {
      widen_fc(&p, use_bias);
      arm_guard(out_n);
      edgec_fully_connected_wide_s8(&p, g_in, g_wide, g_wide_bias, g_mult, g_shift, g_out);
      compare("fully_connected_wide", n, out_n);
      wide++;
    }
  }
  printf("fully_connected: %d cases, %d pre-widened\n", n, wide);
}

/* ---- weights with a zero point (edgec_conv_wzp_s8, edgec_fully_connected_wzp_s8) ----
 * The reference multiplies (w + filter_offset) * (x + input_offset) tap by
 * tap, the definition; the kernels use the window-sum decomposition. */
static int32_t g_foff[4096];

static void ref_conv_wzp(const edgec_conv_params_t *p, const int8_t *input, const int8_t *filter,
                         const int32_t *foff, const int32_t *bias, const int32_t *mult, const int32_t *shift,
                         int8_t *output)
{
  const int cin_g = p->in_c / p->groups, cout_g = p->out_c / p->groups;
  int b, oy, ox, oc, ky, kx, ic;
  for (b = 0; b < p->batches; ++b)
    for (oy = 0; oy < p->out_h; ++oy)
      for (ox = 0; ox < p->out_w; ++ox)
        for (oc = 0; oc < p->out_c; ++oc) {
          const int g = oc / cout_g;
          int32_t acc = bias ? bias[oc] : 0;
          for (ky = 0; ky < p->k_h; ++ky)
            for (kx = 0; kx < p->k_w; ++kx) {
              const int iy = oy * p->stride_h - p->pad_top + p->dil_h * ky;
              const int ix = ox * p->stride_w - p->pad_left + p->dil_w * kx;
              if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) continue; /* x = zero point */
              for (ic = 0; ic < cin_g; ++ic) {
                const int32_t x = input[((b * p->in_h + iy) * p->in_w + ix) * p->in_c + g * cin_g + ic];
                const int32_t w = filter[((oc * p->k_h + ky) * p->k_w + kx) * cin_g + ic];
                acc += (w + foff[oc]) * (x + p->input_offset);
              }
            }
          acc = ref_mbqm(acc, mult[oc], shift[oc]) + p->output_offset;
          output[((b * p->out_h + oy) * p->out_w + ox) * p->out_c + oc] = (int8_t)ref_clamp(acc, p->act_min, p->act_max);
        }
}

static void rand_wzp_data(const edgec_conv_params_t *p, int32_t in_n, int32_t w_n, int32_t taps)
{
  int32_t c;
  fill_s8(g_in, in_n, -128, 127);
  fill_s8(g_w, w_n, -128, 127);
  for (c = 0; c < p->out_c; ++c) {
    /* uint8 zero points 0..255 are int8 -128..127: offsets -127..128, extremes included */
    g_foff[c] = c % 5 == 0 ? 128 : c % 5 == 1 ? -127 : rr(-127, 128);
    g_bias[c] = rr(-20000, 20000);
    rand_multiplier(-log2(sqrt((double)taps) * 255.0 * 128.0 / 64.0) - 1.5,
                    -log2(sqrt((double)taps) * 255.0 * 128.0 / 64.0) + 1.5, &g_mult[c], &g_shift[c]);
  }
}

static void test_conv_wzp(void)
{
  int n, cases = 0;
  for (n = 0; n < 1500; ++n) {
    edgec_conv_params_t p;
    int32_t in_n, w_n, out_n;
    const int depthwise = n % 3 == 2;
    if (!rand_conv_case(&p, depthwise, n % 4 == 1 ? 2 : 0)) continue;
    if (depthwise) p.groups = p.in_c; /* depthwise runs as grouped, one input channel per group */
    in_n = p.batches * p.in_h * p.in_w * p.in_c;
    w_n = p.out_c * p.k_h * p.k_w * (p.in_c / p.groups);
    out_n = p.batches * p.out_h * p.out_w * p.out_c;
    rand_wzp_data(&p, in_n, w_n, p.k_h * p.k_w * p.in_c / p.groups);
    ref_conv_wzp(&p, g_in, g_w, g_foff, n % 7 == 3 ? NULL : g_bias, g_mult, g_shift, g_ref);
    arm_guard(out_n);
    edgec_conv_wzp_s8(&p, g_in, g_w, g_foff, n % 7 == 3 ? NULL : g_bias, g_mult, g_shift, g_out);
    if (!compare("conv_wzp", n, out_n))
      printf("  conv_wzp params: b%ld in %ldx%ldx%ld out %ldx%ldx%ld k %ldx%ld s %ld,%ld d %ld,%ld pad %ld,%ld g %ld\n",
             (long)p.batches, (long)p.in_h, (long)p.in_w, (long)p.in_c, (long)p.out_h, (long)p.out_w, (long)p.out_c,
             (long)p.k_h, (long)p.k_w, (long)p.stride_h, (long)p.stride_w, (long)p.dil_h, (long)p.dil_w,
             (long)p.pad_top, (long)p.pad_left, (long)p.groups);
    note_outputs(out_n, p.act_min, p.act_max);
    cases++;
  }
  printf("conv_wzp: %d cases\n", cases);
}

static void test_fc_wzp(void)
{
  int n;
  for (n = 0; n < 1500; ++n) {
    edgec_fc_params_t p;
    int32_t b, o, i, out_n;
    const int use_bias = n % 5 != 0;
    p.batches = rr(1, 3);
    p.in_depth = rr(1, 300);
    p.out_depth = rr(1, 19);
    p.per_channel = (int32_t)(rnd() & 1u);
    p.input_offset = -rr(-128, 127);
    p.output_offset = rr(-128, 127);
    rand_act(p.output_offset, &p.act_min, &p.act_max);
    fill_s8(g_in, p.batches * p.in_depth, -128, 127);
    fill_s8(g_w, p.out_depth * p.in_depth, -128, 127);
    for (o = 0; o < p.out_depth; ++o) {
      g_foff[o] = o % 5 == 0 ? 128 : o % 5 == 1 ? -127 : rr(-127, 128);
      g_bias[o] = rr(-30000, 30000);
      rand_multiplier(-log2(sqrt((double)p.in_depth) * 255.0 * 128.0 / 64.0) - 1.5,
                      -log2(sqrt((double)p.in_depth) * 255.0 * 128.0 / 64.0) + 1.5, &g_mult[o], &g_shift[o]);
    }
    out_n = p.batches * p.out_depth;
    for (b = 0; b < p.batches; ++b)
      for (o = 0; o < p.out_depth; ++o) {
        const int q = p.per_channel ? o : 0;
        int32_t acc = use_bias ? g_bias[o] : 0;
        for (i = 0; i < p.in_depth; ++i)
          acc += (g_w[o * p.in_depth + i] + g_foff[o]) * (g_in[b * p.in_depth + i] + p.input_offset);
        acc = ref_mbqm(acc, g_mult[q], g_shift[q]) + p.output_offset;
        g_ref[b * p.out_depth + o] = (int8_t)ref_clamp(acc, p.act_min, p.act_max);
      }
    arm_guard(out_n);
    edgec_fully_connected_wzp_s8(&p, g_in, g_w, g_foff, use_bias ? g_bias : NULL, g_mult, g_shift, g_out);
    compare("fully_connected_wzp", n, out_n);
    note_outputs(out_n, p.act_min, p.act_max);
  }
  printf("fully_connected_wzp: %d cases\n", n);
}

/* ---- pooling --------------------------------------------------------------- */
static void ref_pool(const edgec_pool_params_t *p, const int8_t *input, int8_t *output, int is_max)
{
  int b, oy, ox, c, fy, fx;
  for (b = 0; b < p->batches; ++b)
    for (oy = 0; oy < p->out_h; ++oy)
      for (ox = 0; ox < p->out_w; ++ox)
        for (c = 0; c < p->channels; ++c) {
          int32_t acc = is_max ? -128 : 0, count = 0;
          for (fy = 0; fy < p->k_h; ++fy)
            for (fx = 0; fx < p->k_w; ++fx) {
              const int y = oy * p->stride_h - p->pad_top + fy;
              const int x = ox * p->stride_w - p->pad_left + fx;
              if (y >= 0 && y < p->in_h && x >= 0 && x < p->in_w) {
                const int32_t v = input[((b * p->in_h + y) * p->in_w + x) * p->channels + c];
                if (is_max) {
                  if (v > acc) acc = v;
                } else {
                  acc += v;
                }
                count++;
              } else if (!is_max && p->count_include_pad && y >= -p->pad_top && y < p->in_h + p->pad_bottom &&
                         x >= -p->pad_left && x < p->in_w + p->pad_right) {
                acc += p->pad_value; /* a padded position inside the padded input: real 0 */
                count++;
              }
            }
          if (!is_max) {
            if (count == 0) {
              acc = p->pad_value;
            } else {
              /* round half away from zero, written with floating point division */
              const double q = (double)acc / (double)count;
              acc = (int32_t)(q >= 0 ? floor(q + 0.5) : -floor(-q + 0.5));
            }
          }
          output[((b * p->out_h + oy) * p->out_w + ox) * p->channels + c] = (int8_t)ref_clamp(acc, p->act_min, p->act_max);
        }
}

static void test_pool(void)
{
  int n, is_max;
  for (is_max = 0; is_max <= 1; ++is_max) {
    for (n = 0; n < 3000; ++n) {
      edgec_pool_params_t p;
      int32_t out_n, zp;
      memset(&p, 0, sizeof(p));
      p.batches = rr(1, 2);
      p.in_h = rr(1, 9);
      p.in_w = rr(1, 9);
      p.channels = rr(1, 11);
      p.k_h = rr(1, 4);
      p.k_w = rr(1, 4);
      p.stride_h = rr(1, 3);
      p.stride_w = rr(1, 3);
      p.pad_top = rr(0, p.k_h - 1);
      p.pad_left = rr(0, p.k_w - 1);
      p.pad_bottom = rr(0, p.k_h - 1);
      p.pad_right = rr(0, p.k_w - 1);
      p.out_h = out_size(p.in_h, p.k_h, p.stride_h, 1, p.pad_top, p.pad_bottom);
      p.out_w = out_size(p.in_w, p.k_w, p.stride_w, 1, p.pad_left, p.pad_right);
      if (rnd() % 4u == 0) { /* ceil_mode: one more output whose window runs past the padded input */
        p.out_h += 1;
        p.out_w += 1;
      }
      if (p.out_h <= 0 || p.out_w <= 0) continue;
      p.count_include_pad = (int32_t)(rnd() & 1u);
      zp = rr(-128, 127);
      p.pad_value = zp;
      rand_act(zp, &p.act_min, &p.act_max);
      if (rnd() % 2u) {
        p.act_min = -128;
        p.act_max = 127;
      }
      fill_s8(g_in, p.batches * p.in_h * p.in_w * p.channels, -128, 127);
      out_n = p.batches * p.out_h * p.out_w * p.channels;
      ref_pool(&p, g_in, g_ref, is_max);
      arm_guard(out_n);
      if (is_max)
        edgec_max_pool_s8(&p, g_in, g_out);
      else
        edgec_avg_pool_s8(&p, g_in, g_out);
      compare(is_max ? "max_pool" : "avg_pool", n, out_n);
    }
  }
  /* known values: 2x2 average of {1, 2, 2, 2} = 1.75 -> 2; {-1,-2,-2,-2} -> -2; {-1,-2,0,0} = -0.75 -> -1;
   * {-1,-1,0,0} = -0.5 -> -1 (half away from zero); {1,1,0,0} -> 1 */
  {
    static const int8_t vals[5][4] = {{1, 2, 2, 2}, {-1, -2, -2, -2}, {-1, -2, 0, 0}, {-1, -1, 0, 0}, {1, 1, 0, 0}};
    static const int8_t expect[5] = {2, -2, -1, -1, 1};
    int k;
    edgec_pool_params_t p;
    memset(&p, 0, sizeof(p));
    p.batches = 1;
    p.in_h = p.in_w = 2;
    p.channels = 1;
    p.out_h = p.out_w = 1;
    p.k_h = p.k_w = 2;
    p.stride_h = p.stride_w = 1;
    p.act_min = -128;
    p.act_max = 127;
    for (k = 0; k < 5; ++k) {
      edgec_avg_pool_s8(&p, vals[k], g_out);
      CHECK(g_out[0] == expect[k], "avg known %d: got %d expected %d", k, g_out[0], expect[k]);
    }
    /* count_include_pad with a zero point: 1x1 input {10}, 3x3 window, pads 1, zp = -6:
     * (10 + 8 * -6) / 9 = -38 / 9 = -4.22 -> -4; without the pads: 10. */
    p.in_h = p.in_w = 1;
    p.k_h = p.k_w = 3;
    p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    p.pad_value = -6;
    p.count_include_pad = 1;
    g_in[0] = 10;
    edgec_avg_pool_s8(&p, g_in, g_out);
    CHECK(g_out[0] == -4, "avg count_include_pad known: %d", g_out[0]);
    p.count_include_pad = 0;
    edgec_avg_pool_s8(&p, g_in, g_out);
    CHECK(g_out[0] == 10, "avg exclude pad known: %d", g_out[0]);
  }
  printf("pool: ok\n");
}

static void test_global_avg_pool(void)
{
  int n;
  for (n = 0; n < 1000; ++n) {
    const int32_t batches = rr(1, 3), spatial = rr(1, 60), channels = rr(1, 17);
    const int32_t in_off = -rr(-128, 127), out_off = rr(-128, 127);
    int32_t mult, shift, lo, hi, b, c, s;
    rand_act(out_off, &lo, &hi);
    rand_multiplier(-log2((double)spatial) - 1.0, -log2((double)spatial) + 1.0, &mult, &shift);
    fill_s8(g_in, batches * spatial * channels, -128, 127);
    for (b = 0; b < batches; ++b)
      for (c = 0; c < channels; ++c) {
        int32_t acc = 0;
        for (s = 0; s < spatial; ++s) acc += g_in[(b * spatial + s) * channels + c] + in_off;
        g_ref[b * channels + c] = (int8_t)ref_clamp(ref_mbqm(acc, mult, shift) + out_off, lo, hi);
      }
    arm_guard(batches * channels);
    edgec_global_avg_pool_s8(batches, spatial, channels, in_off, out_off, mult, shift, lo, hi, g_in, g_out);
    compare("global_avg_pool", n, batches * channels);
  }
  printf("global_avg_pool: %d cases\n", n);
}

/* ---- elementwise ------------------------------------------------------------ */
static int8_t ref_add1(const edgec_add_params_t *p, int8_t a, int8_t b)
{
  /* TFLite AddFunc with MultiplyByQuantizedMultiplierSmallerThanOneExp */
  const int32_t input1_val = p->in1_offset + a;
  const int32_t input2_val = p->in2_offset + b;
  const int32_t shifted_input1_val = input1_val * (1 << p->left_shift);
  const int32_t shifted_input2_val = input2_val * (1 << p->left_shift);
  const int32_t scaled_input1_val = ref_rdbpot(ref_srdhm(shifted_input1_val, p->in1_mult), -p->in1_shift);
  const int32_t scaled_input2_val = ref_rdbpot(ref_srdhm(shifted_input2_val, p->in2_mult), -p->in2_shift);
  const int32_t raw_sum = scaled_input1_val + scaled_input2_val;
  const int32_t raw_output = ref_rdbpot(ref_srdhm(raw_sum, p->out_mult), -p->out_shift) + p->out_offset;
  return (int8_t)ref_clamp(raw_output, p->act_min, p->act_max);
}

static int8_t ref_mul1(const edgec_mul_params_t *p, int8_t a, int8_t b)
{
  const int32_t input1_val = p->in1_offset + a;
  const int32_t input2_val = p->in2_offset + b;
  const int32_t unclamped = p->out_offset + ref_mbqm(input1_val * input2_val, p->out_mult, p->out_shift);
  return (int8_t)ref_clamp(unclamped, p->act_min, p->act_max);
}

static void rand_add_params(edgec_add_params_t *p)
{
  /* As TFLite prepares them from random scales (quantization.md). */
  const double s1 = pow(2.0, -8.0 + 6.0 * (double)(rnd() % 1000u) / 1000.0);
  const double s2 = pow(2.0, -8.0 + 6.0 * (double)(rnd() % 1000u) / 1000.0);
  const double so = pow(2.0, -8.0 + 6.0 * (double)(rnd() % 1000u) / 1000.0);
  const double twice_max = 2.0 * (s1 > s2 ? s1 : s2);
  p->left_shift = 20;
  p->in1_offset = -rr(-128, 127);
  p->in2_offset = -rr(-128, 127);
  p->out_offset = rr(-128, 127);
  quantize_multiplier(s1 / twice_max, &p->in1_mult, &p->in1_shift);
  quantize_multiplier(s2 / twice_max, &p->in2_mult, &p->in2_shift);
  quantize_multiplier(twice_max / ((double)(1 << 20) * so), &p->out_mult, &p->out_shift);
  rand_act(p->out_offset, &p->act_min, &p->act_max);
}

static void rand_mul_params(edgec_mul_params_t *p)
{
  p->in1_offset = -rr(-128, 127);
  p->in2_offset = -rr(-128, 127);
  p->out_offset = rr(-128, 127);
  rand_multiplier(-16.0, 0.5, &p->out_mult, &p->out_shift);
  rand_act(p->out_offset, &p->act_min, &p->act_max);
}

/* Random broadcast: random output dims, each input dim kept or broadcast. */
static int32_t rand_broadcast(edgec_broadcast_t *b, int32_t *n1, int32_t *n2)
{
  int32_t d, total = 1, st1 = 1, st2 = 1;
  b->rank = rr(1, 6);
  for (d = 0; d < b->rank; ++d) b->dims[d] = rr(1, 5);
  for (d = b->rank - 1; d >= 0; --d) {
    const int bc1 = rnd() % 3u == 0, bc2 = rnd() % 3u == 0;
    b->stride1[d] = bc1 ? 0 : st1;
    b->stride2[d] = bc2 ? 0 : st2;
    if (!bc1) st1 *= b->dims[d];
    if (!bc2) st2 *= b->dims[d];
    total *= b->dims[d];
  }
  *n1 = st1;
  *n2 = st2;
  return total;
}

static int32_t bc_offset(const edgec_broadcast_t *b, int32_t flat, const int32_t *stride)
{
  int32_t d, off = 0;
  for (d = b->rank - 1; d >= 0; --d) {
    off += (flat % b->dims[d]) * stride[d];
    flat /= b->dims[d];
  }
  return off;
}

static void test_elementwise(void)
{
  int n;
  int32_t i;
  for (n = 0; n < 2000; ++n) {
    edgec_add_params_t ap;
    edgec_mul_params_t mp;
    edgec_broadcast_t b;
    const int32_t size = rr(1, 300);
    int32_t n1, n2, total;
    rand_add_params(&ap);
    rand_mul_params(&mp);
    fill_s8(g_in, size, -128, 127);
    fill_s8(g_in2, size, -128, 127);
    /* same shape */
    for (i = 0; i < size; ++i) g_ref[i] = ref_add1(&ap, g_in[i], g_in2[i]);
    arm_guard(size);
    edgec_add_s8(&ap, g_in, g_in2, g_out, size);
    compare("add", n, size);
    note_outputs(size, ap.act_min, ap.act_max);
    for (i = 0; i < size; ++i) g_ref[i] = ref_mul1(&mp, g_in[i], g_in2[i]);
    arm_guard(size);
    edgec_mul_s8(&mp, g_in, g_in2, g_out, size);
    compare("mul", n, size);
    /* in place */
    memcpy(g_out, g_in2, usz(size));
    for (i = 0; i < size; ++i) g_ref[i] = ref_add1(&ap, g_in[i], g_in2[i]);
    edgec_add_s8(&ap, g_in, g_out, g_out, size);
    for (i = 0; i < size; ++i) CHECK(g_out[i] == g_ref[i], "add in place case %d", n);
    memcpy(g_out, g_in, usz(size));
    for (i = 0; i < size; ++i) g_ref[i] = ref_mul1(&mp, g_in[i], g_in2[i]);
    edgec_mul_s8(&mp, g_out, g_in2, g_out, size);
    for (i = 0; i < size; ++i) CHECK(g_out[i] == g_ref[i], "mul in place case %d", n);
    /* broadcast */
    total = rand_broadcast(&b, &n1, &n2);
    fill_s8(g_in, n1, -128, 127);
    fill_s8(g_in2, n2, -128, 127);
    for (i = 0; i < total; ++i)
      g_ref[i] = ref_add1(&ap, g_in[bc_offset(&b, i, b.stride1)], g_in2[bc_offset(&b, i, b.stride2)]);
    arm_guard(total);
    edgec_add_broadcast_s8(&ap, &b, g_in, g_in2, g_out);
    compare("add_broadcast", n, total);
    for (i = 0; i < total; ++i)
      g_ref[i] = ref_mul1(&mp, g_in[bc_offset(&b, i, b.stride1)], g_in2[bc_offset(&b, i, b.stride2)]);
    arm_guard(total);
    edgec_mul_broadcast_s8(&mp, &b, g_in, g_in2, g_out);
    compare("mul_broadcast", n, total);
  }
  /* known: add of real 1.0 + 2.0 with scales 1/16, zero points 0 -> 3.0 = 48 */
  {
    edgec_add_params_t p;
    const int8_t a = 16, c = 32;
    p.left_shift = 20;
    p.in1_offset = p.in2_offset = 0;
    p.out_offset = 0;
    quantize_multiplier(0.5, &p.in1_mult, &p.in1_shift);
    quantize_multiplier(0.5, &p.in2_mult, &p.in2_shift);
    quantize_multiplier(2.0 / 16.0 / (double)(1 << 20) * 16.0, &p.out_mult, &p.out_shift);
    p.act_min = -128;
    p.act_max = 127;
    edgec_add_s8(&p, &a, &c, g_out, 1);
    CHECK(g_out[0] == 48, "add known: %d", g_out[0]);
  }
  printf("add/mul: %d cases\n", n);
}

static void test_softmax(void)
{
  int n;
  int32_t i;
  for (n = 0; n < 2000; ++n) {
    const int32_t rows = rr(1, 4), row_size = rnd() % 10u == 0 ? 1 : rr(1, 200);
    const double in_scale = pow(2.0, -7.0 + 7.0 * (double)(rnd() % 1000u) / 1000.0);
    const double beta = n % 3 == 0 ? 1.0 : 0.5 + (double)(rnd() % 1000u) / 500.0;
    double real = beta * in_scale * (double)(1 << 26);
    int32_t mult, shift, diff_min;
    if (real > 2147483647.0) real = 2147483647.0;
    quantize_multiplier(real, &mult, &shift); /* QuantizeMultiplierGreaterThanOne */
    /* TFLite: diff_min = -CalculateInputRadius(5, shift) = -floor(31 * 2^26 / 2^shift) */
    diff_min = -(int32_t)floor(31.0 * (double)(1 << 26) / pow(2.0, (double)shift));
    if (n % 5 == 0) diff_min = -rr(0, -diff_min < 255 ? -diff_min : 255); /* a stricter cut-off */
    fill_s8(g_in, rows * row_size, n % 4 == 0 ? -128 : rr(-128, 0), n % 4 == 0 ? 127 : rr(0, 127));
    ref_softmax(g_in, rows, row_size, mult, shift, diff_min, g_ref);
    arm_guard(rows * row_size);
    edgec_softmax_s8(g_in, rows, row_size, mult, shift, diff_min, g_out);
    compare("softmax", n, rows * row_size);
    /* close to the real softmax (outputs are probabilities * 256 - 128) */
    if (beta == 1.0 && n % 5 != 0 && diff_min < -(int32_t)(20.0 / in_scale)) {
      int32_t r;
      for (r = 0; r < rows; ++r) {
        double mx = -1e9, sum = 0.0;
        for (i = 0; i < row_size; ++i)
          if (g_in[r * row_size + i] > mx) mx = g_in[r * row_size + i];
        for (i = 0; i < row_size; ++i) sum += exp(in_scale * (g_in[r * row_size + i] - mx));
        for (i = 0; i < row_size; ++i) {
          const double pr = exp(in_scale * (g_in[r * row_size + i] - mx)) / sum * 256.0 - 128.0;
          const double q = pr > 127.0 ? 127.0 : pr;
          CHECK(fabs(q - g_out[r * row_size + i]) <= 1.01, "softmax accuracy case %d: %d vs %.3f", n, g_out[r * row_size + i], pr);
        }
      }
    }
    /* in place */
    memcpy(g_out, g_in, usz(rows * row_size));
    edgec_softmax_s8(g_out, rows, row_size, mult, shift, diff_min, g_out);
    for (i = 0; i < rows * row_size; ++i) CHECK(g_out[i] == g_ref[i], "softmax in place case %d", n);
  }
  printf("softmax: %d cases\n", n);
}

static void test_small_ops(void)
{
  int n;
  int32_t i;
  int8_t table[256];
  for (n = 0; n < 300; ++n) {
    const int32_t size = rr(1, 1000);
    const int32_t in_off = -rr(-128, 127), out_off = rr(-128, 127);
    int32_t mult, shift, lo, hi;
    /* lut */
    fill_s8(table, 256, -128, 127);
    fill_s8(g_in, size, -128, 127);
    for (i = 0; i < size; ++i) g_ref[i] = table[g_in[i] + 128];
    arm_guard(size);
    edgec_lut_s8(g_in, table, g_out, size);
    compare("lut", n, size);
    edgec_lut_s8(g_in, table, g_in, size);
    for (i = 0; i < size; ++i) CHECK(g_in[i] == g_ref[i], "lut in place");
    /* requantize, scale ratios on both sides of 1 */
    rand_multiplier(-6.0, 4.0, &mult, &shift);
    rand_act(out_off, &lo, &hi);
    fill_s8(g_in, size, -128, 127);
    for (i = 0; i < size; ++i) g_ref[i] = (int8_t)ref_clamp(ref_mbqm(g_in[i] + in_off, mult, shift) + out_off, lo, hi);
    arm_guard(size);
    edgec_requantize_s8(g_in, size, in_off, out_off, mult, shift, lo, hi, g_out);
    compare("requantize", n, size);
    /* u8 <-> s8 */
    for (i = 0; i < size; ++i) g_ref[i] = (int8_t)(((uint8_t)g_in[i]) - 128);
    arm_guard(size);
    edgec_u8_to_s8((const uint8_t *)g_in, size, g_out);
    compare("u8_to_s8", n, size);
    edgec_s8_to_u8(g_out, size, (uint8_t *)g_out);
    for (i = 0; i < size; ++i) CHECK(g_out[i] == g_in[i], "s8_to_u8 round trip");
  }
  /* exhaustive u8 -> s8 */
  for (i = 0; i < 256; ++i) {
    uint8_t u = (uint8_t)i, back;
    int8_t s;
    edgec_u8_to_s8(&u, 1, &s);
    edgec_s8_to_u8(&s, 1, &back);
    CHECK(s == i - 128 && back == u, "u8/s8 %ld", (long)i);
  }
  printf("lut/requantize/u8: ok\n");
}

static void test_quantize(void)
{
  int n;
  static float f[4096], back[4096];
  /* known values: ties go to even */
  static const float xs[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 0.49999997f, 126.5f, 127.5f, -128.5f, -129.5f,
                             1e9f, -1e9f, 0.0f, -0.0f, 3.4e38f, -3.4e38f};
  static const int8_t ex[] = {0, 2, 2, 0, -2, -2, 0, 126, 127, -128, -128, 127, -128, 0, 0, 127, -128};
  int k;
  for (k = 0; k < (int)(sizeof(xs) / sizeof(xs[0])); ++k) {
    const int8_t q = edgec_quantize_f32(xs[k], 1.0f, 0);
    CHECK(q == ex[k], "quantize(%g) = %d expected %d", (double)xs[k], q, ex[k]);
  }
  CHECK(edgec_quantize_f32(0.75f, 0.5f, 3) == 5, "quantize 1.5+3 -> 2+3");
  CHECK(edgec_quantize_f32(-0.25f, 0.5f, -3) == -3, "quantize -0.5-3 -> 0-3");
  CHECK(edgec_quantize_f32(-0.75f, 0.5f, -128) == -128, "quantize sat low");
  CHECK(edgec_quantize_f32(200.0f, 1.0f, -100) == 100, "quantize 200-100");
  CHECK(edgec_quantize_f32(NAN, 1.0f, 7) == 7, "quantize NaN -> zp");
  CHECK(edgec_quantize_f32(INFINITY, 0.1f, 7) == 127 && edgec_quantize_f32(-INFINITY, 0.1f, 7) == -128, "quantize inf");
  CHECK(edgec_dequantize_f32(-3, 0.5f, -5) == 1.0f, "dequantize");
  for (n = 0; n < 200; ++n) {
    const int32_t size = rr(1, 4096);
    const float scale = (float)pow(2.0, -10.0 + 12.0 * (double)(rnd() % 1000u) / 1000.0) * (n % 3 ? 1.0f : 0.5f);
    const int32_t zp = rr(-128, 127);
    int32_t i;
    for (i = 0; i < size; ++i) {
      if (rnd() % 4u == 0) { /* exact ties k/2 * scale */
        f[i] = (float)(rr(-600, 600)) * 0.5f * scale;
      } else {
        f[i] = ((float)(int32_t)rnd() / 2147483648.0f) * 300.0f * scale;
      }
      {
        /* independent reference: float division, nearbyint (default mode = half even), saturate */
        const float v = f[i] / scale;
        g_ref[i] = (int8_t)ref_clamp((int32_t)fmax(-1000.0, fmin(1000.0, (double)nearbyintf(v))) + zp, -128, 127);
      }
    }
    arm_guard(size);
    edgec_quantize_f32_s8(f, size, scale, zp, g_out);
    compare("quantize_f32_s8", n, size);
    for (i = 0; i < size; ++i) CHECK(edgec_quantize_f32(f[i], scale, zp) == g_ref[i], "edgec_quantize_f32");
    edgec_dequantize_s8_f32(g_out, size, scale, zp, back);
    for (i = 0; i < size; ++i) {
      CHECK(back[i] == (float)((int32_t)g_out[i] - zp) * scale, "dequantize_s8_f32");
      CHECK(back[i] == edgec_dequantize_f32(g_out[i], scale, zp), "edgec_dequantize_f32");
    }
  }
  printf("quantize/dequantize: ok\n");
}

/* ---- data movement ------------------------------------------------------ */
static void test_data_movement(void)
{
  int n;
  for (n = 0; n < 1000; ++n) {
    const int32_t rank = rr(1, 6);
    int32_t in_dims[6], out_dims[6], before[6], after[6], perm[6], idx[6];
    int32_t d, in_n = 1, out_n = 1, i;
    for (d = 0; d < rank; ++d) {
      in_dims[d] = rr(1, 4);
      before[d] = rr(-1, 2);
      after[d] = rr(-1, 2);
      if (before[d] + after[d] + in_dims[d] < 1) before[d] = after[d] = 0;
      if (n % 2 == 1 && d >= rank - 2) before[d] = after[d] = 0; /* unpadded inner dims: merged rows */
      out_dims[d] = before[d] + in_dims[d] + after[d];
      in_n *= in_dims[d];
      out_n *= out_dims[d];
      perm[d] = d;
    }
    fill_s8(g_in, in_n, -128, 127);
    /* pad: naive per output element */
    for (i = 0; i < out_n; ++i) {
      int32_t r = i, src = 0, inside = 1, st = 1;
      for (d = rank - 1; d >= 0; --d) {
        idx[d] = r % out_dims[d];
        r /= out_dims[d];
      }
      for (d = rank - 1; d >= 0; --d) {
        const int32_t j = idx[d] - before[d];
        if (j < 0 || j >= in_dims[d]) inside = 0;
        src += j * st;
        st *= in_dims[d];
      }
      g_ref[i] = inside ? g_in[src] : (int8_t)-77;
    }
    arm_guard(out_n);
    edgec_pad_s8(rank, in_dims, before, after, -77, g_in, g_out);
    compare("pad", n, out_n);
    /* transpose: random permutation */
    for (d = rank - 1; d > 0; --d) {
      const int32_t j = rr(0, d), t = perm[d];
      perm[d] = perm[j];
      perm[j] = t;
    }
    for (d = 0; d < rank; ++d) out_dims[d] = in_dims[perm[d]];
    for (i = 0; i < in_n; ++i) {
      int32_t r = i, dst = 0, st = 1;
      for (d = rank - 1; d >= 0; --d) {
        idx[d] = r % in_dims[d];
        r /= in_dims[d];
      }
      for (d = rank - 1; d >= 0; --d) {
        dst += idx[perm[d]] * st; /* output index d = input index perm[d] */
        st *= out_dims[d];
      }
      g_ref[dst] = g_in[i];
    }
    arm_guard(in_n);
    edgec_transpose_s8(rank, in_dims, perm, g_in, g_out);
    compare("transpose", n, in_n);
    /* concat of 1..4 inputs along a random axis */
    {
      const int32_t num = rr(1, 4), outer = rr(1, 5);
      const int8_t *ins[4];
      int32_t inner[4], j, k, pos = 0, tot = 0;
      for (j = 0; j < num; ++j) {
        inner[j] = rr(0, 9);
        ins[j] = g_in + j * 64;
        tot += inner[j];
      }
      fill_s8(g_in, 256, -128, 127);
      for (k = 0; k < outer; ++k)
        for (j = 0; j < num; ++j)
          for (i = 0; i < inner[j]; ++i) g_ref[pos++] = ins[j][k * inner[j] + i];
      arm_guard(outer * tot);
      edgec_concat_s8(outer, num, ins, inner, g_out);
      compare("concat", n, outer * tot);
    }
  }
  /* known transpose: NCHW [1,2,2,3] -> NHWC */
  {
    static const int8_t in[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    static const int8_t ex[12] = {0, 6, 1, 7, 2, 8, 3, 9, 4, 10, 5, 11};
    const int32_t dims[4] = {1, 2, 2, 3}, perm[4] = {0, 2, 3, 1};
    int i;
    edgec_transpose_s8(4, dims, perm, in, g_out);
    for (i = 0; i < 12; ++i) CHECK(g_out[i] == ex[i], "transpose known %d", i);
  }
  printf("pad/transpose/concat: %d cases\n", n);
}

#ifndef KERNELS_TEST_NO_MAIN
int main(int argc, char **argv)
{
  if (argc > 1) g_rng = (uint32_t)strtoul(argv[1], NULL, 10) | 1u;
  test_fixedpoint();
  test_conv();
  test_dwconv();
  test_fc();
  test_conv_wzp();
  test_fc_wzp();
  test_pool();
  test_global_avg_pool();
  test_elementwise();
  test_softmax();
  test_small_ops();
  test_quantize();
  test_data_movement();
  printf("outputs strictly inside the clamp range: %ld of %ld\n", g_interior_outputs, g_total_outputs);
  CHECK(g_interior_outputs * 3 > g_total_outputs, "test data mostly saturates; the comparisons are too weak");
  printf("%ld checks, %d failures\n", g_checks, g_failures);
  if (g_failures == 0) printf("ALL PASSED\n");
  return g_failures == 0 ? 0 : 1;
}
#endif /* KERNELS_TEST_NO_MAIN */
