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

/** Rows of one float array for one input; a single sample without the N axis is accepted too. */
function rowsOf(a: NpyArray, spec: InputSpec, where: string): Float32Array[] {
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
  return rows;
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
  const byInput = arraysFromPath(path, inputs);
  const rows = inputs.map((spec) => byInput.get(spec.name)!.flatMap(({ array, where }) => rowsOf(array, spec, where)));
  const counts = rows.map((r) => r.length);
  if (counts.some((c) => c !== counts[0])) {
    throw new EdgecError(`--calibration ${path}: inputs have different sample counts (${inputs.map((s, i) => `${s.name}: ${counts[i]}`).join(', ')})`, 2);
  }
  return Array.from({ length: counts[0] }, (_, s) => inputs.map((spec, i): NamedTensor => ({ name: spec.name, type: 'float32', dims: spec.shape, data: rows[i][s] })));
}
