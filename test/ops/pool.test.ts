/**
 * MaxPool, AveragePool (count_include_pad 0/1, ceil_mode, asymmetric pads,
 * auto_pad, 1-D) and GlobalAveragePool against onnxruntime.
 */
import { describeOp, QdqBuilder, Rand, inputStd, type OpCase, type QType } from './harness.js';
import type { AttrInput } from '../helpers/onnx-builder.js';

interface PoolConfig {
  op: 'MaxPool' | 'AveragePool' | 'GlobalAveragePool';
  dims: number[];
  k?: number[];
  strides?: number[];
  pads?: number[];
  autoPad?: 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  countIncludePad?: 0 | 1;
  ceil?: boolean;
  /** Output quantized differently from the input (requantized after the pool). */
  requant?: boolean;
  io?: 'int8' | 'float';
  dtype?: QType;
  opset?: number;
}

function poolCase(r: Rand, c: PoolConfig): OpCase {
  const dtype = c.dtype ?? 'int8';
  const q = new QdqBuilder({ opset: c.opset ?? 13 });
  const inQ = r.qparams(dtype);
  const x = q.input('x', c.dims, inQ, c.io ?? 'int8');
  const attrs: Record<string, AttrInput> = {};
  if (c.k) attrs.kernel_shape = c.k;
  if (c.strides) attrs.strides = c.strides;
  if (c.pads) attrs.pads = c.pads;
  if (c.autoPad) attrs.auto_pad = c.autoPad;
  if (c.countIncludePad !== undefined) attrs.count_include_pad = c.countIncludePad;
  if (c.ceil) attrs.ceil_mode = 1;
  const window = c.op === 'GlobalAveragePool' ? c.dims.slice(2).reduce((a, b) => a * b, 1) : (c.k ?? [1]).reduce((a, b) => a * b, 1);
  const std = c.op === 'MaxPool' ? inputStd(inQ) : inputStd(inQ) / Math.sqrt(window);
  const out = c.requant || c.op === 'GlobalAveragePool' ? r.outFor(std, dtype) : undefined;
  const y = q.op(c.op, [x], attrs, { out, name: 'pool' });
  q.output(y, 'y', c.io ?? 'int8');
  const name = [c.op, `[${c.dims.join(',')}]`, c.k ? `k${c.k.join('x')}` : '', c.strides ? `s${c.strides.join(',')}` : '',
    c.pads ? `pads[${c.pads.join(',')}]` : '', c.autoPad ?? '', c.countIncludePad !== undefined ? `cip=${c.countIncludePad}` : '',
    c.ceil ? 'ceil' : '', c.requant ? 'requant' : '', c.io === 'float' ? 'float I/O' : '', dtype === 'uint8' ? 'uint8' : '',
    c.opset ? `opset ${c.opset}` : ''].filter(Boolean).join(' ');
  return { name, model: q.toBytes(), ...knownDifference(c) };
}

/** Window element counts along one axis (ONNX: in-bounds, or within the padded extent when count_include_pad). */
function axisCounts(size: number, k: number, s: number, pb: number, pe: number, outSize: number, includePad: boolean): number[] {
  return Array.from({ length: outSize }, (_, o) => {
    const start = o * s - pb;
    const lo = includePad ? -pb : 0;
    const hi = includePad ? size + pe : size;
    return Math.max(0, Math.min(start + k, hi) - Math.max(start, lo));
  });
}

/**
 * Where our result may differ from onnxruntime's without a bug:
 *  - average of an even number of elements: ties (x.5), which TFLite rounds
 *    half away from zero and onnxruntime (float, QuantizeLinear) half to even;
 *  - a pool followed by a requantization: the pool rounds to the input's LSB
 *    first (quantize_static never gives a pool its own output quantization);
 *  - GlobalAveragePool: one TFLite MultiplyByQuantizedMultiplier, which rounds
 *    twice (doubling high mul, then the right shift).
 */
function knownDifference(c: PoolConfig): Pick<OpCase, 'knownDifference' | 'maxLsb'> {
  if (c.requant && c.op === 'AveragePool') return { maxLsb: 2, knownDifference: { minExact: 0.3, why: 'average pool rounded to the input LSB, then requantized (scale ratio > 1 amplifies the first rounding)' } };
  if (c.requant) return { knownDifference: { minExact: 0.6, why: 'TFLite double rounding in the requantization' } };
  if (c.op === 'GlobalAveragePool') return { knownDifference: { minExact: 0.75, why: 'TFLite double rounding in MultiplyByQuantizedMultiplier' } };
  if (c.op !== 'AveragePool') return {};
  const spatial = c.dims.slice(2);
  const k = c.k ?? [];
  const strides = c.strides ?? k.map(() => 1);
  const pads = c.autoPad && c.autoPad !== 'VALID' ? sameOrValidPads(spatial, k, strides, c.autoPad) : c.pads ?? k.flatMap(() => [0]).concat(k.map(() => 0));
  const counts = spatial.map((size, a) => {
    const pb = pads[a]!;
    const pe = pads[a + spatial.length]!;
    const span = size + pb + pe - k[a]!;
    const out = (c.ceil ? Math.ceil(span / strides[a]!) : Math.floor(span / strides[a]!)) + 1;
    return axisCounts(size, k[a]!, strides[a]!, pb, pe, out, c.countIncludePad === 1);
  });
  const windows = counts.reduce<number[]>((acc, axis) => acc.flatMap((x) => axis.map((y) => x * y)), [1]);
  return windows.some((n) => n % 2 === 0)
    ? { knownDifference: { minExact: 0.8, why: 'ties: TFLite rounds half away from zero, onnxruntime half to even' } }
    : {};
}

