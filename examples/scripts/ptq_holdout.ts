/**
 * Does `--calibration-method auto`'s choice hold on samples it did not see?
 * auto picks the method whose generated C scores best on the calibration
 * samples, so its figure on those samples is optimistic. Two-fold check per
 * float model of the PTQ corpus (the models of ptq_vs_ort.py): calibrate
 * (and let auto choose) on one half of the samples, measure the int8 C's
 * output SQNR against float onnxruntime on the other half, then swap; the
 * table gives the mean of both folds for minmax and auto. A model with a
 * labelled test set beside it (test_x.npy / test_y.npy: examples/digits)
 * also gets its top-1 accuracy: float, and the int8 C calibrated on all its
 * calibration samples (onnxruntime's: ptq_vs_ort.py).
 *
 *   npx tsc -p . && npx vite-node examples/scripts/ptq_holdout.ts [model label, e.g. digits]
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compileModelAsync } from '../../compiler/pipeline.js';
import { loadModel } from '../../compiler/onnx/load.js';
import { loadCalibration } from '../../compiler/quantize/calibration-data.js';
import { floatOutputs } from '../../compiler/quantize/auto-float.js';
import { hostBuildSqnr, outputsPerSample, runHostBuild } from '../../compiler/quantize/native-run.js';
import { encodeNpy, readNpy } from '../../compiler/data/npy.js';
import { argmax } from '../../compiler/verify/compare.js';
import type { NamedTensor } from '../../compiler/verify/reference.js';

const FX = 'test/fixtures/quantize';
const MODELS: [string, string, string][] = [
  ['kws_dscnn', 'examples/kws_dscnn/kws_dscnn_float.onnx', 'examples/kws_dscnn/calibration.npy'],
  ['ic_resnet8', 'examples/ic_resnet8/ic_resnet8_float.onnx', 'examples/ic_resnet8/calibration.npy'],
  ['digits', 'examples/digits/digits_float.onnx', 'examples/digits/calibration.npy'],
  ['vww_mobilenet', 'examples/vww_mobilenet/vww_mobilenet_float.onnx', 'examples/vww_mobilenet/calibration.npy'],
  ['ad_autoencoder', 'examples/ad_autoencoder/ad_autoencoder_float.onnx', 'examples/ad_autoencoder/calibration.npy'],
  ['torch_cnn', `${FX}/torch_cnn.onnx`, `${FX}/calib_torch_cnn.npy`],
  ['mlp_dynamic', `${FX}/mlp_dynamic.onnx`, `${FX}/calib_mlp.npz`],
  ['keras_dense', `${FX}/keras_dense.onnx`, `${FX}/calib_keras_dense.npy`],
  ['torch_conv1d', `${FX}/torch_conv1d.onnx`, `${FX}/calib_torch_conv1d.npy`],
  ['keras_conv1d', `${FX}/keras_conv1d.onnx`, `${FX}/calib_keras_conv1d.npy`],
  ['torch_bn_standalone', `${FX}/torch_bn_standalone.onnx`, `${FX}/calib_torch_bn_standalone.npy`],
  ['torch_opset10', `${FX}/torch_opset10.onnx`, `${FX}/calib_torch_opset10.npy`],
  ['torch_cnn_norm', 'test/fixtures/input-affine/torch_cnn_norm.onnx', 'test/fixtures/input-affine/calib_torch_cnn_norm.npy'],
  ['torch_mlp_scale', 'test/fixtures/input-affine/torch_mlp_scale.onnx', 'test/fixtures/input-affine/calib_torch_mlp_scale.npy'],
];

/** The samples of a single-input model as one [N, ...shape] .npy. */
function writeSamples(path: string, samples: NamedTensor[][]): void {
  const first = samples[0]![0]!;
  const data = new Float32Array(samples.length * first.data.length);
  samples.forEach((s, i) => data.set(s[0]!.data as Float32Array, i * first.data.length));
  writeFileSync(path, encodeNpy({ dtype: 'float32', shape: [samples.length, ...first.dims], data }));
}

