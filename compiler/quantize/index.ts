/**
 * Post-training quantization of a float ONNX model (issue 4): float graph
 * passes → calibration in onnxruntime → QDQ graph written as ONNX. The
 * result is what `edgec quantize` saves and what `edgec build --calibration`
 * compiles through the normal int8 pipeline.
 */
import type { Graph } from '../ir/graph.js';
import { EdgecError } from '../errors.js';
import { loadModel } from '../onnx/load.js';
import { removeIdentity } from '../passes/remove-identity.js';
import { subDivToAddMul } from '../passes/sub-div-to-add-mul.js';
import { matmulToGemm } from '../passes/matmul-to-gemm.js';
import { foldBatchNorm } from '../passes/fold-batchnorm.js';
import { upgradeOpset } from '../passes/upgrade-opset.js';
import { squeezeUnsqueeze } from '../passes/squeeze-unsqueeze.js';
import { batchNormToMulAdd } from '../passes/batchnorm-to-mul-add.js';
import { foldAffineForward } from '../passes/fold-affine-forward.js';
import type { NamedTensor } from '../verify/reference.js';
import { calibrate, type CalibrationOptions } from './calibrate.js';
import { loadCalibration } from './calibration-data.js';
import { writeOnnx } from './onnx-writer.js';
import { activationQuant, insertQdq, planQuantization, type ActQuant } from './quantize.js';
import { CALIBRATION_METHODS, tieRanges, type CalibrationMethod, type Range } from './ranges.js';
import { unrollRecurrent } from '../passes/unroll-recurrent.js';
import { gemmActivationBias } from '../passes/gemm-activation-bias.js';

/** Float passes before quantization, in order (each in compiler/passes). */
export const FLOAT_PASSES: { name: string; run: (g: Graph) => Graph }[] = [
  { name: 'remove-identity', run: removeIdentity },
  { name: 'upgrade-opset', run: upgradeOpset },
  // LSTM/GRU become per-step ops here, so calibration sees every gate and state
  { name: 'unroll-recurrent', run: unrollRecurrent },
  { name: 'gemm-activation-bias', run: gemmActivationBias },
  { name: 'sub-div-to-add-mul', run: subDivToAddMul },
  { name: 'squeeze-unsqueeze', run: squeezeUnsqueeze },
  { name: 'matmul-to-gemm', run: matmulToGemm },
  { name: 'fold-batchnorm', run: foldBatchNorm },
  { name: 'batchnorm-to-mul-add', run: batchNormToMulAdd },
  { name: 'fold-affine-forward', run: foldAffineForward },
];

export interface QuantizeOptions {
  calibration: string;
  /** 'minmax' (default), 'percentile' / 'percentile:99.9', 'entropy', 'mse'. */
  method?: string;
  shapes?: Record<string, number[]>;
  progress?: CalibrationOptions['progress'];
}

export interface Quantized {
  /** The float model after the float passes (what was calibrated). */
  floatGraph: Graph;
  /** Serialized float graph after the passes (runs in onnxruntime). */
  floatBytes: Uint8Array;
  /** The QDQ model. */
  qdqBytes: Uint8Array;
  samples: NamedTensor[][];
  ranges: Map<string, Range>;
  params: Map<string, ActQuant>;
  method: CalibrationMethod;
}

export function parseMethod(text: string | undefined): { method: CalibrationMethod; percentile?: number } {
  const [name, arg] = (text ?? 'minmax').split(':');
  if (!CALIBRATION_METHODS.includes(name as CalibrationMethod)) {
    throw new EdgecError(`--calibration-method ${text}: expected one of ${CALIBRATION_METHODS.join(', ')} (percentile:<p>, e.g. percentile:99.99)`, 2);
  }
  if (arg === undefined) return { method: name as CalibrationMethod };
  const p = Number(arg);
  if (name !== 'percentile' || !(p > 50 && p <= 100)) throw new EdgecError(`--calibration-method ${text}: only percentile takes a value, in (50, 100]`, 2);
  return { method: 'percentile', percentile: p };
}

function checkFloatModel(graph: Graph): void {
  const q = graph.nodes.find((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear' || n.opType.startsWith('QLinear'));
  if (q) throw new EdgecError(`${graph.fileName}: the model is already quantized (it has ${q.opType} nodes); build it without --calibration`, 2);
  const nonFloat = graph.inputs.find((i) => graph.tensors.get(i)?.dtype !== 'float32');
  if (nonFloat) throw new EdgecError(`${graph.fileName}: input '${nonFloat}' is ${graph.tensors.get(nonFloat)?.dtype}; post-training quantization needs float32 inputs`, 2);
}

/** Loads the float model and runs the float passes. */
export function prepareFloatGraph(modelPath: string, shapes?: Record<string, number[]>): Graph {
  let graph = loadModel(modelPath, { shapes });
  checkFloatModel(graph);
  for (const pass of FLOAT_PASSES) graph = pass.run(graph);
  return graph;
}

export async function quantizeModel(modelPath: string, options: QuantizeOptions): Promise<Quantized> {
  const { method, percentile } = parseMethod(options.method);
  const floatGraph = prepareFloatGraph(modelPath, options.shapes);
  const floatBytes = writeOnnx(floatGraph);
  const samples = loadCalibration(options.calibration, floatGraph.inputs.map((name) => ({ name, shape: floatGraph.tensors.get(name)!.shape })));
  const plan = planQuantization(floatGraph);
  const ranges = tieRanges(await calibrate(floatGraph, plan.needRange, samples, { method, percentile, progress: options.progress }), floatGraph.tiedRanges);
  const params = activationQuant(floatGraph, plan, ranges);
  // insertQdq edits in place: quantize a fresh copy so floatGraph stays the float model
  const qGraph = prepareFloatGraph(modelPath, options.shapes);
  const qdqBytes = writeOnnx(insertQdq(qGraph, plan, params));
  return { floatGraph, floatBytes, qdqBytes, samples, ranges, params, method };
}
