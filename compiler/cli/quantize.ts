/** `edgec quantize`: float ONNX + calibration samples → the QDQ int8 ONNX model edgec would compile. */
import { Command } from 'commander';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ensureFolder, withFsErrors } from './output-folder.js';
import { EdgecError } from '../errors.js';
import { quantizeModel } from '../quantize/index.js';
import { hostBuildScorer } from '../pipeline.js';
import { formatTrials } from '../quantize/auto-method.js';
import { ttyProgress } from '../quantize/calibrate.js';
import { ACTIVATIONS_HELP, AUTO_FLOAT_HELP, CALIBRATION_METHOD_HELP, cliCalibrationMethod, FLOAT_LAYERS_HELP, INT16_LAYERS_HELP, parseShapeOption, STATE_HELP, STATEFUL_HELP, statefulOption } from './options.js';
import { parseActivations, parseInt16Layers } from '../quantize/precision.js';
import { parseFloatLayers } from '../passes/float-layers.js';
import { parseAutoFloat } from '../quantize/index.js';
import { formatAutoFloat } from '../quantize/auto-float.js';

interface QuantizeFlags { calibration?: string; calibrationMethod?: string; output?: string; shape: string[]; floatLayers?: string; autoFloat?: string; stateful?: boolean; state?: string; activations?: string; int16Layers?: string }

export function addQuantizeCommand(program: Command, log: (s: string) => void): void {
  program.command('quantize').description('post-training quantization: write the int8 QDQ ONNX model (runs in onnxruntime)').argument('<model.onnx>')
    .option('--calibration <path>', 'calibration samples: .npy, .npz or a folder of .npy (first axis = sample)')
    .option('--calibration-method <m>', CALIBRATION_METHOD_HELP)
    .option('--float-layers <nodes>', FLOAT_LAYERS_HELP)
    .option('--auto-float <dB>', AUTO_FLOAT_HELP)
    .option('--activations <type>', ACTIVATIONS_HELP)
    .option('--int16-layers <nodes>', INT16_LAYERS_HELP)
    .option('-o, --output <file>', 'output model (default <model>_int8.onnx)')
    .option('--shape <name=dims>', 'static shape for an input with dynamic dims (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--stateful', STATEFUL_HELP)
    .option('--state <pairs>', STATE_HELP)
    .action(async (model: string, flags: QuantizeFlags) => {
      if (!flags.calibration) throw new EdgecError('quantize needs --calibration <samples.npy | samples.npz | folder>', 2);
      if (flags.output !== undefined && flags.output.trim() === '') throw new EdgecError('-o needs a file name (got an empty string)', 2);
      const q = await quantizeModel(model, { calibration: flags.calibration, method: cliCalibrationMethod(flags), shapes: parseShapeOption(flags.shape), progress: ttyProgress(), floatLayers: parseFloatLayers(flags.floatLayers), autoFloatDb: parseAutoFloat(flags.autoFloat), stateful: statefulOption(flags), activations: parseActivations(flags.activations), int16Layers: parseInt16Layers(flags.int16Layers), scoreQdq: hostBuildScorer(model, { shapes: parseShapeOption(flags.shape), floatLayers: parseFloatLayers(flags.floatLayers) }) });
      const out = flags.output ?? model.replace(/(\.onnx)?$/i, q.activations === 'int8' ? '_int8.onnx' : q.activations === 'int16' ? '_int16.onnx' : '_mixed.onnx');
      if (out === model) throw new EdgecError(`-o ${out}: would overwrite the float model`, 2);
      if (existsSync(out) && statSync(out).isDirectory()) throw new EdgecError(`-o ${out}: is a folder; give the .onnx file to write`, 2);
      ensureFolder(dirname(resolve(out)));
      withFsErrors(() => writeFileSync(out, q.qdqBytes), out);
      log(`edgec quantize: ${model} -> ${out} (${q.methodTrials ? formatTrials({ method: q.method, biasCorrection: q.biasCorrection === true, trials: q.methodTrials }) : q.method} calibration, ${q.samples.length} samples, ${q.params.size} activation tensors quantized)`);
      // the QDQ model has no LSTM/GRU node left: building it statefully takes the pairs by name
      if (q.statePairs) log(`state pairs (calibrated in ${q.streamChunks} chunk(s) per sequence, carrying the state; build or bench the model with --state ${q.statePairs.map((p) => `${p.input}=${p.output}`).join(',')})`);
      if (q.floatLayers.length) log(`float layers (weights left float32, Q/DQ around them): ${q.floatLayers.map((l) => `'${l}'`).join(', ')}`);
      if (q.autoFloat) formatAutoFloat(q.autoFloat).forEach((l) => log(l));
      if (q.int16Note) log(`note: ${q.int16Note}`);
      if (q.recurrentNote) log(`note: ${q.recurrentNote}`);
    });
}
