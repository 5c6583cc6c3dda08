/**
 * The whole compiler as one function: import -> passes -> lower -> plan ->
 * emit. The CLI, tests and benchmarks all go through here.
 */
import { basename } from 'node:path';
import type { Graph, StatePair } from './ir/graph.js';
import { statePairs } from './passes/state-pairs.js';
import { statefulProgram } from './passes/stateful-program.js';
import type { Op, Program } from './ir/program.js';
import type { Plan } from './plan/types.js';
import { isTfliteFile, loadModelFile, loadModelFileBytes } from './model-file.js';
import { quantizeModel, type Quantized } from './quantize/index.js';
import type { QdqScorer } from './quantize/auto-method.js';
import { hostBuildSqnr } from './quantize/native-run.js';
import { ttyProgress } from './quantize/calibrate.js';
import { removeIdentity } from './passes/remove-identity.js';
import { foldQdq } from './passes/fold-qdq.js';
import { integerLstmPass } from './passes/integer-lstm.js';
import { qoperatorToQdq } from './passes/qoperator-to-qdq.js';
import { propagateQuant } from './passes/propagate-quant.js';
import { foldBatchNormQdq } from './passes/fold-batchnorm-qdq.js';
import { matmulAddToFc } from './passes/matmul-add-to-fc.js';
import { unquantizedActivation } from './passes/unquantized-activation.js';
import { perChannelActivation } from './passes/per-channel-activation.js';
import { floatTail } from './passes/float-tail.js';
import { fuseHardSwish } from './passes/fuse-hard-swish.js';
import { foldConstantScale } from './passes/fold-constant-scale.js';
import { uint8ToInt8 } from './passes/uint8-to-int8.js';
import { fuseActivations } from './passes/fuse-activations.js';
import { fuseSwish } from './passes/fuse-swish.js';
import { foldArgCast } from './passes/fold-arg-cast.js';
import { foldInputCast } from './passes/fold-input-cast.js';
import { foldInputAffine } from './passes/fold-input-affine.js';
import { fuseUnaryChain } from './passes/fuse-unary-chain.js';
import { lowerGraph } from './passes/lower.js';
import { keepLayersFloat } from './passes/float-layers.js';
import { int8Io } from './passes/int8-io.js';
import { sparseWeights } from './passes/sparse-weights.js';
import { wideWeights } from './passes/wide-weights.js';
import { wideConvWeights, wideReasonBackend } from './passes/wide-conv-weights.js';
import { prunedChannels } from './passes/pruned-channels.js';
import type { OptimizeGoal } from './ops/sparse-weights.js';
import { shareConstants } from './passes/share-constants.js';
import { planAndOrderProgram, type ProgramPlanOptions } from './plan/program.js';
import { choosePatchStage, patchBackend, patchPlanOptions, type PatchMode, type PatchReport } from './passes/patch-stage.js';
import { emitC, type EmitResult, type SharedArenaRegion } from './emit/c-emitter.js';
import type { WeightsMode } from './update/emit-blob.js';
import { backendFor, backendSummary, portableBackend, type Backend } from './backends/index.js';
import { autoBackend, boardLibrary, libraryFasterOnCore, planOptionsFor } from './backends/auto.js';
import { boardById, type Board } from './boards.js';
import { costTableFor, estimateProgramInstructions, type Implementation } from './backends/kernel-costs.js';
import { EdgecError } from './errors.js';
import { C_KEYWORDS } from './emit/c-names.js';

