/**
 * passes/wide-conv-weights.ts: which convolutions take pre-widened int16
 * weights (groups 1 on DSP cores, portable / auto backends, the board's
 * flash, most MACs per widened byte first), that the arena does not change
 * (the 1x1 kernel keeps the planner's overlap), and that a widened build of a
 * QDQ conv stack (3x3 on 3 channels with padding, 1x1 with odd channel
 * counts, 3x3 stride 2, a depthwise conv that stays int8) gives the int8
 * build's outputs byte for byte natively (the kernels' plain-C path; their
 * DSP path is checked against the reference on QEMU in
 * test/runtime-c/kernels.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE_RESERVE_BYTES, constBytes, widenedExtraBytes, widenFilter } from '../../compiler/passes/wide-weights.js';
import { wideConvKind, wideConvWeights } from '../../compiler/passes/wide-conv-weights.js';
import type { Op, Program } from '../../compiler/ir/program.js';
import { compileModel, type CompileOptions } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { benchModel } from '../../compiler/bench/bench.js';
import { ARM_CC, QEMU_ARM, toolAvailable } from '../../compiler/bench/cortex-m.js';
import { QdqBuilder } from '../helpers/onnx-builder.js';

const haveArmTools = toolAvailable(ARM_CC) && toolAvailable(QEMU_ARM);

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const lo = (v: number): number => (v << 16) >> 16;
const hi = (v: number): number => v >> 16;

describe('padded wide layout', () => {
  it('pads rows to groups of 4 and windows to whole words with zero weights', () => {
    // 5 channels x 6 window values: 2 row groups x 2 column blocks x 8 words
    const rows = 5, cols = 6;
    const w = Int8Array.from({ length: rows * cols }, (_, k) => (k % 3 === 0 ? -k : k) - 20);
    const wide = widenFilter(w, rows, cols);
    expect(wide.length).toBe(2 * 2 * 8);
    const at = (r: number, i: number): number => (r < rows && i < cols ? w[r * cols + i]! : 0);
    for (let g = 0; g < 2; g++) {
      for (let b = 0; b < 2; b++) {
        for (let r = 0; r < 4; r++) {
          const e = wide[(g * 2 + b) * 8 + 2 * r]!, o = wide[(g * 2 + b) * 8 + 2 * r + 1]!;
          const row = 4 * g + r, i = 4 * b;
          expect([lo(e), hi(e), lo(o), hi(o)]).toEqual([at(row, i), at(row, i + 2), at(row, i + 1), at(row, i + 3)]);
        }
      }
    }
    expect(widenedExtraBytes(rows, cols)).toBe(2 * 8 * 8 - 30);
  });
});

/** conv 3x3 3->16 pad 1, conv 1x1 16->13, conv 3x3 13->20 stride 2, depthwise 3x3 on 20, conv 1x1 20->8. */
function convStack(dir: string): string {
  const q = new QdqBuilder({ opset: 13 });
  const rnd = lcg(11);
  const act = (scale: number, zeroPoint: number) => ({ scale, zeroPoint, dtype: 'int8' as const });
  const weights = (n: number, spread = 0.6) => Float32Array.from({ length: n }, () => (rnd() - 0.5) * spread);
  const pads = { pads: [1, 1, 1, 1] };
  const x = q.input('x', [1, 3, 9, 11], act(0.04, -7), 'int8');
  const a = q.conv(x, { name: 'first', weight: weights(16 * 3 * 9), weightShape: [16, 3, 3, 3], bias: weights(16), out: act(0.07, 3), attrs: pads });
  const b = q.conv(a, { name: 'pw_odd', weight: weights(13 * 16, 0.4), weightShape: [13, 16, 1, 1], bias: weights(13), out: act(0.06, -5) });
  const c = q.conv(b, { name: 's2', weight: weights(20 * 13 * 9, 0.3), weightShape: [20, 13, 3, 3], bias: weights(20), out: act(0.08, 2), attrs: { ...pads, strides: [2, 2] } });
  const d = q.conv(c, { name: 'dw', weight: weights(20 * 9), weightShape: [20, 1, 3, 3], bias: weights(20), out: act(0.05, 0), attrs: { ...pads, group: 20 } });
  const e = q.conv(d, { name: 'pw', weight: weights(8 * 20, 0.4), weightShape: [8, 20, 1, 1], out: act(0.1, 1) });
  q.output(e, 'y', 'int8');
  return q.save(join(dir, 'conv_stack.onnx'));
}

