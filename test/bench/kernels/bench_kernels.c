/*
 * Instructions per MAC of the portable conv / depthwise / fully connected
 * kernels on an emulated Cortex-M4 (QEMU mps2-an386 with -icount shift=7):
 * every instruction advances virtual time by 128 ns and the FPGAIO COUNTER
 * ticks at 25 MHz (40 ns), so instructions = ticks * 40 / 128, exactly.
 * Built twice by run.sh: with the DSP path and with -DEDGEC_NO_DSP (plain C).
 * Shapes are layers of the example models (DS-CNN, MobileNetV1, ResNet-8).
 */
#include <stdio.h>
#include <string.h>

#include "edgec_kernels.h"

#define FPGAIO_COUNTER (*(volatile uint32_t *)0x40028018u)

static int8_t g_in[64 * 1024], g_w[64 * 1024], g_out[64 * 1024];
static int32_t g_bias[512], g_mult[512], g_shift[512];

static uint32_t g_rng = 12345u;
static int8_t rnd8(void)
{
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 17;
  g_rng ^= g_rng << 5;
  return (int8_t)(g_rng >> 24);
}

static void fill(void)
{
  int32_t i;
  for (i = 0; i < (int32_t)sizeof(g_in); ++i) {
    g_in[i] = rnd8();
    g_w[i] = rnd8();
  }
  for (i = 0; i < 512; ++i) {
    g_bias[i] = 100 * i - 20000;
    g_mult[i] = 1518500250 + i;
    g_shift[i] = -9;
  }
}

static uint32_t g_t0;
static void start(void) { g_t0 = FPGAIO_COUNTER; }
/* Instructions since start(), rounded. */
static uint32_t stop(void)
{
  const uint32_t ticks = FPGAIO_COUNTER - g_t0;
  return (uint32_t)(((uint64_t)ticks * 40u + 64u) / 128u);
}

static void report(const char *name, uint32_t instr, uint32_t macs)
{
  printf("%-28s macs %8lu instr %9lu instr/MAC %2lu.%03lu\n", name, (unsigned long)macs, (unsigned long)instr,
         (unsigned long)(instr / macs), (unsigned long)((uint64_t)(instr % macs) * 1000u / macs));
}

static void conv(const char *name, int32_t h, int32_t w, int32_t cin, int32_t cout, int32_t k_h, int32_t k_w,
                 int32_t stride, int32_t pad_t, int32_t pad_l, int32_t out_h, int32_t out_w, int depthwise)
{
  edgec_conv_params_t p;
  uint32_t instr, macs;
  memset(&p, 0, sizeof(p));
  p.batches = 1;
  p.in_h = h;
  p.in_w = w;
  p.in_c = cin;
  p.out_h = out_h;
  p.out_w = out_w;
  p.out_c = cout;
  p.k_h = k_h;
  p.k_w = k_w;
  p.stride_h = p.stride_w = stride;
  p.dil_h = p.dil_w = 1;
  p.pad_top = pad_t;
  p.pad_left = pad_l;
  p.groups = 1;
  p.input_offset = 128;
  p.output_offset = -128;
  p.act_min = -128;
  p.act_max = 127;
  /* Nominal MACs (all taps, padding included), as model MAC counts are given. */
  macs = (uint32_t)(out_h * out_w * cout * k_h * k_w * (depthwise ? 1 : cin));
  start();
  if (depthwise)
    edgec_depthwise_conv_s8(&p, g_in, g_w, g_bias, g_mult, g_shift, g_out);
  else
    edgec_conv_s8(&p, g_in, g_w, g_bias, g_mult, g_shift, g_out);
  instr = stop();
  report(name, instr, macs);
}

static void fc(const char *name, int32_t in_depth, int32_t out_depth)
{
  edgec_fc_params_t p;
  uint32_t instr;
  p.batches = 1;
  p.in_depth = in_depth;
  p.out_depth = out_depth;
  p.input_offset = 128;
  p.output_offset = -128;
  p.act_min = -128;
  p.act_max = 127;
  p.per_channel = 0;
  start();
  edgec_fully_connected_s8(&p, g_in, g_w, g_bias, g_mult, g_shift, g_out);
  instr = stop();
  report(name, instr, (uint32_t)(in_depth * out_depth));
}

int main(int argc, char **argv)
{
  (void)argc;
  (void)argv;
  fill();
  /* DS-CNN (KWS): first conv 10x4 s2 on 49x10x1, pointwise 64->64 and depthwise 3x3 on 25x5. */
  conv("conv 10x4 s2 cin1 (dscnn)", 49, 10, 1, 64, 10, 4, 2, 4, 1, 25, 5, 0);
  conv("conv 1x1 64->64 (dscnn)", 25, 5, 64, 64, 1, 1, 1, 0, 0, 25, 5, 0);
  conv("dw 3x3 c64 (dscnn)", 25, 5, 64, 64, 3, 3, 1, 1, 1, 25, 5, 1);
  /* MobileNetV1 0.25: pointwise 32->64 on 24x24, depthwise 3x3 c32 on 24x24. */
  conv("conv 1x1 32->64 (mbnet)", 24, 24, 32, 64, 1, 1, 1, 0, 0, 24, 24, 0);
  conv("dw 3x3 c32 (mbnet)", 24, 24, 32, 32, 3, 3, 1, 1, 1, 24, 24, 1);
  conv("conv 3x3 s2 cin3 (mbnet)", 96, 96, 3, 8, 3, 3, 2, 0, 0, 48, 48, 0);
  /* ResNet-8: 3x3 conv 16->16 on 32x32 and 32->32 on 16x16, pad 1. */
  conv("conv 3x3 16->16 (resnet)", 32, 32, 16, 16, 3, 3, 1, 1, 1, 32, 32, 0);
  conv("conv 3x3 32->32 (resnet)", 16, 16, 32, 32, 3, 3, 1, 1, 1, 16, 16, 0);
  /* Fully connected: 256 -> 64 (matrix-vector) and DS-CNN's 64 -> 12. */
  fc("fc 256->64", 256, 64);
  fc("fc 64->12 (dscnn)", 64, 12);
  printf("BENCH DONE\n");
  return 0;
}
