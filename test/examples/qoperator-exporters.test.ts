/**
 * onnxruntime QOperator models of the exporter-matrix architectures
 * (test/fixtures/qoperator/exporters: TorchScript float exports of
 * test/fixtures/exporters/float through ort_qoperator.py, U8S8 per-channel and
 * U8U8 per-tensor) against onnxruntime (qoperator-check.ts). They bring the
 * QOperator ops the examples do not: QLinearConcat (SqueezeNet fire),
 * QLinearGlobalAveragePool, QLinearMul (HardSwish), 1-D QLinearConv.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkQOperatorFixture } from './qoperator-check.js';

const DIR = 'test/fixtures/qoperator/exporters';
const FIXTURES = readdirSync(DIR).filter((f) => f.endsWith('.onnx')).sort();

describe('onnxruntime QOperator models of the exporter architectures against onnxruntime (native gcc)', () => {
  it('has fixtures', () => expect(FIXTURES.length).toBeGreaterThanOrEqual(8));
  for (const file of FIXTURES) it(file, () => checkQOperatorFixture(join(DIR, file)), 120_000);
});
