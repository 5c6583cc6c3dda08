/**
 * CMSIS-NN calls per IR op (declared in compiler/ops/<op>.ts through the
 * `cmsisNn` field) and their scratch sizes per code path, transcribed from
 * the library's *_get_buffer_size(_dsp|_mve) functions so the arena can hold
 * them at compile time. The generated code also calls the library's own size
 * function before each call and returns EDGEC_ERROR if the planned buffer is
 * smaller (a different library version or a build for another CPU).
 */
import type { Op } from '../ir/program.js';
import type { EmitEnv, LibraryKernelSpec } from '../ops/types.js';
import { hasPadding, align, numParam, padReachesKernel, tfliteLikePads, windowGeometry, type WindowGeometry } from './geometry.js';

/** Code path of the CMSIS-NN build: pure C (Cortex-M0/M3), DSP (M4/M7/M33), MVE/Helium (M55/M85). */
export type CmsisNnVariant = 'c' | 'dsp' | 'mve';

export const CMSIS_NN_VARIANTS: CmsisNnVariant[] = ['c', 'dsp', 'mve'];

const CH_IN_BLOCK_MVE = 124;
/** CONVERT_DW_CONV_WITH_ONE_INPUT_CH_AND_OUTPUT_CH_ABOVE_THRESHOLD: 1 with GCC/Clang, 8 with Arm Compiler 6. */
const DW_ONE_IN_CH_THRESHOLDS = [1, 8];

export function asVariant(target: string): CmsisNnVariant {
  if (target === 'c' || target === 'dsp' || target === 'mve') return target;
  throw new Error(`internal: unknown CMSIS-NN variant '${target}'`);
}

// ---- convolution ---------------------------------------------------------

const is1x1 = (g: WindowGeometry): boolean => g.padLeft === 0 && g.padTop === 0 && g.kW === 1 && g.kH === 1 && g.dilW === 1 && g.dilH === 1;
const is1x1Fast = (g: WindowGeometry): boolean => g.strideW === 1 && g.strideH === 1;
const is1xN = (g: WindowGeometry): boolean => g.inH === 1 && g.dilW === 1 && g.kH === 1 && (g.strideW * g.inC) % 4 === 0;

/**
 * The MVE 1xN path of arm_convolve_wrapper_s8 was seen to give wrong results
 * (kernel-libraries.md) for VALID padding with (W - K) % stride != 0 (the
 * window stops short: right pad < 0) and for right pad 2 with stride >= 2.
 */
export function mve1xNDefect(g: WindowGeometry): boolean {
  return !is1x1(g) && is1xN(g) && (g.padRight < 0 || (g.padRight === 2 && g.strideW >= 2));
}

function convolveS8Buffer(g: WindowGeometry, v: CmsisNnVariant): number {
  const cols = g.kW * g.kH * g.inC;
  return v === 'mve' ? 4 * Math.ceil(cols / 16) * 16 : 2 * align(cols, 4) * 2;
}

function convolve1xNMve(g: WindowGeometry): number {
  const totalPad = (g.outW - 1) * g.strideW + g.kW - g.inW;
  const asymPad = totalPad % 2;
  const rightPadNum = g.padLeft + asymPad !== 0 ? Math.max(1, Math.trunc((g.padLeft + asymPad + g.strideW - 1) / g.strideW)) : 0;
  const leftPadNum = g.padLeft !== 0 ? Math.max(1, Math.trunc((g.padLeft + g.strideW - 1) / g.strideW)) : 0;
  const noPadNum = Math.max(g.outW - (rightPadNum + leftPadNum), 0);
  if (rightPadNum + noPadNum + leftPadNum !== g.outW) return convolveS8Buffer(g, 'mve');
  const padSizeLeft = g.padLeft * g.inC;
  const padSizeRight = asymPad ? rightPadNum * g.inC : padSizeLeft;
  const numElemLeft = g.kW * g.inC;
  return Math.max(numElemLeft + padSizeLeft, numElemLeft - g.inC + padSizeRight);
}

