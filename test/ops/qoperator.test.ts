/**
 * QOperator ops (ONNX QLinearConv / QLinearMatMul, com.microsoft QGemm and
 * QLinear*) against onnxruntime, on uint8 I/O models built here: the ops
 * onnxruntime's quantize_static(QOperator) emits, including those the bundled
 * fixtures do not (Concat, Mul, Sigmoid, LeakyRelu, GlobalAveragePool,
 * MatMul). The U8U8 cases use uint8 weights over the whole range
 * with zero points far from 128 (5, 20, 200, 250), with padding, stride,
 * dilation, groups and depthwise: the exact zero-point correction kernels
 * (conv2d_wzp / fully_connected_wzp); one case whose (w - zp) all fit int8
 * checks the free fold to symmetric weights.
 */
import { describeOp, Rand, type OpCase } from './harness.js';
import { OnnxBuilder } from '../helpers/onnx-builder.js';

const MS = 'com.microsoft';

interface U8Quant { scale: number; zeroPoint: number }

function model(): OnnxBuilder {
  return new OnnxBuilder({ opset: 13, domains: { [MS]: 1 } });
}

/** scale / zero point initializers; returns their names. */
function qparams(b: OnnxBuilder, base: string, q: U8Quant | { scale: number[]; zeroPoint: number[] }, dtype: 'uint8' | 'int8' = 'uint8'): [string, string] {
  const scale = Array.isArray(q.scale) ? q.scale : [q.scale];
  const zp = Array.isArray(q.zeroPoint) ? q.zeroPoint : [q.zeroPoint];
  const dims = Array.isArray(q.scale) ? [scale.length] : [];
  b.float(`${base}_scale`, scale.map(Math.fround), dims);
  b.initializer(`${base}_zp`, dtype === 'uint8' ? Uint8Array.from(zp) : Int8Array.from(zp), dims);
  return [`${base}_scale`, `${base}_zp`];
}

/** Random uint8 activations feed [0, 255] around zero point ~128 with this scale: real std ≈ 74·scale. */
function actQuant(r: Rand): U8Quant {
  return { scale: Math.fround(r.uniform(0.01, 0.05)), zeroPoint: r.int(100, 156) };
}

function outQuantFor(std: number): U8Quant {
  return { scale: Math.fround(Math.max(1e-4, (6 * std) / 255)), zeroPoint: 128 };
}

interface Weights { data: Uint8Array | Int8Array; scale: number[]; zeroPoint: number[]; dtype: 'uint8' | 'int8' }

/** uint8 weights over the whole range with the given zero points (per output channel or one). */
function u8Weights(r: Rand, count: number, channels: number, zeroPoints: number[], spread = 128): Weights {
  const per = count / channels;
  const data = Uint8Array.from({ length: count }, (_, i) => {
    const zp = zeroPoints[zeroPoints.length === 1 ? 0 : Math.floor(i / per)];
    return spread >= 128 ? r.int(0, 255) : Math.max(0, Math.min(255, zp + r.int(-spread, spread)));
  });
  const scale = zeroPoints.map(() => Math.fround(r.uniform(0.002, 0.006)));
  return { data, scale, zeroPoint: zeroPoints, dtype: 'uint8' };
}

function s8Weights(r: Rand, count: number, channels: number): Weights {
  return { data: Int8Array.from({ length: count }, () => r.int(-127, 127)), scale: Array.from({ length: channels }, () => Math.fround(r.uniform(0.002, 0.006))), zeroPoint: new Array<number>(channels).fill(0), dtype: 'int8' };
}

/** Std of Σ x·w over one output channel (the largest), for random x of real std `xStd`. */
function accStd(w: Weights, channels: number, xStd: number): number {
  const per = w.data.length / channels;
  let worst = 0;
  for (let c = 0; c < channels; c++) {
    const q = w.scale.length === 1 ? 0 : c;
    let s = 0;
    for (let i = 0; i < per; i++) s += (w.scale[q] * (w.data[c * per + i] - w.zeroPoint[q])) ** 2;
    worst = Math.max(worst, Math.sqrt(s) * xStd);
  }
  return worst;
}

