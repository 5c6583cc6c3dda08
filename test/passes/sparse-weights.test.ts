/**
 * passes/sparse-weights.ts and ops/sparse-weights.ts: zero patterns, the
 * bitmap-sparse encoding (decoded back here from the format comment of
 * runtime-c/edgec_sparse.h), the dense / sparse choice, and a synthetic QDQ
 * model (depthwise with channel multiplier and pruned channels, a 2:4 conv,
 * a pruned Gemm) whose sparse build gives the dense build's outputs byte for
 * byte natively.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bitmapSparseBytes, chooseStorage, encodeBitmapSparse, zeroPattern, type WeightRows } from '../../compiler/ops/sparse-weights.js';
import { sparseWeights } from '../../compiler/passes/sparse-weights.js';
import type { Op, Program } from '../../compiler/ir/program.js';
import { compileModel } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { QdqBuilder } from '../helpers/onnx-builder.js';

/** Deterministic pseudo-random numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

function matrix(rows: number, cols: number, keep: (r: number, c: number) => boolean, seed = 1): WeightRows {
  const rnd = lcg(seed);
  const data = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) data[r * cols + c] = keep(r, c) ? (1 + Math.floor(rnd() * 126)) * (rnd() < 0.5 ? -1 : 1) : 0;
  return { rows, cols, data, inChannels: cols };
}

/** The format of runtime-c/edgec_sparse.h, read back. */
function decode(index: Int8Array, values: Int8Array, rows: number, cols: number): Int8Array {
  const u = new Uint8Array(index.buffer, index.byteOffset, index.byteLength);
  const out = new Int8Array(rows * cols);
  let bits = Math.ceil(rows / 8);
  let v = 0;
  for (let r = 0; r < rows; r++) {
    if (!((u[r >> 3] >> (r & 7)) & 1)) continue;
    for (let j = 0; j < cols; j++) if ((u[bits + (j >> 3)] >> (j & 7)) & 1) out[r * cols + j] = values[v++];
    bits += Math.ceil(cols / 8);
  }
  expect(bits).toBe(u.length);
  expect(v).toBe(values.length);
  return out;
}

describe('zero patterns', () => {
  it('names unstructured, 2:4, pruned output channels and pruned input channels', () => {
    const rnd = lcg(3);
    expect(zeroPattern(matrix(8, 32, () => true)).label).toBe('none');
    expect(zeroPattern(matrix(32, 32, () => rnd() > 0.5)).label).toBe('unstructured');
    expect(zeroPattern(matrix(8, 32, (r, c) => (c + 2 * (r % 2)) % 4 < 2)).label).toBe('2:4');
    const rows = zeroPattern(matrix(8, 30, (r) => r % 4 !== 0));
    expect([rows.label, rows.zeroRows]).toEqual(['output channels 2/8', 2]);
    // conv rows: 3 taps x 10 input channels, channels 7 and 9 never used
    const conv = { ...matrix(6, 30, (_, c) => c % 10 !== 7 && c % 10 !== 9), inChannels: 10 };
    expect(zeroPattern(conv).label).toBe('input channels 2/10');
  });
});

describe('bitmap-sparse encoding', () => {
  it.each([0, 0.5, 0.8, 0.9, 1])('round-trips at %s zeros with the bytes bitmapSparseBytes counts', (share) => {
    const rnd = lcg(7);
    const w = matrix(13, 37, (r) => r !== 5 && rnd() >= share);
    const enc = encodeBitmapSparse(w);
    expect(decode(enc.index, enc.values, 13, 37)).toEqual(w.data);
    expect(enc.index.length + enc.values.length).toBe(bitmapSparseBytes(w, zeroPattern(w)));
  });

  it('stores a pruned filter as one bit', () => {
    const w = matrix(16, 64, (r) => r < 8);
    expect(bitmapSparseBytes(w, zeroPattern(w))).toBe(2 + 8 * 8 + 8 * 64);
  });
});

