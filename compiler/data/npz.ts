/**
 * A small reader for NumPy .npz archives: a zip of .npy members, STORED by
 * np.savez and DEFLATE-compressed by np.savez_compressed (inflated with
 * node:zlib). numpy writes zip64 extra fields, so those are understood too.
 */
import { readFileSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { EdgecError } from '../errors.js';
import { parseNpy, type NpyArray } from './npy.js';

interface Entry { name: string; method: number; compressedSize: number; localOffset: number }

const EOCD_SIG = 0x06054b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

function findEocd(view: DataView): number {
  // the end record is 22 bytes plus a comment of at most 65535 bytes
  for (let p = view.byteLength - 22; p >= Math.max(0, view.byteLength - 22 - 65535); p--) {
    if (view.getUint32(p, true) === EOCD_SIG) return p;
  }
  return -1;
}

/** Zip64 extra field (id 1): the 64-bit values of the fields that were 0xFFFFFFFF, in order. */
function zip64Values(view: DataView, start: number, length: number): number[] {
  for (let p = start; p + 4 <= start + length;) {
    const id = view.getUint16(p, true);
    const size = view.getUint16(p + 2, true);
    if (id === 1) {
      const vals: number[] = [];
      for (let q = p + 4; q + 8 <= p + 4 + size; q += 8) vals.push(Number(view.getBigUint64(q, true)));
      return vals;
    }
    p += 4 + size;
  }
  return [];
}

function centralEntries(bytes: Uint8Array, file: string): Entry[] {
  const fail = (why: string): EdgecError => new EdgecError(`${file}: not a readable .npz file: ${why}`, 2);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEocd(view);
  if (eocd < 0) throw fail('no zip end-of-central-directory record');
  let count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (offset === 0xffffffff || count === 0xffff) {
    // zip64 end record locator sits right before the classic end record
    const loc = eocd - 20;
    if (loc < 0 || view.getUint32(loc, true) !== 0x07064b50) throw fail('bad zip64 locator');
    const rec = Number(view.getBigUint64(loc + 8, true));
    count = Number(view.getBigUint64(rec + 32, true));
    offset = Number(view.getBigUint64(rec + 48, true));
  }
  const entries: Entry[] = [];
  let p = offset;
  for (let i = 0; i < count; i++) {
    if (p + 46 > bytes.length || view.getUint32(p, true) !== CENTRAL_SIG) throw fail('corrupt central directory');
    const method = view.getUint16(p + 10, true);
    let compressedSize = view.getUint32(p + 20, true);
    const uncompressed = view.getUint32(p + 24, true);
    const nameLen = view.getUint16(p + 28, true);
    const extraLen = view.getUint16(p + 30, true);
    const commentLen = view.getUint16(p + 32, true);
    let localOffset = view.getUint32(p + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    const z64 = zip64Values(view, p + 46 + nameLen, extraLen);
    let k = 0;
    if (uncompressed === 0xffffffff) k++;
    if (compressedSize === 0xffffffff) compressedSize = z64[k++] ?? 0;
    if (localOffset === 0xffffffff) localOffset = z64[k++] ?? 0;
    entries.push({ name, method, compressedSize, localOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

function memberBytes(bytes: Uint8Array, e: Entry, file: string): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(e.localOffset, true) !== LOCAL_SIG) throw new EdgecError(`${file}: not a readable .npz file: bad local header for '${e.name}'`, 2);
  const start = e.localOffset + 30 + view.getUint16(e.localOffset + 26, true) + view.getUint16(e.localOffset + 28, true);
  const data = bytes.subarray(start, start + e.compressedSize);
  if (e.method === 0) return data;
  if (e.method === 8) return inflateRawSync(data);
  throw new EdgecError(`${file}: member '${e.name}' uses zip compression method ${e.method} (only stored and deflate, as numpy writes)`, 2);
}

/** Arrays of an .npz by name (the '.npy' suffix dropped), in archive order. */
export function parseNpz(bytes: Uint8Array, file = 'arrays.npz'): Map<string, NpyArray> {
  const out = new Map<string, NpyArray>();
  for (const e of centralEntries(bytes, file)) {
    if (!e.name.endsWith('.npy')) continue;
    const name = e.name.slice(0, -4);
    out.set(name, parseNpy(memberBytes(bytes, e, file), `${file}:${e.name}`));
  }
  return out;
}

export function readNpz(path: string): Map<string, NpyArray> {
  let bytes: Uint8Array;
  try { bytes = readFileSync(path); } catch { throw new EdgecError(`${path}: cannot read file`, 2); }
  return parseNpz(bytes, path);
}
