/**
 * CMSIS-NN _s16 calls for the 16x8 kinds (int16 activations, int8 weights,
 * int64 bias; ops/int16.ts), declared in compiler/ops/<op>.ts next to the
 * int8 calls of cmsis-nn.ts. Each `unsupported` names where the library's
 * arithmetic can leave TFLite Micro's (our portable kernels'), read from the
 * library's sources (commit 99f736a6):
 *  - conv / depthwise / FC sum int16 x int8 products in an int32 on some
 *    paths before widening to int64 (TFLM sums in int64), and
 *    arm_nn_requantize_s64 keeps an int32 intermediate: both exact within
 *    the bounds ops/int16.ts libraryAccumulatorParams records per layer.
 *  - arm_fully_connected_s16 has one multiplier for the layer.
 *  - add / mul ignore offsets (16x8 zero points are 0) and do not broadcast.
 *  - arm_softmax_s16 adds the rounding of its normalised sum in an int32
 *    (overflowing at sums 2^18 - 1, 2^19 - 2 and up) and casts outputs to
 *    int16 where TFLM clamps (a row of one gives 1.0 = 32768): exact on rows
 *    of 2 to 8 (test/backends/cmsis-s16-softmax.test.ts walks every sum).
 *  - arm_nn_activation_s16 scales the input by 3 << left_shift (or 3 >> n):
 *    TFLM's power-of-two input scales only.
 * Scratch sizes transcribe the library's *_get_buffer_size(_dsp|_mve).
 */
import type { Op } from '../ir/program.js';
import type { EmitEnv, LibraryKernelSpec } from '../ops/types.js';
import { asVariant, type CmsisNnVariant } from './cmsis-nn.js';
import { numParam, padReachesKernel, tfliteLikePads, windowGeometry, type WindowGeometry } from './geometry.js';

const INT32_MAX = 2 ** 31 - 1;
/** 2^15: the largest |int16| an accumulator term is multiplied by. */
const INT16_MAGNITUDE = 32768;
/** arm_convolve_s16's plain C path counts columns in a uint16_t. */
const MAX_CONV_COLUMNS = 65535;
/** USE_FAST_DW_CONV_S16_FUNCTION: kernels of fewer taps than MAX_COL_COUNT take arm_depthwise_conv_fast_s16. */
const MAX_COL_COUNT = 512;

/** Where the int32 parts of the library's accumulation or requantization could leave TFLM's 64-bit arithmetic. */
function accumulatorUnsupported(op: Op): string | undefined {
  const weightSum = numParam(op, 'max_weight_abs_sum');
  if (weightSum * INT16_MAGNITUDE > INT32_MAX) return `a channel whose |weights| sum to ${weightSum}: the library's int32 partial sums could overflow (TFLM sums in int64)`;
  const requant = numParam(op, 'max_requant_abs');
  if (requant >= INT32_MAX) return `an accumulator the library's int32 requantization step could overflow (|acc| x multiplier up to ${requant})`;
  return undefined;
}

function s16Pointers(op: Op, env: EmitEnv): Record<string, string> {
  return {
    input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'int16_t'),
    filter: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
    mult: env.constName(op.consts.mult), shift: env.constName(op.consts.shift),
  };
}

// ---- convolution -----------------------------------------------------------

/** arm_convolve_wrapper_s16_get_buffer_size(_mve): two (four on Helium, 8-lane padded) im2col columns of int16. */
export function convS16Buffer(g: WindowGeometry, v: CmsisNnVariant): number {
  const cols = g.inC * g.kW * g.kH;
  return v === 'mve' ? 4 * Math.ceil(cols / 8) * 8 * 2 : 2 * cols * 2;
}

function convS16Unsupported(op: Op): string | undefined {
  const g = windowGeometry(op);
  if (g.groups !== 1) return `grouped convolution (groups ${g.groups})`;
  if (g.inC * g.kW * g.kH > MAX_CONV_COLUMNS) return `a filter of ${g.inC * g.kW * g.kH} taps (its plain C path counts them in 16 bits)`;
  return accumulatorUnsupported(op);
}

const convS16Scratch = (op: Op, target: string): number => convS16Buffer(windowGeometry(op), asVariant(target));

/** arm_convolve_wrapper_s16 (it calls arm_convolve_s16 for every shape: any padding, dilation). */
export const cmsisConvS16: LibraryKernelSpec = {
  template: 'conv2d_s16',
  unsupported: convS16Unsupported,
  scratchBytes: convS16Scratch,
  view: (op, env, target) => ({ ...s16Pointers(op, env), g: windowGeometry(op), p: op.params, scratch: env.scratch(op), scratchBytes: convS16Scratch(op, target) }),
};

