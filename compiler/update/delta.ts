/**
 * `edgec delta`: a patch turning one weight blob into another. The target is
 * described as COPY (a range of the base, i.e. the device's active slot) and
 * LIT (new bytes) ops; the op stream is LZSS-compressed (lzss.ts). Models of
 * the same architecture share the blob layout, so unchanged layers are COPYs
 * at the same offset and only retrained arrays travel.
 */
import { lzssCompress, lzssDecompress } from './lzss.js';
import { crc32, PATCH_HEADER_BYTES, readPatchHeader, sha256, writePatchHeader } from './format.js';
import { decryptPatch } from './crypt.js';

const OP_END = 0x00;
const OP_COPY = 0x01;
const OP_LIT = 0x02;
/** Shorter equal runs cost more as COPY ops than as literals. */
const MIN_COPY = 12;

function varint(out: number[], v: number): void {
  while (v >= 0x80) { out.push((v & 0x7f) | 0x80); v >>>= 7; }
  out.push(v);
}

function matchLength(a: Uint8Array, ai: number, b: Uint8Array, bi: number): number {
  let n = 0;
  while (ai + n < a.length && bi + n < b.length && a[ai + n] === b[bi + n]) n++;
  return n;
}

const key4 = (d: Uint8Array, i: number): number => (d[i] | (d[i + 1] << 8) | (d[i + 2] << 16) | (d[i + 3] << 24)) >>> 0;

/** Op stream: same-offset matches first (same layout), then any 4-byte-keyed match in the base. */
export function deltaOps(base: Uint8Array, target: Uint8Array): Uint8Array {
  const index = new Map<number, number>();
  for (let i = 0; i + 4 <= base.length; i++) { const k = key4(base, i); if (!index.has(k)) index.set(k, i); }
  const out: number[] = [];
  let lit: number[] = [];
  const flushLit = (): void => {
    if (!lit.length) return;
    out.push(OP_LIT); varint(out, lit.length);
    for (const b of lit) out.push(b); // no spread: literal runs can exceed the argument limit
    lit = [];
  };
  let i = 0;
  while (i < target.length) {
    let from = i;
    let len = i < base.length ? matchLength(base, i, target, i) : 0;
    if (len < MIN_COPY && i + 4 <= target.length) {
      const cand = index.get(key4(target, i));
      if (cand !== undefined) { const l = matchLength(base, cand, target, i); if (l > len) { len = l; from = cand; } }
    }
    if (len >= MIN_COPY) {
      flushLit();
      out.push(OP_COPY); varint(out, from); varint(out, len);
      i += len;
    } else {
      lit.push(target[i++]);
    }
  }
  flushLit();
  out.push(OP_END);
  return Uint8Array.from(out);
}

export function makePatch(base: Uint8Array, target: Uint8Array): Uint8Array {
  const body = lzssCompress(deltaOps(base, target));
  const header = writePatchHeader({ baseLen: base.length, targetLen: target.length, bodyLen: body.length, bodyCrc: crc32(body), baseSha: sha256(base), targetSha: sha256(target) });
  const patch = new Uint8Array(PATCH_HEADER_BYTES + body.length);
  patch.set(header, 0);
  patch.set(body, PATCH_HEADER_BYTES);
  return patch;
}

/**
 * A full image as a patch against an empty base: all LIT ops. This is how a
 * whole blob travels encrypted (`edgec encrypt`), through the same device apply.
 */
export function fullImagePatch(target: Uint8Array): Uint8Array {
  return makePatch(new Uint8Array(0), target);
}

/** Host-side apply (tests and `edgec delta` self-check); the device uses runtime-c/edgec_update.c. `key`: for encrypted patches. */
export function applyPatch(base: Uint8Array, encrypted: Uint8Array, key?: Uint8Array): Uint8Array {
  const patch = decryptPatch(encrypted, key, 'patch');
  const h = readPatchHeader(patch, 'patch');
  if (Buffer.compare(sha256(base.subarray(0, h.baseLen)), h.baseSha) !== 0 || base.length < h.baseLen) throw new Error('patch: wrong base');
  const body = patch.subarray(PATCH_HEADER_BYTES, PATCH_HEADER_BYTES + h.bodyLen);
  if (crc32(body) !== h.bodyCrc) throw new Error('patch: body CRC mismatch');
  const ops = lzssDecompress(body);
  const out = new Uint8Array(h.targetLen);
  let o = 0;
  let p = 0;
  const readVarint = (): number => { let v = 0; for (let s = 0; ; s += 7) { const b = ops[p++]; v += (b & 0x7f) * 2 ** s; if (!(b & 0x80)) return v; } };
  for (;;) {
    const op = ops[p++];
    if (op === OP_END) break;
    if (op === OP_COPY) { const from = readVarint(); const len = readVarint(); out.set(base.subarray(from, from + len), o); o += len; }
    else if (op === OP_LIT) { const len = readVarint(); out.set(ops.subarray(p, p + len), o); p += len; o += len; }
    else throw new Error(`patch: bad op ${op}`);
  }
  if (o !== h.targetLen || Buffer.compare(sha256(out), h.targetSha) !== 0) throw new Error('patch: target hash mismatch');
  return out;
}
