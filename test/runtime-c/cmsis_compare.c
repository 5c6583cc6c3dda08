/*
 * Optional cross-check of the edgec kernels against the real CMSIS-NN (pure C
 * build on the host). CMSIS-NN is not part of this repository: the vitest
 * runner builds this file only when CMSIS_NN_PATH points at a CMSIS-NN checkout,
 * with -I $CMSIS_NN_PATH/Include and its Source/ files.
 *
 * Reuses the random case generators of kernels_test.c.
 */
#define KERNELS_TEST_NO_MAIN
#include "kernels_test.c"

#include "arm_nnfunctions.h"
#include "arm_nnsupportfunctions.h"

static int8_t g_cmsis_buf[1 << 18] EDGEC_ALIGNED(16);

static void to_cmsis_dims(cmsis_nn_dims *d, int32_t n, int32_t h, int32_t w, int32_t c)
{
  d->n = n;
  d->h = h;
  d->w = w;
  d->c = c;
}

static void cmsis_helpers(void)
{
  int i;
  for (i = 0; i < 1000000; ++i) {
    int32_t a = (int32_t)rnd(), b = (int32_t)rnd();
    const int32_t m = (int32_t)((rnd() >> 1) | 0x40000000u);
    const int32_t s = (int32_t)(rnd() % 40u) - 31;
    const int32_t e = (int32_t)(rnd() % 32u);
    if (i % 3 == 1) a >>= rnd() % 31u;
    if (i % 101 == 0) a = b = INT32_MIN;
    CHECK(edgec_srdhm(a, b) == arm_nn_doubling_high_mult(a, b), "srdhm vs cmsis");
    CHECK(edgec_rdbpot(a, e) == arm_nn_divide_by_power_of_two(a, e), "rdbpot vs cmsis");
    if (s > 0) a >>= rnd() % 31u;
    CHECK(edgec_requantize(a, m, s) == arm_nn_requantize(a, m, s), "requantize vs cmsis (%ld,%ld,%ld)", (long)a,
          (long)m, (long)s);
    {
      const int32_t neg = -(int32_t)(rnd() & 0x7FFFFFFFu);
      const int32_t pos = (int32_t)(rnd() & 0x7FFFFFFFu);
      CHECK(edgec_exp_on_negative_values_q5_26(neg) == arm_nn_exp_on_negative_values(neg), "exp vs cmsis");
      CHECK(edgec_one_over_one_plus_x_for_x_in_0_1(pos) == arm_nn_one_over_one_plus_x_for_x_in_0_1(pos),
            "1/(1+x) vs cmsis");
    }
  }
  printf("cmsis helpers: ok\n");
}

