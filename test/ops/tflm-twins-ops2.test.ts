/**
 * One-op models bit-exact with TensorFlow Lite Micro: each fixture pair under
 * test/fixtures/ops2 is a tiny Keras model converted to full-int8 TFLite and
 * through tf2onnx (examples/scripts/ops2/make_op_twins.py). edgec compiles
 * the ONNX twin; its output must equal the tflite-micro interpreter's on the
 * .tflite byte for byte. Skipped when no Python with tflite-micro is found.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const DIR = 'test/fixtures/ops2';
/** Fixture name → the TFLite op it exercises. */
const TWINS: Record<string, string> = {
  sub: 'SUB', sub_bcast: 'SUB (broadcast)', maximum: 'MAXIMUM', minimum: 'MINIMUM', prelu: 'PRELU (per channel)',
  elu: 'ELU', abs: 'ABS', log_softmax: 'LOG_SOFTMAX', softmax_axis1: 'SOFTMAX over axis 1 (TRANSPOSE + SOFTMAX)', swish: 'LOGISTIC + MUL (one fused Swish table)', argmax: 'ARG_MAX (int32)', argmin: 'ARG_MIN (int32, axis 1)',
  tconv_s2_same: 'TRANSPOSE_CONV stride 2 SAME', tconv_s2_valid: 'TRANSPOSE_CONV stride 2 VALID', tconv_s1_k2: 'TRANSPOSE_CONV stride 1 k2', batch_matmul_adj: 'BATCH_MATMUL (adj_y: Transpose + MatMul)',
  rsqrt_relu: 'RSQRT (tf2onnx: Sqrt -> Reciprocal; TFLM integer Newton-Raphson)',
};

describe.skipIf(!tflmPython())('one-op twins bit-exact with TFLite Micro', () => {
  for (const [name, op] of Object.entries(TWINS)) {
    it(`${name}: ${op}`, async () => {
      const onnx = `${DIR}/${name}.onnx`;
      expect(existsSync(onnx)).toBe(true);
      const r = await compareWithTflm(onnx, `${DIR}/${name}.tflite`, 20);
      for (const o of r.outputs) {
        console.log(`[tflm] ${name} (${op}) ${o.name}: ${o.elements - o.mismatches}/${o.elements} equal to TFLM, max diff ${o.maxDiff}`);
        expect(o.elements).toBeGreaterThan(0);
        expect(o.mismatches).toBe(0);
      }
    }, 120_000);
  }
});
