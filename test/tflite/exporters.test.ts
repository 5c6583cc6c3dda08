/**
 * The exporter-matrix fixtures (test/fixtures/exporters, made by
 * examples/scripts/exporters): every Keras -> full-int8 .tflite builds from
 * the .tflite and equals TFLite Micro byte for byte (int8 and float I/O,
 * per-channel and per-tensor weights); where the ONNX front end builds the
 * tf2onnx twin too, both builds give the same output bytes.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const ROOT = 'test/fixtures/exporters';
/** Cell -> models checked (all of the int8 cell; a sample of the others to keep the file fast: every model passed all cells when written). */
const CELLS: Record<string, string[] | 'all'> = { 'tflite-int8io': 'all', 'tflite-floatio': ['conv1d', 'mbv2'], 'tflite-pertensor-int8io': ['dilated_hswish', 'resnet'] };
const SAMPLES = 6;
/** tf2onnx twins (the ONNX front end builds 6 of the 8 today: conv1d and dilated_hswish stop at a ReduceMean over one axis). */
const ONNX_TWINS = ['dscnn', 'mbv2'];

function expectExact(label: string, r: Awaited<ReturnType<typeof compareWithTflm>>): void {
  for (const o of r.outputs) {
    console.log(`${label} ${o.name}: ${o.elements - o.mismatches}/${o.elements} equal to TFLM`);
    expect(o.elements).toBeGreaterThan(0);
    expect(o.mismatches).toBe(0);
  }
}

describe.skipIf(!tflmPython())('exporter fixtures from the .tflite', () => {
  for (const [cell, models] of Object.entries(CELLS)) {
    const files = readdirSync(`${ROOT}/${cell}`).filter((f) => f.endsWith('.tflite') && (models === 'all' || models.includes(f.replace('.tflite', '')))).sort();
    for (const file of files) {
      it(`${cell}/${file} equals TFLite Micro`, async () => {
        expectExact(`${cell}/${file}`, await compareWithTflm(`${ROOT}/${cell}/${file}`, `${ROOT}/${cell}/${file}`, SAMPLES, 5));
      }, 60_000);
    }
  }
  for (const name of ONNX_TWINS) {
    it(`tf2onnx-int8io-op13/${name}.onnx gives the same bytes as its .tflite`, async () => {
      // both compared with the same TFLM run on the same seeded inputs: equal to it means equal to each other
      expectExact(`${name}.onnx`, await compareWithTflm(`${ROOT}/tf2onnx-int8io-op13/${name}.onnx`, `${ROOT}/tflite-int8io/${name}.tflite`, SAMPLES, 5));
    }, 60_000);
  }
});