export interface CompileOptions {
  name?: string;
  board?: string;
  backend?: string;
  shapes?: Record<string, number[]>;
  /** Float model: calibration samples (.npy / .npz / folder); quantized first (compiler/quantize, compileModelAsync). */
  calibration?: string;
  /** minmax (the default here; the CLI defaults to auto), percentile[:p], entropy, mse, auto. */
  calibrationMethod?: string;
  /** The model's bytes when they are not the file at modelPath (the quantized model). */
  modelBytes?: Uint8Array;
  /** Expose int8 tensors at the model's edges instead of float (see passes/int8-io.ts). */
  int8Io?: boolean;
  /** Expose int8 outputs only (a split head: float input, the cut tensor sent as int8). */
  int8Outputs?: boolean;
  /** 'nhwc': expose channels-first inputs channels-last (tensor dims then NHWC). */
  inputLayout?: 'declared' | 'nhwc';
  /** 'blob': weights in a separate <name>.weights file bound at run time (compiler/update); default 'const' arrays. */
  weights?: WeightsMode;
  /** Library code path instead of the board's (CMSIS-NN 'c' | 'dsp' | 'mve', ESP-NN chip or 'ansi'); tests use it. */
  backendTarget?: string;
  /** Memory planning: execution order choice and in-place depthwise (both on by default). */
  plan?: ProgramPlanOptions;
  /** Pruned weights: per layer, the storage with the least flash ('size', default) or the fewest instructions ('speed'). */
  optimize?: OptimizeGoal;
  /** false: every layer keeps its dense filter (`--no-sparse`); zeros are still reported. */
  sparse?: boolean;
  /** false: no fully connected layer or conv takes pre-widened int16 weights (passes/wide-weights.ts, wide-conv-weights.ts; default: where the board's flash allows, DSP cores, portable/auto backends). */
  wideWeights?: boolean;
  /** ONNX nodes (Conv, Gemm, MatMul) that run in float32 (passes/float-layers.ts; with calibration also kept float by the PTQ). */
  floatLayers?: string[];
  /** With calibration: keep a layer float when quantizing it costs more than this many dB of output SQNR (quantize/auto-float.ts). */
  autoFloatDb?: number;
  /** With calibration: int16 activations (16x8) on every layer with a 16x8 kernel (quantize/precision.ts); default int8. */
  activations?: 'int8' | 'int16';
  /** With calibration: these nodes' activations int16, the rest int8. */
  int16Layers?: string[];
  /** One model of a multi-model library: its region of the library's arena (compiler/multi-model.ts). */
  sharedArena?: SharedArenaRegion;
  /** Patch-based execution of the first stage (passes/patch-stage.ts): 'auto' (default), 'off' or an n x n grid. */
  patch?: PatchMode;
  /** `--patch auto`: extra MACs the halo may cost, as a fraction of the model's (default 0.15). */
  patchMaxExtraMacs?: number;
  /**
   * `--stateful`: keep the state pairs (`pairs`, from --state, or the LSTM/GRU
   * nodes' own when absent) between invokes (passes/state-pairs.ts,
   * passes/stateful-program.ts); `shapes` may then shorten a fixed sequence axis.
   */
  stateful?: { pairs?: StatePair[] };
}

export interface Compiled {
  graph: Graph;
  program: Program;
  plan: Plan;
  board: Board;
  backend: Backend;
  emitted: EmitResult;
  /** Library backends: how many layers call the library and which fall back to portable, and why. */
  backendNote?: string;
  /** Present when the model was quantized from float (--calibration). */
  quantized?: Quantized;
  /** Notes of the graph passes for the build report (e.g. a float tail run in int8). */
  notes: string[];
  /** `--keep-inputs`: the arena the same build needs when inputs may be overwritten. */
  arenaWithoutKeepInputs?: number;
  /** PTQ with float layers: the same build with every layer int8 (the report's cost comparison). */
  int8Build?: { arenaBytes: number; weightsBytes: number; macs: number };
  /** The patch stage applied (stage, grid, arena and MACs before / after), if any. */
  patch?: PatchReport;
  /** What patch-based execution chose, or why nothing (one line for inspect). */
  patchNote?: string;
}

/** Graph passes in order; each is a Graph -> Graph function in compiler/passes. */
export const GRAPH_PASSES: { name: string; run: (g: Graph) => Graph }[] = [
  { name: 'remove-identity', run: removeIdentity },
  // QOperator (QLinearConv, com.microsoft QGemm ...) rewritten as DQ -> float op -> Q first
  { name: 'qoperator-to-qdq', run: qoperatorToQdq },
  // uint8 / int8 input -> Cast(float) -> scalar arithmetic -> Q: one table from the integer input
  { name: 'fold-input-cast', run: foldInputCast },
  // float input -> per-feature / per-channel Sub/Div/Mul/Add by constants -> Q (onnxruntime leaves input normalisation float): one quantize op
  { name: 'fold-input-affine', run: foldInputAffine },
  // quantization canonicalisation (compiler/passes/README.md): exporters' QDQ layouts -> every int8 op between DQ and Q
  { name: 'fuse-hard-swish', run: fuseHardSwish },
  { name: 'fold-batchnorm-qdq', run: foldBatchNormQdq },
  { name: 'propagate-quant', run: propagateQuant },
  { name: 'matmul-add-to-fc', run: matmulAddToFc },
  { name: 'per-channel-activation', run: perChannelActivation },
  { name: 'unquantized-activation', run: unquantizedActivation },
  { name: 'fold-constant-scale', run: foldConstantScale },
  { name: 'float-tail', run: floatTail },
  { name: 'fold-qdq', run: foldQdq },
  // a quantized LSTM (int8 X, weights with a scale per gate, int8 Y / Y_h) -> TFLite Micro's integer LSTM per direction
  { name: 'integer-lstm', run: integerLstmPass },
  { name: 'uint8-to-int8', run: uint8ToInt8 },
  { name: 'fuse-swish', run: fuseSwish },
  { name: 'fold-arg-cast', run: foldArgCast },
  { name: 'fuse-unary-chain', run: fuseUnaryChain },
  { name: 'fuse-activations', run: fuseActivations },
];

