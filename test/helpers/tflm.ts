/**
 * TensorFlow Lite Micro's own interpreter (PyPI `tflite-micro`) as the bit
 * reference: run a .tflite on a batch of inputs and get its outputs. The
 * Python comes from $EDGEC_TFLM_PYTHON, else the repo's .venv (made by
 * .ci/setup), else python3; `tflmPython()` is undefined when none of them can
 * import tflite_micro, and tests then report themselves skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readNpz } from '../../compiler/data/npz.js';
import { testPython } from './python.js';
import { encodeNpy, type NpyArray } from '../../compiler/data/npy.js';
import type { Program } from '../../compiler/ir/program.js';
import type { NamedTensor } from '../../compiler/verify/reference.js';

// the runner edgec ships for `verify model.tflite` (with a --jobs mode the matrix uses)
const SCRIPT = resolve('compiler/verify/tflm_run.py');

let cachedPython: string | null | undefined;

/** A Python that can import tflite_micro, or undefined. */
export function tflmPython(): string | undefined {
  if (cachedPython !== undefined) return cachedPython ?? undefined;
  const candidates = [process.env.EDGEC_TFLM_PYTHON, testPython(), 'python3'].filter((p): p is string => !!p);
  cachedPython = null;
  for (const python of candidates) {
    if (python.includes('/') && !existsSync(python)) continue;
    const r = spawnSync(python, ['-c', 'from tflite_micro.python.tflite_micro import runtime'], { encoding: 'utf8' });
    if (r.status === 0) { cachedPython = python; break; }
  }
  return cachedPython ?? undefined;
}

export interface TflmOutput {
  dims: number[];
  data: Int8Array | Uint8Array | Int16Array | Int32Array | Float32Array;
}

/**
 * Runs `model` once per sample. `inputs[i]` holds every sample of input i
 * back to back (shape [samples, ...inputShape]). Returns one stacked array
 * per output, first axis = sample. The interpreter is Reset() after each
 * sample unless `keepState` (then variable tensors, e.g. an LSTM's state,
 * carry from one sample's Invoke() to the next).
 */
