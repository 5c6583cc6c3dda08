/**
 * The whole compiler as one function: import -> passes -> lower -> plan ->
 * emit. The CLI, tests and benchmarks all go through here.
 */
import { basename } from 'node:path';
import type { Graph } from './ir/graph.js';
import type { Program } from './ir/program.js';
import type { Plan } from './plan/types.js';
import { loadModel, loadModelBytes } from './onnx/load.js';
import { quantizeModel, type Quantized } from './quantize/index.js';
import { ttyProgress } from './quantize/calibrate.js';
import { removeIdentity } from './passes/remove-identity.js';
import { foldQdq } from './passes/fold-qdq.js';
import { uint8ToInt8 } from './passes/uint8-to-int8.js';
import { fuseActivations } from './passes/fuse-activations.js';
import { fuseSwish } from './passes/fuse-swish.js';
import { foldArgCast } from './passes/fold-arg-cast.js';
import { fuseUnaryChain } from './passes/fuse-unary-chain.js';
import { lowerGraph } from './passes/lower.js';
import { int8Io } from './passes/int8-io.js';
import { planAndOrderProgram, type ProgramPlanOptions } from './plan/program.js';
import { emitC, type EmitResult } from './emit/c-emitter.js';
import type { WeightsMode } from './update/emit-blob.js';
import { backendFor, backendSummary, type Backend } from './backends/index.js';
import { boardById, type Board } from './boards.js';
import { EdgecError } from './errors.js';

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
}

/** Graph passes in order; each is a Graph -> Graph function in compiler/passes. */
export const GRAPH_PASSES: { name: string; run: (g: Graph) => Graph }[] = [
  { name: 'remove-identity', run: removeIdentity },
  { name: 'fold-qdq', run: foldQdq },
  { name: 'uint8-to-int8', run: uint8ToInt8 },
  { name: 'fuse-swish', run: fuseSwish },
  { name: 'fold-arg-cast', run: foldArgCast },
  { name: 'fuse-unary-chain', run: fuseUnaryChain },
  { name: 'fuse-activations', run: fuseActivations },
];

export function validateName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new EdgecError(`--name '${name}' is not a valid C identifier`, 2);
  return name;
}

export function compileModel(modelPath: string, options: CompileOptions = {}): Compiled {
  const name = validateName(options.name ?? 'model');
  const board = boardById(options.board ?? 'host');
  if (options.calibration && !options.modelBytes) throw new Error('internal: a float model with calibration goes through compileModelAsync');
  let graph = options.modelBytes ? loadModelBytes(options.modelBytes, { fileName: modelPath }) : loadModel(modelPath, { shapes: options.shapes });
  for (const pass of GRAPH_PASSES) graph = pass.run(graph);
  const lowered = lowerGraph(graph, name, { inputLayout: options.inputLayout });
  // Ops come back in the chosen execution order, eligible depthwise ops marked in place.
  // The board's kernel library unless --backend overrides; scratch is sized for the board's code path.
  const backend: Backend = backendFor(options.backend ?? board.backend, board, options.backendTarget);
  const { program, plan } = planAndOrderProgram(options.int8Io ? int8Io(lowered) : lowered, {
    ...options.plan,
    scratchBytes: (op) => backend.kernelFor(op).scratchBytes,
    inPlaceAllowed: (op) => backend.kernelFor(op).backend === 'portable',
  });
  const backendNote = backendSummary(backend, program);
  const emitted = emitC(program, plan, backend, basename(modelPath), board, options.weights);
  return { graph, program, plan, board, backend, emitted, backendNote };
}

/** compileModel, quantizing a float model first when `calibration` is given (edgec build --calibration). */
export async function compileModelAsync(modelPath: string, options: CompileOptions = {}): Promise<Compiled> {
  if (!options.calibration) return compileModel(modelPath, options);
  const quantized = await quantizeModel(modelPath, { calibration: options.calibration, method: options.calibrationMethod, shapes: options.shapes, progress: ttyProgress() });
  return { ...compileModel(modelPath, { ...options, modelBytes: quantized.qdqBytes }), quantized };
}