static void cmsis_conv(int depthwise)
{
  int n, cases = 0;
  for (n = 0; n < 2000; ++n) {
    edgec_conv_params_t p;
    cmsis_nn_context ctx;
    cmsis_nn_conv_params cp;
    cmsis_nn_dw_conv_params dp;
    cmsis_nn_per_channel_quant_params qp;
    cmsis_nn_dims in_d, f_d, b_d, o_d;
    int32_t in_n, w_n, out_n;
    arm_cmsis_nn_status st;
    int tflite_like_pads, use_wrapper;
    if (!rand_conv_case(&p, depthwise, !depthwise && n % 5 == 0)) continue;
    /* CMSIS-NN passes only top/left padding; the output dims imply the rest.
     * The wrappers' fast paths (1x1 conv, 3x3 depthwise) assume TFLite SAME or
     * VALID shapes (pads smaller than the kernel, bottom/right pad <= top/left pad + 1) and give different
     * results otherwise, e.g. a 1x1 conv whose output is taller than its input;
     * the generic arm_convolve_s8 / arm_depthwise_conv_s8 take every shape. */
    {
      const int32_t eff_h = p.dil_h * (p.k_h - 1) + 1, eff_w = p.dil_w * (p.k_w - 1) + 1;
      const int32_t pad_b = (p.out_h - 1) * p.stride_h + eff_h - p.in_h - p.pad_top;
      const int32_t pad_r = (p.out_w - 1) * p.stride_w + eff_w - p.in_w - p.pad_left;
      tflite_like_pads = pad_b <= p.pad_top + 1 && pad_r <= p.pad_left + 1 && pad_b < eff_h && pad_r < eff_w &&
                         p.pad_top < eff_h && p.pad_left < eff_w;
    }
    use_wrapper = tflite_like_pads && n % 2 == 0;
    in_n = p.batches * p.in_h * p.in_w * p.in_c;
    w_n = depthwise ? p.k_h * p.k_w * p.out_c : p.out_c * p.k_h * p.k_w * (p.in_c / p.groups);
    out_n = p.batches * p.out_h * p.out_w * p.out_c;
    rand_conv_data(&p, in_n, w_n, depthwise ? p.k_h * p.k_w : p.k_h * p.k_w * p.in_c / p.groups);
    ctx.buf = g_cmsis_buf;
    ctx.size = (int32_t)sizeof(g_cmsis_buf);
    qp.multiplier = g_mult;
    qp.shift = g_shift;
    to_cmsis_dims(&in_d, p.batches, p.in_h, p.in_w, p.in_c);
    to_cmsis_dims(&o_d, p.batches, p.out_h, p.out_w, p.out_c);
    to_cmsis_dims(&b_d, 1, 1, 1, p.out_c);
    if (depthwise) {
      to_cmsis_dims(&f_d, 1, p.k_h, p.k_w, p.out_c);
      dp.input_offset = p.input_offset;
      dp.output_offset = p.output_offset;
      dp.ch_mult = p.out_c / p.in_c;
      dp.stride.h = p.stride_h;
      dp.stride.w = p.stride_w;
      dp.padding.h = p.pad_top;
      dp.padding.w = p.pad_left;
      dp.dilation.h = p.dil_h;
      dp.dilation.w = p.dil_w;
      dp.activation.min = p.act_min;
      dp.activation.max = p.act_max;
      if (use_wrapper)
        st = arm_depthwise_conv_wrapper_s8(&ctx, &dp, &qp, &in_d, g_in, &f_d, g_w, &b_d, g_bias, &o_d, g_ref);
      else
        st = arm_depthwise_conv_s8(&ctx, &dp, &qp, &in_d, g_in, &f_d, g_w, &b_d, g_bias, &o_d, g_ref);
      arm_guard(out_n);
      edgec_depthwise_conv_s8(&p, g_in, g_w, g_bias, g_mult, g_shift, g_out);
    } else {
      to_cmsis_dims(&f_d, p.out_c, p.k_h, p.k_w, p.in_c / p.groups);
      cp.input_offset = p.input_offset;
      cp.output_offset = p.output_offset;
      cp.stride.h = p.stride_h;
      cp.stride.w = p.stride_w;
      cp.padding.h = p.pad_top;
      cp.padding.w = p.pad_left;
      cp.dilation.h = p.dil_h;
      cp.dilation.w = p.dil_w;
      cp.activation.min = p.act_min;
      cp.activation.max = p.act_max;
      if (p.groups == 1 && use_wrapper)
        st = arm_convolve_wrapper_s8(&ctx, &cp, &qp, &in_d, g_in, &f_d, g_w, &b_d, g_bias, &o_d, g_ref);
      else
        st = arm_convolve_s8(&ctx, &cp, &qp, &in_d, g_in, &f_d, g_w, &b_d, g_bias, NULL, &o_d, g_ref);
      arm_guard(out_n);
      edgec_conv_s8(&p, g_in, g_w, g_bias, g_mult, g_shift, g_out);
    }
    CHECK(st == ARM_CMSIS_NN_SUCCESS, "cmsis status %d", (int)st);
    compare(depthwise ? "depthwise vs cmsis" : "conv vs cmsis", n, out_n);
    cases++;
  }
  printf("%s vs cmsis: %d cases\n", depthwise ? "depthwise" : "conv", cases);
}