/** C headers a generated folder sits next to (`-I <folder>` finds `<name>.h` before them). */
const RESERVED_HEADER_STEMS = new Set([
  'assert', 'complex', 'ctype', 'errno', 'fenv', 'float', 'inttypes', 'iso646', 'limits', 'locale', 'math', 'setjmp', 'signal', 'stdalign',
  'stdarg', 'stdatomic', 'stdbool', 'stddef', 'stdint', 'stdio', 'stdlib', 'stdnoreturn', 'string', 'tgmath', 'threads', 'time', 'uchar', 'wchar', 'wctype',
  // kernel libraries the generated code includes, and the selftest's own main
  'arm_nnfunctions', 'arm_nn_types', 'arm_nnsupportfunctions', 'arm_nn_math_types', 'arm_math', 'esp_nn', 'esp_nn_defs', 'selftest_main', 'main',
]);
/** Longer names would push `<name>_<tensor>` past C99's 63 significant characters. */
export const NAME_MAX = 32;

/**
 * `--name` becomes file names (`<name>.h`, `<name>_weights.c`) and the prefix
 * of every C symbol: it must be a C identifier that collides with nothing the
 * folder or the C toolchain already has — the runtime (`edgec.h`,
 * `edgec_kernels.h`, `edgec_conv_s8.c`, every `edgec_*` symbol, also in
 * other letter cases for case-insensitive file systems), standard and
 * kernel-library headers, keywords and reserved identifiers.
 */
export function validateName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new EdgecError(`--name '${name}' is not a valid C identifier`, 2);
  if (name.length > NAME_MAX) throw new EdgecError(`--name '${name.slice(0, NAME_MAX)}...' is ${name.length} characters; at most ${NAME_MAX}`, 2);
  const refuse = (why: string): never => { throw new EdgecError(`--name '${name}' ${why}`, 2, 'choose another name, e.g. --name my_model'); };
  if (/^edgec(_|$)/i.test(name)) refuse('collides with the edgec runtime (its files and symbols are edgec*)');
  if (/^_[A-Z_]|__/.test(name)) refuse('is reserved in C (leading underscore + capital, or a double underscore)');
  if (C_KEYWORDS.has(name)) refuse('is a C keyword');
  if (RESERVED_HEADER_STEMS.has(name.toLowerCase())) refuse(`would make ${name}.h, which shadows a C or kernel-library header of that name`);
  return name;
}

/**
 * Estimated instructions of a program, each op by the kernel `backend` runs
 * it with (patch layers: ours), from the board's core's measured cost table,
 * or the Cortex-M4's for cores without one (host, ...): patch-based
 * execution needs a figure for the per-call work its tiles repeat, and the
 * kernels' structure is the same C.
 */
function estimatedInstructions(board: Board, backend: Backend): (program: Program) => number | undefined {
  const table = costTableFor(board.cpu) ?? costTableFor('cortex-m4');
  const implementationOf = (op: Op): Implementation => {
    const impl = backend.kernelFor(op).backend;
    return impl === 'cmsis-nn' || impl === 'esp-nn' ? impl : 'portable';
  };
  return (program) => (table ? estimateProgramInstructions(table, program.ops, implementationOf) : undefined);
}

/** The backend by id; auto chooses per layer of `program` (backends/auto.ts). */
function chooseBackend(id: string, board: Board, program: Program, options: CompileOptions): Backend {
  if (id !== 'auto') return backendFor(id, board, options.backendTarget);
  const lib = boardLibrary(board);
  return autoBackend(program, {
    board, portable: portableBackend, plan: options.plan ?? {},
    library: lib ? { id: lib, backend: backendFor(lib, board, options.backendTarget) } : undefined,
  });
}

