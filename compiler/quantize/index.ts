/**
 * Post-training quantization of a float ONNX model (issue 4): float graph
 * passes → calibration in onnxruntime → QDQ graph written as ONNX. The
 * result is what `edgec quantize` saves and what `edgec build --calibration`
 * compiles through the normal int8 pipeline.
 */
import type { Graph, StatePair } from '../ir/graph.js';
import { statePairs } from '../passes/state-pairs.js';
import { displayName, EdgecError } from '../errors.js';
import { loadModel } from '../onnx/load.js';
import { removeIdentity } from '../passes/remove-identity.js';
import { subDivToAddMul } from '../passes/sub-div-to-add-mul.js';
import { matmulToGemm } from '../passes/matmul-to-gemm.js';
import { foldBatchNorm } from '../passes/fold-batchnorm.js';
import { upgradeOpset } from '../passes/upgrade-opset.js';
import { squeezeUnsqueeze } from '../passes/squeeze-unsqueeze.js';
import { batchNormToMulAdd } from '../passes/batchnorm-to-mul-add.js';
import { foldAffineForward } from '../passes/fold-affine-forward.js';
import { markInputAffine } from '../passes/mark-input-affine.js';
import type { NamedTensor } from '../verify/reference.js';
import { calibrate, collectStats, rangesFrom, type CalibrationOptions, type StreamCalibration } from './calibrate.js';
import { AUTO_CANDIDATES, chooseCalibrationMethod, type MethodTrial, type QdqScorer } from './auto-method.js';
import { inputChannelMeans, type ChannelMeans } from './bias-correction.js';
import { loadCalibrationChunks } from './calibration-data.js';
import { writeOnnx } from './onnx-writer.js';
import { activationQuant, insertQdq, planQuantization, type ActQuant, type Int16Activations } from './quantize.js';
import { activationQuant16, int16LayersNote, int8FallbackNote, planPrecision, type Precision } from './precision.js';
import { upgradeOpset21 } from '../passes/upgrade-opset-21.js';
import { CALIBRATION_METHODS, tieRanges, type CalibrationMethod, type Range } from './ranges.js';
import { unboundedRecurrentLayers, unrollRecurrent } from '../passes/unroll-recurrent.js';
import { gemmActivationBias } from '../passes/gemm-activation-bias.js';
import { chooseFloatLayers, type AutoFloatResult } from './auto-float.js';
import { lstmCellScales } from './lstm-cell.js';
import { FLOAT_LAYER_OPS, floatLayerNodes, RECURRENT_OPS } from '../passes/float-layers.js';

/** What the float passes depend on besides the model. */
export interface FloatPassOptions {
  /** Keep a float input's normalisation float at the input edge (passes/mark-input-affine.ts); false with --int8-io. */
  inputAffineEdge: boolean;
  /** LSTM / GRU nodes kept float (--float-layers): not unrolled. */
  keepFloat?: ReadonlySet<string>;
  /** int8 builds: LSTMs stay whole, quantized for TFLite Micro's integer kernel (passes/unroll-recurrent.ts keepWholeForInteger). */
  integerLstm?: boolean;
}

/** Float passes before quantization, in order (each in compiler/passes). */
export const FLOAT_PASSES: { name: string; run: (g: Graph, options: FloatPassOptions) => Graph }[] = [
  { name: 'remove-identity', run: removeIdentity },
  { name: 'upgrade-opset', run: upgradeOpset },
  // LSTM/GRU become per-step ops here, so calibration sees every gate and state
  { name: 'unroll-recurrent', run: (g, o) => unrollRecurrent(g, o.keepFloat, o.integerLstm) },
  { name: 'gemm-activation-bias', run: gemmActivationBias },
  { name: 'sub-div-to-add-mul', run: subDivToAddMul },
  { name: 'squeeze-unsqueeze', run: squeezeUnsqueeze },
  { name: 'matmul-to-gemm', run: matmulToGemm },
  { name: 'fold-batchnorm', run: foldBatchNorm },
  { name: 'batchnorm-to-mul-add', run: batchNormToMulAdd },
  { name: 'mark-input-affine', run: (g, o) => (o.inputAffineEdge ? markInputAffine(g) : g) },
  { name: 'fold-affine-forward', run: foldAffineForward },
];