describe('storage choice', () => {
  it('for flash: sparse when it saves at least a tenth of the layer', () => {
    const rnd = lcg(5);
    expect(chooseStorage(matrix(32, 64, () => true), zeroPattern(matrix(32, 64, () => true)), 'size', 'fully_connected').storage).toBe('dense');
    const few = matrix(32, 64, () => rnd() > 0.1);
    expect(chooseStorage(few, zeroPattern(few), 'size', 'fully_connected').storage).toBe('dense');
    const half = matrix(32, 64, () => rnd() > 0.5);
    expect(chooseStorage(half, zeroPattern(half), 'size', 'fully_connected').storage).toBe('bitmap-sparse');
  });

  it('for speed (Cortex-M4 estimate): fully connected dense at 50 % zeros, sparse at 95 %; conv dense at 90 %', () => {
    const rnd = lcg(9);
    const half = matrix(32, 64, () => rnd() > 0.5);
    expect(chooseStorage(half, zeroPattern(half), 'speed', 'fully_connected').storage).toBe('dense');
    const most = matrix(32, 64, () => rnd() > 0.95);
    expect(chooseStorage(most, zeroPattern(most), 'speed', 'fully_connected').storage).toBe('bitmap-sparse');
    const conv = { ...matrix(32, 144, () => rnd() > 0.9), inChannels: 16 };
    expect(chooseStorage(conv, zeroPattern(conv), 'speed', 'conv').storage).toBe('dense');
  });
});

describe('sparse-weights pass', () => {
  const convOp = (kind: Op['kind'], groups: number): Op => ({
    kind, name: 'c', onnxOp: 'Conv', inputs: ['x'], outputs: ['y'], macs: 0, consts: { filter: 'f', bias: 'b' },
    params: { in_c: 8, out_c: 8, k_h: 1, k_w: 2, groups },
  });
  const program = (op: Op, filter: Int8Array): Program => ({
    name: 'm', values: new Map(), inputs: [], outputs: [], ops: [op],
    consts: new Map([['f', { id: 'f', type: 'int8', data: filter }], ['b', { id: 'b', type: 'int32', data: new Int32Array(8) }]]),
  });

  it('replaces the filter by index and values, and records the choice', () => {
    const filter = new Int8Array(8 * 16).map((_, i) => (i % 5 === 0 ? 3 : 0));
    const out = sparseWeights(program(convOp('conv2d', 1), filter), { goal: 'size', enabled: true });
    expect(out.ops[0].kind).toBe('conv2d_sparse');
    expect(out.consts.has('f')).toBe(false);
    const { index, values } = out.ops[0].consts;
    const rows = decode(out.consts.get(index)?.data as Int8Array, out.consts.get(values)?.data as Int8Array, 8, 16);
    expect(rows).toEqual(filter);
    expect(out.ops[0].weightStorage).toMatchObject({ storage: 'bitmap-sparse', denseBytes: 128, chosenBytes: 1 + 8 * 2 + 26, zeroPercent: (100 * (128 - 26)) / 128 });
  });

  it('keeps grouped convs and --no-sparse builds dense, zeros still reported', () => {
    const filter = new Int8Array(8 * 8).map((_, i) => (i % 5 === 0 ? 3 : 0));
    const grouped = sparseWeights(program({ ...convOp('conv2d', 2), params: { in_c: 8, out_c: 8, k_h: 1, k_w: 2, groups: 2 } }, filter), { goal: 'size', enabled: true });
    expect(grouped.ops[0].kind).toBe('conv2d');
    expect(grouped.ops[0].weightStorage?.reason).toMatch(/grouped/);
    const off = sparseWeights(program(convOp('conv2d', 1), new Int8Array(128)), { goal: 'size', enabled: false });
    expect(off.ops[0].kind).toBe('conv2d');
    expect(off.ops[0].weightStorage).toMatchObject({ storage: 'dense', zeroPercent: 100, pattern: 'output channels 8/8 + input channels 8/8', reason: 'sparse storage off (--no-sparse)' });
  });

  it('stores depthwise filters as one row of taps per output channel', () => {
    // [taps = 9][out_c = 8]: channel c has taps 0 and 4 = (c, -c); channels 0 and 5 pruned
    const filter = new Int8Array(72);
    for (let c = 0; c < 8; c++) if (c !== 0 && c !== 5) { filter[c] = c; filter[4 * 8 + c] = -c; }
    const op = { ...convOp('depthwise_conv2d', 8), params: { in_c: 8, out_c: 8, k_h: 3, k_w: 3, groups: 8 } };
    const out = sparseWeights(program(op, filter), { goal: 'size', enabled: true });
    expect(out.ops[0].kind).toBe('depthwise_conv2d_sparse');
    const { index, values } = out.ops[0].consts;
    const rows = decode(out.consts.get(index)?.data as Int8Array, out.consts.get(values)?.data as Int8Array, 8, 9);
    const expected = Array.from({ length: 72 }, (_, i) => {
      const [c, t] = [Math.floor(i / 9), i % 9];
      return c === 0 || c === 5 ? 0 : t === 0 ? c : t === 4 ? -c : 0;
    });
    expect(Array.from(rows)).toEqual(expected);
  });
});

