/**
 * Post-training quantization (issue 4): float passes keep the float model's
 * function, calibration data is read and checked, the QDQ model runs in
 * onnxruntime, and the compiled int8 C is close to the float model.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModelAsync } from '../../compiler/pipeline.js';
import { measureAccuracy } from '../../compiler/quantize/accuracy.js';
import { prepareFloatGraph, quantizeModel, parseMethod } from '../../compiler/quantize/index.js';
import { loadCalibration } from '../../compiler/quantize/calibration-data.js';
import { writeOnnx } from '../../compiler/quantize/onnx-writer.js';
import { activationParams, quantizeWeights } from '../../compiler/quantize/quantize.js';
import { HIST_BINS, TensorStats, rangeOf } from '../../compiler/quantize/ranges.js';
import { openReference, runReference } from '../../compiler/verify/reference.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { readNpy } from '../../compiler/data/npy.js';
import { argmax } from '../../compiler/verify/compare.js';
import { EdgecError } from '../../compiler/errors.js';

const FX = 'test/fixtures/quantize';

async function maxFloatDiff(original: string, rewritten: Uint8Array, samplesPath: string): Promise<number> {
  const g = prepareFloatGraph(original);
  const samples = loadCalibration(samplesPath, g.inputs.map((name) => ({ name, shape: g.tensors.get(name)!.shape }))).slice(0, 4);
  const a = await openReference(original);
  const b = await openReference(rewritten);
  let diff = 0;
  for (const s of samples) {
    const ra = await runReference(a, s);
    const rb = await runReference(b, s);
    for (const [name, va] of ra) {
      const vb = rb.get(name)!;
      for (let i = 0; i < va.length; i++) diff = Math.max(diff, Math.abs(Number(va[i]) - Number(vb[i])));
    }
  }
  await a.release(); await b.release();
  return diff;
}

describe('float passes', () => {
  it.each([
    ['examples/kws_dscnn/kws_dscnn_float.onnx', 'examples/kws_dscnn/calibration.npy', ['Mul', 'MatMul']],
    ['examples/ad_autoencoder/ad_autoencoder_float.onnx', 'examples/ad_autoencoder/calibration.npy', ['BatchNormalization']],
    [`${FX}/torch_cnn.onnx`, `${FX}/calib_torch_cnn.npy`, ['BatchNormalization']],
    [`${FX}/keras_dense.onnx`, `${FX}/calib_keras_dense.npy`, ['Mul', 'MatMul']],
    [`${FX}/mlp_dynamic.onnx`, `${FX}/calib_mlp.npz`, ['Sub', 'Div', 'Dropout']],
  ])('%s: folds %s and computes the same function', async (model, calib, gone) => {
    const g = prepareFloatGraph(model);
    for (const op of gone) expect(g.nodes.map((n) => n.opType)).not.toContain(op);
    expect(await maxFloatDiff(model, writeOnnx(g), calib)).toBeLessThan(1e-4);
  });
});

describe('calibration data', () => {
  const digits = [{ name: 'input', shape: [1, 1, 8, 8] }];
  it('reads .npy, stored and deflate .npz alike', () => {
    const spec = [{ name: 'x', shape: [1, 20] }];
    const a = loadCalibration(`${FX}/calib_mlp.npz`, spec);
    const b = loadCalibration(`${FX}/calib_mlp_compressed.npz`, spec);
    expect(a.length).toBe(24);
    expect(Array.from(b[23][0].data)).toEqual(Array.from(a[23][0].data));
    expect(loadCalibration('examples/digits/calibration.npy', digits).length).toBe(64);
  });
  it('names the expected shape on a mismatch', () => {
    expect(() => loadCalibration('examples/kws_dscnn/calibration.npy', digits)).toThrow(/\[48, 49, 10, 1\]; expected \[N, 1, 8, 8\] float32/);
    expect(() => loadCalibration('examples/digits/test_y.npy', digits)).toThrow(EdgecError);
    expect(() => loadCalibration('examples/digits/nothing.npy', digits)).toThrow(/no such file/);
  });
  it('rejects unknown methods and an already quantized model', async () => {
    expect(() => parseMethod('kl')).toThrow(/minmax, percentile, entropy, mse/);
    expect(parseMethod('percentile:99.9')).toEqual({ method: 'percentile', percentile: 99.9 });
    await expect(quantizeModel('examples/digits/digits_int8.onnx', { calibration: 'examples/digits/calibration.npy' })).rejects.toThrow(/already quantized/);
  });
});

describe('quantization arithmetic', () => {
  it('activation ranges contain 0, zero points are integers', () => {
    const q = activationParams({ lo: 0.5, hi: 2 });
    expect(q.zeroPoint).toBe(-128);
    expect(q.scale).toBeCloseTo(2 / 255, 6);
    const s = activationParams({ lo: -1, hi: 3 });
    expect(Number.isInteger(s.zeroPoint)).toBe(true);
    expect(s.scale * (-128 - s.zeroPoint)).toBeCloseTo(-1, 1);
  });
  it('weights are symmetric per channel', () => {
    const w = { name: 'w', dtype: 'float32' as const, shape: [2, 3], data: Float32Array.of(1, -0.5, 0.25, 0, 0, 0) };
    const { data, scales } = quantizeWeights(w, 0);
    expect(Array.from(data)).toEqual([127, -64, 32, 0, 0, 0]);
    expect(scales[0]).toBeCloseTo(1 / 127, 7);
    expect(scales[1]).toBe(1); // an all-zero channel keeps a valid scale
  });
  it('histogram methods clip outliers that minmax keeps', () => {
    const s = new TensorStats();
    const data = Float32Array.from({ length: 20000 }, (_, i) => Math.sin(i * 12.9898) * 1.0);
    data[0] = 50;
    s.observeRange(data);
    s.observeHistogram(data);
    expect(rangeOf(s, 'minmax', 99.99).hi).toBe(50);
    for (const m of ['percentile', 'entropy'] as const) {
      const r = rangeOf(s, m, 99.9);
      expect(r.hi, m).toBeLessThan(10);
      expect(r.hi, m).toBeGreaterThan(0.5);
    }
    // mse keeps a lone far outlier among 20k values (clipping it costs more than the coarser step)...
    expect(rangeOf(s, 'mse', 99.9).hi).toBeGreaterThan(40);
    // ...and clips it among 1M, where the coarser step costs more
    const many = new TensorStats();
    const big = Float32Array.from({ length: 1_000_000 }, (_, i) => Math.sin(i * 12.9898));
    big[0] = 50;
    many.observeRange(big);
    many.observeHistogram(big);
    const r = rangeOf(many, 'mse', 99.9);
    // optimum: (50 - hi)^2 of the outlier against 1e6 * step^2 / 12 of the bulk, near hi = 21
    expect(r.hi).toBeLessThan(30);
    expect(r.hi).toBeGreaterThan(10);
    expect(r.lo).toBeLessThan(-0.9);
    expect(HIST_BINS).toBe(2048);
  });
});

describe('quantized builds', () => {
  it.each([
    ['examples/digits/digits_float.onnx', 'examples/digits/calibration.npy', 43],
    ['examples/kws_dscnn/kws_dscnn_float.onnx', 'examples/kws_dscnn/calibration.npy', 32.8],
    [`${FX}/torch_cnn.onnx`, `${FX}/calib_torch_cnn.npy`, 41],
    [`${FX}/mlp_dynamic.onnx`, `${FX}/calib_mlp.npz`, 40],
    [`${FX}/keras_dense.onnx`, `${FX}/calib_keras_dense.npy`, 40],
  ])('%s: int8 C SQNR vs float >= %s dB, weights about 4x smaller', async (model, calib, minDb) => {
    const c = await compileModelAsync(model, { calibration: calib, name: 'm' });
    const r = await measureAccuracy(c, c.quantized!, { layers: true });
    expect(r.outputs[0].sqnrDb).toBeGreaterThanOrEqual(minDb);
    expect(r.outputs[0].top1Agree ?? 1).toBeGreaterThanOrEqual(0.95);
    expect(r.size.int8Bytes).toBeLessThan(0.45 * r.size.floatBytes);
    expect(r.layers!.length).toBeGreaterThan(1);
    // the QDQ model edgec compiled runs in onnxruntime and agrees with the float model
    expect(await maxFloatDiff(model, c.quantized!.qdqBytes, calib)).toBeLessThan(0.2);
  });

  it('digits: int8 accuracy on the held-out split within 1 point of float', async () => {
    const c = await compileModelAsync('examples/digits/digits_float.onnx', { calibration: 'examples/digits/calibration.npy', name: 'digits' });
    const dir = mkdtempSync(join(tmpdir(), 'edgec-ptq-digits-'));
    for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
    const x = readNpy('examples/digits/test_x.npy');
    const y = readNpy('examples/digits/test_y.npy');
    const n = x.shape[0];
    const xs = x.data as Float32Array;
    const out = new Float32Array(new Uint8Array(runNative(buildNativeRunner(dir, 'digits'), new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength), n)).buffer);
    const session = await openReference('examples/digits/digits_float.onnx');
    let int8 = 0;
    let float = 0;
    for (let i = 0; i < n; i++) {
      const label = Number(y.data[i]);
      if (argmax(out, i * 10, 10) === label) int8++;
      const ref = await runReference(session, [{ name: 'input', type: 'float32', dims: [1, 1, 8, 8], data: xs.slice(i * 64, i * 64 + 64) }]);
      if (argmax(ref.get('logits')!, 0, 10) === label) float++;
    }
    await session.release();
    console.log(`digits PTQ: edgec int8 C ${(100 * int8 / n).toFixed(2)}% vs float ${(100 * float / n).toFixed(2)}% on ${n} held-out images`);
    expect(n).toBe(450);
    expect(int8 / n).toBeGreaterThanOrEqual(float / n - 0.01);
  });
});
