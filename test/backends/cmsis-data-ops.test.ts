/**
 * CMSIS-NN calls for the ops added by issue 12 (arm_maximum_s8 /
 * arm_minimum_s8, arm_pad_s8, arm_transpose_s8, arm_batch_matmul_s8,
 * arm_transpose_conv_s8): the dims canonicalisation and fallback rules
 * always; with CMSIS_NN_PATH, each call against our portable kernel through
 * the generated code (pure-C library build, host gcc), byte for byte, on
 * several shapes, and every op fixture (test/fixtures/ops, ops2) built with
 * --backend cmsis-nn equal to portable (and test/fixtures/composite); with arm-none-eabi-gcc and
 * qemu-system-arm too, the same shapes on the DSP (Cortex-M4) and Helium
 * (Cortex-M55) code paths.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { runNative } from '../../compiler/verify/native.js';
import { sampleBytes } from '../../compiler/verify/layers.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { canonicalPad, canonicalTranspose, cmsisTranspose } from '../../compiler/backends/cmsis-nn.js';
import type { Op, OpKind } from '../../compiler/ir/program.js';
import { QdqBuilder, quantizeWeights, type QParams, type QTensor } from '../helpers/onnx-builder.js';
import { roundHalfEven } from '../../compiler/ir/quant.js';
import { Rand } from '../ops/harness.js';
import { espNnVersionRange } from '../../compiler/package/index.js';
import { buildRunnerWithLibrary, cmsisLibrary, CMSIS_NN_PATH, espNnLibrary, ESP_NN_PATH, writeFiles } from './libraries.js';
import { MACHINES, qemuEnabled, runOnQemu } from './qemu-cmsis.js';

const SAMPLES = 6;
const q = (scale: number, zeroPoint: number): QParams => ({ scale, zeroPoint, dtype: 'int8' });

function compileBoth(bytes: Uint8Array | undefined, path: string): { portable: Compiled; lib: Compiled } {
  const opts = bytes ? { modelBytes: bytes } : {};
  return {
    portable: compileModel(path, { ...opts, name: 'm', backend: 'portable' }),
    lib: compileModel(path, { ...opts, name: 'm', backend: 'cmsis-nn', backendTarget: 'c' }),
  };
}

const libraryKinds = (c: Compiled): OpKind[] => c.program.ops.filter((op) => c.backend.kernelFor(op).backend === 'cmsis-nn').map((op) => op.kind);

function diffCount(a: Uint8Array, b: Uint8Array): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

/** Output bytes of both builds on the same random samples, and the kinds the library ran. */
async function runBoth(label: string, bytes: Uint8Array | undefined, path = `${label}.onnx`): Promise<{ kinds: OpKind[]; diffs: number; outBytes: number }> {
  const { portable, lib } = compileBoth(bytes, path);
  const kinds = libraryKinds(lib);
  if (kinds.length === 0) return { kinds, diffs: 0, outBytes: 0 };
  const input = sampleBytes(randomSamples(portable.program, SAMPLES, 11));
  const ref = runNative(buildRunnerWithLibrary(writeFiles(portable.emitted.files, 'edgec-port-'), 'm', undefined), input, SAMPLES);
  const got = runNative(buildRunnerWithLibrary(writeFiles(lib.emitted.files, 'edgec-lib-'), 'm', await cmsisLibrary()), input, SAMPLES);
  const diffs = diffCount(ref, got);
  console.log(`cmsis-nn (pure C) ${label}: library runs [${kinds.join(', ')}], ${SAMPLES} samples, ${ref.length} output bytes, ${diffs} differ`);
  return { kinds, diffs, outBytes: ref.length };
}

// ---- models ----------------------------------------------------------------