/** Float weights with `keep` deciding which survive pruning. */
function prunedWeights(n: number, keep: (i: number) => boolean, seed: number): Float32Array {
  const rnd = lcg(seed);
  return Float32Array.from({ length: n }, (_, i) => (keep(i) ? (rnd() - 0.5) * 0.6 : 0));
}

describe('synthetic pruned model, sparse vs dense build', () => {
  it('gives the same outputs byte for byte (depthwise x2 with pruned channels, 2:4 conv, pruned Gemm)', () => {
    const q = new QdqBuilder({ opset: 13 });
    const rnd = lcg(21);
    const act = (scale: number, zeroPoint: number) => ({ scale, zeroPoint, dtype: 'int8' as const });
    const x = q.input('x', [1, 6, 9, 9], act(0.02, 3), 'int8');
    // depthwise, channel multiplier 2: output channels 3 and 8 pruned, 60 % of the rest
    const dw = q.conv(x, {
      name: 'dw', weight: prunedWeights(12 * 9, (i) => ![3, 8].includes(Math.floor(i / 9)) && rnd() > 0.6, 1), weightShape: [12, 1, 3, 3],
      bias: Float32Array.from({ length: 12 }, (_, c) => 0.05 * (c - 6)), out: act(0.03, -5), attrs: { group: 6, pads: [1, 1, 1, 1], strides: [2, 2] },
    });
    // 2:4 along the input channels of each tap (OIHW: weight index i = ((o * 12 + ic) * 3 + y) * 3 + x)
    const conv = q.conv(dw, {
      name: 'conv', weight: prunedWeights(10 * 12 * 9, (i) => Math.floor(i / 9) % 12 % 4 < 2, 2), weightShape: [10, 12, 3, 3],
      bias: Float32Array.from({ length: 10 }, (_, c) => 0.02 * c), out: act(0.05, 2), attrs: { pads: [0, 1, 1, 0] },
    });
    const flat = q.op('Flatten', [conv]);
    const fc = q.gemm(flat, { name: 'fc', weight: prunedWeights(7 * 160, () => rnd() > 0.85, 3), weightShape: [7, 160], out: act(0.1, 0) });
    q.output(fc, 'y', 'int8');
    const dir = mkdtempSync(join(tmpdir(), 'edgec-sparse-e2e-'));
    const model = q.save(join(dir, 'pruned.onnx'));
    const samples = 40;
    const input = Uint8Array.from({ length: samples * 6 * 81 }, () => Math.floor(rnd() * 256));
    const run = (sparse: boolean): { out: Uint8Array; kinds: string[] } => {
      const c = compileModel(model, { name: 'pruned', sparse });
      const folder = mkdtempSync(join(dir, sparse ? 'sparse-' : 'dense-'));
      for (const f of c.emitted.files) writeFileSync(join(folder, f.path), f.contents);
      return { out: runNative(buildNativeRunner(folder, 'pruned'), input, samples), kinds: c.program.ops.map((op) => op.kind) };
    };
    const dense = run(false);
    const sparse = run(true);
    expect(dense.kinds.filter((k) => k.endsWith('_sparse'))).toEqual([]);
    expect(sparse.kinds.filter((k) => k.endsWith('_sparse')).sort()).toEqual(['conv2d_sparse', 'depthwise_conv2d_sparse', 'fully_connected_sparse']);
    expect(sparse.out.length).toBe(40 * 7);
    expect(Buffer.from(sparse.out).equals(Buffer.from(dense.out))).toBe(true);
  });
});
