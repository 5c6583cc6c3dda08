/**
 * ESP-NN calls per IR op (declared in compiler/ops/<op>.ts through the
 * `espNn` field) and their scratch sizes per chip: ESP32-S3 (SIMD, sizes
 * transcribed from esp_nn_get_*_scratch_size_esp32s3), ESP32 / ESP32-C3
 * (generic optimised C) and 'ansi' (CONFIG_NN_ANSI_C). The generated code
 * also asks the library's size function and returns EDGEC_ERROR when the
 * planned buffer is smaller (another ESP-NN version).
 */
import type { Op } from '../ir/program.js';
import type { EmitEnv, LibraryKernelSpec } from '../ops/types.js';
import { hasPadding, numParam, padReachesKernel, windowGeometry, type WindowGeometry } from './geometry.js';
import { binaryOperands, broadcastUnsupported } from './cmsis-nn.js';

/** ESP-NN code path: the chip's optimised kernels, or the ANSI C reference (CONFIG_NN_ANSI_C). */
export type EspNnChip = 'esp32' | 'esp32s3' | 'esp32c3' | 'ansi';

export const ESP_NN_CHIPS: EspNnChip[] = ['esp32', 'esp32s3', 'esp32c3', 'ansi'];

const U16 = 65535;

/** esp_nn_get_conv_scratch_size_esp32s3 (ESP-NN 1.2.x). */
export function convScratchS3(g: WindowGeometry): number {
  const inCh = g.inC;
  const outCh = g.outC;
  let newChannels = (inCh + 7) & ~7;
  const alignBuf = 64;
  if (g.kW === 1 && g.kH === 1 && g.padLeft === 0 && g.padTop === 0 && g.strideW === 1 && g.strideH === 1) {
    const transpose = g.inW * g.inH < 8 ? 0 : 2 * (8 * newChannels);
    const inputScratch = inCh % 8 ? g.inW * g.inH * newChannels : 0;
    return inputScratch + newChannels * outCh + transpose + alignBuf;
  }
  const filterRow = g.kW * inCh;
  const window = g.kW * g.kH * inCh;
  if (filterRow < 16 && window >= 16) {
    const windowAligned = (window + 15) & ~15;
    return outCh * 4 + 16 + outCh * windowAligned + 16 + windowAligned + alignBuf;
  }
  newChannels = (inCh + 15) & ~15;
  const inputScratch = g.padLeft === 0 && g.padTop === 0 ? 0 : (g.inW + 2 * g.padLeft) * (g.inH + 2 * g.padTop) * inCh;
  const filterScratch = g.kW * g.kH * newChannels * outCh;
  const filterAlignment = Math.ceil(filterRow / 16) * 16 * g.kH * outCh;
  const padRight = Math.max(0, g.outW * g.strideW + g.kW - 1 - g.inW);
  const padBottom = Math.max(0, g.outH * g.strideH + g.kH - 1 - g.inH);
  const boundary = padRight > 0 || padBottom > 0 ? (g.inW + padRight) * (g.inH + padBottom) * inCh : 0;
  return inputScratch + filterScratch + filterAlignment + boundary + alignBuf + outCh * 4;
}

/** esp_nn_get_depthwise_conv_scratch_size_esp32s3 (ESP-NN 1.2.x). */
export function depthwiseScratchS3(g: WindowGeometry): number {
  const ch = g.inC;
  const chMult = g.outC / g.inC;
  const filterSize = g.kW * g.kH * ch * chMult;
  if (chMult === 1 && ch % 8 === 0) {
    if (g.kW === 3 && g.kH === 3) {
      if (ch % 16 === 0) {
        const padW = g.padLeft || g.padTop ? g.padLeft * 2 : g.outW * g.strideW + g.kW - 1 - g.inW;
        const padH = g.padLeft || g.padTop ? g.padTop * 2 : g.outH * g.strideH + g.kH - 1 - g.inH;
        if (padW || padH) {
          const full = (g.inW + padW) * (g.inH + padH) * ch;
          return full <= 40 * 1024 ? filterSize + full + 16 : filterSize + (g.inW + padW) * g.kH * ch + 16;
        }
        return filterSize + 16;
      }
      if (ch >= 12) {
        const newCh = (ch + 15) & ~15;
        const totalPadW = g.padLeft * 2 + Math.max(0, g.outW * g.strideW + 2 - g.inW);
        const totalPadH = g.padTop * 2 + Math.max(0, g.outH * g.strideH + 2 - g.inH);
        return 9 * newCh + (g.inW + totalPadW) * (g.inH + totalPadH) * newCh + g.outW * g.outH * newCh + 64;
      }
      return 2 * (filterSize + g.inW * g.inH * ch) + 32;
    }
    const total16 = 2 * (filterSize + g.inW * g.inH * ch);
    return total16 <= 48 * 1024 ? total16 + 32 : 2 * filterSize + 2 * g.inW * g.kH * ch + 32;
  }
  if (chMult === 1 && ch > 3) {
    const padded = (ch + 7) & ~7;
    const a16 = (n: number): number => (n + 15) & ~15;
    const inputStart = a16(g.kW * g.kH * padded * 2);
    const outStart = a16(inputStart + g.inW * g.inH * padded * 2);
    const biasStart = a16(outStart + g.outW * g.outH * padded);
    return biasStart + 3 * padded * 4 + 16;
  }
  if (chMult % 4 === 0) return 2 * (filterSize + g.inW * g.inH * ch) + 32;
  return 32;
}

