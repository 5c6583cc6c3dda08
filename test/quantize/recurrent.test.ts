/**
 * LSTM / GRU through edgec's PTQ (issue 14): each float fixture
 * (test/fixtures/recurrent/make_*.py, trained on a sine-frequency task) is
 * quantized with its 64 calibration samples and compiled; the generated C
 * runs natively on 40 held-out sequences: output SQNR against float
 * onnxruntime and top-1 agreement with the float model. Thresholds are the
 * measured values less a margin (measured values in the comments). An LSTM
 * is quantized whole for TFLite Micro's integer kernel (int16 gates and cell
 * state; passes/integer-lstm.ts, quantize/lstm-cell.ts); a GRU (TFLM has no
 * integer GRU) is unrolled into int8 ops, its state int8 with one range.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, compileModelAsync, type Compiled } from '../../compiler/pipeline.js';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { Sqnr } from '../../compiler/quantize/accuracy.js';
import { openReference, runReference } from '../../compiler/verify/reference.js';
import { buildNativeRunnerAsync, runNative } from '../../compiler/verify/native.js';
import { readNpy } from '../../compiler/data/npy.js';
import { loadModel } from '../../compiler/onnx/load.js';
import { argmax } from '../../compiler/verify/compare.js';

const FX = 'test/fixtures/recurrent';
const CLASSES = 4;

interface HeldOut { sqnrDb: number; agree: number; int8Correct: number; floatCorrect: number; n: number }

/** The compiled C on the held-out sequences against the float model (and both against the labels). */
async function heldOut(c: Compiled, model: string, data: string, inputDims: number[]): Promise<HeldOut> {
  const x = readNpy(`${FX}/test_${data}_x.npy`);
  const y = readNpy(`${FX}/test_y.npy`);
  const xs = x.data as Float32Array;
  const n = x.shape[0];
  const size = xs.length / n;
  const dir = mkdtempSync(join(tmpdir(), 'edgec-rnn-'));
  let out: Float32Array;
  try {
    for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
    // gcc asynchronously: 16 unrolled steps take it long enough to starve the vitest worker's RPC otherwise
    const exe = await buildNativeRunnerAsync(dir, 'm');
    out = new Float32Array(new Uint8Array(runNative(exe, new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength), n)).buffer);
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
    // [fixture, data arrays, input dims, min held-out SQNR in dB (measured), max int8/float weight bytes, integer LSTM kernels]
    // (the LSTMs unrolled into int8 ops, before the integer kernel: torch_lstm 38.0 dB and 9,920 B, torch_lstm_bf 34.1,
    // torch_bilstm 37.2 and 15,600 B, keras_lstm 33.6)
    ['torch_lstm', 'torch_lstm', [16, 1, 2], 41, 0.3, 1], // 44.02 dB, 3,024 B
    ['torch_lstm_bf', 'torch_lstm_bf', [1, 16, 2], 40, 0.3, 1], // 42.61 dB (Transpose + LSTM)
    ['torch_gru', 'torch_gru', [1, 16, 2], 30, 2, 0], // 35.66 dB, linear_before_reset 1, unrolled
    ['torch_bilstm', 'torch_bilstm', [16, 1, 2], 41, 0.3, 2], // 43.83 dB, 2,992 B: one kernel per direction
    ['keras_lstm', 'torch_lstm_bf', [1, 16, 2], 41, 0.3, 1], // 44.29 dB; tf2onnx: one ONNX LSTM node
    // make_stacked.py: nn.LSTM(num_layers=2) (two LSTM nodes, Squeeze between, zero states from Shape/Expand), and the
    // torch.onnx dynamo exporter (opset 20)
    ['torch_lstm2_bf', 'torch_lstm_bf', [1, 16, 2], 39, 0.3, 2], // 42.90 dB, 8,016 B
    ['torch_lstm_dynamo', 'torch_lstm_bf', [1, 16, 2], 41, 0.3, 1], // 44.02 dB
    // tf2onnx of LSTM(unroll=True): per-step Gemm(x, W, C = h·R) + Split of the 4 gates; each step its own
    // ranges and constants (39,108 B, 4.5x the float weights): the form converters write, not ours
    ['keras_lstm_unrolled', 'torch_lstm_bf', [1, 16, 2], 28, Infinity, 0], // 33.81 dB
    // Keras activation='relu' / recurrent_activation='hard_sigmoid' (make_keras_activations.py), not TFLM's sigmoid / tanh:
    // the relu LSTM stays float (its h grows x250 over the 16 steps; unboundedRecurrentLayers), the hard_sigmoid one
    // unrolls into int8 ops (HardSigmoid an int8 table)
    ['keras_lstm_relu', 'torch_lstm_bf', [1, 16, 2], 32, 1, 0], // 35.19 dB, lstm_f32, 7,488 B
    ['keras_lstm_hsig', 'torch_lstm_bf', [1, 16, 2], 27, 2, 0], // 30.78 dB, 8,808 B
  ] as [string, string, number[], number, number, number][])('%s: SQNR and top-1 on held-out sequences', async (name, data, dims, minDb, maxWeightRatio, lstmKernels) => {
    const model = `${FX}/${name}.onnx`;
    const c = await compileModelAsync(model, { calibration: `${FX}/calib_${data}.npy`, name: 'm' });
    const h = await heldOut(c, model, data, dims);
    console.log(`[recurrent PTQ] ${name}: SQNR ${h.sqnrDb.toFixed(2)} dB, top-1 agreement ${h.agree}/${h.n}, weights ${c.emitted.weightsBytes} B, kernels ${[...new Set(c.program.ops.map((o) => o.kind))].join(' ')}`);
    expect(h.sqnrDb).toBeGreaterThanOrEqual(minDb);
    expect(h.agree).toBeGreaterThanOrEqual(0.9 * h.n);
    expect(h.int8Correct).toBeGreaterThanOrEqual(h.floatCorrect - 2);
    expect(c.program.ops.filter((o) => o.kind === 'lstm').length).toBe(lstmKernels);
    // only the relu LSTM is kept float, and the build says why
    expect(c.quantized?.recurrentNote ?? '').toMatch(name === 'keras_lstm_relu' ? /^'LSTM__30' \(LSTM\) kept float: a Relu \/ LeakyRelu activation lets h grow/ : /^$/);
    // the gates of every step share one quantization, so their weights, biases, multipliers and LUT tables are
    // stored once (one copy per step would be 6-10x the float weights); the LSTM cell state's per-step tanh
    // table (256 B a step) and the int32 per-channel arrays keep the ratio above 1/4
    const floatBytes = [...loadModel(model).tensors.values()].reduce((a, t) => a + (t.data && t.dtype === 'float32' ? t.data.byteLength : 0), 0);
    expect(c.emitted.weightsBytes).toBeLessThan(maxWeightRatio * floatBytes);
  }, 120_000);
});