static void cmsis_fc(void)
{
  int n;
  for (n = 0; n < 1000; ++n) {
    edgec_fc_params_t p;
    cmsis_nn_context ctx;
    cmsis_nn_fc_params fp;
    cmsis_nn_dims in_d, f_d, b_d, o_d;
    int32_t o;
    arm_cmsis_nn_status st;
    p.batches = rr(1, 3);
    p.in_depth = rr(1, 70);
    p.out_depth = rr(1, 19);
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
    ctx.buf = g_cmsis_buf;
    ctx.size = (int32_t)sizeof(g_cmsis_buf);
    fp.input_offset = p.input_offset;
    fp.filter_offset = 0;
    fp.output_offset = p.output_offset;
    fp.activation.min = p.act_min;
    fp.activation.max = p.act_max;
    to_cmsis_dims(&in_d, p.batches, 1, 1, p.in_depth);
    to_cmsis_dims(&f_d, p.in_depth, 1, 1, p.out_depth);
    to_cmsis_dims(&b_d, 1, 1, 1, p.out_depth);
    to_cmsis_dims(&o_d, p.batches, 1, 1, p.out_depth);
    if (p.per_channel) {
      cmsis_nn_per_channel_quant_params qp;
      qp.multiplier = g_mult;
      qp.shift = g_shift;
      st = arm_fully_connected_per_channel_s8(&ctx, &fp, &qp, &in_d, g_in, &f_d, g_w, &b_d, g_bias, &o_d, g_ref);
    } else {
      cmsis_nn_per_tensor_quant_params qt;
      qt.multiplier = g_mult[0];
      qt.shift = g_shift[0];
      st = arm_fully_connected_s8(&ctx, &fp, &qt, &in_d, g_in, &f_d, g_w, &b_d, g_bias, &o_d, g_ref);
    }
    CHECK(st == ARM_CMSIS_NN_SUCCESS, "cmsis fc status %d", (int)st);
    arm_guard(p.batches * p.out_depth);
    edgec_fully_connected_s8(&p, g_in, g_w, g_bias, g_mult, g_shift, g_out);
    compare("fc vs cmsis", n, p.batches * p.out_depth);
  }
  printf("fc vs cmsis: %d cases\n", n);
}

static void cmsis_pool(void)
{
  int n, is_max, cases = 0;
  for (is_max = 0; is_max <= 1; ++is_max) {
    for (n = 0; n < 2000; ++n) {
      edgec_pool_params_t p;
      cmsis_nn_context ctx;
      cmsis_nn_pool_params pp;
      cmsis_nn_dims in_d, f_d, o_d;
      int32_t out_n;
      arm_cmsis_nn_status st;
      memset(&p, 0, sizeof(p));
      p.batches = 1;
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
      if (p.out_h <= 0 || p.out_w <= 0) continue;
      rand_act(rr(-128, 127), &p.act_min, &p.act_max);
      fill_s8(g_in, p.in_h * p.in_w * p.channels, -128, 127);
      ctx.buf = g_cmsis_buf;
      ctx.size = (int32_t)sizeof(g_cmsis_buf);
      pp.stride.h = p.stride_h;
      pp.stride.w = p.stride_w;
      pp.padding.h = p.pad_top;
      pp.padding.w = p.pad_left;
      pp.activation.min = p.act_min;
      pp.activation.max = p.act_max;
      to_cmsis_dims(&in_d, 1, p.in_h, p.in_w, p.channels);
      to_cmsis_dims(&f_d, 1, p.k_h, p.k_w, 1);
      to_cmsis_dims(&o_d, 1, p.out_h, p.out_w, p.channels);
      out_n = p.out_h * p.out_w * p.channels;
      st = is_max ? arm_max_pool_s8(&ctx, &pp, &in_d, g_in, &f_d, &o_d, g_ref)
                  : arm_avgpool_s8(&ctx, &pp, &in_d, g_in, &f_d, &o_d, g_ref);
      CHECK(st == ARM_CMSIS_NN_SUCCESS, "cmsis pool status %d", (int)st);
      arm_guard(out_n);
      if (is_max)
        edgec_max_pool_s8(&p, g_in, g_out);
      else
        edgec_avg_pool_s8(&p, g_in, g_out);
      compare(is_max ? "max_pool vs cmsis" : "avg_pool vs cmsis", n, out_n);
      cases++;
    }
  }
  printf("pool vs cmsis: %d cases\n", cases);
}