function asChip(target: string): EspNnChip {
  if ((ESP_NN_CHIPS as string[]).includes(target)) return target as EspNnChip;
  throw new Error(`internal: unknown ESP-NN chip '${target}'`);
}

function convUnsupported(op: Op): string | undefined {
  const g = windowGeometry(op);
  if (g.dilH !== 1 || g.dilW !== 1) return `dilation ${g.dilH}x${g.dilW}`;
  if (g.batches !== 1) return `batch ${g.batches} (no batch dimension in ESP-NN)`;
  if (op.kind === 'conv2d' && g.groups !== 1) return `grouped convolution (groups ${g.groups})`;
  if ([g.inW, g.inH, g.inC, g.outW, g.outH, g.outC].some((d) => d > U16)) return 'a dimension above 65535';
  return undefined;
}

function convScratch(op: Op, target: string): number {
  if (asChip(target) !== 'esp32s3') return 0;
  const g = windowGeometry(op);
  return op.kind === 'conv2d' ? convScratchS3(g) : depthwiseScratchS3(g);
}

function convView(op: Op, env: EmitEnv, target: string): Record<string, unknown> {
  const g = windowGeometry(op);
  return {
    g, p: op.params, chMult: g.outC / g.inC, scratch: env.scratch(op), scratchBytes: convScratch(op, target),
    input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
    filter: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
    mult: env.constName(op.consts.mult), shift: env.constName(op.consts.shift),
  };
}

export const espConv: LibraryKernelSpec = { template: 'conv2d', unsupported: convUnsupported, scratchBytes: convScratch, view: convView };
export const espDepthwise: LibraryKernelSpec = { template: 'depthwise_conv2d', unsupported: convUnsupported, scratchBytes: convScratch, view: convView };

export const espFullyConnected: LibraryKernelSpec = {
  template: 'fully_connected',
  unsupported: (op) => {
    if (numParam(op, 'in_depth') > U16 || numParam(op, 'out_depth') > U16) return 'a dimension above 65535';
    return undefined;
  },
  scratchBytes: () => 0,
  view: (op, env) => ({
    p: op.params, input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
    filter: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
    mult: env.constName(op.consts.mult), shift: env.constName(op.consts.shift),
    batched: numParam(op, 'batches') > 1,
  }),
};

export const espPool: LibraryKernelSpec = {
  template: 'pool',
  unsupported: (op) => {
    const g = windowGeometry(op);
    if (g.batches !== 1) return `batch ${g.batches} (no batch dimension in ESP-NN)`;
    // count_include_pad changes nothing when no window reaches into padding.
    if (op.kind === 'avg_pool' && op.params.count_include_pad && hasPadding(g)) return 'count_include_pad=1 with padding';
    // ESP-NN divides by the count of input elements in the window: zero when a pad covers the kernel.
    if (padReachesKernel(g)) return 'padding as large as the kernel';
    if ([g.inW, g.inH, g.inC, g.outW, g.outH].some((d) => d > U16)) return 'a dimension above 65535';
    return undefined;
  },
  scratchBytes: () => 0,
  view: (op, env) => ({
    g: windowGeometry(op), p: op.params, fn: op.kind === 'max_pool' ? 'esp_nn_max_pool_s8' : 'esp_nn_avg_pool_s8',
    input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
  }),
};