/** arm_convolve_wrapper_s8_get_buffer_size for the variant (1x1 fast on DSP: Arm Compiler's 2*C int16, the larger). */
export function convWrapperBuffer(g: WindowGeometry, v: CmsisNnVariant): number {
  if (is1x1(g)) return is1x1Fast(g) && v === 'dsp' ? 2 * g.inC * 2 : 0;
  if (is1xN(g)) return v === 'mve' ? convolve1xNMve(g) : convolveS8Buffer(g, v);
  return convolveS8Buffer(g, v);
}

type ConvRoute = 'arm_convolve_wrapper_s8' | 'arm_convolve_s8';

function convRoute(g: WindowGeometry, v: CmsisNnVariant): ConvRoute {
  if (!tfliteLikePads(g)) return 'arm_convolve_s8';
  if (v === 'mve' && mve1xNDefect(g)) return 'arm_convolve_s8';
  return 'arm_convolve_wrapper_s8';
}

function convScratch(op: Op, target: string): number {
  const g = windowGeometry(op);
  const v = asVariant(target);
  return convRoute(g, v) === 'arm_convolve_s8' ? convolveS8Buffer(g, v) : convWrapperBuffer(g, v);
}

function quantView(op: Op, env: EmitEnv): Record<string, unknown> {
  return {
    input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
    filter: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
    mult: env.constName(op.consts.mult), shift: env.constName(op.consts.shift),
  };
}

function convView(op: Op, env: EmitEnv, target: string): Record<string, unknown> {
  const g = windowGeometry(op);
  const v = asVariant(target);
  const route = convRoute(g, v);
  const scratchBytes = convScratch(op, target);
  return {
    ...quantView(op, env), g, p: op.params, fn: route, wrapper: route === 'arm_convolve_wrapper_s8',
    filterC: g.inC / g.groups, scratch: env.scratch(op), scratchBytes,
  };
}

export const cmsisConv: LibraryKernelSpec = {
  template: 'conv2d',
  unsupported: (op) => (numParam(op, 'groups', 1) !== 1 ? `grouped convolution (groups ${op.params.groups})` : undefined),
  scratchBytes: convScratch,
  view: convView,
};

// ---- depthwise -----------------------------------------------------------

function depthwiseOptMve(g: WindowGeometry): number {
  return 4 * CH_IN_BLOCK_MVE * g.kW * g.kH;
}

/** arm_depthwise_conv_wrapper_s8_get_buffer_size(_dsp|_mve); MVE one-input-channel conversion for both compilers' thresholds. */
export function depthwiseWrapperBuffer(g: WindowGeometry, v: CmsisNnVariant): number {
  const optCase = g.inC === g.outC && g.batches === 1 && g.dilW === 1 && g.dilH === 1;
  const fast3x3 = g.kW === 3 && g.kH === 3 && g.padTop <= 1 && g.padLeft <= 1;
  if (v === 'mve') {
    let size = optCase ? depthwiseOptMve(g) : 0;
    if (g.inC === 1 && DW_ONE_IN_CH_THRESHOLDS.some((t) => g.outC > t)) {
      const asConv: WindowGeometry = { ...g, inC: 1 };
      size = Math.max(size, convWrapperBuffer(asConv, 'mve') + g.outC * g.kH * g.kW);
    }
    return size;
  }
  if (!optCase || fast3x3) return 0;
  return v === 'dsp' ? g.inC * g.kW * g.kH * 2 : 0;
}

type DwRoute = 'arm_depthwise_conv_wrapper_s8' | 'arm_depthwise_conv_s8';

const dwRoute = (g: WindowGeometry): DwRoute => (tfliteLikePads(g) ? 'arm_depthwise_conv_wrapper_s8' : 'arm_depthwise_conv_s8');

function dwScratch(op: Op, target: string): number {
  const g = windowGeometry(op);
  return dwRoute(g) === 'arm_depthwise_conv_s8' ? 0 : depthwiseWrapperBuffer(g, asVariant(target));
}

