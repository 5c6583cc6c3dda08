/**
 * `--stateful` on a .tflite UNIDIRECTIONAL_SEQUENCE_LSTM: TFLite Micro keeps
 * the LSTM's hidden and cell state in variable tensors that carry from one
 * Invoke() to the next until Reset(). edgec's stateful build, invoked on the
 * same inputs one after the other, must give TFLM's bytes at every invoke
 * (TFLM run without Reset()); and the state must really carry: TFLM run
 * with a Reset() after each invoke differs from the second invoke on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { valueBytes, type Value } from '../../compiler/ir/program.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { runTflm, tflmPython } from '../helpers/tflm.js';
import { EdgecError } from '../../compiler/errors.js';

const FX = 'test/fixtures/recurrent';
const INVOKES = 6;
const haveTflm = tflmPython() !== undefined;

/** Builds `tflite` --stateful, invokes it INVOKES times on random inputs; returns edgec's and TFLM's first output per invoke. */
function streamBoth(tflite: string): { ours: Int8Array[]; streamed: Int8Array[]; reset: Int8Array[]; persistent: number; stateBytes: number; lstms: number } {
  const c = compileModel(tflite, { name: 'm', stateful: {} });
  const dir = mkdtempSync(join(tmpdir(), 'edgec-lstm-stateful-'));
  try {
    for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
    const samples = randomSamples(c.program, INVOKES, 23);
    const inputBytes = samples.flatMap((s) => s.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
    const joined = new Uint8Array(inputBytes.reduce((a, b) => a + b.length, 0));
    let at = 0;
    for (const b of inputBytes) { joined.set(b, at); at += b.length; }
    const out = runNative(buildNativeRunner(dir, 'm'), joined, INVOKES);
    const outValues = c.program.outputs.map((id) => c.program.values.get(id) as Value);
    const perInvoke = outValues.reduce((a, v) => a + valueBytes(v), 0);
    const first = valueBytes(outValues[0]!);
    const ours = Array.from({ length: INVOKES }, (_, s) => new Int8Array(out.buffer.slice(out.byteOffset + s * perInvoke, out.byteOffset + s * perInvoke + first)));
    const input = c.program.values.get(c.program.inputs[0]!)!;
    const stacked = { dtype: 'int8' as const, shape: [INVOKES, ...input.logicalShape], data: Int8Array.from(samples.flatMap((s) => Array.from(s[0]!.data as Int8Array))) };
    const split = (data: ArrayLike<number>): Int8Array[] => Array.from({ length: INVOKES }, (_, s) => Int8Array.from(Array.prototype.slice.call(data, s * first, (s + 1) * first) as number[]));
    const streamed = split(runTflm(tflite, [stacked], { keepState: true })[0]!.data);
    const reset = split(runTflm(tflite, [stacked])[0]!.data);
    const lstms = c.program.ops.filter((op) => op.kind === 'lstm');
    // per LSTM: its int8 hidden state and int16 cell state, [batches, hidden] each
    const stateBytes = lstms.reduce((a, op) => a + 3 * Number(op.params.batches) * Number(op.params.hidden), 0);
    return { ours, streamed, reset, persistent: (c.program.state ?? []).reduce((a, s) => a + s.bytes, 0), stateBytes, lstms: lstms.length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!haveTflm)('.tflite LSTM --stateful: invoke after invoke as TFLM without Reset()', () => {
  for (const [fixture, layers] of [['lstm_h8_seq', 1], ['keras_lstm_int8', 1], ['lstm_batch2', 1], ['lstm_time_major', 1], ['lstm_stacked', 2]] as const) {
    it(`${fixture}: ${INVOKES} streamed invokes byte-equal to TFLM's`, () => {
      const { ours, streamed, reset, persistent, stateBytes, lstms } = streamBoth(`${FX}/${fixture}.tflite`);
      for (let s = 0; s < INVOKES; s++) expect(Array.from(ours[s]!), `invoke ${s}`).toEqual(Array.from(streamed[s]!));
      // the first invoke starts from the zero state either way; later ones carry the state
      expect(Array.from(streamed[0]!)).toEqual(Array.from(reset[0]!));
      expect(streamed.slice(1).some((o, s) => o.some((v, i) => v !== reset[s + 1]![i]))).toBe(true);
      // every layer's state persists, and nothing else
      expect(lstms).toBe(layers);
      expect(persistent).toBe(stateBytes);
    }, 120_000);
  }
});

describe('.tflite LSTM --stateful: what is refused', () => {
  it('--state naming a tensor that is not an input stays a one-line error', () => {
    expect(() => compileModel(`${FX}/lstm_h8_seq.tflite`, { stateful: { pairs: [{ input: 'nope', output: 'also_nope' }] } })).toThrow(EdgecError);
  });
});
