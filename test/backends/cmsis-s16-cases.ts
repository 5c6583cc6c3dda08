/**
 * Small int16 QDQ ONNX models (the 16x8 scheme: int16 activations with zero
 * point 0, int8 per-channel weights, int32 bias in the accumulator's scale),
 * built in TypeScript, one layer each, shaped for CMSIS-NN's _s16 special
 * paths and their tails: odd channel counts (the 4-channel blocks of the
 * depthwise and Helium kernels), odd pixel counts (arm_convolve_s16 computes
 * column pairs, the last one alone), ch_mult 2 and 4, dilation, more than
 * 512 FC columns (arm_nn_vec_mat_mult_t_s16's int64 tail), odd elementwise
 * sizes, softmax rows at and past the library's limits, power-of-two sigmoid / tanh.
 * int16 model I/O, so random inputs cover the whole int16 range.
 */
import { OnnxBuilder } from '../helpers/onnx-builder.js';

export interface S16Case { label: string; bytes: Uint8Array }

/** Deterministic values in [-1, 1) (a linear congruential generator: the cases must not change between runs). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const IN_SCALE = 1 / 4096;

/** An int16 graph input [dims] and its dequantized float tensor. */
function int16Input(b: OnnxBuilder, name: string, dims: number[], scale = IN_SCALE): string {
  b.input(name, 'int16', dims);
  b.float(`${name}_scale`, scale, []).initializer(`${name}_zp`, Int16Array.of(0), [], { dtype: 'int16' });
  return b.op('DequantizeLinear', [name, `${name}_scale`, `${name}_zp`]);
}

/** Quantizes float tensor `x` to the int16 graph output `name`. */
function int16Output(b: OnnxBuilder, x: string, name: string, dims: number[], scale: number): void {
  b.float(`${name}_scale`, scale, []).initializer(`${name}_zp`, Int16Array.of(0), [], { dtype: 'int16' });
  b.op('QuantizeLinear', [x, `${name}_scale`, `${name}_zp`], {}, { output: name });
  b.output(name, 'int16', dims);
}

/** Per-output-channel int8 weights [cout, ...] (axis 0) and an int32 bias, dequantized; `maxAbs` caps |weight| in int8 units. */
function weights(b: OnnxBuilder, name: string, dims: number[], inScale: number, seed: number, maxAbs = 127): { w: string; bias: string } {
  const cout = dims[0];
  const per = dims.slice(1).reduce((a, c) => a * c, 1);
  const w = values(cout * per, seed);
  const scales = Array.from({ length: cout }, (_, c) => 1 / 127 + c / 2000);
  const q = Int8Array.from(w, (v) => Math.round(v * maxAbs));
  b.initializer(`${name}_q`, q, dims, { dtype: 'int8' });
  b.float(`${name}_scales`, scales).initializer(`${name}_zps`, new Int8Array(cout), [cout], { dtype: 'int8' });
  const wf = b.op('DequantizeLinear', [`${name}_q`, `${name}_scales`, `${name}_zps`], { axis: 0 });
  const biasQ = Int32Array.from(values(cout, seed + 1), (v) => Math.round(v * 50_000));
  b.initializer(`${name}_bq`, biasQ, [cout], { dtype: 'int32' });
  b.float(`${name}_bscales`, scales.map((s) => s * inScale)).initializer(`${name}_bzps`, new Int32Array(cout), [cout], { dtype: 'int32' });
  const bias = b.op('DequantizeLinear', [`${name}_bq`, `${name}_bscales`, `${name}_bzps`], { axis: 0 });
  return { w: wf, bias };
}

/** A model's output scale: a typical |output| of `terms` products spread over the int16 range. */
const outScale = (terms: number, weight = 0.5): number => (8 * weight * Math.sqrt(terms) * 3) / 32767;

interface ConvSpec { label: string; cin: number; cout: number; h: number; w: number; k: [number, number]; group?: number;
  strides?: [number, number]; dilations?: [number, number]; pads?: [number, number, number, number] }

function convCase(s: ConvSpec, seed: number): S16Case {
  const b = new OnnxBuilder({ opset: 21 });
  const group = s.group ?? 1;
  const strides = s.strides ?? [1, 1];
  const dil = s.dilations ?? [1, 1];
  const pads = s.pads ?? [0, 0, 0, 0];
  const x = int16Input(b, 'x', [1, s.cin, s.h, s.w]);
  const { w, bias } = weights(b, 'conv', [s.cout, s.cin / group, s.k[0], s.k[1]], IN_SCALE, seed);
  const y = b.op('Conv', [x, w, bias], { kernel_shape: s.k, group, strides, dilations: dil, pads });
  const oh = Math.floor((s.h + pads[0] + pads[2] - dil[0] * (s.k[0] - 1) - 1) / strides[0]) + 1;
  const ow = Math.floor((s.w + pads[1] + pads[3] - dil[1] * (s.k[1] - 1) - 1) / strides[1]) + 1;
  int16Output(b, y, 'y', [1, s.cout, oh, ow], outScale((s.cin / group) * s.k[0] * s.k[1]));
  return { label: s.label, bytes: b.toBytes() };
}