async function heldOutSqnr(model: string, calibrationFile: string, method: string, heldOut: NamedTensor[][]): Promise<{ db: number; chosen: string }> {
  const built = await compileModelAsync(model, { calibration: calibrationFile, calibrationMethod: method });
  const q = built.quantized!;
  const reference = await floatOutputs(q.floatBytes, heldOut);
  return { db: hostBuildSqnr(built, heldOut, reference), chosen: `${q.method}${q.biasCorrection ? '+bc' : ''}` };
}

/** Top-1 accuracy of outputs (first output, argmax) against labels. */
function top1(outputs: readonly Map<string, Float32Array>[], labels: ArrayLike<number | bigint>): number {
  let correct = 0;
  outputs.forEach((o, i) => { const v = [...o.values()][0]!; if (argmax(v, 0, v.length) === Number(labels[i])) correct++; });
  return correct / outputs.length;
}

/** Float and int8-C (minmax, auto) accuracy on the labelled test set beside the model, if there is one. */
async function testSetAccuracy(label: string, model: string, calibration: string, input: { name: string; shape: number[] }): Promise<void> {
  const dir = dirname(model);
  if (!existsSync(join(dir, 'test_x.npy')) || !existsSync(join(dir, 'test_y.npy'))) return;
  const x = readNpy(join(dir, 'test_x.npy'));
  const y = readNpy(join(dir, 'test_y.npy'));
  const size = input.shape.reduce((a, b) => a * b, 1);
  const samples: NamedTensor[][] = Array.from({ length: x.shape[0]! }, (_, i) => [{ name: input.name, type: 'float32', dims: input.shape, data: (x.data as Float32Array).slice(i * size, (i + 1) * size) }]);
  const line: string[] = [];
  for (const method of ['minmax', 'auto']) {
    const built = await compileModelAsync(model, { calibration, calibrationMethod: method });
    if (line.length === 0) line.push(`float ${(100 * top1(await floatOutputs(built.quantized!.floatBytes, samples) as Map<string, Float32Array>[], y.data as ArrayLike<number>)).toFixed(2)}%`);
    line.push(`int8 C ${method} ${(100 * top1(outputsPerSample(built.program, runHostBuild(built, samples), samples.length), y.data as ArrayLike<number>)).toFixed(2)}%`);
  }
  console.log(`${label}: test-set top-1 (${samples.length} labelled samples): ${line.join(', ')}`);
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'edgec-holdout-'));
  console.log('model                 samples  minmax (held out)  auto (held out)  diff    auto picked (fold 1, fold 2)');
  try {
    const only = process.argv[2];
    for (const [label, model, calibration] of MODELS.filter(([l]) => only === undefined || l === only)) {
      const graph = loadModel(model);
      if (graph.inputs.length !== 1) { console.log(`${label}: skipped (${graph.inputs.length} inputs)`); continue; }
      const samples = loadCalibration(calibration, graph.inputs.map((name) => ({ name, shape: graph.tensors.get(name)!.shape })));
      const half = Math.floor(samples.length / 2);
      const folds = [[samples.slice(0, half), samples.slice(half)], [samples.slice(half), samples.slice(0, half)]];
      const results: { minmax: number; auto: number; chosen: string }[] = [];
      for (const [k, [calib, heldOut]] of folds.entries()) {
        const file = join(work, `${label}_${k}.npy`);
        writeSamples(file, calib!);
        const minmax = await heldOutSqnr(model, file, 'minmax', heldOut!);
        const auto = await heldOutSqnr(model, file, 'auto', heldOut!);
        results.push({ minmax: minmax.db, auto: auto.db, chosen: auto.chosen });
      }
      const mean = (f: (r: typeof results[number]) => number): number => results.reduce((a, r) => a + f(r), 0) / results.length;
      const mm = mean((r) => r.minmax);
      const au = mean((r) => r.auto);
      await testSetAccuracy(label, model, calibration, { name: graph.inputs[0]!, shape: graph.tensors.get(graph.inputs[0]!)!.shape });
      console.log(`${label.padEnd(22)}${String(samples.length).padStart(7)}  ${mm.toFixed(2).padStart(12)} dB  ${au.toFixed(2).padStart(12)} dB  ${(au - mm >= 0 ? '+' : '') + (au - mm).toFixed(2)}  ${results.map((r) => r.chosen).join(', ')}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