function minMaxModel(op: 'Max' | 'Min', shapeA: number[], shapeB: number[], qa: QParams, qb: QParams, qo: QParams, constB = false): Uint8Array {
  const m = new QdqBuilder({ opset: 13 });
  const a = m.input('a', shapeA, qa);
  let b: QTensor;
  if (constB) {
    const n = shapeB.reduce((x, y) => x * y, 1);
    m.b.initializer('b_q', Int8Array.from({ length: n }, (_, i) => ((i * 37) % 200) - 100), shapeB);
    b = { ...qb, q: 'b_q' };
  } else b = m.input('b', shapeB, qb);
  m.output(m.op(op, [a, b], {}, { out: qo }), 'y');
  return m.toBytes();
}

function padModel(shape: number[], pads: number[], value: number): Uint8Array {
  const m = new QdqBuilder({ opset: 13 });
  const x = m.input('x', shape, q(0.05, -3));
  m.b.initializer('pads', BigInt64Array.from(pads.map(BigInt)), [pads.length]);
  m.b.float('value', value, []);
  m.output(m.op('Pad', [x], { mode: 'constant' }, { extraInputs: ['pads', 'value'] }), 'y');
  return m.toBytes();
}

function transposeModel(shape: number[], perm: number[]): Uint8Array {
  const m = new QdqBuilder({ opset: 13 });
  const x = m.input('x', shape, q(0.05, 4));
  // Relu keeps the transpose from being a pure relabelling of a graph input; the output's declared layout needs the copy.
  const r = m.op('Relu', [x]);
  m.output(m.op('Transpose', [r], { perm }), 'y');
  return m.toBytes();
}

function matMulModel(shapeA: number[], shapeB: number[], relu = false): Uint8Array {
  const m = new QdqBuilder({ opset: 13 });
  const a = m.input('a', shapeA, q(0.04, -5));
  const b = m.input('b', shapeB, q(0.03, 9));
  const y = m.op('MatMul', [a, b], {}, { out: q(0.12, -4) });
  m.output(relu ? m.op('Relu', [y]) : y, 'y');
  return m.toBytes();
}

interface TConv { n?: number; cin: number; cout: number; in: [number, number]; k: [number, number]; strides?: number[]; pads?: number[]; outputPadding?: number[]; dilations?: number[]; relu?: boolean }

/** ConvTranspose with per-channel weights and a bias (as test/ops/conv-transpose.test.ts builds it). */
function tconvModel(r: Rand, c: TConv): Uint8Array {
  const m = new QdqBuilder({ opset: 13 });
  const inQ = q(0.04, -7);
  const x = m.input('x', [c.n ?? 1, c.cin, ...c.in], inQ);
  const wShape = [c.cin, c.cout, ...c.k];
  const qw = quantizeWeights(r.floats(wShape.reduce((a, b) => a * b, 1), -0.5, 0.5), wShape, 1);
  m.b.initializer('w_q', qw.data, wShape);
  m.b.initializer('w_scale', qw.scales, [c.cout]);
  m.b.initializer('w_zp', new Int8Array(c.cout), [c.cout]);
  const bScales = Float32Array.from({ length: c.cout }, (_, o) => Math.fround(inQ.scale * qw.scales[o]!));
  m.b.initializer('b_q', Int32Array.from({ length: c.cout }, (_, o) => roundHalfEven(r.uniform(-0.3, 0.3) / bScales[o]!)), [c.cout]);
  m.b.initializer('b_scale', bScales, [c.cout]);
  m.b.initializer('b_zp', new Int32Array(c.cout), [c.cout]);
  const inputs = [m.dq(x), m.b.op('DequantizeLinear', ['w_q', 'w_scale', 'w_zp'], { axis: 1 }), m.b.op('DequantizeLinear', ['b_q', 'b_scale', 'b_zp'], { axis: 0 })];
  const attrs: Record<string, number[]> = {};
  if (c.strides) attrs.strides = c.strides;
  if (c.pads) attrs.pads = c.pads;
  if (c.outputPadding) attrs.output_padding = c.outputPadding;
  if (c.dilations) attrs.dilations = c.dilations;
  let y = m.quantize(m.b.op('ConvTranspose', inputs, attrs, { name: 'tconv' }), q(0.08, 3));
  if (c.relu) y = m.op('Relu', [y]);
  m.output(y, 'y');
  return m.toBytes();
}

