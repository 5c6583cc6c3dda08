/**
 * A small reader for NumPy .npy files (format 1.0-3.0, little-endian or
 * byte-sized dtypes, C order) — what calibration and test data come as.
 */
import { readFileSync } from 'node:fs';
import { EdgecError } from '../errors.js';

export type NpyDType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64';

export interface NpyArray {
  dtype: NpyDType;
  shape: number[];
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;
}

const DESCR: Record<string, NpyDType> = {
  '<f4': 'float32', '<f8': 'float64', '|i1': 'int8', '|u1': 'uint8', '<i2': 'int16', '<i4': 'int32', '<i8': 'int64', 'i1': 'int8', 'u1': 'uint8',
};

export function parseNpy(bytes: Uint8Array, file = 'array.npy'): NpyArray {
  const fail = (why: string): EdgecError => new EdgecError(`${file}: not a readable .npy file: ${why}`, 2);
  if (bytes.length < 10 || String.fromCharCode(...bytes.subarray(0, 6)) !== '\x93NUMPY') throw fail('bad magic');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw fail('bad header');
  const dtype = DESCR[descr];
  if (!dtype) throw fail(`unsupported dtype '${descr}' (float32, float64, int8, uint8, int16, int32, int64 little-endian)`);
  if (fortran) throw fail('Fortran-ordered arrays are not supported (save with np.ascontiguousarray)');
  const shape = shapeText.split(',').map((s) => s.trim()).filter((s) => s !== '').map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  // a fresh, aligned copy (Node's Buffer.slice would be a view into a shared pool)
  const payload = new Uint8Array(bytes.length - offset);
  payload.set(bytes.subarray(offset));
  const size = { float32: 4, float64: 8, int8: 1, uint8: 1, int16: 2, int32: 4, int64: 8 }[dtype];
  if (payload.length < count * size) throw fail(`truncated: ${payload.length} bytes for ${count} elements`);
  const buf = payload.buffer;
  const data = dtype === 'float32' ? new Float32Array(buf, 0, count)
    : dtype === 'float64' ? new Float64Array(buf, 0, count)
    : dtype === 'int8' ? new Int8Array(buf, 0, count)
    : dtype === 'uint8' ? new Uint8Array(buf, 0, count)
    : dtype === 'int16' ? new Int16Array(buf, 0, count)
    : dtype === 'int32' ? new Int32Array(buf, 0, count)
    : new BigInt64Array(buf, 0, count);
  return { dtype, shape, data };
}

export function readNpy(path: string): NpyArray {
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch { throw new EdgecError(`${path}: cannot read file`, 2); }
  return parseNpy(bytes, path);
}

const DESCR_OF: Record<NpyDType, string> = {
  float32: '<f4', float64: '<f8', int8: '|i1', uint8: '|u1', int16: '<i2', int32: '<i4', int64: '<i8',
};

/** A .npy file (format 1.0, C order) holding `array`: the inverse of parseNpy. */
export function encodeNpy(array: NpyArray): Uint8Array {
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OF[array.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  // magic (6) + version (2) + length (2) + header + '\n' is padded to a multiple of 64
  header += ' '.repeat((64 - ((10 + header.length + 1) % 64)) % 64) + '\n';
  const body = new Uint8Array(array.data.buffer, array.data.byteOffset, array.data.byteLength);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}