function weightParams(w: Weights): U8Quant | { scale: number[]; zeroPoint: number[] } {
  return w.scale.length === 1 ? { scale: w.scale[0], zeroPoint: w.zeroPoint[0] } : { scale: w.scale, zeroPoint: w.zeroPoint };
}

interface ConvCase {
  name: string;
  cin: number; cout: number; hw: [number, number]; k: [number, number];
  strides?: [number, number]; pads?: [number, number, number, number]; dil?: [number, number]; group?: number;
  weights: (r: Rand, count: number, channels: number) => Weights;
  bias?: boolean;
  /** int8 activations (S8S8); uint8 by default. */
  int8Activations?: boolean;
}

function qlinearConv(r: Rand, c: ConvCase): OpCase {
  const b = model();
  const g = c.group ?? 1;
  const act = c.int8Activations ? 'int8' : 'uint8';
  const shift = c.int8Activations ? 128 : 0;
  const xq0 = actQuant(r);
  const xq = { scale: xq0.scale, zeroPoint: xq0.zeroPoint - shift };
  b.input('x', act, [1, c.cin, ...c.hw]);
  const wShape = [c.cout, c.cin / g, ...c.k];
  const w = c.weights(r, wShape.reduce((a, v) => a * v, 1), c.cout);
  b.initializer('w', w.data, wShape);
  const yq0 = outQuantFor(accStd(w, c.cout, 74 * xq.scale));
  const yq = { scale: yq0.scale, zeroPoint: yq0.zeroPoint - shift };
  const inputs = ['x', ...qparams(b, 'x', xq, act), 'w', ...qparams(b, 'w', weightParams(w), w.dtype), ...qparams(b, 'y', yq, act)];
  if (c.bias !== false) {
    b.initializer('bias', Int32Array.from({ length: c.cout }, () => r.int(-3000, 3000)), [c.cout]);
    inputs.push('bias');
  }
  const attrs: Record<string, number[] | number> = { kernel_shape: c.k };
  if (c.strides) attrs.strides = c.strides;
  if (c.pads) attrs.pads = c.pads;
  if (c.dil) attrs.dilations = c.dil;
  if (g > 1) attrs.group = g;
  b.node('QLinearConv', inputs, ['y'], attrs);
  b.output('y', act);
  return { name: `QLinearConv ${c.name}`, model: b.toBytes() };
}

function qlinearMatMul(r: Rand, name: string, k: number, n: number, weights: (r: Rand, count: number, channels: number) => Weights): OpCase {
  const b = model();
  const xq = actQuant(r);
  b.input('x', 'uint8', [2, k]);
  // Weights [K, N]: generate per output column then transpose so column j has zero point j's.
  const wt = weights(r, k * n, n);
  const data = wt.dtype === 'uint8' ? new Uint8Array(k * n) : new Int8Array(k * n);
  for (let j = 0; j < n; j++) for (let i = 0; i < k; i++) data[i * n + j] = wt.data[j * k + i];
  b.initializer('w', data, [k, n]);
  const yq = outQuantFor(accStd(wt, n, 74 * xq.scale));
  b.node('QLinearMatMul', ['x', ...qparams(b, 'x', xq), 'w', ...qparams(b, 'w', weightParams(wt), wt.dtype), ...qparams(b, 'y', yq)], ['y']);
  b.output('y', 'uint8');
  return { name: `QLinearMatMul ${name}`, model: b.toBytes() };
}