const TCONV_ON_LIBRARY: TConv[] = [
  { cin: 4, cout: 5, in: [4, 5], k: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1] },
  { cin: 3, cout: 4, in: [3, 4], k: [3, 3], strides: [2, 2] },
  { cin: 6, cout: 3, in: [5, 5], k: [2, 2] },
  { cin: 2, cout: 3, in: [4, 3], k: [4, 4], strides: [2, 2], pads: [2, 1, 2, 1] },
  { cin: 4, cout: 2, in: [1, 6], k: [1, 4], strides: [1, 2], pads: [0, 1, 0, 1] },
  { cin: 5, cout: 3, in: [2, 3], k: [1, 1], strides: [2, 2], outputPadding: [1, 1] },
  { cin: 3, cout: 3, in: [3, 4], k: [2, 2], strides: [3, 3], outputPadding: [1, 1] },
  { n: 2, cin: 2, cout: 3, in: [3, 3], k: [3, 3], strides: [2, 2] },
  { cin: 4, cout: 4, in: [4, 4], k: [3, 3], strides: [2, 2], pads: [0, 1, 0, 0], relu: true },
  { cin: 20, cout: 7, in: [3, 3], k: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] },
  { cin: 3, cout: 2, in: [3, 5], k: [5, 3], strides: [2, 3], pads: [2, 0, 2, 0] },
];

/** Each falls back, and the reason names why. */
const TCONV_FALLBACK: { c: TConv; reason: RegExp }[] = [
  { c: { cin: 3, cout: 3, in: [4, 4], k: [3, 3], dilations: [2, 2], pads: [1, 1, 1, 1] }, reason: /dilated/ },
  { c: { cin: 2, cout: 3, in: [4, 3], k: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1] }, reason: /not a multiple of the stride/ },
  { c: { cin: 3, cout: 2, in: [3, 3], k: [2, 2], strides: [2, 2], outputPadding: [1, 1] }, reason: /output_padding/ },
  { c: { cin: 2, cout: 2, in: [4, 4], k: [3, 3], strides: [2, 2], pads: [0, 1, 2, 2] }, reason: /fewer output rows/ },
  // kernel smaller than the stride without output_padding: the last stride's rows are not in the output
  { c: { cin: 3, cout: 3, in: [3, 4], k: [2, 2], strides: [3, 3] }, reason: /fewer output rows/ },
];

// ---- always: canonical dims and fallbacks ----------------------------------