export const cmsisDepthwise: LibraryKernelSpec = {
  template: 'depthwise_conv2d',
  unsupported: () => undefined,
  scratchBytes: dwScratch,
  // MVE depthwise reads up to 3 elements past bias/mult/shift/kernel when C % 4 != 0.
  constPadding: (op, target): Record<string, number> => (target === 'mve' && numParam(op, 'out_c') % 4 !== 0 ? { filter: 4, bias: 4, mult: 4, shift: 4 } : {}),
  view: (op, env, target) => {
    const g = windowGeometry(op);
    const route = dwRoute(g);
    return { ...quantView(op, env), g, p: op.params, fn: route, wrapper: route === 'arm_depthwise_conv_wrapper_s8', chMult: g.outC / g.inC, scratch: env.scratch(op), scratchBytes: dwScratch(op, target) };
  },
};

// ---- fully connected -----------------------------------------------------

const fcScratch = (op: Op, target: string): number => (asVariant(target) === 'mve' ? numParam(op, 'out_depth') * 4 : 0);

export const cmsisFullyConnected: LibraryKernelSpec = {
  template: 'fully_connected',
  unsupported: () => undefined,
  scratchBytes: fcScratch,
  view: (op, env, target) => ({
    ...quantView(op, env), p: op.params, mve: asVariant(target) === 'mve', scratch: env.scratch(op), scratchBytes: fcScratch(op, target),
  }),
};

// ---- pooling -------------------------------------------------------------

function poolUnsupported(op: Op): string | undefined {
  const g = windowGeometry(op);
  // count_include_pad changes nothing when no window reaches into padding.
  if (op.kind === 'avg_pool' && op.params.count_include_pad && hasPadding(g)) return 'count_include_pad=1 with padding';
  if (op.kind === 'avg_pool' && padReachesKernel(g)) return 'padding as large as the kernel';
  return undefined;
}

const avgPoolScratch = (op: Op, target: string): number => (op.kind === 'avg_pool' && asVariant(target) === 'dsp' ? numParam(op, 'channels') * 4 : 0);

export const cmsisPool: LibraryKernelSpec = {
  template: 'pool',
  unsupported: poolUnsupported,
  scratchBytes: avgPoolScratch,
  view: (op, env, target) => ({
    g: windowGeometry(op), p: op.params, fn: op.kind === 'max_pool' ? 'arm_max_pool_s8' : 'arm_avgpool_s8', avg: op.kind === 'avg_pool',
    input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
    scratch: env.scratch(op), scratchBytes: avgPoolScratch(op, target),
  }),
};

// ---- elementwise, softmax -------------------------------------------------

/** The two operands' C expressions (constant operands are flash arrays). */
export function binaryOperands(op: Op, env: EmitEnv): { in1: string; in2: string } {
  let next = 0;
  const operand = (slot: 'in1' | 'in2'): string => (op.params[`${slot}_const`] ? env.constName(op.consts[slot]) : env.ptr(op.inputs[next++], 'const int8_t'));
  const in1 = operand('in1');
  return { in1, in2: operand('in2') };
}

export const broadcastUnsupported = (op: Op): string | undefined => (op.params.broadcast ? 'broadcasting (the library has none)' : undefined);

export const cmsisAdd: LibraryKernelSpec = {
  template: 'add',
  unsupported: broadcastUnsupported,
  scratchBytes: () => 0,
  view: (op, env) => ({ ...binaryOperands(op, env), p: op.params, output: env.ptr(op.outputs[0], 'int8_t') }),
};

export const cmsisMul: LibraryKernelSpec = { ...cmsisAdd, template: 'mul' };

