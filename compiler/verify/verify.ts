/**
 * `edgec verify`: the generated C, compiled to WebAssembly (or natively),
 * against onnxruntime on the original model, on the same inputs.
 *
 * Pass criteria (defaults measured on the bundled examples, 100-200 random
 * samples per seed, several seeds; see README "edgec verify"):
 *  - end to end, per output: max |diff| ≤ 12 LSB (≤ 32 LSB for an output
 *    computed by Softmax), and no top-1 disagreement on any sample except
 *    near-ties (reference scores our pick within 2 LSB of its best; 16 LSB
 *    behind softmax). Measured maxima: digits/resnet8/kws 1-2 LSB,
 *    ad_autoencoder 7, vww_mobilenet 15 and tf2onnx_int8 18 (both softmax
 *    outputs: one logit LSB moves a probability by up to 16 LSB).
 *  - layer by layer, isolated (each layer fed onnxruntime's input): every
 *    layer ≤ 1 LSB (Softmax ≤ 2). Measured: all layers of all examples ≤ 1
 *    LSB over 30 samples. This check always runs, because end to end a
 *    fault in one channel of a middle layer (a corrupted weight byte or
 *    requantization shift) is often damped below any output tolerance that
 *    real builds pass, while in isolation it stands out (13-57 LSB in the
 *    corruption tests) and names the layer.
 * `--max-lsb` / `--layer-max-lsb` override the bounds.
 */
import { readdirSync, readFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Graph } from '../ir/graph.js';
import type { Program, Value } from '../ir/program.js';
import { compileModel, compileModelAsync, GRAPH_PASSES, type Compiled } from '../pipeline.js';
import { formatAccuracy, measureAccuracy, type AccuracyReport } from '../quantize/accuracy.js';
import { isTfliteFile, loadModelFile } from '../model-file.js';
import { tflmPythonOrFail } from './tflm.js';
import { EdgecError } from '../errors.js';
import { manifestFileName, programFromManifest } from '../emit/manifest.js';
import type { OutputStats } from './compare.js';
import { compareWithReference, type SampleObserver } from './golden.js';
import { compareLayers, type LayerStats } from './layers.js';
import { referenceInputsFor } from './int8-edges.js';
import { buildNativeRunner, runNativeTraced, type NativeRun } from './native.js';
import { buildWasmRunnerAsync, cacheDir, emccEnv, emccPath, runWasmTraced } from './wasm.js';
import { kernelLibraryFor, libraryBuildArgs, type Toolchain } from './libraries.js';
import { boardById } from '../boards.js';
import { randomSamples } from './samples.js';
import { readInputSamples } from './inputs.js';
import type { NamedTensor } from './reference.js';

export const DEFAULT_MAX_LSB = 12;
export const DEFAULT_SOFTMAX_MAX_LSB = 32;
/**
 * Top-1 near-tie: a sample whose reference scores our pick within this many
 * LSB of its best is not a disagreement (a 1-LSB rounding difference flips
 * such ties on random inputs; behind softmax 1 logit LSB is up to 16).
 */
export const DEFAULT_TIE_LSB = 2;
export const DEFAULT_SOFTMAX_TIE_LSB = 16;
/** Isolated layer-by-layer bound: one rounding step (softmax: two, int8 exp vs float). */
export const DEFAULT_LAYER_MAX_LSB = 1;
export const DEFAULT_SOFTMAX_LAYER_MAX_LSB = 2;
export const DEFAULT_SAMPLES = 20;
export const DEFAULT_SEED = 1234;
/** Samples for --layers (every op's tensor of every sample is traced). */
export const LAYER_SAMPLES = 4;

export type Engine = 'wasm' | 'native';