function qgemm(r: Rand, name: string, k: number, n: number, alpha: number, weights: (r: Rand, count: number, channels: number) => Weights): OpCase {
  const b = model();
  const xq = actQuant(r);
  b.input('x', 'uint8', [1, k]);
  const w = weights(r, k * n, n);
  b.initializer('w', w.data, [n, k]);
  b.initializer('c', Int32Array.from({ length: n }, () => r.int(-5000, 5000)), [n]);
  const yq = outQuantFor(alpha * accStd(w, n, 74 * xq.scale));
  // alpha 1 is left to its default (the builder would write the number 1 as an int attribute).
  b.node('QGemm', ['x', ...qparams(b, 'x', xq), 'w', ...qparams(b, 'w', weightParams(w), w.dtype), 'c', ...qparams(b, 'y', yq)], ['y'], alpha === 1 ? { transB: 1 } : { transB: 1, alpha }, { domain: MS });
  b.output('y', 'uint8');
  return { name: `QGemm ${name}`, model: b.toBytes() };
}

/** x (and a second input) -> com.microsoft op -> y, all uint8. */
function microsoftOp(r: Rand, op: string, shape: number[], attrs: Record<string, number | number[]>, out: (xq: U8Quant) => U8Quant, binary?: number[]): OpCase {
  const b = model();
  const xq = actQuant(r);
  b.input('x', 'uint8', shape);
  const inputs = ['x', ...qparams(b, 'x', xq)];
  if (binary) {
    const bq = actQuant(r);
    b.input('b', 'uint8', binary);
    inputs.push('b', ...qparams(b, 'b', bq));
  }
  inputs.push(...qparams(b, 'y', out(xq)));
  b.node(op, inputs, ['y'], attrs, { domain: MS });
  b.output('y', 'uint8');
  return { name: `${op} [${shape.join(',')}]${binary ? ` with [${binary.join(',')}]` : ''} ${JSON.stringify(attrs)}`, model: b.toBytes() };
}

/** uint8 Pad (constant value = the zero point, as quantize_static writes it) before a QLinearSigmoid: the pad runs on quantized data. */
function uint8Pad(r: Rand): OpCase {
  const b = model();
  const xq = actQuant(r);
  b.input('x', 'uint8', [1, 3, 4, 4]);
  b.int64('pads', [0, 0, 1, 2, 0, 0, 2, 1]);
  b.initializer('pad_value', Uint8Array.of(xq.zeroPoint), []);
  b.node('Pad', ['x', 'pads', 'pad_value'], ['xp'], { mode: 'constant' });
  b.node('QLinearSigmoid', ['xp', ...qparams(b, 'x', xq), ...qparams(b, 'y', { scale: Math.fround(1 / 256), zeroPoint: 0 })], ['y'], {}, { domain: MS });
  b.output('y', 'uint8');
  return { name: 'uint8 Pad (value = zero point) -> QLinearSigmoid', model: b.toBytes() };
}

function qlinearConcat(r: Rand): OpCase {
  const b = model();
  const yq = actQuant(r);
  const inputs = [...qparams(b, 'y', yq)];
  [[1, 3, 4, 4], [1, 5, 4, 4]].forEach((shape, i) => {
    const q = actQuant(r);
    b.input(`x${i}`, 'uint8', shape);
    inputs.push(`x${i}`, ...qparams(b, `x${i}`, q));
  });
  b.node('QLinearConcat', inputs, ['y'], { axis: 1 }, { domain: MS });
  b.output('y', 'uint8');
  return { name: 'QLinearConcat 2 inputs, other scales, axis 1', model: b.toBytes() };
}

const r = new Rand(20261207);
const u8 = (zps: number[]) => (rr: Rand, count: number, channels: number): Weights => u8Weights(rr, count, channels, zps.length === 1 ? zps : Array.from({ length: channels }, (_, c) => zps[c % zps.length]));
const u8Narrow = (zp: number) => (rr: Rand, count: number, channels: number): Weights => u8Weights(rr, count, channels, [zp], 100);
const s8 = (rr: Rand, count: number, channels: number): Weights => s8Weights(rr, count, channels);