export interface QuantizeOptions {
  calibration: string;
  /** 'minmax' (the library's default; the CLI's is auto), 'percentile' / 'percentile:99.9', 'entropy', 'mse', or 'auto' (the best of minmax, percentile and mse by output SQNR). */
  method?: string;
  shapes?: Record<string, number[]>;
  progress?: CalibrationOptions['progress'];
  /** Nodes (Conv, Gemm, MatMul) that stay float32 (--float-layers). */
  floatLayers?: string[];
  /** Also keep float every layer whose quantization costs more than this many dB of output SQNR (--auto-float, auto-float.ts). */
  autoFloatDb?: number;
  /** Keep a float input's in-model normalisation float at the input edge (default true; false for --int8-io builds). */
  inputAffineEdge?: boolean;
  /** --stateful: the state pairs (--state), or [] for the recurrent nodes' own (passes/state-pairs.ts). */
  stateful?: { pairs?: StatePair[] };
  /** --activations: int16 gives every layer with a 16x8 kernel int16 activations (quantize/precision.ts); default int8. */
  activations?: Precision;
  /** --int16-layers: these nodes' activations int16, the rest int8. */
  int16Layers?: string[];
  /** How `auto` scores its trials; the CLI passes one that builds and runs the C (default: onnxruntime runs the QDQ model). */
  scoreQdq?: QdqScorer;
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
  /** With `--calibration-method auto`: every method tried and its output SQNR (quantize/auto-method.ts). */
  methodTrials?: MethodTrial[];
  /** With `--calibration-method auto`: bias correction was applied (it raised the output SQNR). */
  biasCorrection?: boolean;
  /** Layers left float in qdqBytes (--float-layers, then --auto-float's choice). */
  floatLayers: string[];
  /** --auto-float: the search, its rounds and the SQNR before and after. */
  autoFloat?: AutoFloatResult;
  /** With float layers: the same quantization with every layer int8 (the build report's cost comparison). */
  int8QdqBytes?: Uint8Array;
  /** --stateful: the state pairs, by tensor name (the QDQ model's build keeps them). */
  statePairs?: StatePair[];
  /** --stateful: calibration sequences were cut into this many chunks, run in order carrying the state. */
  streamChunks?: number;
  /** Recurrent layers kept float for their Relu / LeakyRelu activation, as one note line (else undefined). */
  recurrentNote?: string;
  /** Activation type: int8, int16 (--activations int16), or mixed (--int16-layers). */
  activations: Precision | 'mixed';
  /** --activations int16: the layers left int8 for want of a 16x8 kernel; --int16-layers: the layers that are int16; one note line (else undefined). */
  int16Note?: string;
}

