/**
 * onnxruntime QOperator models of the bundled examples (test/fixtures/qoperator,
 * made by examples/scripts/exporters/ort_qoperator.py: U8S8 and U8U8,
 * per-channel and per-tensor weights) against onnxruntime: every isolated
 * layer within 1 LSB, top-1 equal end to end (qoperator-check.ts).
 */
import { describeQOperatorFixtures } from './qoperator-check.js';

describeQOperatorFixtures('onnxruntime QOperator models of the examples against onnxruntime (native gcc)', 'test/fixtures/qoperator', /./, 8);