export interface VerifyOptions {
  model: string;
  board?: string;
  name?: string;
  shapes?: Record<string, number[]>;
  /** Verify this already generated folder instead of building afresh. */
  from?: string;
  /** Number of samples (random ones; with `inputs`, the first n). */
  samples?: number;
  seed?: number;
  inputs?: string;
  /** Overrides every output's default end-to-end tolerance. */
  maxLsb?: number;
  /** Print every layer's figures (the isolated layer check itself always runs). */
  layers?: boolean;
  layerMaxLsb?: number;
  /** Samples the layer check uses (default LAYER_SAMPLES). */
  layerSamples?: number;
  engine?: Engine;
  /** Hook for extra per-sample metrics (e.g. SQNR against the float model, issue 4). */
  observe?: SampleObserver;
  /**
   * Float model: quantize it with these calibration samples first; the LSB
   * checks then run against the QDQ model edgec compiled, and the report adds
   * SQNR / top-1 agreement against the float model (per layer with `layers`).
   */
  calibration?: string;
  calibrationMethod?: string;
  /** ONNX nodes kept in float32 (--float-layers); with calibration also --auto-float's threshold. */
  floatLayers?: string[];
  autoFloatDb?: number;
  /** With calibration: --activations and --int16-layers (quantize/precision.ts). */
  activations?: 'int8' | 'int16';
  int16Layers?: string[];
}

export interface VerifiedOutput extends OutputStats { toleranceLsb: number; pass: boolean }
export interface VerifiedLayer extends LayerStats { toleranceLsb: number; pass: boolean }

export interface VerifyReport {
  model: string;
  folder: string;
  engine: Engine;
  /** What the outputs were compared with: onnxruntime on the ONNX model, or TFLite Micro's interpreter on a .tflite. */
  reference: 'onnxruntime' | 'tflm';
  samples: number;
  inputSource: string;
  outputs: VerifiedOutput[];
  layers: VerifiedLayer[];
  /** First layer (execution order) beyond the layer tolerance. */
  firstBadLayer?: VerifiedLayer;
  pass: boolean;
  seconds: number;
  /** With --calibration: the int8 C against the float model. */
  float?: AccuracyReport;
  /** With --calibration: the calibration method, for the printed report. */
  calibrationMethod?: string;
}

/** Printed lines of the float-model comparison of a --calibration verify. */
export function formatFloatComparison(r: VerifyReport): string[] {
  return r.float ? formatAccuracy(r.float, r.calibrationMethod ?? 'minmax') : [];
}

/** The op that computes an output, looking through a final dequantize / layout change. */
function producedBySoftmax(program: Program, id: string): boolean {
  let cur = id;
  for (let hops = 0; hops < 4; hops++) {
    const op = program.ops.find((o) => o.outputs.includes(cur));
    if (!op) return false;
    if (op.onnxOp === 'Softmax' || op.kind === 'softmax') return true;
    if (!['dequantize', 'dequantize_s16', 'quantize', 'requantize', 'requantize_s16', 'transpose', 'u8_to_s8', 's8_to_u8'].includes(op.kind) && op.onnxOp !== 'Reshape' && op.onnxOp !== 'Flatten') return false;
    cur = op.inputs[0];
  }
  return false;
}

export function outputTolerance(program: Program, id: string, override?: number): number {
  return override ?? (producedBySoftmax(program, id) ? DEFAULT_SOFTMAX_MAX_LSB : DEFAULT_MAX_LSB);
}

export function tieTolerance(program: Program, id: string): number {
  return producedBySoftmax(program, id) ? DEFAULT_SOFTMAX_TIE_LSB : DEFAULT_TIE_LSB;
}

interface Target {
  dir: string; program: Program; graph: Pick<Graph, 'tensors'>; cleanup?: () => void;
  /** The model onnxruntime runs as the reference (the QDQ model for a quantized float model). */
  reference: string;
  float?: AccuracyReport;
  /**
   * The build the isolated layer check traces when it is not the verified one:
   * a patch-based stage (passes/patch-stage.ts) writes its layers tile by tile
   * into patch buffers, so its layers have no whole tensor to compare or to
   * replace; the same model built without it (byte-equal, test/passes/patch-stage.test.ts) has.
   */
  layers?: { dir: string; program: Program };
}

/** Writes a build's files to a fresh folder. */
function writeBuild(c: Compiled): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-verify-'));
  for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  return dir;
}

function findManifest(dir: string, name?: string): string {
  if (!existsSync(dir)) throw new EdgecError(`--from ${dir}: no such folder`, 2);
  if (name) {
    const p = join(dir, manifestFileName(name));
    if (!existsSync(p)) throw new EdgecError(`--from ${dir}: no ${manifestFileName(name)} in the folder`, 2, 'pass the --name the folder was built with');
    return p;
  }
  const found = readdirSync(dir).filter((f) => f.endsWith('.edgec.json'));
  if (found.length !== 1) {
    throw new EdgecError(`--from ${dir}: ${found.length === 0 ? 'no <name>.edgec.json manifest (was it built by edgec build?)' : `several manifests (${found.join(', ')})`}`, 2,
      found.length ? 'pass --name to choose one' : 'rebuild the folder with edgec build');
  }
  return join(dir, found[0]);
}