export function parseMethod(text: string | undefined): { method: CalibrationMethod | 'auto'; percentile?: number } {
  const [name, arg] = (text ?? 'minmax').split(':');
  if (name === 'auto' && arg === undefined) return { method: 'auto' };
  if (!CALIBRATION_METHODS.includes(name as CalibrationMethod)) {
    throw new EdgecError(`--calibration-method ${text}: expected one of ${CALIBRATION_METHODS.join(', ')} or auto (percentile:<p>, e.g. percentile:99.99)`, 2);
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
export interface PrepareOptions {
  /** Keep a float input's normalisation float at the input edge (default true). */
  inputAffineEdge?: boolean;
  stateful?: QuantizeOptions['stateful'];
  /** Node names of --float-layers: LSTM / GRU among them stay whole (float), the others are unrolled. */
  floatLayers?: readonly string[];
  /** LSTMs stay whole for the integer kernel (int8 activations). */
  integerLstm?: boolean;
}

export function prepareFloatGraph(modelPath: string, shapes?: Record<string, number[]>, options: PrepareOptions = {}): Graph {
  let graph = loadModel(modelPath, { shapes, overrideFixedDims: options.stateful !== undefined });
  checkFloatModel(graph);
  // before unroll-recurrent: the default pairs are the LSTM/GRU nodes' state inputs and outputs
  if (options.stateful) graph = statePairs(options.stateful.pairs)(graph);
  const passOptions: FloatPassOptions = { inputAffineEdge: options.inputAffineEdge ?? true, keepFloat: new Set(options.floatLayers ?? []), integerLstm: options.integerLstm };
  for (const pass of FLOAT_PASSES) graph = pass.run(graph, passOptions);
  return graph;
}

/** --int16-layers does not combine with --int8-io (not built for it yet): one line. */
function checkInt16Options(options: QuantizeOptions): void {
  if ((options.int16Layers ?? []).length === 0) return;
  if (options.activations === 'int16') throw new EdgecError('--int16-layers names the int16 layers of an int8 model; with --activations int16 every layer is int16 already (give one of them)', 2);
  // the folded input normalisation writes int8 only, and the edges of a mixed model are int8 anyway
  if (options.inputAffineEdge === false) throw new EdgecError('--int16-layers cannot be combined with --int8-io (give --activations int16, whose edges --int8-io exposes as int16)', 2);
}

export async function quantizeModel(modelPath: string, requested: QuantizeOptions): Promise<Quantized> {
  checkInt16Options(requested);
  const model = loadModel(modelPath, { shapes: requested.shapes, overrideFixedDims: requested.stateful !== undefined });
  // names checked on the model as given (the float passes unroll recurrent layers into nodes of other names)
  floatLayerNodes(model, requested.floatLayers ?? []);
  // an LSTM / GRU with a Relu activation stays float (unboundedRecurrentLayers), as if --float-layers named it
  const unbounded = unboundedRecurrentLayers(model).filter((n) => !(requested.floatLayers ?? []).includes(n.name));
  const options: QuantizeOptions = unbounded.length === 0 ? requested : { ...requested, floatLayers: [...(requested.floatLayers ?? []), ...unbounded.map((n) => n.name)] };
  const { method, percentile } = parseMethod(options.method);
  if (options.stateful && (method === 'auto' || options.autoFloatDb !== undefined)) {
    throw new EdgecError(`--stateful: ${method === 'auto' ? '--calibration-method auto' : '--auto-float'} is not supported with streaming state (it compares whole-model runs without the state); choose a calibration method`, 2);
  }
  const activations = options.activations ?? 'int8';
  // whole-model int16: the input is quantized to int16 as it comes (the folded input normalisation writes int8 only)
  const prepare: PrepareOptions = {
    inputAffineEdge: (options.inputAffineEdge ?? true) && activations !== 'int16', stateful: options.stateful, floatLayers: options.floatLayers,
    // int8: an LSTM runs TFLite Micro's integer kernel (int16 gates and cell state); int16 activations unroll it into 16x8 ops
    integerLstm: activations === 'int8',
  };
  const floatGraph = prepareFloatGraph(modelPath, options.shapes, prepare);
  const floatBytes = writeOnnx(floatGraph);
  const pairs = floatGraph.statePairs ?? [];
  const userInputs = floatGraph.inputs.filter((name) => !pairs.some((p) => p.input === name));
  const { samples, chunks } = loadCalibrationChunks(options.calibration, userInputs.map((name) => ({ name, shape: floatGraph.tensors.get(name)!.shape })), options.stateful !== undefined);
  const stream: StreamCalibration | undefined = options.stateful ? { pairs, chunks, shapes: pairs.map((p) => floatGraph.tensors.get(p.input)!.shape) } : undefined;
  const plan = planQuantization(floatGraph);
  const forced = floatLayerNodes(floatGraph, options.floatLayers ?? []).map((n) => n.name);
  const precision = planPrecision(floatGraph, plan, activations, options.int16Layers ?? []);
  // LSTMs left whole for the integer kernel: their cell scale, from the cell state over every step of the samples
  const lstmCells = await lstmCellScales(floatGraph, floatGraph.nodes.filter((n) => n.opType === 'LSTM' && !forced.includes(n.name)), samples, stream);
  // insertQdq edits in place: quantize a fresh copy so floatGraph stays the float model
  let biasMeans: ChannelMeans | undefined;
  const int16For = (ranges: ReadonlyMap<string, Range>): Int16Activations | undefined => (precision.anyInt16 ? { precision, params16: activationQuant16(floatGraph, plan, ranges) } : undefined);
  let int16: Int16Activations | undefined;
  const qdqOf = (params: Map<string, ActQuant>, layers: ReadonlySet<string>, means = biasMeans, int16Params = int16): Uint8Array => {
    const qdq = insertQdq(prepareFloatGraph(modelPath, options.shapes, prepare), plan, params, layers, means, int16Params, lstmCells, options.inputAffineEdge ?? true);
    // 16-bit Q/DQ (int16 activations, an integer LSTM's cell state) exist from opset 21
    return writeOnnx(int16Params || lstmCells.size > 0 ? upgradeOpset21(qdq) : qdq);
  };
  let ranges: Map<string, Range>;
  let chosenMethod: CalibrationMethod;
  let methodTrials: MethodTrial[] | undefined;
  if (method === 'auto') {
    const stats = await collectStats(floatGraph, plan.needRange, samples, { histograms: true, progress: options.progress });
    const means = await inputChannelMeans(floatGraph, samples);
    const choice = await chooseCalibrationMethod({
      candidates: AUTO_CANDIDATES, rangesFor: (m) => tieRanges(rangesFrom(stats, m, percentile), floatGraph.tiedRanges), floatModel: floatBytes, samples, score: options.scoreQdq,
      qdqFor: (r, corrected) => qdqOf(activationQuant(floatGraph, plan, r), new Set(forced), corrected ? means : undefined, int16For(r)),
    });
    ({ ranges, method: chosenMethod, trials: methodTrials } = choice);
    biasMeans = choice.biasCorrection ? means : undefined;
  } else {
    // an unrolled LSTM/GRU's per-step tensors share one range (Graph.tiedRanges)
    ranges = tieRanges(await calibrate(floatGraph, plan.needRange, samples, { method, percentile, progress: options.progress, stream }), floatGraph.tiedRanges);
    chosenMethod = method;
  }
  const params = activationQuant(floatGraph, plan, ranges);
  int16 = int16For(ranges);
  const qdqWith = (layers: ReadonlySet<string>): Uint8Array => qdqOf(params, layers);
  const autoFloat = options.autoFloatDb === undefined ? undefined : await chooseFloatLayers({
    thresholdDb: options.autoFloatDb, forced, floatModel: floatBytes, samples, qdqWith,
    candidates: floatLayerNodes(floatGraph, floatLayerCandidates(floatGraph)).map((n) => n.name),
  });
  const floatLayers = [...forced, ...(autoFloat?.chosen ?? [])];
  const qdqBytes = qdqWith(new Set(floatLayers));
  // a recurrent layer kept float was never unrolled, so no all-int8 twin exists without calibrating another graph: no comparison then
  const keptRecurrent = floatGraph.nodes.some((n) => RECURRENT_OPS.has(n.opType) && floatLayers.includes(n.name));
  const int8QdqBytes = floatLayers.length > 0 && !keptRecurrent ? qdqWith(new Set()) : undefined;
  return {
    floatGraph, floatBytes, qdqBytes, samples, ranges, params, method: chosenMethod, methodTrials, biasCorrection: biasMeans !== undefined, floatLayers, autoFloat, int8QdqBytes,
    recurrentNote: unbounded.length === 0 ? undefined
      : `${unbounded.map((n) => `'${displayName(n.name, 40)}' (${n.opType})`).join(', ')} kept float: a Relu / LeakyRelu activation lets h grow along the sequence, which int8 cannot follow (the Keras relu fixture quantized step by step: 23.7 dB of output SQNR on its calibration samples where the float layer gives 38.5, at 3.7x the flash); on a core without an FPU this layer's float is emulated`,
    activations: options.int16Layers?.length ? 'mixed' : activations,
    int16Note: options.int16Layers?.length ? int16LayersNote(floatGraph, precision) : int8FallbackNote(precision.int8Fallback),
    ...(options.stateful ? { statePairs: pairs, streamChunks: chunks } : {}),
  };
}

/** Layers --auto-float may keep float: Conv, Gemm and MatMul with constant float weights. */
export function floatLayerCandidates(graph: Graph): string[] {
  return graph.nodes.filter((n) => FLOAT_LAYER_OPS.has(n.opType) && graph.tensors.get(n.inputs[1] ?? '')?.data !== undefined).map((n) => n.name);
}

/** `--auto-float <dB>`: a finite, non-negative number of dB. */
export function parseAutoFloat(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const db = Number(text);
  if (text.trim() === '' || !Number.isFinite(db) || db < 0) throw new EdgecError(`--auto-float '${text}': expected a threshold in dB (a number >= 0, e.g. 1.5)`, 2);
  return db;
}