function gemmCase(label: string, k: number, n: number, maxAbs: number, seed: number): S16Case {
  const b = new OnnxBuilder({ opset: 21 });
  const x = int16Input(b, 'x', [2, k]);
  // one weight scale for the layer: arm_fully_connected_s16 takes a per-tensor multiplier
  const q = Int8Array.from(values(n * k, seed), (v) => Math.round(v * maxAbs));
  b.initializer('w_q', q, [n, k], { dtype: 'int8' });
  b.float('w_scale', 1 / 127, []).initializer('w_zp', Int8Array.of(0), [], { dtype: 'int8' });
  const w = b.op('DequantizeLinear', ['w_q', 'w_scale', 'w_zp']);
  b.initializer('b_q', Int32Array.from(values(n, seed + 1), (v) => Math.round(v * 80_000)), [n], { dtype: 'int32' });
  b.float('b_scale', IN_SCALE / 127, []).initializer('b_zp', Int32Array.of(0), [], { dtype: 'int32' });
  const bias = b.op('DequantizeLinear', ['b_q', 'b_scale', 'b_zp']);
  const y = b.op('Gemm', [x, w, bias], { transB: 1 });
  int16Output(b, y, 'y', [2, n], outScale(k, maxAbs / 127));
  return { label, bytes: b.toBytes() };
}

/** Per-channel weights: the layer runs as a 1x1 arm_convolve_wrapper_s16. */
function perChannelGemmCase(label: string, k: number, n: number, seed: number): S16Case {
  const b = new OnnxBuilder({ opset: 21 });
  const x = int16Input(b, 'x', [3, k]);
  const { w, bias } = weights(b, 'fc', [n, k], IN_SCALE, seed);
  const y = b.op('Gemm', [x, w, bias], { transB: 1 });
  int16Output(b, y, 'y', [3, n], outScale(k));
  return { label, bytes: b.toBytes() };
}

function binaryCase(op: 'Add' | 'Mul', dims: number[]): S16Case {
  const b = new OnnxBuilder({ opset: 21 });
  const x1 = int16Input(b, 'a', dims, 1 / 4096);
  const x2 = int16Input(b, 'b', dims, 1 / 3000);
  const y = b.op(op, [x1, x2]);
  int16Output(b, y, 'y', dims, op === 'Add' ? 1 / 2048 : 1 / 512);
  return { label: `${op.toLowerCase()}_${dims.join('x')}`, bytes: b.toBytes() };
}

function poolCase(op: 'AveragePool' | 'MaxPool', c: number, h: number, w: number, k: number, stride: number, pad: number): S16Case {
  const b = new OnnxBuilder({ opset: 21 });
  const x = int16Input(b, 'x', [1, c, h, w]);
  const y = b.op(op, [x], { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] });
  const o = (n: number): number => Math.floor((n + 2 * pad - k) / stride) + 1;
  int16Output(b, y, 'y', [1, c, o(h), o(w)], IN_SCALE);
  return { label: `${op === 'MaxPool' ? 'max' : 'avg'}pool_c${c}_${h}x${w}_k${k}s${stride}p${pad}`, bytes: b.toBytes() };
}

function softmaxCase(rows: number, rowSize: number): S16Case {
  const b = new OnnxBuilder({ opset: 21 });
  const x = int16Input(b, 'x', [rows, rowSize], 1 / 2048);
  const y = b.op('Softmax', [x], { axis: -1 });
  int16Output(b, y, 'y', [rows, rowSize], 1 / 32768);
  return { label: `softmax_${rows}x${rowSize}`, bytes: b.toBytes() };
}

function activationCase(op: 'Sigmoid' | 'Tanh', inScale: number, n: number): S16Case {
  const b = new OnnxBuilder({ opset: 21 });
  const x = int16Input(b, 'x', [1, n], inScale);
  const y = b.op(op, [x]);
  int16Output(b, y, 'y', [1, n], 1 / 32768);
  return { label: `${op.toLowerCase()}_in2^${Math.log2(inScale)}_${n}`, bytes: b.toBytes() };
}