function prepareTarget(opts: VerifyOptions): Target {
  if (opts.from) {
    const manifest = findManifest(opts.from, opts.name);
    const program = programFromManifest(readFileSync(manifest, 'utf8'), manifest);
    // the same graph passes as the build, for the set of tensors layer comparison can name
    let graph = loadModelFile(opts.model, { shapes: opts.shapes });
    for (const pass of GRAPH_PASSES) graph = pass.run(graph);
    return { dir: resolve(opts.from), program, graph, reference: opts.model };
  }
  if (opts.autoFloatDb !== undefined) throw new EdgecError('--auto-float needs --calibration <samples>: it measures what quantizing each layer costs on them', 2);
  const options = { name: opts.name ?? 'model', board: opts.board, shapes: opts.shapes, floatLayers: opts.floatLayers };
  const c = compileModel(opts.model, options);
  const dir = writeBuild(c);
  const unpatched = c.patch ? compileModel(opts.model, { ...options, patch: 'off' }) : undefined;
  const layers = unpatched ? { dir: writeBuild(unpatched), program: unpatched.program } : undefined;
  const cleanup = (): void => { for (const d of [dir, layers?.dir]) if (d) rmSync(d, { recursive: true, force: true }); };
  return { dir, program: c.program, graph: c.graph, reference: opts.model, layers, cleanup };
}