function sameOrValidPads(spatial: number[], k: number[], s: number[], mode: 'SAME_UPPER' | 'SAME_LOWER'): number[] {
  const totals = spatial.map((size, a) => Math.max(0, (Math.ceil(size / s[a]!) - 1) * s[a]! + k[a]! - size));
  const small = totals.map((t) => Math.floor(t / 2));
  return mode === 'SAME_UPPER' ? [...small, ...totals.map((t, a) => t - small[a]!)] : [...totals.map((t, a) => t - small[a]!), ...small];
}

const fixed: PoolConfig[] = [
  { op: 'MaxPool', dims: [1, 3, 8, 8], k: [2, 2], strides: [2, 2] },
  { op: 'MaxPool', dims: [1, 5, 7, 9], k: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2] },
  { op: 'MaxPool', dims: [1, 4, 7, 7], k: [3, 2], strides: [2, 2], ceil: true },
  { op: 'MaxPool', dims: [1, 2, 7, 6], k: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' },
  { op: 'MaxPool', dims: [1, 2, 7, 6], k: [2, 3], strides: [2, 1], autoPad: 'SAME_LOWER' },
  { op: 'MaxPool', dims: [1, 6, 10], k: [3], strides: [2], pads: [1, 1] },
  { op: 'MaxPool', dims: [1, 3, 1, 1], k: [1, 1] },
  { op: 'MaxPool', dims: [1, 3, 6, 6], k: [2, 2], strides: [2, 2], requant: true },
  { op: 'MaxPool', dims: [1, 3, 6, 6], k: [2, 2], strides: [1, 1], io: 'float', dtype: 'uint8' },
  { op: 'AveragePool', dims: [1, 3, 8, 8], k: [2, 2], strides: [2, 2] },
  { op: 'AveragePool', dims: [1, 5, 7, 9], k: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2], countIncludePad: 0 },
  { op: 'AveragePool', dims: [1, 5, 7, 9], k: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2], countIncludePad: 1 },
  { op: 'AveragePool', dims: [1, 4, 7, 7], k: [3, 3], strides: [2, 2], ceil: true, countIncludePad: 0 },
  { op: 'AveragePool', dims: [1, 4, 8, 7], k: [3, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil: true, countIncludePad: 1 },
  { op: 'AveragePool', dims: [1, 3, 6, 5], k: [3, 3], strides: [1, 1], autoPad: 'SAME_UPPER', countIncludePad: 0 },
  { op: 'AveragePool', dims: [1, 3, 6, 5], k: [2, 2], strides: [2, 2], autoPad: 'SAME_LOWER', countIncludePad: 1 },
  { op: 'AveragePool', dims: [1, 7, 12], k: [4], strides: [3], pads: [2, 1] },
  { op: 'AveragePool', dims: [1, 6, 5, 5], k: [5, 5], requant: true },
  { op: 'AveragePool', dims: [1, 3, 6, 6], k: [3, 3], pads: [1, 1, 1, 1], io: 'float' },
  // odd window counts everywhere: no ties, so these must match exactly
  { op: 'AveragePool', dims: [1, 4, 9, 9], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], countIncludePad: 1 },
  { op: 'AveragePool', dims: [1, 5, 7, 8], k: [3, 1], strides: [2, 1], autoPad: 'VALID' },
  { op: 'AveragePool', dims: [1, 3, 6, 6], k: [5, 5], strides: [1, 1] },
  { op: 'AveragePool', dims: [1, 9, 11], k: [3], strides: [2], pads: [0, 0], dtype: 'uint8' },
  { op: 'GlobalAveragePool', dims: [1, 8, 5, 5] },
  { op: 'GlobalAveragePool', dims: [1, 3, 1, 1] },
  { op: 'GlobalAveragePool', dims: [1, 10, 7, 3] },
  { op: 'GlobalAveragePool', dims: [1, 5, 9] },
  { op: 'GlobalAveragePool', dims: [1, 64, 6, 6], dtype: 'uint8' },
  { op: 'GlobalAveragePool', dims: [1, 4, 4, 4], io: 'float' },
];

function randomConfig(r: Rand): PoolConfig {
  for (;;) {
    const op = r.pick(['MaxPool', 'AveragePool'] as const);
    const dims = [1, r.int(1, 9), r.int(1, 10), r.int(1, 10)];
    const k = [r.int(1, 4), r.int(1, 4)];
    const strides = [r.int(1, 3), r.int(1, 3)];
    // ONNX: pads smaller than the kernel
    const pads = [r.int(0, k[0]! - 1), r.int(0, k[1]! - 1), r.int(0, k[0]! - 1), r.int(0, k[1]! - 1)];
    const ceil = r.bool(0.3);
    const ok = [0, 1].every((a) => dims[a + 2]! + pads[a]! + pads[a + 2]! >= k[a]!);
    if (!ok) continue;
    return { op, dims, k, strides, pads, ceil, countIncludePad: op === 'AveragePool' ? r.pick([0, 1] as const) : undefined, requant: r.bool(0.2) };
  }
}

const r = new Rand(404);
const cases = [...fixed, ...Array.from({ length: 10 }, () => randomConfig(r))].map((c) => poolCase(r, c));

describeOp('Pool', cases, { maxLsb: 1 });
