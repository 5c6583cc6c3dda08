/**
 * Every bundled example: build, compile the output with strict gcc, run it
 * on the same inputs as onnxruntime.
 *  - End to end: the same top-1 on every sample, outputs within the model's
 *    documented LSB bound (onnxruntime requantizes in float, we in TFLite
 *    Micro's fixed point; ±1 LSB per layer compounds along deep random-weight
 *    models and is amplified by softmax — see README "Accuracy against onnxruntime").
 *  - Layer by layer, isolated (each layer fed onnxruntime's input): every
 *    layer within 1 LSB and at least 97% exact (softmax: 2 LSB) — the check of
 *    our arithmetic on real models; the per-op tests hold the 99% line.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative, runNativeTraced } from '../../compiler/verify/native.js';
import { compareWithReference } from '../../compiler/verify/golden.js';
import { compareLayers } from '../../compiler/verify/layers.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { EXAMPLES } from '../helpers/examples.js';

const SAMPLES = 20;
const LAYER_SAMPLES = 3;

describe('examples against onnxruntime (native gcc)', () => {
  for (const ex of EXAMPLES) {
    it(ex.id, async () => {
      const c = compileModel(ex.path, { name: 'm' });
      const dir = mkdtempSync(join(tmpdir(), `edgec-${ex.id}-`));
      for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
      const exe = buildNativeRunner(dir, 'm');
      const result = await compareWithReference(ex.path, c.program, (bytes, n) => runNative(exe, bytes, n), randomSamples(c.program, SAMPLES, 1234));
      for (const o of result.outputs) {
        console.log(`${ex.id} ${o.name}: exact ${(100 * o.exactRate).toFixed(2)}%, max ${o.maxDiffLsb} LSB, mean ${o.meanDiffLsb.toFixed(4)}, top-1 ${o.top1Agree === undefined ? 'n/a' : `${(100 * o.top1Agree).toFixed(0)}%`}`);
        expect(o.maxDiffLsb).toBeLessThanOrEqual(ex.maxLsb);
        if (o.top1Agree !== undefined) expect(o.top1Agree).toBe(1);
      }
      const traced = buildNativeRunner(dir, 'm', { flags: ['-DEDGEC_TRACING'] });
      const layers = await compareLayers(ex.path, c.graph, c.program, (b, n, inj) => runNativeTraced(traced, b, n, inj).trace as Uint8Array, randomSamples(c.program, LAYER_SAMPLES, 99), true);
      expect(layers.length).toBeGreaterThan(0);
      const worst = layers.reduce((a, l) => (l.maxDiffLsb > a.maxDiffLsb || (l.maxDiffLsb === a.maxDiffLsb && l.exactRate < a.exactRate) ? l : a));
      console.log(`${ex.id} layers (isolated): ${layers.length} compared, worst '${worst.op}' ${worst.kind}: exact ${(100 * worst.exactRate).toFixed(2)}%, max ${worst.maxDiffLsb} LSB`);
      for (const l of layers) {
        // int8 softmax vs onnxruntime's float softmax + requantization to its 1/255 output scale
        const softmax = l.onnxOp === 'Softmax';
        expect(l.maxDiffLsb, `layer ${l.index} ${l.op}`).toBeLessThanOrEqual(softmax ? 2 : 1);
        if (!softmax) expect(l.exactRate, `layer ${l.index} ${l.op}`).toBeGreaterThanOrEqual(0.97);
      }
    }, 180_000);
  }
});