export const espAdd: LibraryKernelSpec = {
  template: 'add',
  unsupported: (op) => {
    const b = broadcastUnsupported(op);
    if (b) return b;
    // esp_nn_add_elementwise_s8 takes right shifts only (kernel-libraries.md).
    if (['in1_shift', 'in2_shift', 'out_shift'].some((k) => numParam(op, k) > 0)) return 'a left-shifting requantization';
    return undefined;
  },
  scratchBytes: () => 0,
  view: (op, env) => ({ ...binaryOperands(op, env), p: op.params, output: env.ptr(op.outputs[0], 'int8_t') }),
};

export const espMul: LibraryKernelSpec = {
  template: 'mul',
  unsupported: broadcastUnsupported,
  scratchBytes: () => 0,
  view: (op, env) => ({ ...binaryOperands(op, env), p: op.params, output: env.ptr(op.outputs[0], 'int8_t') }),
};

/** Softmax: the optimised versions (every chip but ANSI C) keep one int32 per row element. */
const softmaxScratch = (op: Op, target: string): number => (asChip(target) === 'ansi' ? 0 : numParam(op, 'row_size') * 4);

export const espSoftmax: LibraryKernelSpec = {
  template: 'softmax',
  unsupported: () => undefined,
  scratchBytes: softmaxScratch,
  view: (op, env, target) => ({
    p: op.params, input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
    scratch: env.scratch(op), scratchBytes: softmaxScratch(op, target),
  }),
};

// ---- mean / sum over the spatial dims ------------------------------------------

/** Pixels and channels when the reduction is a per-channel sum over the pixels of one channels-last image, else undefined. */
function spatialReduction(op: Op): { pixels: number; channels: number } | undefined {
  const keptDims = op.params.kept_dims as number[];
  const keptStrides = op.params.kept_strides as number[];
  const redDims = op.params.red_dims as number[];
  const redStrides = op.params.red_strides as number[];
  if (keptDims.length !== 1 || redDims.length !== 1) return undefined;
  const [channels, pixels] = [keptDims[0], redDims[0]];
  if (channels === 1) return redStrides[0] === 1 ? { pixels, channels } : undefined;
  return keptStrides[0] === 1 && redStrides[0] === channels ? { pixels, channels } : undefined;
}

/**
 * esp_nn_mean_nhwc_s8 (ESP-NN's MEAN fast path): per channel, the int32 sum
 * over H * W minus count * zero point, one MultiplyByQuantizedMultiplier,
 * the output zero point, clamp to int8 — edgec_reduce_sum_s8's arithmetic
 * for a mean (1/count folded into the multiplier) or a sum. Only a single
 * channels-last image reduced over its pixels fits its signature. The
 * ESP32-S3 SIMD version is not used: no S3 is available to check it.
 */
export const espReduceSum: LibraryKernelSpec = {
  template: 'reduce_sum',
  unsupported: (op, target) => {
    if (asChip(target) === 'esp32s3') return 'mean on the ESP32-S3 SIMD path (not verified bit-exact)';
    if (!spatialReduction(op)) return 'a reduction other than one image\'s pixels per channel';
    return undefined;
  },
  scratchBytes: () => 0,
  view: (op, env) => {
    const r = spatialReduction(op) ?? { pixels: 0, channels: 0 };
    return {
      ...r, p: op.params, inputZeroPoint: -numParam(op, 'input_sum_offset') / Math.max(1, r.pixels),
      input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
    };
  },
};

/** GlobalAveragePool (edgec_global_avg_pool_s8: the same sum, multiplier and zero points) on esp_nn_mean_nhwc_s8, one call per image. */
export const espGlobalAvgPool: LibraryKernelSpec = {
  template: 'global_avg_pool',
  unsupported: (op, target) => {
    if (asChip(target) === 'esp32s3') return 'mean on the ESP32-S3 SIMD path (not verified bit-exact)';
    // the library clamps to the int8 range only
    if (numParam(op, 'act_min') !== -128 || numParam(op, 'act_max') !== 127) return 'a fused activation after the mean';
    return undefined;
  },
  scratchBytes: () => 0,
  view: (op, env) => ({
    p: op.params, inputZeroPoint: -numParam(op, 'input_offset'),
    input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
  }),
};
