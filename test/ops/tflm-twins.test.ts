/**
 * Per-op TFLite Micro twins (test/fixtures/ops, made by
 * examples/scripts/ops/make_op_twins.py): each tiny model produces one TFLite
 * builtin op; edgec's output of the tf2onnx-converted .onnx must equal the
 * tflite-micro interpreter's output of the .tflite byte for byte. Skipped
 * when no Python with tflite-micro is found (.ci/setup makes .venv with it).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const DIR = 'test/fixtures/ops';
const TWINS = readdirSync(DIR).filter((f) => f.endsWith('.onnx') && existsSync(join(DIR, f.replace(/\.onnx$/, '.tflite')))).sort();

describe.skipIf(!tflmPython())('per-op twins bit-exact with TFLite Micro', () => {
  it('has twins', () => expect(TWINS.length).toBeGreaterThan(0));
  for (const f of TWINS) {
    it(f, async () => {
      const r = await compareWithTflm(join(DIR, f), join(DIR, f.replace(/\.onnx$/, '.tflite')), 20);
      for (const o of r.outputs) {
        console.log(`[tflm] ${f} ${o.name}: ${o.elements - o.mismatches}/${o.elements} equal to TFLM, max diff ${o.maxDiff}`);
        expect(o.elements).toBeGreaterThan(0);
        expect(o.mismatches).toBe(0);
      }
    }, 60_000);
  }
});
