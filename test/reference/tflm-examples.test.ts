/**
 * TFLite Micro itself as the bit reference: every bundled example with a
 * .tflite twin must give TFLM's output bytes exactly (tflite-micro from
 * PyPI, its own interpreter and reference kernels). Skipped when no Python
 * with tflite-micro is found (.ci/setup makes .venv with it).
 */
import { describe, expect, it } from 'vitest';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const TWINS = [
  { onnx: 'examples/tf2onnx_int8/tf2onnx_int8.onnx', tflite: 'examples/tf2onnx_int8/tf2onnx_int8.tflite' },
];

describe.skipIf(!tflmPython())('examples bit-exact with TFLite Micro', () => {
  for (const twin of TWINS) {
    it(twin.onnx, async () => {
      const r = await compareWithTflm(twin.onnx, twin.tflite, 20);
      for (const o of r.outputs) {
        console.log(`${twin.onnx} ${o.name}: ${o.elements - o.mismatches}/${o.elements} equal to TFLM, max diff ${o.maxDiff}`);
        expect(o.elements).toBeGreaterThan(0);
        expect(o.mismatches).toBe(0);
      }
    }, 120_000);
  }
});