const kinds = (p: Program): string[] => p.ops.map((op) => op.kind);
const WIDENED = ['conv2d_wide', 'conv2d_1x1_wide', 'conv2d_wide', 'depthwise_conv2d', 'conv2d_1x1_wide'];

describe('which convolutions are widened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-wide-conv-'));
  const model = convStack(dir);
  // patch 'off': the planner would run the first two layers tile by tile here (their ops stay int8, see below)
  const build = (options: CompileOptions) => compileModel(model, { name: 'convs', patch: 'off', ...options });
  const convKinds = (p: Program): string[] => p.ops.filter((op) => op.onnxOp === 'Conv').map((op) => op.kind);
  const stripSharing = (k: string[]): string[] => k.map((s) => s.replace('depthwise_conv2d_inplace', 'depthwise_conv2d').replace('conv2d_1x1_overlap', 'conv2d'));

  it('widens groups-1 convs on a DSP board, portable or auto; depthwise stays int8', () => {
    for (const options of [{ board: 'nucleo-f446re', backend: 'portable' }, { board: 'nucleo-f446re' }]) {
      const c = build(options);
      expect(stripSharing(convKinds(c.program)), JSON.stringify(options)).toEqual(WIDENED);
      const first = c.program.ops.find((op) => op.name === 'first')!;
      expect(first.weightStorage?.storage).toBe('wide-int16');
      expect(first.weightStorage?.chosenBytes).toBe(16 * 27 + widenedExtraBytes(16, 27));
    }
  });

  it('widens the ops of a patch stage too: the tiles of a layer share one widened filter, counted once', () => {
    const c = compileModel(model, { name: 'convs', board: 'nucleo-f446re', backend: 'portable', patch: 'auto' });
    const unpatched = compileModel(model, { name: 'convs', board: 'nucleo-f446re', backend: 'portable', patch: 'off' });
    const patchConvs = c.program.ops.filter((op) => op.patch && op.kind.startsWith('conv2d'));
    expect(patchConvs.length).toBeGreaterThan(1);
    expect(patchConvs.every((op) => op.kind.endsWith('_wide'))).toBe(true);
    // one widened const per stage layer, whatever the number of tiles
    const layers = new Set(patchConvs.map((op) => op.patch!.layer));
    expect(new Set(patchConvs.map((op) => op.consts.filter)).size).toBe(layers.size);
    expect(c.emitted.weightsBytes).toBe(unpatched.emitted.weightsBytes);
    expect(c.program.ops.filter((op) => !op.patch && op.onnxOp === 'Conv').map((op) => op.kind)).toEqual(unpatched.program.ops.filter((op) => op.onnxOp === 'Conv').map((op) => op.kind).slice(-c.program.ops.filter((op) => !op.patch && op.onnxOp === 'Conv').length));
  });

  it('leaves them int8 without the DSP extension, for library backends, where the library is faster, and when turned off', () => {
    for (const options of [{ board: 'host' }, { board: 'esp32c3' }, { board: 'nucleo-f446re', backend: 'cmsis-nn' }, { board: 'nucleo-f446re', wideWeights: false }, { board: 'corstone-300' }]) {
      expect(kinds(build(options).program).filter((k) => k.endsWith('_wide')), JSON.stringify(options)).toEqual([]);
    }
  });

  it('does not change the arena: the widened pointwise kernel keeps the planner\'s overlap', () => {
    const int8 = build({ board: 'nucleo-f446re', backend: 'portable', wideWeights: false });
    const wide = build({ board: 'nucleo-f446re', backend: 'portable' });
    expect(wide.plan.arenaBytes).toBe(int8.plan.arenaBytes);
    const overlapped = (p: Program): string[] => p.ops.filter((op) => op.kind === 'conv2d_1x1_overlap' || (op.kind === 'conv2d_1x1_wide' && op.params.block !== undefined)).map((op) => op.name);
    expect(overlapped(wide.program)).toEqual(overlapped(int8.program));
  });

  it('widens what fits the flash, most MACs per widened byte first', () => {
    const program = build({ board: 'nucleo-f446re', wideWeights: false }).program;
    const plain = { ...program, ops: program.ops.map((op): Op => (op.kind === 'conv2d_1x1_overlap' ? { ...op, kind: 'conv2d' } : op)) };
    const extra = (name: string): number => {
      const op = plain.ops.find((o) => o.name === name)!;
      return widenedExtraBytes(Number(op.params.out_c), Number(op.params.k_h) * Number(op.params.k_w) * Number(op.params.in_c));
    };
    const options = (spare: number) => ({ cpu: 'cortex-m4', flashBytes: CODE_RESERVE_BYTES + constBytes(plain) + spare, enabled: true, runsPortable: () => true });
    const widenedNames = (spare: number): string[] => wideConvWeights(plain, options(spare)).ops.filter((op) => op.kind.endsWith('_wide')).map((op) => op.name);
    // MACs per widened byte: first (9x11 pixels) > pw_odd (99 pixels, 13 rows padded to 16) > s2 (5x6 pixels) ~ pw (30 pixels)
    expect(widenedNames(extra('first'))).toEqual(['first']);
    expect(widenedNames(extra('first') - 1)).toEqual(['pw_odd']);
    expect(widenedNames(0)).toEqual([]);
  });

  it('refuses grouped convs and windows over the kernel\'s limit by name', () => {
    const op = build({ board: 'host' }).program.ops.find((o) => o.name === 'first')!;
    const filter = { id: 'f', type: 'int8' as const, data: new Int8Array(16 * 27) };
    expect(wideConvKind({ ...op, params: { ...op.params, groups: 2 } }, filter)).toEqual({ reason: 'grouped convolution' });
    expect(wideConvKind({ ...op, params: { ...op.params, in_c: 65 } }, filter)).toEqual({ reason: 'window of 585 values over the kernel\'s 576' });
    expect(wideConvKind(op, filter)).toEqual({ kind: 'conv2d_wide' });
  });

  it('gives the int8 build\'s outputs byte for byte', () => {
    const rnd = lcg(21);
    const samples = 20;
    const input = Uint8Array.from({ length: samples * 3 * 9 * 11 }, () => Math.floor(rnd() * 256));
    const run = (wide: boolean): Uint8Array => {
      const c = build({ board: 'nucleo-f446re', backend: 'portable', wideWeights: wide });
      expect(kinds(c.program).some((k) => k.endsWith('_wide'))).toBe(wide);
      const folder = mkdtempSync(join(dir, wide ? 'wide-' : 'int8-'));
      for (const f of c.emitted.files) writeFileSync(join(folder, f.path), f.contents);
      return runNative(buildNativeRunner(folder, 'convs'), input, samples);
    };
    const int8 = run(false);
    const wide = run(true);
    expect(wide.length).toBe(samples * 8 * 5 * 6);
    expect(Buffer.from(wide).equals(Buffer.from(int8))).toBe(true);
  });

  it.skipIf(!haveArmTools)('runs the DSP path on the emulated Cortex-M4 with the int8 host build\'s outputs', () => {
    const int8 = build({ board: 'nucleo-f446re', backend: 'portable', wideWeights: false });
    const folder = mkdtempSync(join(dir, 'int8-m4-'));
    for (const f of int8.emitted.files) writeFileSync(join(folder, f.path), f.contents);
    // the input benchModel feeds (seed 1): the widened build has the same inputs
    const sample = randomSamples(int8.program, 1, 1)[0]!;
    const bytes = Uint8Array.from(sample.flatMap((t) => Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))));
    const expected = runNative(buildNativeRunner(folder, 'convs'), bytes, 1);
    const r = benchModel(model, { name: 'convs', board: 'nucleo-f446re', backend: 'portable', opts: ['-O2'], patch: 'off', expected });
    expect(r.builds[0]!.matchesHost).toBe(true);
  }, 120_000);
});