describe('canonical dims for the 4-D library calls', () => {
  it('folds unpadded dims into their outer neighbour and drops unit dims', () => {
    expect(canonicalPad([{ size: 1, before: 0, after: 0 }, { size: 3, before: 1, after: 2 }, { size: 4, before: 0, after: 0 }, { size: 5, before: 0, after: 0 }]))
      .toEqual([{ size: 60, before: 20, after: 40 }]);
    expect(canonicalPad([{ size: 2, before: 0, after: 0 }, { size: 3, before: 1, after: 0 }, { size: 4, before: 0, after: 1 }]))
      .toEqual([{ size: 2, before: 0, after: 0 }, { size: 3, before: 1, after: 0 }, { size: 4, before: 0, after: 1 }]);
    expect(canonicalPad([{ size: 2, before: 0, after: 0 }, { size: 3, before: 1, after: 0 }, { size: 2, before: 0, after: 0 }])).toEqual([{ size: 2, before: 0, after: 0 }, { size: 6, before: 2, after: 0 }]);
    expect(canonicalPad([{ size: 1, before: 0, after: 0 }])).toEqual([]);
  });

  it('merges axes that stay adjacent and drops unit dims in a transpose', () => {
    // SpaceToDepth's [1, H/b, b, W/b, b, C] with perm [0,1,3,2,4,5] is a 4-D transpose
    expect(canonicalTranspose([1, 2, 2, 3, 2, 5], [0, 1, 3, 2, 4, 5])).toEqual({ dims: [2, 2, 3, 10], perm: [0, 2, 1, 3] });
    // NCHW -> NHWC with N = 1: a 2-D transpose of C x (H*W)
    expect(canonicalTranspose([1, 3, 4, 5], [0, 2, 3, 1])).toEqual({ dims: [3, 20], perm: [1, 0] });
    expect(canonicalTranspose([2, 3, 4], [2, 0, 1])).toEqual({ dims: [6, 4], perm: [1, 0] });
  });

  it('keeps transposes of 4-byte values (float layers) and of more than 4 unmergeable dims on portable', () => {
    const op = (params: Record<string, unknown>): Op => ({ kind: 'transpose', name: 't', onnxOp: 'Transpose', inputs: ['x'], outputs: ['y'], params, consts: {}, macs: 0 } as Op);
    expect(cmsisTranspose.unsupported(op({ rank: 2, in_dims: [2, 3], perm: [1, 0], elem_bytes: 4 }), 'c')).toMatch(/4-byte/);
    expect(cmsisTranspose.unsupported(op({ rank: 2, in_dims: [2, 3], perm: [1, 0] }), 'c')).toMatch(/4-byte/);
    expect(cmsisTranspose.unsupported(op({ rank: 5, in_dims: [2, 3, 4, 5, 6], perm: [4, 3, 2, 1, 0], elem_bytes: 1 }), 'c')).toMatch(/5 dims/);
    expect(cmsisTranspose.unsupported(op({ rank: 2, in_dims: [2, 3], perm: [1, 0], elem_bytes: 1 }), 'c')).toBeUndefined();
  });

  it('keeps minmax on portable when the inputs are quantized unlike the output, and says why', () => {
    const bytes = minMaxModel('Max', [1, 8], [1, 8], q(0.1, 0), q(0.05, 0), q(0.1, 0));
    const { lib } = compileBoth(bytes, 'max_requant.onnx');
    const op = lib.program.ops.find((o) => o.kind === 'minmax')!;
    const choice = lib.backend.kernelFor(op);
    expect(choice.backend).toBe('portable');
    expect(choice.fallbackReason).toMatch(/quantized unlike the output/);
  });

  for (const [i, f] of TCONV_FALLBACK.entries()) {
    it(`keeps transpose_conv ${i} on portable: ${f.reason.source}`, () => {
      const { lib } = compileBoth(tconvModel(new Rand(5), f.c), `tconv_fallback_${i}.onnx`);
      const op = lib.program.ops.find((o) => o.kind === 'transpose_conv')!;
      const choice = lib.backend.kernelFor(op);
      expect(choice.backend).toBe('portable');
      expect(choice.fallbackReason).toMatch(f.reason);
    });
  }

  it('asks ESP-NN >= 1.2.2 in idf_component.yml only when the code calls esp_nn_mean_nhwc_s8', () => {
    const withMean = compileModel('gap.onnx', { modelBytes: gapModel([1, 8, 5, 5]), name: 'm', backend: 'esp-nn', backendTarget: 'esp32' });
    const withoutMean = compileModel('gap_s3.onnx', { modelBytes: gapModel([1, 8, 5, 5]), name: 'm', backend: 'esp-nn', backendTarget: 'esp32s3' });
    expect(espNnVersionRange(withMean.emitted.files)).toBe('^1.2.2');
    expect(espNnVersionRange(withoutMean.emitted.files)).toBe('^1.1.0');
    const op = withoutMean.program.ops.find((o) => o.kind === 'global_avg_pool')!;
    expect(withoutMean.backend.kernelFor(op).fallbackReason).toMatch(/ESP32-S3/);
  });

  it('keeps a pad over five padded dims on portable', () => {
    const { lib } = compileBoth(padModel([2, 3, 2, 3, 4], [1, 0, 1, 0, 1, 0, 1, 0, 2, 1], -0.3), 'pad5.onnx');
    const op = lib.program.ops.find((o) => o.kind === 'pad')!;
    expect(lib.backend.kernelFor(op).fallbackReason).toMatch(/5 dims that do not merge into 4/);
  });
});

