/**
 * The exporter matrix: every cell of test/fixtures/exporters/manifest.json
 * (one architecture pushed through one exporter path) built with edgec and
 * checked the way a user's model is:
 *  - ONNX cells onnxruntime can load: top-1 equal to onnxruntime on the
 *    committed held-out samples, every layer within 1 LSB of onnxruntime in
 *    isolation (softmax 2: onnxruntime's softmax is float), and, where the
 *    ONNX came from a .tflite, byte-exact with TFLite Micro on the .tflite twin;
 *  - .tflite cells: byte-exact with TFLite Micro;
 *  - ONNX cells onnxruntime rejects (the exporter wrote an invalid model):
 *    byte-exact with the TFLite twin if there is one, else they should be refused.
 * runCell measures and never asserts: matrix.test.ts compares the outcome
 * with the committed expectation (expected.json) and MATRIX.md is written
 * from the same outcomes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { EdgecError } from '../../compiler/errors.js';
import { readNpy, type NpyArray } from '../../compiler/data/npy.js';
import type { Value } from '../../compiler/ir/program.js';
import { buildNativeRunner, runNativeTraced } from '../../compiler/verify/native.js';
import { compareWithReference } from '../../compiler/verify/golden.js';
import { compareLayers } from '../../compiler/verify/layers.js';
import type { NamedTensor, TensorData } from '../../compiler/verify/reference.js';
import { compareOutputsWithTflm, compareRunWithTflm, runTflmBatch, tflmPython, type TflmOutput } from '../helpers/tflm.js';

export const FIXTURES = 'test/fixtures/exporters';
export const MANIFEST = `${FIXTURES}/manifest.json`;
export const EXPECTED = 'test/exporters/expected.json';

/** Samples compared end to end (all committed ones) and layer by layer (the first few). */
const LAYER_SAMPLES = 3;

export interface TensorSpec { name: string; shape: (number | string)[]; dtype: string }

export interface ManifestCell {
  id: string;
  arch: string;
  path: string;
  tool: string;
  /** Absent when the exporter itself failed (exportError). */
  model?: string;
  format?: 'onnx' | 'tflite';
  tflite?: string;
  opset?: number;
  inputs?: TensorSpec[];
  outputs?: TensorSpec[];
  samples?: string;
  calibration?: string;
  onnxruntime?: { loads: boolean; error?: string; top1?: number[]; accuracy?: number };
  exportError?: string;
}

export interface Manifest { tools: Record<string, string>; cells: ManifestCell[] }

export function readManifest(): Manifest {
  return JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest;
}

/** Cell id -> "pass" | "refused: <substring of edgec's error>" | "todo[: goal]" | "export-failed". */
export function readExpected(): Record<string, string> {
  return JSON.parse(readFileSync(EXPECTED, 'utf8')) as Record<string, string>;
}

export interface CellFigures {
  /** Held-out samples compared end to end with onnxruntime; top-1 agreement (1 = all). */
  samples?: number;
  top1Agree?: number;
  endToEndMaxLsb?: number;
  layers?: number;
  worstLayerLsb?: number;
  worstLayer?: string;
  tflmElements?: number;
  tflmMismatches?: number;
}

export type CellOutcome =
  | { status: 'pass'; figures: CellFigures }
  /** edgec refused the model with its one-line error (EdgecError). */
  | { status: 'refused'; error: string }
  /** Anything else: an internal error while compiling, or a check that did not hold. */
  | { status: 'fail'; stage: 'compile' | 'c' | 'run' | 'onnxruntime' | 'layers' | 'tflm'; error: string; figures?: CellFigures }
  | { status: 'export-failed'; error: string }
  | { status: 'skipped'; error: string };

function firstLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? text;
}

function typedData(a: NpyArray, begin: number, end: number): TensorData {
  const d = a.data as TensorData;
  return d.slice(begin, end) as TensorData;
}

const NPY_TO_VALUE: Record<string, Value['type'] | undefined> = { float32: 'float32', int8: 'int8', uint8: 'uint8', int32: 'int32' };

/** The committed samples as one input tensor per sample, in the model's input type and ONNX shape (batch 1). */
export function cellSamples(cell: ManifestCell, compiled: Compiled): NamedTensor[][] {
  if (!cell.samples) throw new Error('no samples in the manifest');
  if (compiled.program.inputs.length !== 1) throw new Error(`${compiled.program.inputs.length} inputs; the matrix models have one`);
  const input = compiled.program.values.get(compiled.program.inputs[0])!;
  const arr = readNpy(cell.samples);
  const type = NPY_TO_VALUE[arr.dtype];
  if (type !== input.type) throw new Error(`samples are ${arr.dtype}, the built model's input '${input.onnxName}' is ${input.type}`);
  const per = arr.shape.slice(1).reduce((a, b) => a * b, 1);
  const dims = [1, ...arr.shape.slice(1)];
  if (per !== input.shape.reduce((a, b) => a * b, 1)) throw new Error(`samples have ${per} elements, input '${input.onnxName}' ${input.shape.join('x')}`);
  return Array.from({ length: arr.shape[0] }, (_, s) => [{ name: input.onnxName, type, dims, data: typedData(arr, s * per, (s + 1) * per) }]);
}

