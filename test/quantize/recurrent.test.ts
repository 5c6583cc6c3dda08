/**
 * LSTM / GRU through edgec's PTQ (issue 14): each float fixture
 * (test/fixtures/recurrent/make_*.py, trained on a sine-frequency task) is
 * quantized with its 64 calibration samples and compiled; the generated C
 * runs natively on 40 held-out sequences: output SQNR against float
 * onnxruntime and top-1 agreement with the float model. Thresholds are the
 * measured values less a margin (measured values in the comments). The cell
 * state is int8 (not TFLM's int16): these SQNRs include that cost.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModelAsync, type Compiled } from '../../compiler/pipeline.js';
import { Sqnr } from '../../compiler/quantize/accuracy.js';
import { openReference, runReference } from '../../compiler/verify/reference.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { readNpy } from '../../compiler/data/npy.js';
import { loadModel } from '../../compiler/onnx/load.js';
import { argmax } from '../../compiler/verify/compare.js';

const FX = 'test/fixtures/recurrent';
const CLASSES = 4;

interface HeldOut { sqnrDb: number; agree: number; int8Correct: number; floatCorrect: number; n: number }

/** The compiled C on the held-out sequences against the float model (and both against the labels). */
async function heldOut(c: Compiled, model: string, name: string, inputDims: number[]): Promise<HeldOut> {
  const x = readNpy(`${FX}/test_${name}_x.npy`);
  const y = readNpy(`${FX}/test_y.npy`);
  const xs = x.data as Float32Array;
  const n = x.shape[0];
  const size = xs.length / n;
  const dir = mkdtempSync(join(tmpdir(), `edgec-rnn-${name}-`));
  let out: Float32Array;
  try {
    for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
    out = new Float32Array(new Uint8Array(runNative(buildNativeRunner(dir, 'm'), new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength), n)).buffer);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const session = await openReference(model);
  const sqnr = new Sqnr();
  const h: HeldOut = { sqnrDb: 0, agree: 0, int8Correct: 0, floatCorrect: 0, n };
  try {
    for (let i = 0; i < n; i++) {
      const ref = (await runReference(session, [{ name: 'input', type: 'float32', dims: inputDims, data: xs.slice(i * size, (i + 1) * size) }])).get('logits')!;
      sqnr.add(ref, out.subarray(i * CLASSES, (i + 1) * CLASSES));
      const ours = argmax(out, i * CLASSES, CLASSES);
      const float = argmax(ref, 0, CLASSES);
      if (ours === float) h.agree++;
      if (ours === Number(y.data[i])) h.int8Correct++;
      if (float === Number(y.data[i])) h.floatCorrect++;
    }
  } finally {
    await session.release();
  }
  h.sqnrDb = sqnr.db();
  return h;
}

describe('recurrent models through PTQ: int8 C vs float', () => {
  it.each([
    // [fixture, input dims, min held-out SQNR in dB (measured)]
    ['torch_lstm', [16, 1, 2], 29], // 34.5 dB
    ['torch_lstm_bf', [1, 16, 2], 25], // 30.4 dB
    ['torch_gru', [1, 16, 2], 30], // 35.7 dB
    ['torch_bilstm', [16, 1, 2], 27], // 32.6 dB
  ] as [string, number[], number][])('%s: SQNR and top-1 on held-out sequences', async (name, dims, minDb) => {
    const model = `${FX}/${name}.onnx`;
    const c = await compileModelAsync(model, { calibration: `${FX}/calib_${name}.npy`, name: 'm' });
    const h = await heldOut(c, model, name, dims);
    expect(h.sqnrDb).toBeGreaterThanOrEqual(minDb);
    expect(h.agree).toBeGreaterThanOrEqual(0.9 * h.n);
    expect(h.int8Correct).toBeGreaterThanOrEqual(h.floatCorrect - 2);
    // every step shares one quantization, so weights, biases and LUT tables are stored once, not once per
    // step (16 copies would be 6-10x the float model); per-gate int32 bias/multipliers and 256-byte LUTs keep it above 1/4
    const floatBytes = [...loadModel(model).tensors.values()].reduce((a, t) => a + (t.data && t.dtype === 'float32' ? t.data.byteLength : 0), 0);
    expect(c.emitted.weightsBytes).toBeLessThan(0.75 * floatBytes);
  }, 120_000);
});