describe('--backend auto and the new library kernels', () => {
  const kindsOf = (board: string, bytes: Uint8Array, kinds: OpKind[]): string[] => {
    const c = compileModel(`${board}.onnx`, { modelBytes: bytes, name: 'm', board });
    return c.program.ops.filter((op) => kinds.includes(op.kind)).map((op) => c.backend.kernelFor(op).backend);
  };
  const newKinds: OpKind[] = ['minmax', 'pad', 'transpose', 'batch_matmul', 'transpose_conv'];
  const models = [
    minMaxModel('Max', [1, 8], [1, 8], q(0.1, 0), q(0.1, 0), q(0.1, 0)), padModel([1, 3, 5, 6], [0, 0, 1, 2, 0, 0, 2, 1], 0),
    transposeModel([1, 3, 4, 5], [0, 2, 3, 1]), matMulModel([2, 3, 4, 5], [2, 3, 5, 6]),
  ];

  it('keeps them portable on a core with a cost table (no cost data for these kinds)', () => {
    for (const bytes of models) expect(kindsOf('nano33ble', bytes, newKinds)).toEqual(expect.arrayContaining(['portable']));
    for (const bytes of models) expect(kindsOf('nano33ble', bytes, newKinds)).not.toContain('cmsis-nn');
  });

  it('calls the library on the M55 (corstone-300): no fit for these kinds, and Helium CMSIS-NN is faster on the median measured shape of that core', () => {
    for (const bytes of models) expect(kindsOf('corstone-300', bytes, newKinds)).toContain('cmsis-nn');
  });
});

// ---- with CMSIS_NN_PATH: byte-exact against portable ------------------------

const CASES: { label: string; kind: OpKind; bytes: () => Uint8Array }[] = [
  { label: 'max_same_shape', kind: 'minmax', bytes: () => minMaxModel('Max', [1, 3, 5, 7], [1, 3, 5, 7], q(0.1, -2), q(0.1, -2), q(0.1, -2)) },
  { label: 'min_same_shape_odd', kind: 'minmax', bytes: () => minMaxModel('Min', [2, 17], [2, 17], q(0.02, 5), q(0.02, 5), q(0.02, 5)) },
  { label: 'max_scalar_const', kind: 'minmax', bytes: () => minMaxModel('Max', [1, 4, 3, 3], [1], q(0.1, 0), q(0.1, 0), q(0.1, 0), true) },
  { label: 'min_scalar_first', kind: 'minmax', bytes: () => minMaxModel('Min', [1], [1, 33], q(0.1, 7), q(0.1, 7), q(0.1, 7)) },
  { label: 'pad_hw', kind: 'pad', bytes: () => padModel([1, 3, 5, 6], [0, 0, 1, 2, 0, 0, 2, 1], 0) },
  { label: 'pad_channels_value', kind: 'pad', bytes: () => padModel([1, 3, 4, 4], [0, 1, 0, 0, 0, 2, 0, 0], 0.7) },
  { label: 'pad_5d_mergeable', kind: 'pad', bytes: () => padModel([2, 3, 2, 3, 4], [0, 1, 0, 1, 0, 0, 0, 0, 2, 0], -0.3) },
  { label: 'pad_2d', kind: 'pad', bytes: () => padModel([5, 9], [3, 0, 0, 4], 0.2) },
  { label: 'transpose_nchw_nhwc', kind: 'transpose', bytes: () => transposeModel([1, 3, 4, 5], [0, 2, 3, 1]) },
  { label: 'transpose_4d_full', kind: 'transpose', bytes: () => transposeModel([2, 3, 4, 5], [3, 1, 0, 2]) },
  { label: 'transpose_3d', kind: 'transpose', bytes: () => transposeModel([7, 3, 5], [1, 2, 0]) },
  { label: 'transpose_5d', kind: 'transpose', bytes: () => transposeModel([2, 3, 2, 2, 3], [4, 0, 3, 1, 2]) },
  { label: 'matmul_batched', kind: 'batch_matmul', bytes: () => matMulModel([2, 3, 4, 5], [2, 3, 5, 6]) },
  { label: 'matmul_rhs_broadcast', kind: 'batch_matmul', bytes: () => matMulModel([3, 4, 5], [1, 5, 7]) },
  { label: 'matmul_lhs_broadcast', kind: 'batch_matmul', bytes: () => matMulModel([4, 5], [3, 5, 6]) },
  { label: 'matmul_mixed_broadcast', kind: 'batch_matmul', bytes: () => matMulModel([2, 1, 4, 5], [1, 3, 5, 6]) },
  { label: 'matmul_n1_relu', kind: 'batch_matmul', bytes: () => matMulModel([1, 6, 9], [1, 9, 1], true) },
  { label: 'matmul_k1', kind: 'batch_matmul', bytes: () => matMulModel([5, 1], [1, 7]) },
  ...TCONV_ON_LIBRARY.map((c, i) => ({ label: `tconv_${i}_k${c.k.join('x')}_s${(c.strides ?? [1, 1]).join('x')}`, kind: 'transpose_conv' as OpKind, bytes: () => tconvModel(new Rand(100 + i), c) })),
];