const cases: OpCase[] = [
  qlinearConv(r, { name: 'U8U8 per-channel zp 20/240/5/128, 3x3 pad 1', cin: 3, cout: 4, hw: [7, 7], k: [3, 3], pads: [1, 1, 1, 1], weights: u8([20, 240, 5, 128]) }),
  qlinearConv(r, { name: 'U8U8 per-tensor zp 200, 3x3 s2 pads[1,0,2,1]', cin: 5, cout: 6, hw: [9, 8], k: [3, 3], strides: [2, 2], pads: [1, 0, 2, 1], weights: u8([200]) }),
  qlinearConv(r, { name: 'U8U8 per-tensor zp 20, 3x3 d2 pad 2, no bias', cin: 4, cout: 3, hw: [8, 8], k: [3, 3], dil: [2, 2], pads: [2, 2, 2, 2], weights: u8([20]), bias: false }),
  qlinearConv(r, { name: 'U8U8 depthwise x2 zp 30/250, 3x3 pad 1', cin: 4, cout: 8, hw: [6, 6], k: [3, 3], pads: [1, 1, 1, 1], group: 4, weights: u8([30, 250]) }),
  qlinearConv(r, { name: 'U8U8 grouped g2 zp 5, 5x5 pad 2 s2', cin: 4, cout: 6, hw: [9, 9], k: [5, 5], strides: [2, 2], pads: [2, 2, 2, 2], group: 2, weights: u8([5]) }),
  qlinearConv(r, { name: 'U8U8 zp 90, every w-zp within int8 (folded to symmetric)', cin: 3, cout: 4, hw: [6, 6], k: [3, 3], pads: [1, 1, 1, 1], weights: u8Narrow(90) }),
  qlinearConv(r, { name: 'U8S8 per-channel, 3x3 pad 1', cin: 3, cout: 5, hw: [6, 6], k: [3, 3], pads: [1, 1, 1, 1], weights: s8 }),
  qlinearConv(r, { name: 'S8S8 (int8 activations) per-channel, 3x3 s2 pad 1', cin: 3, cout: 5, hw: [7, 7], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], weights: s8, int8Activations: true }),
  qlinearMatMul(r, 'U8U8 per-tensor zp 60', 24, 8, u8([60])),
  qlinearMatMul(r, 'U8S8 per-channel', 24, 8, s8),
  qgemm(r, 'U8U8 per-channel zp 10/230 transB alpha 0.5', 32, 6, 0.5, u8([10, 230])),
  qgemm(r, 'U8S8 per-channel transB', 32, 6, 1, s8),
  microsoftOp(r, 'QLinearAdd', [1, 4, 3, 3], {}, () => ({ scale: Math.fround(0.06), zeroPoint: 120 }), [1, 4, 3, 3]),
  microsoftOp(r, 'QLinearAdd', [1, 4, 3, 3], {}, () => ({ scale: Math.fround(0.05), zeroPoint: 130 }), [1, 4, 1, 1]),
  microsoftOp(r, 'QLinearMul', [1, 4, 3, 3], {}, () => ({ scale: Math.fround(0.02), zeroPoint: 128 }), [1, 4, 3, 3]),
  qlinearConcat(r),
  uint8Pad(r),
  microsoftOp(r, 'QLinearGlobalAveragePool', [1, 6, 5, 5], { channels_last: 0 }, (q) => ({ scale: Math.fround(q.scale / 3), zeroPoint: 128 })),
  microsoftOp(r, 'QLinearAveragePool', [1, 4, 7, 7], { kernel_shape: [7, 7] }, (q) => ({ scale: Math.fround(q.scale / 4), zeroPoint: 128 })),
  microsoftOp(r, 'QLinearAveragePool', [1, 4, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }, (q) => q),
  microsoftOp(r, 'QLinearSigmoid', [1, 4, 3, 3], {}, () => ({ scale: Math.fround(1 / 256), zeroPoint: 0 })),
  microsoftOp(r, 'QLinearLeakyRelu', [1, 4, 3, 3], { alpha: 0.1 }, (q) => ({ scale: q.scale, zeroPoint: 30 })),
  { ...microsoftOp(r, 'QLinearSoftmax', [1, 10], { axis: -1, opset: 13 }, () => ({ scale: Math.fround(1 / 256), zeroPoint: 0 })), maxLsb: 2 },
];

describeOp('QOperator', cases, { maxLsb: 1 });