export function compileModel(modelPath: string, options: CompileOptions = {}): Compiled {
  const name = validateName(options.name ?? 'model');
  const board = boardById(options.board ?? 'host');
  if (options.calibration && !options.modelBytes) throw new Error('internal: a float model with calibration goes through compileModelAsync');
  const loadOptions = { shapes: options.shapes, overrideFixedDims: options.stateful !== undefined };
  let graph = options.modelBytes ? loadModelFileBytes(options.modelBytes, modelPath, loadOptions) : loadModelFile(modelPath, loadOptions);
  if (options.stateful && options.sharedArena) throw new EdgecError('--stateful: a model of a multi-model library shares its arena with the others, which would overwrite its state; build it on its own', 2);
  // which inputs are state, while the graph still has its LSTM/GRU nodes and the model's names
  if (options.stateful) graph = statePairs(options.stateful.pairs)(graph);
  const pairs = graph.statePairs ?? [];
  if ((options.activations === 'int16' || options.int16Layers?.length) && !options.calibration) {
    throw new EdgecError(`${options.activations === 'int16' ? '--activations int16' : '--int16-layers'} needs --calibration <samples>: it chooses the activation type of edgec's own quantization (a quantized model keeps the types it has)`, 2);
  }
  if (options.autoFloatDb !== undefined && !options.calibration) throw new EdgecError('--auto-float needs --calibration <samples>: it measures what quantizing each layer costs on them', 2);
  // before the QDQ canonicalisation, while node names are the model's
  if (options.floatLayers?.length) graph = keepLayersFloat(options.floatLayers)(graph);
  for (const pass of GRAPH_PASSES) graph = pass.run(graph);
  // pruned filters: their readers' weights on the constant channel are dropped (exactly), then
  // pruned layers switch to their bitmap-sparse kernels where that wins (same outputs)
  const sparse = options.sparse ?? true;
  const pruned = sparse ? prunedChannels(lowerGraph(graph, name, { inputLayout: options.inputLayout })) : undefined;
  let lowered = sparseWeights(pruned?.program ?? lowerGraph(graph, name, { inputLayout: options.inputLayout }), { goal: options.optimize ?? 'size', enabled: sparse });
  // DSP cores: fully connected layers with int16 lane-pair weights where the board's flash allows (same outputs)
  const backendRequest = options.backend ?? board.backend;
  const wideEnabled = options.wideWeights !== false && (backendRequest === 'portable' || (backendRequest === 'auto' && !libraryFasterOnCore(board)));
  lowered = wideWeights(lowered, { cpu: board.cpu, flashBytes: board.flashBytes, enabled: wideEnabled });
  const prunedNote = pruned && pruned.folded > 0
    ? [`pruned filters: ${pruned.folded} constant output channel(s) dropped from the next layer's weights (folded into its bias where not zero), ${pruned.kept} kept (reader with padding, or not a conv / fully connected)`]
    : [];
  // identical const arrays (an unrolled LSTM's per-step weights and tables) once in flash; blob builds keep them apart (share-constants.ts)
  if (options.weights !== 'blob') lowered = shareConstants(lowered);
  // Ops come back in the chosen execution order, eligible depthwise ops marked in place.
  const edges = options.int8Io || options.int8Outputs ? int8Io(lowered, { inputs: options.int8Io === true, outputs: true }) : lowered;
  // --stateful: state inputs leave the user inputs and keep their bytes between invokes
  const exposed = options.stateful ? statefulProgram(edges, pairs, basename(modelPath)) : edges;
  // an input the model normalises before its first QuantizeLinear keeps float (fold-input-affine runs the normalisation at its edge)
  const floatInputNotes = options.int8Io
    ? exposed.ops.filter((op) => op.kind === 'quantize_affine' && exposed.inputs.includes(op.inputs[0]!)).map((op) =>
      `--int8-io: input '${exposed.values.get(op.inputs[0]!)?.onnxName ?? op.inputs[0]}' stays float: the model normalises it (${op.onnxOp}) in the quantize op at its edge`)
    : [];
  // The board's default (auto) unless --backend overrides; library scratch is sized for the board's code path.
  const chosenBackend: Backend = chooseBackend(options.backend ?? board.backend, board, exposed, options);
  // the first stage tile by tile when that lowers the arena (passes/patch-stage.ts); patch layers run portable kernels
  const backend = patchBackend(chosenBackend);
  const planOptions = patchPlanOptions(planOptionsFor(backend, options.plan ?? {}));
  const patched = choosePatchStage(exposed, {
    mode: options.patch ?? 'auto', maxExtraMacs: options.patchMaxExtraMacs,
    plan: (p) => {
      const planned = planAndOrderProgram(p, planOptions);
      return { arenaBytes: planned.plan.arenaBytes, program: planned.program };
    },
    instructionsOf: estimatedInstructions(board, backend),
  });
  // DSP cores: convolutions our kernels run take int16 lane-pair weights where the flash left allows (same outputs, same arena)
  const widened = wideConvWeights(patched.program, {
    cpu: board.cpu, flashBytes: board.flashBytes, enabled: wideEnabled,
    runsPortable: (op) => backend.kernelFor(op).backend === 'portable',
  });
  const { program, plan } = planAndOrderProgram(widened, planOptions);
  // --keep-inputs costs arena bytes: the build report says how many
  const arenaWithoutKeepInputs = options.plan?.keepInputs ? planAndOrderProgram(widened, { ...planOptions, keepInputs: false }).plan.arenaBytes : undefined;
  const backendNote = backendSummary(backend, program);
  const emitted = emitC(program, plan, backend, basename(modelPath), board, options.weights, options.sharedArena);
  return { graph, program, plan, board, backend: wideReasonBackend(backend), emitted, backendNote, notes: [...(graph.notes ?? []), ...prunedNote, ...floatInputNotes], arenaWithoutKeepInputs, patch: patched.chosen, patchNote: patched.note };
}