describe('PTQ with --float-layers naming the recurrent layer: it stays whole and float (ops/recurrent-float.ts)', () => {
  it.each([
    // [fixture, data arrays, input dims, node, min held-out SQNR in dB (measured; the unrolled int8 build above: 38.0 / 35.7)]
    // torch_lstm's LSTM reads the model input, which stays float (45.6 dB when it was quantized and dequantized for it,
    // onnxruntime's quantize_static 46.7); torch_gru's input goes through a Transpose first and is quantized
    ['torch_lstm', 'torch_lstm', [16, 1, 2], '/rnn/LSTM', 'lstm_f32', 44], // 46.7 dB
    ['torch_gru', 'torch_gru', [1, 16, 2], '/rnn/GRU', 'gru_f32', 42], // 45.6 dB
  ] as [string, string, number[], string, string, number][])('%s: SQNR on held-out sequences', async (name, data, dims, node, kind, minDb) => {
    const model = `${FX}/${name}.onnx`;
    const c = await compileModelAsync(model, { calibration: `${FX}/calib_${data}.npy`, name: 'm', floatLayers: [node] });
    expect(c.program.ops.filter((op) => op.kind.endsWith('_f32')).map((op) => op.kind)).toEqual([kind]);
    expect(c.quantized?.floatLayers).toEqual([node]);
    // a float layer reading the model input reads it as float (no quantize, no dequantize in between)
    expect(c.program.ops[0]!.kind).toBe(name === 'torch_lstm' ? 'lstm_f32' : 'quantize');
    const h = await heldOut(c, model, data, dims);
    console.log(`[recurrent PTQ --float-layers] ${name}: SQNR ${h.sqnrDb.toFixed(1)} dB, top-1 agreement ${h.agree}/${h.n}`);
    expect(h.sqnrDb).toBeGreaterThanOrEqual(minDb);
    expect(h.agree).toBe(h.n);
  }, 120_000);
});

describe('recurrent models without PTQ', () => {
  /** x -> Q -> DQ -> LSTM (float weights, as onnxruntime's quantize_static leaves it) -> Y_h. */
  function qdqLstm(): Uint8Array {
    const b = new OnnxBuilder({ opset: 13 })
      .input('x', 'float32', [5, 1, 3])
      .float('s', 0.05).initializer('z', Int8Array.of(0), [])
      .initializer('W', new Float32Array(4 * 4 * 3).fill(0.1), [1, 16, 3])
      .initializer('R', new Float32Array(4 * 4 * 4).fill(0.1), [1, 16, 4]);
    const dq = b.op('DequantizeLinear', [b.op('QuantizeLinear', ['x', 's', 'z']), 's', 'z']);
    b.node('LSTM', [dq, 'W', 'R'], ['', 'y_h'], { hidden_size: 4 }, { name: 'lstm' }).output('y_h', 'float32');
    return b.toBytes();
  }

  it('a QDQ model whose LSTM stayed float runs it with the float LSTM kernel (test/ops/recurrent-float.test.ts)', () => {
    const c = compileModel('qdq_lstm.onnx', { name: 'm', modelBytes: qdqLstm() });
    expect(c.program.ops.map((op) => op.kind)).toEqual(['quantize', 'dequantize', 'lstm_f32']);
  });

  it('a float LSTM built without --calibration is refused with one line', () => {
    expect(() => compileModel(`${FX}/torch_gru.onnx`, { name: 'm' })).toThrow(/\(GRU\): GRU on float data: edgec compiles int8 models/);
  });
});
