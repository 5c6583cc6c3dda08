/**
 * passes/wide-weights.ts: the int16 lane-pair layout and folded bias of
 * edgec_fully_connected_wide_s8, which layers the rule widens (DSP cores,
 * portable / auto backends, depths multiples of 4, the board's flash), and a
 * QDQ model of three Gemms whose widened build gives the int8 build's outputs
 * byte for byte natively (the kernel's plain-C path; its DSP path is checked
 * against the reference on QEMU in test/runtime-c/kernels.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CODE_RESERVE_BYTES, foldInputOffset, widenFilter, wideWeights } from '../../compiler/passes/wide-weights.js';
import type { Program } from '../../compiler/ir/program.js';
import { compileModel, type CompileOptions } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { QdqBuilder } from '../helpers/onnx-builder.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const lo = (v: number): number => (v << 16) >> 16;
const hi = (v: number): number => v >> 16;

describe('wide weight layout', () => {
  it('stores (w[i], w[i+2]) and (w[i+1], w[i+3]) as int16 lanes, four rows per block of four inputs', () => {
    // 4 rows x 8 inputs, w[r][i] = (r * 8 + i) * (-1)^i - 64: negative and positive lanes
    const rows = 4, cols = 8;
    const w = Int8Array.from({ length: rows * cols }, (_, k) => (k % 2 ? -k : k) - 64 + (k % 2 ? 0 : 20));
    const wide = widenFilter(w, rows, cols);
    expect(wide.length).toBe(16);
    for (let blockIn = 0; blockIn < 2; blockIn++) {
      for (let r = 0; r < 4; r++) {
        const e = wide[blockIn * 8 + 2 * r], o = wide[blockIn * 8 + 2 * r + 1];
        const i = blockIn * 4;
        expect([lo(e), hi(e), lo(o), hi(o)]).toEqual([w[r * cols + i], w[r * cols + i + 2], w[r * cols + i + 1], w[r * cols + i + 3]]);
      }
    }
  });

  it('folds the input offset into the bias: bias + offset * row sum', () => {
    const w = Int8Array.from([1, -2, 3, 127, -128, 0, 5, 5]);
    expect(Array.from(foldInputOffset(Int32Array.from([10, -20]), w, 2, 4, -7))).toEqual([10 - 7 * 129, -20 - 7 * -118]);
    expect(Array.from(foldInputOffset(undefined, w, 2, 4, 3))).toEqual([3 * 129, 3 * -118]);
  });
});

/** Three Gemms: 64 -> 32 per tensor, 32 -> 24 per channel (both widenable), 24 -> 10 (10 rows: stays int8). */
function threeGemms(dir: string): string {
  const q = new QdqBuilder({ opset: 13 });
  const rnd = lcg(5);
  const act = (scale: number, zeroPoint: number) => ({ scale, zeroPoint, dtype: 'int8' as const });
  const weights = (n: number) => Float32Array.from({ length: n }, () => (rnd() - 0.5) * 0.5);
  const x = q.input('x', [1, 64], act(0.05, -9), 'int8');
  const a = q.gemm(x, { name: 'fc_a', weight: weights(32 * 64), weightShape: [32, 64], bias: weights(32), out: act(0.08, 4), perChannel: false });
  const b = q.gemm(a, { name: 'fc_b', weight: weights(24 * 32), weightShape: [24, 32], bias: weights(24), out: act(0.06, -3) });
  const c = q.gemm(b, { name: 'fc_c', weight: weights(10 * 24), weightShape: [10, 24], out: act(0.1, 1) });
  q.output(c, 'y', 'int8');
  return q.save(join(dir, 'three_gemms.onnx'));
}

const kinds = (p: Program): string[] => p.ops.map((op) => op.kind);

describe('which layers are widened', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-wide-'));
  const model = threeGemms(dir);
  const build = (options: CompileOptions) => compileModel(model, { name: 'gemms', ...options });

  it('widens the fully connected layers with depths multiple of 4 on a DSP board, portable or auto', () => {
    expect(kinds(build({ board: 'nucleo-f446re', backend: 'portable' }).program)).toEqual(['fully_connected_wide', 'fully_connected_wide', 'fully_connected']);
    const auto = build({ board: 'nucleo-f446re' });
    expect(kinds(auto.program)).toEqual(['fully_connected_wide', 'fully_connected_wide', 'fully_connected']);
    expect(auto.program.ops[0].weightStorage?.storage).toBe('wide-int16');
    expect(auto.program.ops[0].weightStorage?.chosenBytes).toBe(2 * 32 * 64);
  });

  it('leaves them int8 on cores without the DSP extension, for library backends, under auto where the library is faster, and when turned off', () => {
    // corstone-300 (M55): auto prefers Helium CMSIS-NN there (the core's cost table), whose FC reads int8 weights
    for (const options of [{ board: 'host' }, { board: 'esp32c3' }, { board: 'nucleo-f446re', backend: 'cmsis-nn' }, { board: 'nucleo-f446re', wideWeights: false }, { board: 'corstone-300' }]) {
      expect(kinds(build(options).program), JSON.stringify(options)).toEqual(['fully_connected', 'fully_connected', 'fully_connected']);
    }
  });

  it('widens only what fits the flash, larger layers first', () => {
    const program = build({ board: 'nucleo-f446re', wideWeights: false }).program;
    let consts = 0;
    for (const c of program.consts.values()) consts += c.data.byteLength;
    const options = (spare: number) => ({ cpu: 'cortex-m4', flashBytes: CODE_RESERVE_BYTES + consts + spare, enabled: true });
    expect(kinds(wideWeights(program, options(32 * 64)))).toEqual(['fully_connected_wide', 'fully_connected', 'fully_connected']);
    expect(kinds(wideWeights(program, options(32 * 64 - 1)))).toEqual(['fully_connected', 'fully_connected_wide', 'fully_connected']);
    expect(kinds(wideWeights(program, options(24 * 32 - 1)))).toEqual(['fully_connected', 'fully_connected', 'fully_connected']);
  });

  it('gives the int8 build\'s outputs byte for byte', () => {
    const rnd = lcg(9);
    const samples = 50;
    const input = Uint8Array.from({ length: samples * 64 }, () => Math.floor(rnd() * 256));
    const run = (wide: boolean): Uint8Array => {
      const c = build({ board: 'nucleo-f446re', backend: 'portable', wideWeights: wide });
      expect(kinds(c.program).includes('fully_connected_wide')).toBe(wide);
      const folder = mkdtempSync(join(dir, wide ? 'wide-' : 'int8-'));
      for (const f of c.emitted.files) writeFileSync(join(folder, f.path), f.contents);
      return runNative(buildNativeRunner(folder, 'gemms'), input, samples);
    };
    const int8 = run(false);
    const wide = run(true);
    expect(wide.length).toBe(samples * 10);
    expect(Buffer.from(wide).equals(Buffer.from(int8))).toBe(true);
  });
});
