/**
 * onnxruntime QOperator models of the bundled examples (test/fixtures/qoperator,
 * made by examples/scripts/exporters/ort_qoperator.py: U8S8 and U8U8,
 * per-channel and per-tensor weights) against onnxruntime: every isolated
 * layer within 1 LSB, top-1 equal end to end (qoperator-check.ts).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkQOperatorFixture } from './qoperator-check.js';

const DIR = 'test/fixtures/qoperator';
const FIXTURES = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();

describe('onnxruntime QOperator models of the examples against onnxruntime (native gcc)', () => {
  it('has fixtures', () => expect(FIXTURES.length).toBeGreaterThanOrEqual(8));
  for (const file of FIXTURES) it(file, () => checkQOperatorFixture(join(DIR, file)), 120_000);
});
