/**
 * Every bundled example: build, compile the output with strict gcc, run it
 * on the same inputs as onnxruntime, and require the same top-1 on every
 * sample and outputs within a few LSB (onnxruntime requantizes in float; our
 * arithmetic is TFLite Micro's fixed point).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { compareWithReference } from '../../compiler/verify/golden.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { EXAMPLES } from '../helpers/examples.js';

const SAMPLES = 20;

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
    }, 120_000);
  }
});
