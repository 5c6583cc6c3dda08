/**
 * The bundled example with a .tflite twin builds straight from the .tflite:
 * the same program as the ONNX build (tf2onnx's rewrite of the same file)
 * and TFLite Micro's output bytes exactly on seeded random inputs.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const TWINS = [
  { onnx: 'examples/tf2onnx_int8/tf2onnx_int8.onnx', tflite: 'examples/tf2onnx_int8/tf2onnx_int8.tflite' },
];

describe('bundled .tflite twins', () => {
  for (const twin of TWINS) {
    it(`${twin.tflite} compiles to the same kernels, constants and arena as ${twin.onnx}`, () => {
      const fromTflite = compileModel(twin.tflite, { name: 'm' });
      const fromOnnx = compileModel(twin.onnx, { name: 'm' });
      const summary = (c: typeof fromTflite): unknown => c.program.ops.map((op) => ({ kind: op.kind, params: op.params, consts: Object.fromEntries(Object.entries(op.consts).map(([k, id]) => [k, Array.from(c.program.consts.get(id)!.data)])) }));
      expect(summary(fromTflite)).toEqual(summary(fromOnnx));
      expect(fromTflite.plan.arenaBytes).toBe(fromOnnx.plan.arenaBytes);
    });

    it.skipIf(!tflmPython())(`${twin.tflite} equals TFLite Micro byte for byte`, async () => {
      const r = await compareWithTflm(twin.tflite, twin.tflite, 50);
      for (const o of r.outputs) {
        console.log(`${twin.tflite} ${o.name}: ${o.elements - o.mismatches}/${o.elements} equal to TFLM`);
        expect(o.elements).toBe(500);
        expect(o.mismatches).toBe(0);
      }
    }, 120_000);
  }
});