describe.skipIf(!CMSIS_NN_PATH)('new CMSIS-NN calls match portable bit for bit (pure C, host gcc)', () => {
  for (const c of CASES) {
    it(c.label, async () => {
      const r = await runBoth(c.label, c.bytes());
      expect(r.kinds).toContain(c.kind);
      expect(r.outBytes).toBeGreaterThan(0);
      expect(r.diffs).toBe(0);
    }, 120_000);
  }
});

const FIXTURES = ['test/fixtures/ops', 'test/fixtures/ops2', 'test/fixtures/composite'].flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.onnx')).map((f) => join(dir, f)));

describe.skipIf(!CMSIS_NN_PATH)('op fixtures built with --backend cmsis-nn equal portable', () => {
  for (const path of FIXTURES) {
    it(path, async () => {
      const r = await runBoth(path, undefined, path);
      expect(r.diffs).toBe(0);
    }, 120_000);
  }
});

for (const m of MACHINES) {
  describe.skipIf(!qemuEnabled)(`new CMSIS-NN calls, ${m.variant} code path on ${m.target.machine}, match portable`, () => {
    CASES.forEach((c, k) => {
      it(c.label, async () => {
        const bytes = c.bytes();
        const portable = compileModel(`${c.label}.onnx`, { modelBytes: bytes, name: 'm', backend: 'portable' });
        const lib = compileModel(`${c.label}.onnx`, { modelBytes: bytes, name: 'm', board: m.board, backend: 'cmsis-nn' });
        expect(lib.backend.target).toBe(m.variant);
        expect(libraryKinds(lib)).toContain(c.kind);
        const input = sampleBytes(randomSamples(portable.program, 1, 300 + k));
        const expected = runNative(buildRunnerWithLibrary(writeFiles(portable.emitted.files, 'edgec-port-'), 'm', undefined), input, 1);
        const run = await runOnQemu(lib, input, m);
        const diffs = diffCount(expected, run.outputs);
        console.log(`cmsis-nn ${m.variant} ${m.target.machine} ${c.label}: library runs [${libraryKinds(lib).join(', ')}], ${expected.length} output bytes, ${diffs} differ`);
        expect(diffs).toBe(0);
      }, 600_000);
    });
  });
}

// ---- ESP-NN: esp_nn_mean_nhwc_s8 for reduce_sum and global_avg_pool -------------------------------

function reduceModel(op: 'ReduceMean' | 'ReduceSum', shape: number[], axes: number[], keepdims: number, out: QParams): Uint8Array {
  const m = new QdqBuilder({ opset: 13 });
  const x = m.input('x', shape, q(0.05, -9));
  if (op === 'ReduceSum') {
    m.b.initializer('axes', BigInt64Array.from(axes.map(BigInt)), [axes.length]);
    m.output(m.op(op, [x], { keepdims }, { out, extraInputs: ['axes'] }), 'y');
  } else m.output(m.op(op, [x], { axes, keepdims }, { out }), 'y');
  return m.toBytes();
}

