/**
 * Calibration samples from `--calibration <file.npy | file.npz | folder>`:
 * float arrays whose first axis is the sample axis, one array per model
 * input. Each sample is cut out as a batch-1 tensor of the input's static
 * shape. Wrong ranks, shapes or dtypes are one-line errors naming the shape
 * edgec expects.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { EdgecError } from '../errors.js';
import { readNpy, type NpyArray } from '../data/npy.js';
import { readNpz } from '../data/npz.js';
import type { NamedTensor } from '../verify/reference.js';

export interface InputSpec { name: string; shape: number[] }

/**
 * The dims of one sample: the input without its leading batch axis of 1, or
 * the whole input when its first axis is not a batch of 1 (a sequence-first
 * LSTM/GRU input [seq, batch, features]: each sample is one whole sequence).
 */
function sampleDims(spec: InputSpec): number[] {
  return spec.shape[0] === 1 ? spec.shape.slice(1) : spec.shape;
}

const expected = (spec: InputSpec): string => `[N, ${sampleDims(spec).join(', ')}] float32`;

/**
 * A sequence cut into chunks (--stateful with a shorter sequence axis than
 * the calibration data, e.g. 1 step per invoke of 16-step sequences): the one
 * axis where each sample of `a` is k times the input's dim. Tried against the
 * whole input shape, then without its leading batch axis of 1.
 */
function chunkAxis(a: NpyArray, spec: InputSpec): { dims: number[]; axis: number; chunks: number } | undefined {
  for (const dims of [spec.shape, sampleDims(spec)]) {
    if (a.shape.length !== dims.length + 1) continue;
    const differ = dims.map((d, i) => i).filter((i) => a.shape[i + 1] !== dims[i]);
    if (differ.length !== 1) continue;
    const axis = differ[0];
    const k = a.shape[axis + 1] / dims[axis];
    if (Number.isInteger(k) && k > 1) return { dims, axis, chunks: k };
  }
  return undefined;
}

/** Chunk j of one sample row laid out as `dims` with `dims[axis]` k times longer. */
function chunkOf(row: Float32Array, dims: number[], axis: number, chunks: number, j: number): Float32Array {
  const outer = dims.slice(0, axis).reduce((x, y) => x * y, 1);
  const span = dims.slice(axis).reduce((x, y) => x * y, 1); // one chunk's elements per outer index
  const out = new Float32Array(outer * span);
  for (let o = 0; o < outer; o++) out.set(row.subarray(o * span * chunks + j * span, o * span * chunks + (j + 1) * span), o * span);
  return out;
}

/** Rows of one float array for one input; a single sample without the N axis is accepted too. */
function rowsOf(a: NpyArray, spec: InputSpec, where: string, allowChunks = false): { rows: Float32Array[]; chunks: number } {
  const chunked = allowChunks ? chunkAxis(a, spec) : undefined;
  if (chunked) {
    const seqDims = chunked.dims.map((d, i) => (i === chunked.axis ? d * chunked.chunks : d));
    const whole = rowsOf(a, { name: spec.name, shape: seqDims }, where).rows;
    return { rows: whole.flatMap((row) => Array.from({ length: chunked.chunks }, (_, j) => chunkOf(row, chunked.dims, chunked.axis, chunked.chunks, j))), chunks: chunked.chunks };
  }
  if (a.dtype !== 'float32' && a.dtype !== 'float64') {
    throw new EdgecError(`${where}: calibration data for input '${spec.name}' is ${a.dtype}; expected float32 (or float64) of shape ${expected(spec)}`, 2);
  }
  const rest = sampleDims(spec);
  const sampleSize = rest.reduce((x, y) => x * y, 1);
  const same = (dims: number[]): boolean => dims.length === rest.length && dims.every((d, i) => d === rest[i]);
  let n: number;
  if (a.shape.length === rest.length + 1 && same(a.shape.slice(1))) n = a.shape[0];
  else if (same(a.shape) && a.shape.length > 0) n = 1;
  // np.stack of batch-1 inputs: [N, 1, ...] for a model input [1, ...]
  else if (spec.shape[0] === 1 && a.shape.length === rest.length + 2 && a.shape[1] === 1 && same(a.shape.slice(2))) n = a.shape[0];
  else throw new EdgecError(`${where}: calibration array for input '${spec.name}' has shape [${a.shape.join(', ')}]; expected ${expected(spec)} (first axis = sample)`, 2);
  if (n === 0) throw new EdgecError(`${where}: calibration array for input '${spec.name}' has no samples`, 2);
  const rows: Float32Array[] = [];
  for (let s = 0; s < n; s++) {
    const row = new Float32Array(sampleSize);
    for (let i = 0; i < sampleSize; i++) row[i] = Number(a.data[s * sampleSize + i]);
    if (row.some((v) => !Number.isFinite(v))) throw new EdgecError(`${where}: sample ${s} for input '${spec.name}' contains NaN or infinity`, 2);
    rows.push(row);
  }
  return { rows, chunks: 1 };
}

