/**
 * `--calibration-method auto` and bias correction: the shift the correction
 * removes equals (W_q - W)·E[x] computed directly, for Gemm (both weight
 * layouts), MatMul and grouped Conv; auto tries every method with and
 * without the correction and its pick measures at least as well as the
 * default (minmax) in onnxruntime on the calibration samples.
 */
import { describe, expect, it } from 'vitest';
import type { Node, Tensor } from '../../compiler/ir/graph.js';
import { correctedBias } from '../../compiler/quantize/bias-correction.js';
import { quantizeModel } from '../../compiler/quantize/index.js';
import { ACCURACY_SAMPLES } from '../../compiler/quantize/native-run.js';
import { floatOutputs, outputSqnr } from '../../compiler/quantize/auto-float.js';
import { Rand } from '../passes/patterns.js';
import { compileModelAsync } from '../../compiler/pipeline.js';
import { measureAccuracy } from '../../compiler/quantize/accuracy.js';

const r = new Rand(5);
const node = (opType: string, attrs: Node['attrs'] = {}): Node => ({ name: 'n', opType, domain: '', inputs: ['x', 'w', 'b'], outputs: ['y'], attrs });
const weights = (shape: number[]): Tensor => ({ name: 'w', dtype: 'float32', shape, data: Float32Array.from(r.floats(shape.reduce((a, b) => a * b, 1))) });
const perturbed = (w: Tensor): Float64Array => Float64Array.from(w.data as Float32Array, (v) => v + (r.uniform(0, 1) - 0.5) * 0.01);

describe('bias correction', () => {
  it('Gemm [N, K] (transB = 1) and [K, N], MatMul [K, N]: b - (W_q - W)·mean', () => {
    const n = 3;
    const k = 5;
    const mean = Float64Array.from(r.floats(k));
    const bias = Float32Array.from(r.floats(n));
    for (const [op, attrs, shape] of [['Gemm', { transB: 1 }, [n, k]], ['Gemm', {}, [k, n]], ['MatMul', {}, [k, n]]] as const) {
      const w = weights([...shape]);
      const wq = perturbed(w);
      const got = correctedBias(node(op, attrs), w, wq, bias, mean);
      for (let o = 0; o < n; o++) {
        let shift = 0;
        for (let j = 0; j < k; j++) {
          const i = shape[0] === n ? o * k + j : j * n + o;
          shift += (wq[i]! - (w.data as Float32Array)[i]!) * mean[j]!;
        }
        expect(got[o]).toBeCloseTo(bias[o]! - shift, 5);
      }
    }
  });

  it('grouped Conv [O, I/g, kh, kw]: each output channel reads its group\'s input channels', () => {
    const groups = 2;
    const w = weights([4, 3, 2, 2]); // 6 input channels, 2 outputs per group
    const wq = perturbed(w);
    const mean = Float64Array.from(r.floats(6));
    const got = correctedBias(node('Conv', { group: groups }), w, wq, [0.5], mean);
    for (let o = 0; o < 4; o++) {
      let shift = 0;
      for (let icg = 0; icg < 3; icg++) {
        for (let k = 0; k < 4; k++) {
          const i = (o * 3 + icg) * 4 + k;
          shift += (wq[i]! - (w.data as Float32Array)[i]!) * mean[Math.floor(o / 2) * 3 + icg]!;
        }
      }
      expect(got[o]).toBeCloseTo(0.5 - shift, 5);
    }
  });
});

describe('calibration method auto', () => {
  it('tries three methods with and without bias correction and measures at least as well as minmax', async () => {
    const model = 'test/fixtures/quantize/torch_cnn.onnx';
    const calibration = 'test/fixtures/quantize/calib_torch_cnn.npy';
    const auto = await quantizeModel(model, { calibration, method: 'auto' });
    const minmax = await quantizeModel(model, { calibration, method: 'minmax' });
    expect(auto.methodTrials?.map((t) => `${t.method}${t.biasCorrection ? '+bc' : ''}`)).toEqual(
      ['minmax', 'minmax+bc', 'percentile', 'percentile+bc', 'mse', 'mse+bc']);
    const samples = auto.samples.slice(0, ACCURACY_SAMPLES);
    const reference = await floatOutputs(auto.floatBytes, samples);
    const autoDb = await outputSqnr(auto.qdqBytes, samples, reference);
    const minmaxDb = await outputSqnr(minmax.qdqBytes, samples, reference);
    const best = Math.max(...(auto.methodTrials ?? []).map((t) => t.sqnrDb));
    console.log(`[ptq] torch_cnn: auto ${auto.method}${auto.biasCorrection ? '+bias-correction' : ''} ${autoDb.toFixed(2)} dB, minmax ${minmaxDb.toFixed(2)} dB`);
    expect(autoDb).toBeCloseTo(best, 6); // the model returned is the best trial's
    expect(autoDb).toBeGreaterThanOrEqual(minmaxDb);
  }, 120_000);
});

describe('calibration method auto, scored by the generated C', () => {
  it('scores each trial by the host build\'s outputs: the pick\'s score is the build\'s SQNR and at least minmax\'s', async () => {
    const model = 'test/fixtures/input-affine/torch_cnn_norm.onnx';
    const calibration = 'test/fixtures/input-affine/calib_torch_cnn_norm.npy';
    const built = await compileModelAsync(model, { calibration, calibrationMethod: 'auto' });
    const q = built.quantized!;
    const report = await measureAccuracy(built, q);
    const trials = q.methodTrials ?? [];
    const minmax = trials.find((t) => t.method === 'minmax' && !t.biasCorrection)!;
    const chosen = trials.find((t) => t.method === q.method && t.biasCorrection === q.biasCorrection)!;
    console.log(`[ptq] torch_cnn_norm: auto ${q.method}${q.biasCorrection ? '+bias-correction' : ''} ${chosen.sqnrDb.toFixed(2)} dB (C), minmax ${minmax.sqnrDb.toFixed(2)} dB (C)`);
    // the trial's score and the build report measure the same C on the same samples
    expect(chosen.sqnrDb).toBeCloseTo(report.outputs[0]!.sqnrDb, 6);
    expect(chosen.sqnrDb).toBe(Math.max(...trials.map((t) => t.sqnrDb)));
    expect(chosen.sqnrDb).toBeGreaterThanOrEqual(minmax.sqnrDb);
    // the minmax trial is what a minmax build reports
    const minmaxBuild = await compileModelAsync(model, { calibration, calibrationMethod: 'minmax' });
    expect((await measureAccuracy(minmaxBuild, minmaxBuild.quantized!)).outputs[0]!.sqnrDb).toBeCloseTo(minmax.sqnrDb, 6);
  }, 120_000);
});
