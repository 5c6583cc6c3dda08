/**
 * The whole compiler as one function: import -> passes -> lower -> plan ->
 * emit. The CLI, tests and benchmarks all go through here.
 */
import { basename } from 'node:path';
import type { Graph } from './ir/graph.js';
import type { Op, Program } from './ir/program.js';
import type { Plan } from './plan/types.js';
import { isTfliteFile, loadModelFile, loadModelFileBytes } from './model-file.js';
import { quantizeModel, type Quantized } from './quantize/index.js';
import { ttyProgress } from './quantize/calibrate.js';
import { removeIdentity } from './passes/remove-identity.js';
import { foldQdq } from './passes/fold-qdq.js';
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
import { fuseUnaryChain } from './passes/fuse-unary-chain.js';
import { lowerGraph } from './passes/lower.js';
import { int8Io } from './passes/int8-io.js';
import { shareConstants } from './passes/share-constants.js';
import { planAndOrderProgram, type ProgramPlanOptions } from './plan/program.js';
import { emitC, type EmitResult } from './emit/c-emitter.js';
import type { WeightsMode } from './update/emit-blob.js';
import { backendFor, backendSummary, type Backend } from './backends/index.js';
import { boardById, type Board } from './boards.js';
import { EdgecError } from './errors.js';
import { C_KEYWORDS } from './emit/c-names.js';

export interface CompileOptions {
  name?: string;
  board?: string;
  backend?: string;
  shapes?: Record<string, number[]>;
  /** Float model: calibration samples (.npy / .npz / folder); quantized first (compiler/quantize, compileModelAsync). */
  calibration?: string;
  /** minmax (default), percentile[:p], entropy, mse. */
  calibrationMethod?: string;
  /** The model's bytes when they are not the file at modelPath (the quantized model). */
  modelBytes?: Uint8Array;
  /** Expose int8 tensors at the model's edges instead of float (see passes/int8-io.ts). */
  int8Io?: boolean;
  /** 'nhwc': expose channels-first inputs channels-last (tensor dims then NHWC). */
  inputLayout?: 'declared' | 'nhwc';
  /** 'blob': weights in a separate <name>.weights file bound at run time (compiler/update); default 'const' arrays. */
  weights?: WeightsMode;
  /** Library code path instead of the board's (CMSIS-NN 'c' | 'dsp' | 'mve', ESP-NN chip or 'ansi'); tests use it. */
  backendTarget?: string;
  /** Memory planning: execution order choice and in-place depthwise (both on by default). */
  plan?: ProgramPlanOptions;
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
}

/** Graph passes in order; each is a Graph -> Graph function in compiler/passes. */
export const GRAPH_PASSES: { name: string; run: (g: Graph) => Graph }[] = [
  { name: 'remove-identity', run: removeIdentity },
  // QOperator (QLinearConv, com.microsoft QGemm ...) rewritten as DQ -> float op -> Q first
  { name: 'qoperator-to-qdq', run: qoperatorToQdq },
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

export function compileModel(modelPath: string, options: CompileOptions = {}): Compiled {
  const name = validateName(options.name ?? 'model');
  const board = boardById(options.board ?? 'host');
  if (options.calibration && !options.modelBytes) throw new Error('internal: a float model with calibration goes through compileModelAsync');
  let graph = options.modelBytes ? loadModelFileBytes(options.modelBytes, modelPath, { shapes: options.shapes }) : loadModelFile(modelPath, { shapes: options.shapes });
  for (const pass of GRAPH_PASSES) graph = pass.run(graph);
  let lowered = lowerGraph(graph, name, { inputLayout: options.inputLayout });
  // identical const arrays (an unrolled LSTM's per-step weights and tables) once in flash; blob builds keep them apart (share-constants.ts)
  if (options.weights !== 'blob') lowered = shareConstants(lowered);
  // Ops come back in the chosen execution order, eligible depthwise ops marked in place.
  // The board's kernel library unless --backend overrides; scratch is sized for the board's code path.
  const backend: Backend = backendFor(options.backend ?? board.backend, board, options.backendTarget);
  const exposed = options.int8Io ? int8Io(lowered) : lowered;
  const planOptions = {
    ...options.plan,
    scratchBytes: (op: Op): number => backend.kernelFor(op).scratchBytes,
    inPlaceAllowed: (op: Op): boolean => backend.kernelFor(op).backend === 'portable',
  };
  const { program, plan } = planAndOrderProgram(exposed, planOptions);
  // --keep-inputs costs arena bytes: the build report says how many
  const arenaWithoutKeepInputs = options.plan?.keepInputs ? planAndOrderProgram(exposed, { ...planOptions, keepInputs: false }).plan.arenaBytes : undefined;
  const backendNote = backendSummary(backend, program);
  const emitted = emitC(program, plan, backend, basename(modelPath), board, options.weights);
  return { graph, program, plan, board, backend, emitted, backendNote, notes: graph.notes ?? [], arenaWithoutKeepInputs };
}

/** compileModel, quantizing a float model first when `calibration` is given (edgec build --calibration). */
export async function compileModelAsync(modelPath: string, options: CompileOptions = {}): Promise<Compiled> {
  if (!options.calibration) return compileModel(modelPath, options);
  if (isTfliteFile(modelPath)) throw new EdgecError(`--calibration: ${modelPath} is a TFLite model; edgec quantizes float ONNX models only (convert the .tflite with full-int8 post-training quantization instead)`, 2);
  const quantized = await quantizeModel(modelPath, { calibration: options.calibration, method: options.calibrationMethod, shapes: options.shapes, progress: ttyProgress() });
  return { ...compileModel(modelPath, { ...options, modelBytes: quantized.qdqBytes }), quantized };
}
