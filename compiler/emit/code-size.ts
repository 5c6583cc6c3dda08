/**
 * Code size estimate for the fit check before anything is compiled: sizes of
 * the runtime kernels measured with arm-none-eabi-gcc -mcpu=cortex-m4 -Os
 * (text), plus the invoke function's per-call cost. The exact figure comes
 * from the user's toolchain; this is for "does it fit" answers.
 */
const KERNEL_TEXT_BYTES: Record<string, number> = {
  'edgec_runtime.c': 120,
  'edgec_conv_s8.c': 900,
  'edgec_depthwise_conv_s8.c': 700,
  'edgec_fully_connected_s8.c': 600,
  'edgec_conv_wzp_s8.c': 1460,
  'edgec_fully_connected_wzp_s8.c': 280,
  'edgec_fully_connected_sparse_s8.c': 330,
  'edgec_conv_sparse_s8.c': 910,
  'edgec_depthwise_conv_sparse_s8.c': 640,
  'edgec_max_pool_s8.c': 300,
  'edgec_avg_pool_s8.c': 400,
  'edgec_global_avg_pool_s8.c': 250,
  'edgec_add_s8.c': 700,
  'edgec_mul_s8.c': 600,
  'edgec_softmax_s8.c': 800,
  'edgec_lut_s8.c': 60,
  'edgec_requantize_s8.c': 200,
  'edgec_quantize_s8.c': 400,
  'edgec_concat_s8.c': 120,
  'edgec_pad_s8.c': 400,
  'edgec_transpose_s8.c': 400,
};

/** Bytes of the invoke function per kernel call (argument setup, const param structs). */
const BYTES_PER_CALL = 96;

export function estimateCodeBytes(sources: string[], calls: number): number {
  return sources.reduce((a, s) => a + (KERNEL_TEXT_BYTES[s] ?? 0), 0) + calls * BYTES_PER_CALL + 256;
}
