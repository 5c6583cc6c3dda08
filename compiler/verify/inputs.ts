/**
 * User-supplied verification inputs (`edgec verify --inputs`): a .npy array
 * (single-input models), a .npz archive (arrays named after the model's
 * inputs; a lone array for a single-input model), or a folder of such
 * files, taken in name order. Each array holds one or more samples stacked
 * on its leading axis, e.g. [N, 1, 28, 28] or [1, 28, 28] for one sample.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { EdgecError } from '../errors.js';
import { parseNpy, type NpyArray } from '../data/npy.js';
import type { Program, Value } from '../ir/program.js';
import type { NamedTensor, TensorData } from './reference.js';

/** Entries of a zip archive (what numpy.savez writes): stored or deflated, no zip64. */
export function readZip(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  const fail = (why: string): EdgecError => new EdgecError(`${file}: not a readable .npz file: ${why}`, 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 65535); p--) {
    if (view.getUint32(p, true) === 0x06054b50) { eocd = p; break; }
  }
  if (eocd < 0) throw fail('no zip directory');
  const count = view.getUint16(eocd + 10, true);
  let pos = view.getUint32(eocd + 16, true);
  const entries = new Map<string, Uint8Array>();
  for (let i = 0; i < count; i++) {
    if (pos + 46 > bytes.length || view.getUint32(pos, true) !== 0x02014b50) throw fail('bad directory entry');
    const method = view.getUint16(pos + 10, true);
    const compressed = view.getUint32(pos + 20, true);
    const nameLen = view.getUint16(pos + 28, true);
    const extraLen = view.getUint16(pos + 30, true);
    const commentLen = view.getUint16(pos + 32, true);
    const local = view.getUint32(pos + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(pos + 46, pos + 46 + nameLen));
    if (compressed === 0xffffffff || local === 0xffffffff) throw fail(`'${name}' uses zip64 (arrays over 4 GB are not supported)`);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    const raw = bytes.subarray(dataStart, dataStart + compressed);
    if (method === 0) entries.set(name, raw);
    else if (method === 8) entries.set(name, new Uint8Array(inflateRawSync(raw)));
    else throw fail(`'${name}' uses compression method ${method} (stored or deflate only)`);
    pos += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

const RANGES: Partial<Record<Value['type'], [number, number]>> = { int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], int32: [-2147483648, 2147483647] };

/** Converts one sample's slice of an array to the input's type; integers must be exact and in range. */
function convert(arr: NpyArray, start: number, n: number, v: Value, file: string): TensorData {
  const src = Array.from(arr.data.subarray(start, start + n) as ArrayLike<number | bigint>, Number);
  if (v.type === 'float32') return Float32Array.from(src);
  const [lo, hi] = RANGES[v.type] as [number, number];
  if (arr.dtype === 'float32' || arr.dtype === 'float64') {
    throw new EdgecError(`${file}: input '${v.onnxName}' is ${v.type} but the array holds ${arr.dtype}`, 2, `save the array as ${v.type} (quantized values)`);
  }
  const bad = src.find((x) => x < lo || x > hi);
  if (bad !== undefined) throw new EdgecError(`${file}: value ${bad} does not fit input '${v.onnxName}' (${v.type})`, 2);
  return v.type === 'int8' ? Int8Array.from(src) : v.type === 'uint8' ? Uint8Array.from(src) : v.type === 'int16' ? Int16Array.from(src) : Int32Array.from(src);
}

/** Splits an array into samples of the input's logical shape. */
function samplesOf(arr: NpyArray, v: Value, file: string): TensorData[] {
  const n = v.logicalShape.reduce((a, b) => a * b, 1);
  const size = arr.shape.reduce((a, b) => a * b, 1);
  const trailing = (s: number[]): string => s.filter((d) => d !== 1).join('x');
  // [N, ...shape] or the shape itself; dims of 1 may be dropped or added (e.g. [N, 28, 28] for [1, 1, 28, 28])
  const perSample = arr.shape.length > 0 && size !== n ? arr.shape.slice(1) : arr.shape;
  if (size === 0 || size % n !== 0 || trailing(perSample) !== trailing(v.logicalShape)) {
    throw new EdgecError(`${file}: array of shape [${arr.shape.join(', ')}] does not hold samples of input '${v.onnxName}' [${v.logicalShape.join(', ')}]`, 2,
      'stack samples on the leading axis: [N, ...input shape]');
  }
  return Array.from({ length: size / n }, (_, s) => convert(arr, s * n, n, v, file));
}

function arraysOfFile(path: string): Map<string, NpyArray> {
  const bytes = readFileSync(path);
  if (extname(path) === '.npy') return new Map([['', parseNpy(bytes, path)]]);
  const entries = readZip(bytes, path);
  return new Map([...entries].map(([k, b]) => [k.replace(/\.npy$/, ''), parseNpy(b, `${path}:${k}`)]));
}

function samplesOfFile(program: Program, path: string): NamedTensor[][] {
  const arrays = arraysOfFile(path);
  const inputs = program.inputs.map((id) => program.values.get(id) as Value);
  const perInput = inputs.map((v) => {
    const arr = arrays.get(v.onnxName) ?? (inputs.length === 1 && arrays.size === 1 ? [...arrays.values()][0] : undefined);
    if (!arr) {
      throw new EdgecError(`${path}: no array for input '${v.onnxName}'`, 2,
        inputs.length > 1 ? `a model with several inputs needs a .npz with arrays named ${inputs.map((i) => `'${i.onnxName}'`).join(', ')}` : undefined);
    }
    return samplesOf(arr, v, path);
  });
  const count = perInput[0].length;
  if (perInput.some((p) => p.length !== count)) throw new EdgecError(`${path}: the inputs' arrays hold different numbers of samples`, 2);
  return Array.from({ length: count }, (_, s) => inputs.map((v, i) => ({ name: v.onnxName, type: v.type, dims: v.logicalShape, data: perInput[i][s] })));
}

/** Reads samples from a .npy / .npz file or a folder of them. */
export function readInputSamples(program: Program, path: string): NamedTensor[][] {
  let isDir: boolean;
  try { isDir = statSync(path).isDirectory(); } catch { throw new EdgecError(`${path}: cannot read --inputs (no such file or folder)`, 2); }
  const files = isDir ? readdirSync(path).filter((f) => f.endsWith('.npy') || f.endsWith('.npz')).sort().map((f) => join(path, f)) : [path];
  if (files.length === 0) throw new EdgecError(`${path}: folder holds no .npy or .npz files`, 2);
  for (const f of files) {
    if (!f.endsWith('.npy') && !f.endsWith('.npz')) throw new EdgecError(`${basename(f)}: --inputs takes .npy, .npz or a folder of them`, 2);
  }
  return files.flatMap((f) => samplesOfFile(program, f));
}