static void cmsis_elementwise(void)
{
  int n;
  for (n = 0; n < 2000; ++n) {
    edgec_add_params_t ap;
    edgec_mul_params_t mp;
    const int32_t size = rr(1, 300);
    rand_add_params(&ap);
    rand_mul_params(&mp);
    fill_s8(g_in, size, -128, 127);
    fill_s8(g_in2, size, -128, 127);
    arm_elementwise_add_s8(g_in, g_in2, ap.in1_offset, ap.in1_mult, ap.in1_shift, ap.in2_offset, ap.in2_mult,
                           ap.in2_shift, ap.left_shift, g_ref, ap.out_offset, ap.out_mult, ap.out_shift, ap.act_min,
                           ap.act_max, size);
    arm_guard(size);
    edgec_add_s8(&ap, g_in, g_in2, g_out, size);
    compare("add vs cmsis", n, size);
    arm_elementwise_mul_s8(g_in, g_in2, mp.in1_offset, mp.in2_offset, g_ref, mp.out_offset, mp.out_mult, mp.out_shift,
                           mp.act_min, mp.act_max, size);
    arm_guard(size);
    edgec_mul_s8(&mp, g_in, g_in2, g_out, size);
    compare("mul vs cmsis", n, size);
  }
  printf("add/mul vs cmsis: %d cases\n", n);
}

static void cmsis_softmax(void)
{
  int n;
  for (n = 0; n < 2000; ++n) {
    const int32_t rows = rr(1, 4), row_size = rr(1, 200);
    const double in_scale = pow(2.0, -7.0 + 7.0 * (double)(rnd() % 1000u) / 1000.0);
    const double beta = n % 3 == 0 ? 1.0 : 0.5 + (double)(rnd() % 1000u) / 500.0;
    double real = beta * in_scale * (double)(1 << 26);
    int32_t mult, shift, diff_min;
    if (real > 2147483647.0) real = 2147483647.0;
    quantize_multiplier(real, &mult, &shift);
    diff_min = -(int32_t)floor(31.0 * (double)(1 << 26) / pow(2.0, (double)shift));
    fill_s8(g_in, rows * row_size, n % 4 == 0 ? -128 : rr(-128, 0), n % 4 == 0 ? 127 : rr(0, 127));
    arm_softmax_s8(g_in, rows, row_size, mult, shift, diff_min, g_ref);
    arm_guard(rows * row_size);
    edgec_softmax_s8(g_in, rows, row_size, mult, shift, diff_min, g_out);
    compare("softmax vs cmsis", n, rows * row_size);
  }
  printf("softmax vs cmsis: %d cases\n", n);
}

int main(int argc, char **argv)
{
  if (argc > 1) g_rng = (uint32_t)strtoul(argv[1], NULL, 10) | 1u;
  cmsis_helpers();
  cmsis_conv(0);
  cmsis_conv(1);
  cmsis_fc();
  cmsis_pool();
  cmsis_elementwise();
  cmsis_softmax();
  printf("%ld checks, %d failures\n", g_checks, g_failures);
  if (g_failures == 0) printf("ALL PASSED\n");
  return g_failures == 0 ? 0 : 1;
}
