/**
 * What int16 activations buy through edgec's own PTQ (issue 14): a float
 * model quantized with int8 and with int16 activations (--activations int16)
 * on its calibration samples, each build's C run on held-out samples against
 * the float model in onnxruntime (output SQNR, top-1 agreement). Writes each
 * QDQ model to <out>/<label>_{int8,int16}.onnx for `edgec bench`.
 *
 *   npx vite-node examples/scripts/ptq_int16.ts -- <float.onnx> <calibration> <held-out .npy|.npz> <out dir> [label] [calibration method]
 *
 * The KWS held-out set is the one examples/scripts/kws_dscnn_16x8.py measures the
 * .tflite 16x8 twin on: calibration_data(default_rng(SEED + 2), 200) of kws_dscnn.py.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { compileModel, hostBuildScorer } from '../../compiler/pipeline.js';
import { quantizeModel } from '../../compiler/quantize/index.js';
import { measureAccuracy } from '../../compiler/quantize/accuracy.js';
import { loadCalibration } from '../../compiler/quantize/calibration-data.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const [model, calibration, heldOut, out, label = basename(model, '.onnx'), method] = args;
  if (!heldOut || !out) throw new Error('usage: ptq_int16.ts <float.onnx> <calibration> <held-out> <out dir> [label]');
  mkdirSync(out, { recursive: true });
  for (const activations of ['int8', 'int16'] as const) {
    // auto scores its trials by the generated C, as the CLI does
    const q = await quantizeModel(model, { calibration, activations, method, scoreQdq: hostBuildScorer(model, {}) });
    const test = loadCalibration(heldOut, q.floatGraph.inputs.map((name) => ({ name, shape: q.floatGraph.tensors.get(name)!.shape })));
    const c = compileModel(model, { name: 'm', modelBytes: q.qdqBytes, calibration, activations });
    const r = await measureAccuracy(c, { ...q, samples: test }, { maxSamples: test.length });
    const file = join(out, `${label}${method ? `_${method}` : ''}_${activations}.onnx`);
    writeFileSync(file, q.qdqBytes);
    for (const o of r.outputs) {
      console.log(`${label} ${activations} (${method ?? 'minmax'}${q.biasCorrection ? ` -> ${q.method}+bias-correction` : ''}): output '${o.name}' SQNR ${o.sqnrDb.toFixed(2)} dB vs float on ${r.samples} samples of ${basename(heldOut)}${o.top1Agree === undefined ? '' : `, top-1 agreement ${(100 * o.top1Agree).toFixed(1)}%`}; weights ${r.size.int8Bytes} B, arena ${c.plan.arenaBytes} B (host build); QDQ model ${file}${q.int16Note ? `; ${q.int16Note}` : ''}`);
    }
  }
}

main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