function sampleBytes(batch: NamedTensor[][]): Uint8Array {
  const all = batch.flat();
  const out = new Uint8Array(all.reduce((a, t) => a + t.data.byteLength, 0));
  let pos = 0;
  for (const t of all) { out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos); pos += t.data.byteLength; }
  return out;
}

export interface RunOptions {
  /** Compare with TFLite Micro when a .tflite twin exists (needs tflite-micro, see test/helpers/tflm.ts). */
  tflm?: boolean;
  /** TFLM's outputs on each cell's samples, computed up front (tflmReferences); else TFLM runs per cell. */
  tflmOutputs?: Map<string, TflmOutput[] | Error>;
}

function twinOf(cell: ManifestCell): string | undefined {
  return cell.format === 'tflite' ? cell.model : cell.tflite;
}

/**
 * TFLite Micro on every cell's .tflite twin and committed samples, in one
 * Python process (the interpreter import costs seconds per process). Keyed by cell id.
 */
export async function tflmReferences(cells: ManifestCell[]): Promise<Map<string, TflmOutput[] | Error>> {
  const jobs = cells.filter((c) => twinOf(c) && c.samples && !c.exportError);
  if (!jobs.length || !tflmPython()) return new Map();
  const results = await runTflmBatch(jobs.map((c) => ({ model: twinOf(c)!, inputFiles: [c.samples!] })));
  return new Map(jobs.map((c, i) => [c.id, results[i]]));
}