/**
 * `--calibration-method auto`'s scorer: each trial's QDQ model built for the
 * host with the portable kernels (bit-exact with every backend) and run
 * natively, so the method is chosen by what the device computes.
 */
export function hostBuildScorer(modelPath: string, options: Pick<CompileOptions, 'shapes' | 'floatLayers'>): QdqScorer {
  return async (qdq, samples, reference) => {
    const build = compileModel(modelPath, { board: 'host', backend: 'portable', shapes: options.shapes, modelBytes: qdq, floatLayers: options.floatLayers });
    return hostBuildSqnr(build, samples, reference);
  };
}

/** compileModel, quantizing a float model first when `calibration` is given (edgec build --calibration). */
export async function compileModelAsync(modelPath: string, options: CompileOptions = {}): Promise<Compiled> {
  if (!options.calibration) return compileModel(modelPath, options);
  if (isTfliteFile(modelPath)) throw new EdgecError(`--calibration: ${modelPath} is a TFLite model; edgec quantizes float ONNX models only (convert the .tflite with full-int8 post-training quantization instead)`, 2);
  const quantized = await quantizeModel(modelPath, {
    calibration: options.calibration, method: options.calibrationMethod, shapes: options.shapes, progress: ttyProgress(), floatLayers: options.floatLayers, autoFloatDb: options.autoFloatDb,
    stateful: options.stateful, activations: options.activations, int16Layers: options.int16Layers,
    // --int8-io: the int8 input is the raw input's quantization, so its normalisation folds into the first layer
    inputAffineEdge: !options.int8Io,
    scoreQdq: hostBuildScorer(modelPath, options),
  });
  // the QDQ model keeps those layers' weights float; naming them also keeps a float tail layer float;
  // its LSTM/GRU are unrolled, so the state pairs the float model resolved are passed by name
  const stateful = options.stateful && { pairs: quantized.statePairs };
  const compiled = compileModel(modelPath, { ...options, modelBytes: quantized.qdqBytes, floatLayers: quantized.floatLayers, stateful });
  // what the float layers cost: the same build with every layer int8
  const int8Build = quantized.int8QdqBytes && compileModel(modelPath, { ...options, modelBytes: quantized.int8QdqBytes, floatLayers: [], stateful });
  if (quantized.int16Note) compiled.notes.push(quantized.int16Note);
  if (quantized.recurrentNote) compiled.notes.push(quantized.recurrentNote);
  return { ...compiled, quantized, int8Build: int8Build ? { arenaBytes: int8Build.plan.arenaBytes, weightsBytes: int8Build.emitted.weightsBytes, macs: int8Build.program.ops.reduce((a, op) => a + op.macs, 0) } : undefined };
}
