/**
 * Keras LSTMs through the TFLite converter (test/fixtures/recurrent/make_keras.py):
 *  - LSTM(unroll=True), full int8: UNPACK + per-step FULLY_CONNECTED / SPLIT /
 *    LOGISTIC / TANH / MUL / ADD; edgec's output equals TFLite Micro's byte for
 *    byte (skipped without a Python with tflite-micro);
 *  - the default (fused) LSTM becomes one UNIDIRECTIONAL_SEQUENCE_LSTM, which
 *    edgec runs with TFLM's integer LSTM arithmetic: test/tflite/lstm.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const FX = 'test/fixtures/recurrent';

describe('Keras LSTM as full-int8 .tflite', () => {
  it.skipIf(!tflmPython())('unrolled (UNPACK + per-step ops): bit-exact with TFLite Micro', async () => {
    const tflite = `${FX}/keras_lstm_unrolled_int8.tflite`;
    const r = await compareWithTflm(tflite, tflite, 10);
    for (const o of r.outputs) {
      expect(o.elements).toBe(10 * 4);
      expect(o.mismatches).toBe(0);
    }
  }, 120_000);
});