// ---- depthwise -------------------------------------------------------------

/** USE_FAST_DW_CONV_S16_FUNCTION, as the wrapper decides. */
const dwS16Fast = (g: WindowGeometry): boolean => g.outC === g.inC && g.dilW === 1 && g.dilH === 1 && g.kW * g.kH < MAX_COL_COUNT;

/** The wrapper only for TFLite-like pads (its fast path walks the window as TFLite pads it); the generic kernel otherwise. */
const dwS16Wrapper = (g: WindowGeometry): boolean => tfliteLikePads(g);

/** arm_depthwise_conv_wrapper_s16_get_buffer_size(_dsp|_mve): the fast kernel's im2col (none on the plain C path). */
export function depthwiseS16Buffer(g: WindowGeometry, v: CmsisNnVariant): number {
  if (!dwS16Wrapper(g) || !dwS16Fast(g)) return 0;
  const taps = g.inC * g.kW * g.kH;
  if (v === 'mve') return 4 * taps * 2 + 8;
  return v === 'dsp' ? taps * 2 : 0;
}

const dwS16Scratch = (op: Op, target: string): number => depthwiseS16Buffer(windowGeometry(op), asVariant(target));

export const cmsisDepthwiseS16: LibraryKernelSpec = {
  template: 'depthwise_conv2d_s16',
  unsupported: accumulatorUnsupported,
  scratchBytes: dwS16Scratch,
  // Helium reads whole 4-channel blocks of the per-channel arrays (as its s8 depthwise does).
  constPadding: (op, target): Record<string, number> => (target === 'mve' && numParam(op, 'out_c') % 4 !== 0 ? { filter: 4, bias: 4, mult: 4, shift: 4 } : {}),
  view: (op, env, target) => {
    const g = windowGeometry(op);
    return { ...s16Pointers(op, env), g, p: op.params, wrapper: dwS16Wrapper(g), chMult: g.outC / g.inC, scratch: env.scratch(op), scratchBytes: dwS16Scratch(op, target) };
  },
};

// ---- fully connected -------------------------------------------------------

const fcPerTensor = (op: Op): boolean => op.params.per_tensor_requant === 1;

/** A fully connected layer as the 1x1 convolution it is: [batches, 1, 1, K] -> [batches, 1, 1, N]. */
function fcAsConv(op: Op): WindowGeometry {
  const batches = numParam(op, 'batches');
  return {
    batches, inH: 1, inW: 1, inC: numParam(op, 'in_depth'), outH: 1, outW: 1, outC: numParam(op, 'out_depth'), kH: 1, kW: 1,
    strideH: 1, strideW: 1, dilH: 1, dilW: 1, padTop: 0, padLeft: 0, padBottom: 0, padRight: 0, groups: 1,
  };
}

/** arm_fully_connected_s16 needs none; the 1x1 convolution its im2col columns. */
const fcS16Scratch = (op: Op, target: string): number => (fcPerTensor(op) ? 0 : convS16Buffer(fcAsConv(op), asVariant(target)));

/**
 * arm_fully_connected_s16 takes one multiplier for the layer; a per-channel
 * layer (TFLite's 16x8 converter quantizes FC weights per channel) runs as a
 * 1x1 arm_convolve_wrapper_s16, which takes one per channel and the same
 * int8 [N, K] filter.
 */
export const cmsisFullyConnectedS16: LibraryKernelSpec = {
  template: 'fully_connected_s16',
  unsupported: (op) => (!fcPerTensor(op) && numParam(op, 'in_depth') > MAX_CONV_COLUMNS
    ? `a per-channel layer of ${numParam(op, 'in_depth')} inputs (run as a 1x1 convolution, whose plain C path counts them in 16 bits)` : accumulatorUnsupported(op)),
  scratchBytes: fcS16Scratch,
  view: (op, env, target) => ({ ...s16Pointers(op, env), p: op.params, perTensor: fcPerTensor(op), g: fcAsConv(op), scratch: env.scratch(op), scratchBytes: fcS16Scratch(op, target) }),
};

// ---- pooling ---------------------------------------------------------------

function poolS16Unsupported(op: Op): string | undefined {
  if (op.kind === 'avg_pool_s16' && padReachesKernel(windowGeometry(op))) return 'padding as large as the kernel';
  return undefined;
}