/** A float model quantized from calibration data: build it, keep its QDQ model as the LSB reference, measure it against the float model. */
async function prepareQuantizedTarget(opts: VerifyOptions & { calibration: string }): Promise<Target> {
  if (opts.from) throw new EdgecError('--from and --calibration do not combine: verify the folder against the QDQ model `edgec quantize` writes', 2);
  const c = await compileModelAsync(opts.model, { name: opts.name ?? 'model', board: opts.board, shapes: opts.shapes, calibration: opts.calibration, calibrationMethod: opts.calibrationMethod, floatLayers: opts.floatLayers, autoFloatDb: opts.autoFloatDb, activations: opts.activations, int16Layers: opts.int16Layers });
  if (!c.quantized) throw new EdgecError(`${opts.model}: --calibration given but the model was not quantized`, 2);
  const dir = mkdtempSync(join(tmpdir(), 'edgec-verify-'));
  for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  const reference = join(dir, 'reference_qdq.onnx.ref');
  writeFileSync(reference, c.quantized.qdqBytes);
  const float = await measureAccuracy(c, c.quantized, { layers: opts.layers });
  return { dir, program: c.program, graph: c.graph, reference, float, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

type Build = (dir: string, name: string, flags: string[], link: string[]) => Promise<string>;
type Run = (exe: string, bytes: Uint8Array, n: number, inject?: Uint8Array) => NativeRun;

const ENGINES: Record<Engine, { build: Build; run: Run; tools: () => Toolchain }> = {
  wasm: {
    build: (d, n, f, l) => buildWasmRunnerAsync(d, n, { flags: f, link: l }), run: runWasmTraced,
    tools: () => ({ cc: emccPath() ?? 'emcc', ar: join(dirname(emccPath() ?? 'emcc'), 'emar'), env: emccEnv(), cacheDir: cacheDir() }),
  },
  native: {
    build: async (d, n, f, l) => buildNativeRunner(d, n, { flags: f, link: l }), run: runNativeTraced,
    tools: () => ({ cc: 'gcc', ar: 'ar', cacheDir: join(cacheDir(), 'native') }),
  },
};

function chooseSamples(program: Program, opts: VerifyOptions): { samples: NamedTensor[][]; source: string } {
  if (opts.samples !== undefined && (!Number.isInteger(opts.samples) || opts.samples <= 0)) throw new EdgecError(`--samples ${opts.samples}: need a positive integer`, 2);
  if (opts.inputs) {
    const all = readInputSamples(program, opts.inputs);
    return { samples: opts.samples ? all.slice(0, opts.samples) : all, source: opts.inputs };
  }
  const seed = opts.seed ?? DEFAULT_SEED;
  return { samples: randomSamples(program, opts.samples ?? DEFAULT_SAMPLES, seed), source: `random (seed ${seed})` };
}

function layerTolerance(l: LayerStats, override?: number): number {
  return override ?? (l.onnxOp === 'Softmax' || l.kind === 'softmax' ? DEFAULT_SOFTMAX_LAYER_MAX_LSB : DEFAULT_LAYER_MAX_LSB);
}

export async function verifyModel(opts: VerifyOptions): Promise<VerifyReport> {
  const started = Date.now();
  const engineId = opts.engine ?? 'wasm';
  const engine = ENGINES[engineId];
  if (opts.maxLsb !== undefined && !(opts.maxLsb >= 0)) throw new EdgecError(`--max-lsb ${opts.maxLsb}: need a number ≥ 0`, 2);
  // a missing TFLite Micro is reported before anything is built
  if (isTfliteFile(opts.model)) tflmPythonOrFail(opts.model);
  const target = opts.calibration ? await prepareQuantizedTarget({ ...opts, calibration: opts.calibration }) : prepareTarget(opts);
  try {
    const { program, dir } = target;
    const { samples, source } = chooseSamples(program, opts);
    // A board build that calls CMSIS-NN / ESP-NN is verified with that library's code, not a portable rebuild.
    const lib = libraryBuildArgs(kernelLibraryFor(dir, boardById(opts.board ?? 'host')), engine.tools());
    const layerBuild = target.layers ?? { dir, program };
    const [runner, traced] = await Promise.all([engine.build(dir, program.name, lib.flags, lib.link), engine.build(layerBuild.dir, program.name, ['-DEDGEC_TRACING', ...lib.flags], lib.link)]);
    // a .tflite is compared with TFLite Micro itself, the bit reference: byte equality unless --max-lsb says otherwise
    const tflite = isTfliteFile(opts.model);
    const tieLsb = (v: Value): number => (tflite ? 0 : tieTolerance(program, v.id));
    // an --int8-io folder: onnxruntime gets the dequantized inputs, its float outputs compare in the build's int8 (int8-edges.ts)
    const referenceInputs = tflite ? undefined : referenceInputsFor(program, target.graph);
    const golden = await compareWithReference(target.reference, program, (bytes, n) => engine.run(runner, bytes, n).outputs, samples, { observe: opts.observe, tieLsb, referenceInputs });
    const outputs = golden.outputs.map((o, i): VerifiedOutput => {
      const tol = tflite ? (opts.maxLsb ?? 0) : outputTolerance(program, program.outputs[i], opts.maxLsb);
      return { ...o, toleranceLsb: tol, pass: o.maxDiffLsb <= tol && !o.top1Mismatches };
    });
    // The isolated layer check always runs: end to end, a fault in one channel of a
    // middle layer is often damped below any useful output tolerance (softmax
    // outputs especially), while in isolation it stands out against a 1-LSB bound.
    let layers: VerifiedLayer[] = [];
    // TFLM's interpreter exposes only the model's outputs, so a .tflite has no isolated layer check (outputs must match exactly instead)
    if (!tflite) {
      const stats = await compareLayers(target.reference, target.graph, layerBuild.program, (b, n, inj) => engine.run(traced, b, n, inj).trace ?? new Uint8Array(0),
        samples.slice(0, opts.layerSamples ?? LAYER_SAMPLES), true, referenceInputs);
      layers = stats.map((l) => {
        const tol = layerTolerance(l, opts.layerMaxLsb);
        return { ...l, toleranceLsb: tol, pass: l.maxDiffLsb <= tol };
      });
    }
    const firstBadLayer = layers.find((l) => !l.pass);
    const pass = outputs.every((o) => o.pass) && !firstBadLayer;
    return {
      model: opts.model, folder: opts.from ?? '(built afresh)', engine: engineId, reference: tflite ? 'tflm' : 'onnxruntime', samples: samples.length, inputSource: source, outputs, layers, firstBadLayer, pass,
      seconds: (Date.now() - started) / 1000, float: target.float, calibrationMethod: opts.calibration ? (opts.calibrationMethod ?? 'minmax') : undefined,
    };
  } finally {
    target.cleanup?.();
  }
}