export const cmsisSoftmax: LibraryKernelSpec = {
  template: 'softmax',
  unsupported: () => undefined,
  scratchBytes: () => 0,
  view: (op, env) => ({ p: op.params, input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t') }),
};

// ---- maximum / minimum ----------------------------------------------------

/** quantizeMultiplier(1 / 2^20): our minmax requantization is then the identity (edgec_minmax_s8.c). */
const IDENTITY_MINMAX_MULT = 2 ** 30;
const IDENTITY_MINMAX_SHIFT = -19;

const identityRequant = (op: Op, slot: 'in1' | 'in2'): boolean =>
  op.params[`${slot}_mult`] === IDENTITY_MINMAX_MULT && op.params[`${slot}_shift`] === IDENTITY_MINMAX_SHIFT
  && numParam(op, `${slot}_offset`) + numParam(op, 'out_offset') === 0;

/** Per operand, its element count in the library's flat view (1 for a broadcast scalar), or undefined when the broadcast does not fit it. */
function minmaxFlatSizes(op: Op): [number, number] | undefined {
  const dims = op.params.dims as number[];
  const s1 = op.params.stride1 as number[];
  const s2 = op.params.stride2 as number[];
  if (dims.length !== 1) return undefined;
  const size = dims[0];
  const flatOrScalar = (s: number): number | undefined => (s === 1 ? size : s === 0 ? 1 : undefined);
  const n1 = flatOrScalar(s1[0]);
  const n2 = flatOrScalar(s2[0]);
  return n1 === undefined || n2 === undefined ? undefined : [n1, n2];
}

/**
 * arm_maximum_s8 / arm_minimum_s8 compare raw int8 (TFLite MAXIMUM/MINIMUM
 * with one quantization): only where our kernel's requantization is the
 * identity. Of its broadcasts only same-shape and scalar operands are used
 * (a flat view of any layout; its NHWC broadcast walk would need our
 * collapsed strides mapped back to 4-D).
 */
function minmaxUnsupported(op: Op): string | undefined {
  if (!identityRequant(op, 'in1') || !identityRequant(op, 'in2')) return 'maximum/minimum with inputs quantized unlike the output (the library compares raw int8)';
  if (!minmaxFlatSizes(op)) return 'maximum/minimum broadcast other than a scalar operand';
  return undefined;
}

export const cmsisMinMax: LibraryKernelSpec = {
  template: 'minmax',
  unsupported: minmaxUnsupported,
  scratchBytes: () => 0,
  view: (op, env) => {
    const [n1, n2] = minmaxFlatSizes(op) ?? [0, 0];
    const size = (op.params.dims as number[])[0];
    return { ...binaryOperands(op, env), fn: op.params.is_max ? 'arm_maximum_s8' : 'arm_minimum_s8', n1, n2, size, output: env.ptr(op.outputs[0], 'int8_t') };
  },
};

// ---- pad, transpose (data movement) ----------------------------------------

/** Pads of one dim. */
export interface PaddedDim { size: number; before: number; after: number }

/**
 * The same constant pad as few dims as possible: an unpadded dim folds into
 * its outer neighbour (padding that neighbour by p pads the merged dim by
 * p * inner), unit dims without pads vanish. Empty for a pad of nothing.
 */
export function canonicalPad(dims: readonly PaddedDim[]): PaddedDim[] {
  const out: PaddedDim[] = [];
  for (const d of dims) {
    if (d.size === 1 && d.before === 0 && d.after === 0) continue;
    const last = out[out.length - 1];
    if (last && d.before === 0 && d.after === 0) out[out.length - 1] = { size: last.size * d.size, before: last.before * d.size, after: last.after * d.size };
    else out.push({ ...d });
  }
  return out;
}

function padDims(op: Op): PaddedDim[] {
  const dims = op.params.in_dims as number[];
  const before = op.params.pads_before as number[];
  const after = op.params.pads_after as number[];
  return canonicalPad(dims.map((size, i) => ({ size, before: before[i], after: after[i] })));
}

/** Left-fills to the library's 4 dims (n, h, w, c). */
const to4 = <T>(v: readonly T[], fill: T): T[] => [...new Array<T>(4 - v.length).fill(fill), ...v];

export const cmsisPad: LibraryKernelSpec = {
  template: 'pad',
  unsupported: (op) => (padDims(op).length > 4 ? `pad over ${padDims(op).length} dims that do not merge into 4` : undefined),
  scratchBytes: () => 0,
  view: (op, env) => {
    const d = to4(padDims(op), { size: 1, before: 0, after: 0 });
    return {
      dims: d.map((x) => x.size).join(', '), before: d.map((x) => x.before).join(', '), after: d.map((x) => x.after).join(', '),
      value: op.params.pad_value, input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
    };
  },
};

/**
 * The same transpose on as few dims as possible: unit dims dropped, input
 * axes that stay adjacent and in order in the output merged. `perm` is
 * numpy's (output dim i is input dim perm[i]), as ours and CMSIS-NN's.
 */
export function canonicalTranspose(inDims: readonly number[], perm: readonly number[]): { dims: number[]; perm: number[] } {
  const kept = inDims.flatMap((d, i) => (d === 1 ? [] : [i]));
  const p = perm.filter((a) => inDims[a] !== 1).map((a) => kept.indexOf(a));
  // runs of output dims whose input axes are consecutive become one input axis
  const runs: number[][] = [];
  for (const a of p) {
    const run = runs[runs.length - 1];
    if (run && run[run.length - 1] + 1 === a) run.push(a);
    else runs.push([a]);
  }
  const byInput = [...runs].sort((x, y) => x[0] - y[0]);
  const dims = byInput.map((run) => run.reduce((acc, a) => acc * inDims[kept[a]], 1));
  return { dims, perm: runs.map((run) => byInput.indexOf(run)) };
}

/** arm_transpose_s8 keeps w and c in uint16 on its MVE path. */
const TRANSPOSE_MAX_DIM = 65535;

function transpose4(op: Op): { dims: number[]; perm: number[] } {
  const c = canonicalTranspose(op.params.in_dims as number[], op.params.perm as number[]);
  const lead = 4 - c.dims.length;
  return { dims: to4(c.dims, 1), perm: [...Array.from({ length: Math.max(0, lead) }, (_, i) => i), ...c.perm.map((a) => a + lead)] };
}

export const cmsisTranspose: LibraryKernelSpec = {
  template: 'transpose',
  unsupported: (op, target) => {
    if (op.params.elem_bytes !== 1) return 'a transpose of 4-byte (float32 / int32) values';
    const c = canonicalTranspose(op.params.in_dims as number[], op.params.perm as number[]);
    if (c.dims.length > 4) return `transpose over ${c.dims.length} dims that do not merge into 4`;
    if (target === 'mve' && c.dims.some((d) => d > TRANSPOSE_MAX_DIM)) return `transpose dims over ${TRANSPOSE_MAX_DIM}`;
    return undefined;
  },
  scratchBytes: () => 0,
  view: (op, env) => {
    const t = transpose4(op);
    const outDims = t.perm.map((a) => t.dims[a]);
    return { dims: t.dims.join(', '), outDims: outDims.join(', '), perm: t.perm.join(', '), input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t') };
  },
};

// ---- batch matmul ----------------------------------------------------------

/** The operand's batch dims as the library sees them: 1 where our kernel broadcasts it (step 0). */
const bmmBatch = (op: Op, step0: string, step1: string): [number, number] =>
  [numParam(op, step0) === 0 ? 1 : numParam(op, 'b0'), numParam(op, step1) === 0 ? 1 : numParam(op, 'b1')];

/** Bytes of B^T in the scratch (arm_batch_matmul_s8 takes the right operand transposed, [.., N, K]), 4-aligned for what follows. */
const bmmTransposedBytes = (op: Op): number => align(bmmBatch(op, 'c_step0', 'c_step1').reduce((a, b) => a * b, 1) * numParam(op, 'k') * numParam(op, 'n'), 4);

/** B^T, then on MVE the int32 column sums arm_batch_matmul_s8 keeps in ctx->buf (one per rhs row, N). */
const bmmScratch = (op: Op, target: string): number => bmmTransposedBytes(op) + (asVariant(target) === 'mve' ? 4 * numParam(op, 'n') : 0);

/**
 * arm_batch_matmul_s8 (TFLM BATCH_MATMUL's CMSIS-NN kernel): the same exact
 * int32 sums and one per-tensor requantization as ours, numpy broadcasting
 * over its two batch dims (n, h). Our B is [.., K, N] as stored, so the call
 * first transposes it into the scratch with arm_transpose_s8, as TFLM does
 * for a non-adjoint rhs.
 */
export const cmsisBatchMatmul: LibraryKernelSpec = {
  template: 'batch_matmul',
  unsupported: (op, target) => (target === 'mve' && (numParam(op, 'k') > TRANSPOSE_MAX_DIM || numParam(op, 'n') > TRANSPOSE_MAX_DIM) ? `batch matmul dims over ${TRANSPOSE_MAX_DIM}` : undefined),
  scratchBytes: bmmScratch,
  view: (op, env, target) => {
    const [a0, a1] = bmmBatch(op, 'a_step0', 'a_step1');
    const [c0, c1] = bmmBatch(op, 'c_step0', 'c_step1');
    const rhsBytes = bmmTransposedBytes(op);
    return {
      p: op.params, a0, a1, c0, c1, rhsBytes, sumBytes: bmmScratch(op, target) - rhsBytes,
      a: env.ptr(op.inputs[0], 'const int8_t'), c: env.ptr(op.inputs[1], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
      scratch: env.scratch(op),
    };
  },
};

// ---- transpose convolution -------------------------------------------------

interface TconvAxis { inSize: number; outSize: number; k: number; stride: number; pad: number; dil: number }

const tconvAxes = (op: Op): [TconvAxis, TconvAxis] => [
  { inSize: numParam(op, 'in_h'), outSize: numParam(op, 'out_h'), k: numParam(op, 'k_h'), stride: numParam(op, 'stride_h'), pad: numParam(op, 'pad_top'), dil: numParam(op, 'dil_h') },
  { inSize: numParam(op, 'in_w'), outSize: numParam(op, 'out_w'), k: numParam(op, 'k_w'), stride: numParam(op, 'stride_w'), pad: numParam(op, 'pad_left'), dil: numParam(op, 'dil_w') },
];

/** Positions arm_transpose_conv_s8 accumulates along an axis: (in - 1) * stride + max(k, stride). */
const tconvSpan = (a: TconvAxis): number => (a.inSize - 1) * a.stride + Math.max(a.k, a.stride);

/**
 * Where arm_transpose_conv_s8 (called directly, not through its wrapper's
 * reverse-conv path) computes what ours does. From its source: it has no
 * dilation; it reads output columns pad .. pad + out - 1 of a row buffer of
 * tconvSpan columns (and rows likewise), so the output must end inside the
 * span (output_padding past the last tap would read the next buffer row);
 * it flushes in * stride - pad rows in its input loop without bounding them
 * by the output height; and it skips `pad` filter rows at the top, so the
 * top pad must stay inside the kernel. Released versions (<= v7.0.0) also
 * misplace rows when the top pad is not a multiple of the stride.
 */
function tconvUnsupported(op: Op): string | undefined {
  const [h, w] = tconvAxes(op);
  if (h.dil !== 1 || w.dil !== 1) return 'dilated transpose convolution';
  if (h.pad >= h.k) return `transpose convolution top pad ${h.pad} not smaller than the kernel height ${h.k}`;
  // CMSIS-NN releases up to v7.0.0 flush the wrong rows when pad_h % stride_h != 0 (fixed on main by #233, 2026-07, not in a release yet)
  if (h.pad % h.stride !== 0) return `transpose convolution top pad ${h.pad} not a multiple of the stride ${h.stride} (wrong in CMSIS-NN releases up to v7.0.0)`;
  for (const [name, a] of [['height', h], ['width', w]] as const) {
    if (a.pad + a.outSize > tconvSpan(a)) return `transpose convolution output ${name} reaching past the last filter tap (output_padding)`;
  }
  if (h.inSize * h.stride - h.pad > h.outSize) return 'transpose convolution with fewer output rows than input rows * stride - top pad (the library would write them all)';
  return undefined;
}

/**
 * Int32 row buffer of arm_transpose_conv_s8: max(k_h, s_h) rows of
 * tconvSpan(width) * C_out. Its _get_buffer_size takes max(k_w, s_h) for the
 * width (and the wrapper's reverse-conv size on some shapes); the larger of
 * the two formulas is planned.
 */
function tconvScratch(op: Op): number {
  const [h, w] = tconvAxes(op);
  const cOut = numParam(op, 'out_c');
  const rows = Math.max(h.k, h.stride);
  const kernelCols = tconvSpan(w);
  const sizeFnCols = (w.inSize - 1) * w.stride + Math.max(w.k, h.stride);
  return 4 * rows * Math.max(kernelCols, sizeFnCols) * cOut;
}

export const cmsisTransposeConv: LibraryKernelSpec = {
  template: 'transpose_conv',
  unsupported: tconvUnsupported,
  scratchBytes: tconvScratch,
  view: (op, env) => ({ ...quantView(op, env), p: op.params, scratch: env.scratch(op), scratchBytes: tconvScratch(op) }),
};