export function s16Cases(): S16Case[] {
  return [
    // 63 output pixels: the last column of arm_convolve_s16 alone; 5 and 7 channels: odd channel pairs
    convCase({ label: 'conv3x3_c3to5_7x9_pad1', cin: 3, cout: 5, h: 7, w: 9, k: [3, 3], pads: [1, 1, 1, 1] }, 11),
    convCase({ label: 'conv1x1_c5to7_5x5', cin: 5, cout: 7, h: 5, w: 5, k: [1, 1] }, 12),
    convCase({ label: 'conv3x2_c4to6_stride2_dil2_asympad', cin: 4, cout: 6, h: 11, w: 10, k: [3, 2], strides: [2, 2], dilations: [2, 2], pads: [2, 0, 1, 1] }, 13),
    // depthwise: ch_mult 1 (the wrapper's fast path) with 5 channels, a 4-channel block and a tail
    convCase({ label: 'dw3x3_c5_6x7_pad1', cin: 5, cout: 5, h: 6, w: 7, k: [3, 3], group: 5, pads: [1, 1, 1, 1] }, 14),
    convCase({ label: 'dw3x3_c9_5x5_stride2', cin: 9, cout: 9, h: 5, w: 5, k: [3, 3], group: 9, strides: [2, 2], pads: [1, 1, 1, 1] }, 15),
    // ch_mult 2 and 4: the generic kernel's two loops
    convCase({ label: 'dw3x3_c3_mult2', cin: 3, cout: 6, h: 5, w: 6, k: [3, 3], group: 3, pads: [1, 1, 1, 1] }, 16),
    convCase({ label: 'dw2x2_c2_mult4', cin: 2, cout: 8, h: 4, w: 5, k: [2, 2], group: 2 }, 17),
    convCase({ label: 'dw3x3_c4_dil2', cin: 4, cout: 4, h: 7, w: 7, k: [3, 3], group: 4, dilations: [2, 2], pads: [2, 2, 2, 2] }, 18),
    gemmCase('fc_37to13', 37, 13, 127, 19),
    // over 512 columns with weights small enough for the library's int32 partial sums
    gemmCase('fc_700to5_small_weights', 700, 5, 3, 20),
    perChannelGemmCase('fc_per_channel_3x29to11', 29, 11, 21),
    binaryCase('Add', [1, 3, 5, 7]),
    binaryCase('Mul', [1, 105]),
    poolCase('AveragePool', 5, 7, 7, 3, 2, 1),
    poolCase('MaxPool', 3, 6, 5, 2, 2, 0),
    poolCase('AveragePool', 4, 5, 5, 2, 1, 0),
    softmaxCase(3, 8),
    softmaxCase(4, 5),
    softmaxCase(6, 2),
    // past the library's exact row sizes: stay portable (EXPECTED_FALLBACKS)
    softmaxCase(3, 9),
    softmaxCase(5, 1),
    activationCase('Sigmoid', 2 ** -12, 301),
    activationCase('Tanh', 2 ** -12, 301),
    activationCase('Tanh', 2 ** -11, 301),
  ];
}

/** A layer CMSIS-NN's _s16 kernels cannot compute as TFLM does, and the reason the build must give. */
export interface S16Refusal extends S16Case { reason: RegExp }

function broadcastAddCase(): S16Case {
  const b = new OnnxBuilder({ opset: 21 });
  const x1 = int16Input(b, 'a', [1, 4, 3, 5]);
  const x2 = int16Input(b, 'b', [1, 4, 1, 1]);
  int16Output(b, b.op('Add', [x1, x2]), 'y', [1, 4, 3, 5], 1 / 2048);
  return { label: 'add_broadcast', bytes: b.toBytes() };
}

export function s16Refusals(): S16Refusal[] {
  return [
    // 1200 full-range weights (|w| summing to about 77,000) x 2^15 exceed an int32: the library's partial sums
    // could wrap where TFLM's int64 does not (700 of them, summing to about 45,000, pass: the bound is the layer's own)
    { ...gemmCase('fc_1200to5_full_weights', 1200, 5, 127, 22), reason: /\|weights\| sum to \d+: the library's int32 partial sums could overflow/ },
    { ...convCase({ label: 'conv_grouped_2', cin: 4, cout: 6, h: 5, w: 5, k: [3, 3], group: 2 }, 23), reason: /grouped convolution \(groups 2\)/ },
    { ...broadcastAddCase(), reason: /broadcasting/ },
    { ...activationCase('Sigmoid', 1 / 3000, 10), label: 'sigmoid_in1/3000', reason: /input scale that is not a power of two/ },
  ];
}