function gapModel(shape: number[]): Uint8Array {
  const m = new QdqBuilder({ opset: 13 });
  const x = m.input('x', shape, q(0.05, 6));
  m.output(m.op('GlobalAveragePool', [x], {}, { out: q(0.03, -2) }), 'y');
  return m.toBytes();
}

const ESP_CASES: { label: string; bytes: () => Uint8Array; onLibrary: boolean }[] = [
  { label: 'global_avg_pool', bytes: () => gapModel([1, 8, 5, 5]), onLibrary: true },
  { label: 'global_avg_pool_batch2', bytes: () => gapModel([2, 6, 3, 4]), onLibrary: true },
  { label: 'mean_nhwc_hw', bytes: () => reduceModel('ReduceMean', [1, 5, 7, 6], [1, 2], 1, q(0.04, 3)), onLibrary: true },
  { label: 'mean_nhwc_hw_drop', bytes: () => reduceModel('ReduceMean', [1, 3, 3, 10], [1, 2], 0, q(0.02, -1)), onLibrary: true },
  { label: 'mean_one_channel', bytes: () => reduceModel('ReduceMean', [1, 4, 9, 1], [1, 2], 1, q(0.05, 0)), onLibrary: true },
  { label: 'sum_nhwc_hw', bytes: () => reduceModel('ReduceSum', [1, 4, 4, 3], [1, 2], 1, q(0.5, 2)), onLibrary: true },
  { label: 'mean_batch2_falls_back', bytes: () => reduceModel('ReduceMean', [2, 3, 3, 4], [1, 2], 1, q(0.04, 0)), onLibrary: false },
  { label: 'mean_channels_falls_back', bytes: () => reduceModel('ReduceMean', [1, 3, 3, 4], [3], 1, q(0.04, 0)), onLibrary: false },
];

const ESP_VARIANTS = [
  { label: 'esp-nn (ANSI C)', target: 'ansi', optimized: false },
  { label: 'esp-nn (ESP32 generic opt)', target: 'esp32', optimized: true },
];

for (const v of ESP_VARIANTS) {
  describe.skipIf(!ESP_NN_PATH)(`${v.label} esp_nn_mean_nhwc_s8 matches portable bit for bit (host gcc)`, () => {
    const cases = [
      ...ESP_CASES.map((c) => ({ label: c.label, path: `${c.label}.onnx`, bytes: c.bytes(), onLibrary: c.onLibrary as boolean | undefined })),
      ...FIXTURES.filter((f) => /mean|sum|mcunet_se/.test(f)).map((f) => ({ label: f, path: f, bytes: undefined, onLibrary: undefined })),
    ];
    for (const c of cases) {
      it(c.label, async () => {
        const opts = c.bytes ? { modelBytes: c.bytes } : {};
        const portable = compileModel(c.path, { ...opts, name: 'm', backend: 'portable' });
        const lib = compileModel(c.path, { ...opts, name: 'm', backend: 'esp-nn', backendTarget: v.target });
        const onLib = lib.program.ops.filter((op) => (op.kind === 'reduce_sum' || op.kind === 'global_avg_pool') && lib.backend.kernelFor(op).backend === 'esp-nn').length;
        if (c.onLibrary !== undefined) expect(onLib > 0).toBe(c.onLibrary);
        const input = sampleBytes(randomSamples(portable.program, SAMPLES, 13));
        const ref = runNative(buildRunnerWithLibrary(writeFiles(portable.emitted.files, 'edgec-port-'), 'm', undefined), input, SAMPLES);
        const got = runNative(buildRunnerWithLibrary(writeFiles(lib.emitted.files, 'edgec-lib-'), 'm', await espNnLibrary(v.optimized)), input, SAMPLES);
        const diffs = diffCount(ref, got);
        console.log(`${v.label} ${c.label}: ${onLib} mean layer(s) on esp_nn_mean_nhwc_s8, ${SAMPLES} samples, ${ref.length} output bytes, ${diffs} differ`);
        expect(diffs).toBe(0);
      }, 120_000);
    }
  });
}