function arraysFromPath(path: string, inputs: InputSpec[]): Map<string, { array: NpyArray; where: string }[]> {
  if (!existsSync(path)) throw new EdgecError(`--calibration ${path}: no such file or folder`, 2);
  const byInput = new Map<string, { array: NpyArray; where: string }[]>(inputs.map((i) => [i.name, []]));
  const single = inputs.length === 1 ? inputs[0].name : undefined;
  if (statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => f.endsWith('.npy')).sort();
    if (files.length === 0) throw new EdgecError(`--calibration ${path}: the folder has no .npy files`, 2);
    for (const f of files) {
      const input = single ?? inputs.find((i) => `${i.name}.npy` === f || `${safeName(i.name)}.npy` === f)?.name;
      if (!input) throw new EdgecError(`--calibration ${path}: '${f}' names no model input (with several inputs, name files <input>.npy: ${inputs.map((i) => `${safeName(i.name)}.npy`).join(', ')})`, 2);
      byInput.get(input)!.push({ array: readNpy(join(path, f)), where: join(path, f) });
    }
    return byInput;
  }
  const ext = extname(path).toLowerCase();
  if (ext === '.npy') {
    if (!single) throw new EdgecError(`--calibration ${path}: the model has ${inputs.length} inputs (${inputs.map((i) => i.name).join(', ')}); give an .npz with one array per input name`, 2);
    byInput.get(single)!.push({ array: readNpy(path), where: path });
    return byInput;
  }
  if (ext === '.npz') {
    const arrays = readNpz(path);
    for (const spec of inputs) {
      const a = arrays.get(spec.name) ?? arrays.get(safeName(spec.name)) ?? (single && arrays.size === 1 ? [...arrays.values()][0] : undefined);
      if (!a) throw new EdgecError(`--calibration ${path}: no array for input '${spec.name}' (arrays: ${[...arrays.keys()].join(', ') || 'none'})`, 2);
      byInput.get(spec.name)!.push({ array: a, where: path });
    }
    return byInput;
  }
  throw new EdgecError(`--calibration ${path}: expected a .npy file, an .npz file or a folder of .npy files`, 2);
}

/** Input names as file names: anything outside [A-Za-z0-9_.-] becomes '_'. */
export function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Samples (one tensor per input each), in file order. */
export function loadCalibration(path: string, inputs: InputSpec[]): NamedTensor[][] {
  return loadCalibrationChunks(path, inputs, false).samples;
}

/**
 * Samples, and with `allowChunks` (a --stateful build) sequences longer than
 * the input cut into `chunks` consecutive samples each (sequence-major): the
 * caller carries the state from one chunk to the next (quantize/calibrate.ts).
 */
export function loadCalibrationChunks(path: string, inputs: InputSpec[], allowChunks: boolean): { samples: NamedTensor[][]; chunks: number } {
  const byInput = arraysFromPath(path, inputs);
  const perInput = inputs.map((spec) => byInput.get(spec.name)!.map(({ array, where }) => rowsOf(array, spec, where, allowChunks)));
  const chunkCounts = new Set(perInput.flat().map((r) => r.chunks));
  if (chunkCounts.size > 1) throw new EdgecError(`--calibration ${path}: the arrays cut into different numbers of steps (${[...chunkCounts].join(', ')}); give every input sequences of the same length`, 2);
  const chunks = [...chunkCounts][0] ?? 1;
  const rows = perInput.map((parts) => parts.flatMap((p) => p.rows));
  const counts = rows.map((r) => r.length);
  if (counts.some((c) => c !== counts[0])) {
    throw new EdgecError(`--calibration ${path}: inputs have different sample counts (${inputs.map((s, i) => `${s.name}: ${counts[i]}`).join(', ')})`, 2);
  }
  const samples = Array.from({ length: counts[0] }, (_, s) => inputs.map((spec, i): NamedTensor => ({ name: spec.name, type: 'float32', dims: spec.shape, data: rows[i][s] })));
  return { samples, chunks };
}