/** Builds and checks one cell; never throws. */
export async function runCell(cell: ManifestCell, opts: RunOptions = {}): Promise<CellOutcome> {
  if (cell.exportError || !cell.model) return { status: 'export-failed', error: cell.exportError ?? 'no model' };
  let compiled: Compiled;
  try {
    // layer by layer needs whole tensors: without the patch-based stage, whose tiled layers have none
    // (patched builds are byte-equal to unpatched ones: test/passes/patch-stage.test.ts)
    compiled = compileModel(cell.model, { name: 'm', patch: 'off' });
  } catch (e) {
    if (e instanceof EdgecError) return { status: 'refused', error: firstLine(e) };
    return { status: 'fail', stage: 'compile', error: `internal error: ${firstLine(e)}` };
  }
  const dir = mkdtempSync(join(tmpdir(), 'edgec-matrix-'));
  const figures: CellFigures = {};
  try {
    for (const f of compiled.emitted.files) writeFileSync(join(dir, f.path), f.contents);
    let exe: string;
    try {
      // One tracing build serves all checks (the trace does not change the outputs); -O0
      // because the checks need outputs, not speed, and it halves gcc's time on the whole matrix.
      exe = buildNativeRunner(dir, 'm', { flags: ['-DEDGEC_TRACING', '-O0'] });
    } catch (e) {
      return { status: 'fail', stage: 'c', error: firstLine(e) };
    }
    let batch: NamedTensor[][];
    try {
      batch = cellSamples(cell, compiled);
    } catch (e) {
      return { status: 'fail', stage: 'run', error: firstLine(e) };
    }
    const run = (bytes: Uint8Array, n: number, inject?: Uint8Array) => runNativeTraced(exe, bytes, n, inject);
    const ortLoads = cell.format === 'onnx' && cell.onnxruntime?.loads === true;
    if (ortLoads) {
      try {
        const golden = await compareWithReference(cell.model, compiled.program, (b, n) => run(b, n).outputs, batch);
        figures.samples = golden.samples;
        figures.endToEndMaxLsb = Math.max(...golden.outputs.map((o) => o.maxDiffLsb));
        const top1 = golden.outputs.map((o) => o.top1Agree).filter((t): t is number => t !== undefined);
        figures.top1Agree = top1.length ? Math.min(...top1) : undefined;
      } catch (e) {
        return { status: 'fail', stage: 'onnxruntime', error: firstLine(e), figures };
      }
      if (figures.top1Agree !== undefined && figures.top1Agree < 1) {
        return { status: 'fail', stage: 'onnxruntime', error: `top-1 differs from onnxruntime on ${Math.round((1 - figures.top1Agree) * batch.length)}/${batch.length} samples`, figures };
      }
      try {
        const layers = await compareLayers(cell.model, compiled.graph, compiled.program, (b, n, inj) => run(b, n, inj).trace as Uint8Array, batch.slice(0, LAYER_SAMPLES), true);
        figures.layers = layers.length;
        const worst = layers.reduce<(typeof layers)[number] | undefined>((a, l) => (!a || l.maxDiffLsb > a.maxDiffLsb ? l : a), undefined);
        figures.worstLayerLsb = worst?.maxDiffLsb ?? 0;
        figures.worstLayer = worst ? `${worst.index} ${worst.onnxOp}` : undefined;
        // int8 softmax against onnxruntime's float softmax + requantization: 2 LSB (as test/examples/golden-native)
        const bad = layers.find((l) => l.maxDiffLsb > (l.onnxOp === 'Softmax' ? 2 : 1));
        if (bad) return { status: 'fail', stage: 'layers', error: `layer ${bad.index} '${bad.op}' (${bad.onnxOp}, ${bad.tensor}): ${bad.maxDiffLsb} LSB from onnxruntime in isolation`, figures };
      } catch (e) {
        return { status: 'fail', stage: 'layers', error: firstLine(e), figures };
      }
    }
    const tflite = twinOf(cell);
    if (tflite && opts.tflm !== false) {
      if (!tflmPython()) return { status: 'skipped', error: 'tflite-micro not importable (run .ci/setup)' };
      try {
        const ours = (b: Uint8Array, n: number) => run(b, n).outputs;
        const cached = opts.tflmOutputs?.get(cell.id);
        if (cached instanceof Error) throw cached;
        const t = cached
          ? await compareOutputsWithTflm(compiled.program, ours(sampleBytes(batch), batch.length), cached, batch.length)
          : await compareRunWithTflm(compiled.program, ours, resolve(tflite), batch);
        figures.tflmElements = t.outputs.reduce((a, o) => a + o.elements, 0);
        figures.tflmMismatches = t.outputs.reduce((a, o) => a + o.mismatches, 0);
        if (figures.tflmMismatches > 0) {
          const maxDiff = Math.max(...t.outputs.map((o) => o.maxDiff));
          return { status: 'fail', stage: 'tflm', error: `${figures.tflmMismatches}/${figures.tflmElements} output elements differ from TFLite Micro (max ${maxDiff})`, figures };
        }
      } catch (e) {
        return { status: 'fail', stage: 'tflm', error: firstLine(e), figures };
      }
    } else if (!ortLoads) {
      return { status: 'fail', stage: 'onnxruntime', error: `edgec built a model onnxruntime rejects (${cell.onnxruntime?.error ?? 'not loadable'}) and there is no TFLite twin to check it against: it should be refused`, figures };
    }
    return { status: 'pass', figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Does the outcome meet the expectation? Returns the reason when not. */
export function judge(expected: string, outcome: CellOutcome): { ok: boolean; todo: boolean; reason: string } {
  const describe = outcomeText(outcome);
  if (expected === 'pass') return { ok: outcome.status === 'pass', todo: false, reason: describe };
  if (expected.startsWith('refused: ')) {
    const want = expected.slice('refused: '.length);
    const ok = outcome.status === 'refused' && outcome.error.includes(want);
    return { ok, todo: false, reason: ok ? describe : `expected edgec to refuse with '${want}', got ${describe}` };
  }
  if (expected === 'export-failed') return { ok: outcome.status === 'export-failed', todo: false, reason: describe };
  if (expected === 'todo' || expected.startsWith('todo:')) {
    // A todo that now passes must be marked "pass", so it can never regress unnoticed.
    if (outcome.status === 'pass') return { ok: false, todo: false, reason: `now passes (${describe}): mark it "pass" in ${EXPECTED}` };
    return { ok: true, todo: true, reason: describe };
  }
  return { ok: false, todo: false, reason: `unknown expectation '${expected}' in ${EXPECTED}` };
}

export function outcomeText(o: CellOutcome): string {
  switch (o.status) {
    case 'pass': return `pass (${figuresText(o.figures)})`;
    case 'refused': return `refused: ${o.error}`;
    case 'fail': return `${o.stage}: ${o.error}`;
    case 'export-failed': return `exporter failed: ${o.error}`;
    case 'skipped': return `skipped: ${o.error}`;
  }
}

export function figuresText(f: CellFigures): string {
  const parts: string[] = [];
  if (f.top1Agree !== undefined) parts.push(`top-1 ${Math.round(f.top1Agree * (f.samples ?? 0))}/${f.samples}`);
  if (f.endToEndMaxLsb !== undefined) parts.push(`e2e max ${f.endToEndMaxLsb} LSB`);
  if (f.layers !== undefined) parts.push(`${f.layers} layers, worst ${f.worstLayerLsb} LSB`);
  if (f.tflmElements !== undefined) parts.push(`TFLM ${f.tflmElements - (f.tflmMismatches ?? 0)}/${f.tflmElements} exact`);
  return parts.join(', ');
}