const avgPoolS16Scratch = (op: Op, target: string): number => (op.kind === 'avg_pool_s16' && asVariant(target) === 'dsp' ? numParam(op, 'channels') * 4 : 0);

export const cmsisPoolS16: LibraryKernelSpec = {
  template: 'pool_s16',
  unsupported: poolS16Unsupported,
  scratchBytes: avgPoolS16Scratch,
  view: (op, env, target) => ({
    g: windowGeometry(op), p: op.params, avg: op.kind === 'avg_pool_s16', fn: op.kind === 'max_pool_s16' ? 'arm_max_pool_s16' : 'arm_avgpool_s16',
    input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'int16_t'),
    scratch: env.scratch(op), scratchBytes: avgPoolS16Scratch(op, target),
  }),
};

// ---- add, mul --------------------------------------------------------------

function binaryS16Unsupported(op: Op): string | undefined {
  if (op.params.broadcast) return 'broadcasting (the library has none)';
  const offsets = ['in1_offset', 'in2_offset', 'out_offset'].filter((k) => numParam(op, k, 0) !== 0);
  return offsets.length ? `nonzero ${offsets.join(', ')} (its _s16 kernels ignore offsets)` : undefined;
}

/** The two int16 operands' C expressions (constant operands are flash arrays). */
function s16Operands(op: Op, env: EmitEnv): { in1: string; in2: string } {
  let next = 0;
  const operand = (slot: 'in1' | 'in2'): string => (op.params[`${slot}_const`] ? env.constName(op.consts[slot]) : env.ptr(op.inputs[next++], 'const int16_t'));
  const in1 = operand('in1');
  return { in1, in2: operand('in2') };
}

export const cmsisAddS16: LibraryKernelSpec = {
  template: 'add_s16',
  unsupported: binaryS16Unsupported,
  scratchBytes: () => 0,
  view: (op, env) => ({ ...s16Operands(op, env), p: op.params, output: env.ptr(op.outputs[0], 'int16_t') }),
};

export const cmsisMulS16: LibraryKernelSpec = { ...cmsisAddS16, template: 'mul_s16' };

// ---- softmax, sigmoid / tanh -----------------------------------------------

/** Largest exp table value (exp(0) in Q0.15). */
const MAX_EXP_Q15 = 32767;
/** The first row sum of exps whose normalisation overflows arm_softmax_s16's int32 ((sum << (clz - 1)) + 2^13 = 2^31). */
const SOFTMAX_FIRST_OVERFLOW = 2 ** 18 - 1;

function softmaxS16Unsupported(op: Op): string | undefined {
  const n = numParam(op, 'row_size');
  if (n === 1) return 'rows of one element (the library wraps the output 1.0 to -32768 where TFLM clamps it)';
  if (n * MAX_EXP_Q15 >= SOFTMAX_FIRST_OVERFLOW) return `rows of ${n} (from 9 on the sum of exps can overflow the library's int32 rounding step)`;
  return undefined;
}

export const cmsisSoftmaxS16: LibraryKernelSpec = {
  template: 'softmax_s16',
  unsupported: softmaxS16Unsupported,
  scratchBytes: () => 0,
  view: (op, env) => ({
    p: op.params, input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'int16_t'),
    exp_lut: env.constName(op.consts.exp_lut), recip_lut: env.constName(op.consts.recip_lut),
  }),
};

/** The library's left_shift for our input scaling (input_mult / 2^input_left_shift), when the library's 3 << left_shift (or 3 >> -left_shift) is it. */
export function activationLeftShift(mult: number, rightShift: number): number | undefined {
  if (rightShift === 0) {
    for (let s = 0; s <= 15; s++) if (mult === 3 << s) return s;
    return undefined;
  }
  return mult === 3 ? -rightShift : undefined;
}

export const cmsisActivationS16: LibraryKernelSpec = {
  template: 'activation_s16',
  unsupported: (op) => (activationLeftShift(numParam(op, 'input_mult'), numParam(op, 'input_left_shift')) === undefined
    ? 'an input scale that is not a power of two (the library scales by 3 << left_shift only)' : undefined),
  scratchBytes: () => 0,
  view: (op, env) => ({
    input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'int16_t'), size: op.params.size,
    leftShift: activationLeftShift(numParam(op, 'input_mult'), numParam(op, 'input_left_shift')), type: op.kind === 'logistic_s16' ? 'ARM_SIGMOID' : 'ARM_TANH',
  }),
};
