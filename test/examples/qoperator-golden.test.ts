/**
 * onnxruntime QOperator models (test/fixtures/qoperator, made by
 * examples/scripts/exporters/ort_qoperator.py: U8S8 and U8U8, per-channel and
 * per-tensor weights): build, compile with strict gcc, run on seeded samples.
 *  - Layer by layer, isolated (each layer fed onnxruntime's input): every
 *    layer within 1 LSB (softmax: 2, onnxruntime's float softmax).
 *  - End to end: the same top-1 as onnxruntime on every sample.
 * U8U8 per-tensor weights keep their zero point (conv2d_wzp /
 * fully_connected_wzp, the exact correction kernels); the test asserts they
 * are exercised so the fixtures cannot silently stop covering them.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNativeTraced } from '../../compiler/verify/native.js';
import { compareWithReference } from '../../compiler/verify/golden.js';
import { compareLayers } from '../../compiler/verify/layers.js';
import { randomSamples } from '../../compiler/verify/samples.js';

const DIR = 'test/fixtures/qoperator';
const SAMPLES = 10;
const LAYER_SAMPLES = 2;
const FIXTURES = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();

describe('onnxruntime QOperator models against onnxruntime (native gcc)', () => {
  it('has fixtures', () => expect(FIXTURES.length).toBeGreaterThanOrEqual(8));
  for (const file of FIXTURES) {
    it(file, async () => {
      const path = join(DIR, file);
      const c = compileModel(path, { name: 'm' });
      const kinds = c.program.ops.map((op) => op.kind);
      if (file.includes('_u8u8_pt')) expect(kinds.some((k) => k === 'conv2d_wzp' || k === 'fully_connected_wzp')).toBe(true);
      const dir = mkdtempSync(join(tmpdir(), `edgec-qop-${file}-`));
      for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
      const traced = buildNativeRunner(dir, 'm', { flags: ['-DEDGEC_TRACING'] });
      const result = await compareWithReference(path, c.program, (bytes, n) => runNativeTraced(traced, bytes, n).outputs, randomSamples(c.program, SAMPLES, 1234));
      for (const o of result.outputs) {
        console.log(`${file} ${o.name}: exact ${(100 * o.exactRate).toFixed(2)}%, max ${o.maxDiffLsb} LSB, top-1 ${o.top1Agree === undefined ? 'n/a' : `${(100 * o.top1Agree).toFixed(0)}%`}`);
        if (o.top1Agree !== undefined) expect(o.top1Agree).toBe(1);
      }
      const layers = await compareLayers(path, c.graph, c.program, (b, n, inj) => runNativeTraced(traced, b, n, inj).trace as Uint8Array, randomSamples(c.program, LAYER_SAMPLES, 99), true);
      expect(layers.length).toBeGreaterThan(0);
      const elements = layers.reduce((a, l) => a + l.elements, 0);
      const exact = layers.reduce((a, l) => a + l.exactRate * l.elements, 0);
      const wzp = layers.filter((l) => l.kind.endsWith('_wzp'));
      const worst = layers.reduce((a, l) => (l.maxDiffLsb > a.maxDiffLsb || (l.maxDiffLsb === a.maxDiffLsb && l.exactRate < a.exactRate) ? l : a));
      console.log(`${file} layers (isolated): ${layers.length} compared, exact ${(100 * exact / elements).toFixed(2)}% of ${elements} values`
        + `${wzp.length ? `, zero-point kernels ${wzp.length} layers exact ${(100 * wzp.reduce((a, l) => a + l.exactRate * l.elements, 0) / wzp.reduce((a, l) => a + l.elements, 0)).toFixed(2)}%` : ''}`
        + `; worst '${worst.op}' ${worst.kind}: exact ${(100 * worst.exactRate).toFixed(2)}%, max ${worst.maxDiffLsb} LSB`);
      for (const l of layers) {
        const softmax = l.onnxOp === 'Softmax';
        expect(l.maxDiffLsb, `layer ${l.index} ${l.op} (${l.kind})`).toBeLessThanOrEqual(softmax ? 2 : 1);
      }
    }, 120_000);
  }
});
