/**
 * Every bundled example through `edgec verify` as a user runs it: the
 * generated C compiled to WebAssembly with emcc, run in Node, against
 * onnxruntime — end to end within the default tolerance (top-1 on every
 * sample, max |diff| within DEFAULT_MAX_LSB / DEFAULT_SOFTMAX_MAX_LSB) and
 * every layer, isolated, within 1 LSB. The same C also runs natively in
 * golden-native.test.ts; here the WebAssembly build is checked, and that its
 * outputs are byte-identical to gcc's on the same inputs.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyModel } from '../../compiler/verify/verify.js';
import { compileModel } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { buildWasmRunner, hasEmcc, runWasm } from '../../compiler/verify/wasm.js';
import { sampleBytes } from '../../compiler/verify/layers.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { EXAMPLES } from '../helpers/examples.js';

describe.skipIf(!hasEmcc())('examples: edgec verify through WebAssembly', () => {
  for (const ex of EXAMPLES) {
    it(ex.id, async () => {
      const r = await verifyModel({ model: ex.path, samples: 20, seed: 1234 });
      for (const o of r.outputs) {
        console.log(`${ex.id} ${o.name}: exact ${(100 * o.exactRate).toFixed(2)}%, max ${o.maxDiffLsb} LSB (tolerance ${o.toleranceLsb}), mean ${o.meanDiffLsb.toFixed(4)}, top-1 ${o.top1Agree === undefined ? 'n/a' : `${(100 * o.top1Agree).toFixed(0)}%`}; ${r.seconds.toFixed(1)} s`);
        expect(o.maxDiffLsb).toBeLessThanOrEqual(ex.maxLsb);
      }
      expect(r.layers.length).toBeGreaterThan(0);
      for (const l of r.layers) expect(l.maxDiffLsb, `layer ${l.index} ${l.op}`).toBeLessThanOrEqual(l.onnxOp === 'Softmax' ? 2 : 1);
      expect(r.firstBadLayer).toBeUndefined();
      expect(r.pass).toBe(true);
    }, 120_000);
  }

  it('WebAssembly and gcc builds give byte-identical outputs (digits, kws)', () => {
    for (const ex of EXAMPLES.filter((e) => e.id === 'digits' || e.id === 'kws_dscnn')) {
      const c = compileModel(ex.path, { name: 'm' });
      const dir = mkdtempSync(join(tmpdir(), `edgec-wn-${ex.id}-`));
      for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
      const bytes = sampleBytes(randomSamples(c.program, 8, 5));
      const wasm = runWasm(buildWasmRunner(dir, 'm'), bytes, 8);
      const native = runNative(buildNativeRunner(dir, 'm'), bytes, 8);
      expect(wasm.length).toBeGreaterThan(0);
      expect(Buffer.from(wasm).equals(Buffer.from(native))).toBe(true);
    }
  }, 120_000);
});