export function runTflm(model: string, inputs: NpyArray[], opts: { keepState?: boolean } = {}): TflmOutput[] {
  const python = tflmPython();
  if (!python) throw new Error('tflite-micro is not importable (run .ci/setup or set EDGEC_TFLM_PYTHON)');
  const dir = mkdtempSync(join(tmpdir(), 'edgec-tflm-'));
  try {
    const inputFiles = inputs.map((arr, i) => {
      const file = join(dir, `in${i}.npy`);
      writeFileSync(file, encodeNpy(arr));
      return file;
    });
    const outFile = join(dir, 'out.npz');
    const r = spawnSync(python, [SCRIPT, ...(opts.keepState ? ['--keep-state'] : []), resolve(model), outFile, ...inputFiles], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) throw new Error(`tflite-micro failed on ${model}: ${r.stderr.trim()}`);
    return readOutputs(outFile);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readOutputs(npz: string): TflmOutput[] {
  const arrays = readNpz(npz);
  const outputs: TflmOutput[] = [];
  for (let k = 0; arrays.has(`out${k}`); k++) {
    const a = arrays.get(`out${k}`)!;
    outputs.push({ dims: a.shape, data: a.data as TflmOutput['data'] });
  }
  return outputs;
}

/**
 * runTflm for many models in one Python process (importing the interpreter
 * costs seconds): each job is a .tflite and its input .npy files (stacked
 * samples, as for runTflm). Returns the outputs of each job, in order, or
 * the error TFLM gave on that model.
 */
export async function runTflmBatch(jobs: { model: string; inputFiles: string[] }[]): Promise<(TflmOutput[] | Error)[]> {
  const python = tflmPython();
  if (!python) throw new Error('tflite-micro is not importable (run .ci/setup or set EDGEC_TFLM_PYTHON)');
  const dir = mkdtempSync(join(tmpdir(), 'edgec-tflm-'));
  try {
    const spec = jobs.map((j, i) => ({ model: resolve(j.model), out: join(dir, `out${i}.npz`), inputs: j.inputFiles.map((f) => resolve(f)) }));
    const jobFile = join(dir, 'jobs.json');
    writeFileSync(jobFile, JSON.stringify(spec));
    // asynchronous: the whole matrix's TFLM runs take tens of seconds, and a vitest worker blocked
    // for 60 s misses its own RPC reply ("Timeout calling onTaskUpdate") and fails the run
    const r = await runProcess(python, [SCRIPT, '--jobs', jobFile]);
    if (r.status !== 0) throw new Error(`tflite-micro failed: ${r.stderr.trim()}`);
    return spec.map((j) => (existsSync(`${j.out}.err`) ? new Error(`tflite-micro failed on ${j.model}: ${readFileSync(`${j.out}.err`, 'utf8')}`) : readOutputs(j.out)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a process without blocking the event loop; resolves with its exit status and stderr. */
function runProcess(cmd: string, args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', (e) => done({ status: null, stderr: String(e) }));
    child.on('close', (status) => done({ status, stderr }));
  });
}

export interface TflmComparison {
  samples: number;
  /** Per output: how many elements differ from TFLM, the largest difference, and how many distinct values TFLM gave (a saturated output has few). */
  outputs: { name: string; elements: number; mismatches: number; maxDiff: number; distinct: number }[];
}

function npyFromValue(type: string, data: ArrayBufferView, shape: number[]): NpyArray {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
  switch (type) {
    case 'int8': return { dtype: 'int8', shape, data: new Int8Array(bytes.buffer) };
    case 'uint8': return { dtype: 'uint8', shape, data: bytes };
    case 'int16': return { dtype: 'int16', shape, data: new Int16Array(bytes.buffer) };
    case 'int32': return { dtype: 'int32', shape, data: new Int32Array(bytes.buffer) };
    default: return { dtype: 'float32', shape, data: new Float32Array(bytes.buffer) };
  }
}

/**
 * Builds `model` (ONNX or TFLite) with edgec, runs the generated C natively
 * on `samples` seeded random inputs, runs `tflite` through TFLite Micro on the
 * same inputs and compares every output element. The model's inputs and
 * outputs must be the .tflite's, in order and type (int8 I/O, or float I/O
 * on both sides).
 */
export async function compareWithTflm(model: string, tflite: string, samples = 10, seed = 7): Promise<TflmComparison> {
  const { compileModel } = await import('../../compiler/pipeline.js');
  const { buildNativeRunner, runNative } = await import('../../compiler/verify/native.js');
  const { randomSamples } = await import('../../compiler/verify/samples.js');
  const c = compileModel(model, { name: 'm' });
  const dir = mkdtempSync(join(tmpdir(), 'edgec-tflm-build-'));
  try {
    for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
    const exe = buildNativeRunner(dir, 'm');
    return await compareRunWithTflm(c.program, (bytes, n) => runNative(exe, bytes, n), tflite, randomSamples(c.program, samples, seed));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * An already built program (`run`: sample bytes in, output bytes out) against
 * TFLite Micro running `tflite` on the same `batch` of inputs (one array of
 * input tensors per sample, in the program's input order and types).
 */
export async function compareRunWithTflm(program: Program, run: (inputBytes: Uint8Array, samples: number) => Uint8Array, tflite: string, batch: NamedTensor[][]): Promise<TflmComparison> {
  const samples = batch.length;
  const inputBytes = new Uint8Array(batch.reduce((a, s) => a + s.reduce((b, t) => b + t.data.byteLength, 0), 0));
  let pos = 0;
  for (const s of batch) for (const t of s) { inputBytes.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos); pos += t.data.byteLength; }
  const ours = run(inputBytes, samples);
  const tflmInputs = program.inputs.map((id, i) => {
    const v = program.values.get(id)!;
    const per = batch[0][i].data.byteLength;
    const all = new Uint8Array(per * samples);
    batch.forEach((s, k) => all.set(new Uint8Array(s[i].data.buffer, s[i].data.byteOffset, per), k * per));
    return npyFromValue(v.type, all, [samples, ...v.logicalShape]);
  });
  return compareOutputsWithTflm(program, ours, runTflm(tflite, tflmInputs), samples);
}

/** The program's outputs for `samples` samples (raw bytes, back to back) against TFLM's outputs for the same inputs. */
export async function compareOutputsWithTflm(program: Program, ours: Uint8Array, theirs: TflmOutput[], samples: number): Promise<TflmComparison> {
  const { valueBytes } = await import('../../compiler/ir/program.js');
  const outValues = program.outputs.map((id) => program.values.get(id)!);
  const perSample = outValues.reduce((a, v) => a + valueBytes(v), 0);
  const result: TflmComparison = { samples, outputs: outValues.map((v) => ({ name: v.onnxName, elements: 0, mismatches: 0, maxDiff: 0, distinct: 0 })) };
  outValues.forEach((v, o) => {
    const ref = theirs[o];
    if (!ref) throw new Error(`TFLM gave no output ${o}`);
    const n = valueBytes(v);
    const before = outValues.slice(0, o).reduce((a, w) => a + valueBytes(w), 0);
    const perRef = ref.data.length / samples;
    result.outputs[o].distinct = new Set(Array.from(ref.data as ArrayLike<number>, Number)).size;
    for (let s = 0; s < samples; s++) {
      const mineBytes = ours.slice(s * perSample + before, s * perSample + before + n);
      const mine = npyFromValue(v.type, mineBytes, [n]).data as ArrayLike<number>;
      if (mine.length !== perRef) throw new Error(`output ${v.onnxName}: ${mine.length} elements, TFLM ${perRef}`);
      for (let k = 0; k < perRef; k++) {
        const d = Math.abs(Number(mine[k]) - Number(ref.data[s * perRef + k]));
        result.outputs[o].elements++;
        if (d !== 0) result.outputs[o].mismatches++;
        result.outputs[o].maxDiff = Math.max(result.outputs[o].maxDiff, d);
      }
    }
  });
  return result;
}
