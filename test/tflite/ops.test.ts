/**
 * Every TFLite builtin the front end maps, in small models made by
 * examples/scripts/tflite/make_fixtures.py (per-channel and per-tensor
 * weights, fused activations, int8 / uint8 / float I/O, keep_num_dims both
 * ways): the file holds the builtins fixtures.json promises (read with
 * edgec's own reader) and the generated C equals TFLite Micro byte for byte
 * on seeded random inputs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readTfliteModel } from '../../compiler/tflite/schema.js';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const DIR = 'test/fixtures/tflite';
const MANIFEST = JSON.parse(readFileSync(`${DIR}/fixtures.json`, 'utf8')) as Record<string, { builtins: string[] }>;
const SAMPLES = 25;

function builtinsOf(file: string): string[] {
  const m = readTfliteModel(readFileSync(file));
  return [...new Set(m.operatorCodes.map((c) => c.name))].sort();
}

describe('TFLite fixtures', () => {
  it('cover every builtin the front end maps that Keras produces', () => {
    const covered = new Set(Object.values(MANIFEST).flatMap((f) => f.builtins));
    for (const op of ['CONV_2D', 'DEPTHWISE_CONV_2D', 'FULLY_CONNECTED', 'ADD', 'MUL', 'AVERAGE_POOL_2D', 'MAX_POOL_2D', 'MEAN', 'SOFTMAX',
      'LOGISTIC', 'TANH', 'HARD_SWISH', 'LEAKY_RELU', 'RELU', 'RELU6', 'RESHAPE', 'CONCATENATION', 'PAD', 'PADV2', 'TRANSPOSE', 'QUANTIZE', 'DEQUANTIZE',
      'SUB', 'MAXIMUM', 'MINIMUM', 'PRELU', 'SPLIT', 'SPLIT_V', 'RESIZE_BILINEAR', 'RESIZE_NEAREST_NEIGHBOR', 'LOG_SOFTMAX', 'TRANSPOSE_CONV', 'STRIDED_SLICE', 'SUM', 'REDUCE_MAX', 'REDUCE_MIN', 'RSQRT', 'ABS']) {
      expect(covered.has(op), op).toBe(true);
    }
  });

  it('FULLY_CONNECTED appears with keep_num_dims true and false', () => {
    // keep_num_dims is visible in the output rank: [1, 10] (false) vs [1, 5, 7] (true)
    const outRank = (name: string): number => {
      const m = readTfliteModel(readFileSync(`${DIR}/${name}.tflite`));
      const sg = m.subgraphs[0];
      const fc = sg.operators.find((o) => m.operatorCodes[o.opcodeIndex].name === 'FULLY_CONNECTED')!;
      return sg.tensors[fc.outputs[0]].shape.length;
    };
    expect(outRank('fc_flat')).toBe(2);
    expect(outRank('fc_keep_dims')).toBe(3);
  });

  for (const [name, spec] of Object.entries(MANIFEST)) {
    const file = `${DIR}/${name}.tflite`;
    it(`${name}: holds ${spec.builtins.join(', ')}`, () => {
      expect(builtinsOf(file)).toEqual(spec.builtins);
    });
    it.skipIf(!tflmPython())(`${name}: equals TFLite Micro byte for byte`, async () => {
      const r = await compareWithTflm(file, file, SAMPLES, 17);
      for (const o of r.outputs) {
        console.log(`${name} ${o.name}: ${o.elements - o.mismatches}/${o.elements} equal to TFLM (max diff ${o.maxDiff})`);
        expect(o.elements).toBeGreaterThan(0);
        expect(o.mismatches).toBe(0);
      }
    }, 60_000);
  }
});
