/**
 * Binary formats shared with runtime-c (edgec_blob.h, edgec_update.h,
 * edgec_sig.h): weight blob header, patch header, signature trailer.
 * Every multi-byte integer is little-endian.
 */
import { createHash } from 'node:crypto';
import { EdgecError } from '../errors.js';

export const BLOB_MAGIC = 'EDGW';
export const BLOB_VERSION = 1;
export const BLOB_HEADER_BYTES = 80;
/** Alignment of every array inside the blob (the blob itself must sit 16-aligned in flash). */
export const BLOB_ALIGN = 16;

export const PATCH_MAGIC = 'EDGP';
export const PATCH_VERSION = 1;
export const PATCH_HEADER_BYTES = 88;
/** LZSS window of the patch body: 2^8 bytes of RAM on the device. */
export const PATCH_WINDOW_BITS = 8;

/** Patch header flags byte (offset 7): bit 0 = body encrypted with AES-128-CTR (crypt.ts). */
export const PATCH_FLAG_AES128_CTR = 0x01;
/** After the 88-byte header of an encrypted patch: initial counter block[16], key check[8]. */
export const PATCH_CRYPT_BYTES = 24;

export const SIG_MAGIC = 'EDGS';
export const SIG_TRAILER_BYTES = 72;

export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function magicOf(b: Uint8Array): string {
  return b.length >= 4 ? Buffer.from(b.subarray(0, 4)).toString('latin1') : '';
}

export interface BlobHeader { version: number; payloadBytes: number; fingerprint: Uint8Array; payloadSha: Uint8Array }

export function writeBlobHeader(h: BlobHeader): Uint8Array {
  const out = new Uint8Array(BLOB_HEADER_BYTES);
  const dv = new DataView(out.buffer);
  out.set(Buffer.from(BLOB_MAGIC, 'latin1'), 0);
  dv.setUint16(4, h.version, true);
  dv.setUint16(6, BLOB_HEADER_BYTES, true);
  dv.setUint32(8, h.payloadBytes, true);
  dv.setUint32(12, 0, true);
  out.set(h.fingerprint, 16);
  out.set(h.payloadSha, 48);
  return out;
}

/** Parses and checks a blob (header, length, payload hash); `file` names it in errors. */
export function readBlob(bytes: Uint8Array, file: string): BlobHeader & { bytes: Uint8Array } {
  if (magicOf(bytes) !== BLOB_MAGIC) throw new EdgecError(`${file}: not an edgec weight blob (bad magic)`, 2);
  if (bytes.length < BLOB_HEADER_BYTES) throw new EdgecError(`${file}: truncated weight blob`, 2);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint16(4, true);
  if (version !== BLOB_VERSION) throw new EdgecError(`${file}: weight blob format ${version} is not supported (this edgec reads ${BLOB_VERSION})`, 2);
  const payloadBytes = dv.getUint32(8, true);
  if (bytes.length < BLOB_HEADER_BYTES + payloadBytes) throw new EdgecError(`${file}: truncated weight blob (${bytes.length} bytes, header says ${BLOB_HEADER_BYTES + payloadBytes})`, 2);
  const payloadSha = bytes.slice(48, 80);
  if (hex(sha256(bytes.subarray(BLOB_HEADER_BYTES, BLOB_HEADER_BYTES + payloadBytes))) !== hex(payloadSha)) throw new EdgecError(`${file}: corrupt weight blob (payload SHA-256 mismatch)`, 2);
  return { version, payloadBytes, fingerprint: bytes.slice(16, 48), payloadSha, bytes: bytes.subarray(0, BLOB_HEADER_BYTES + payloadBytes) };
}

export interface PatchHeader { baseLen: number; targetLen: number; bodyLen: number; bodyCrc: number; baseSha: Uint8Array; targetSha: Uint8Array; flags?: number }

/** Bytes before the body: the fixed header, plus the encryption header when the body is encrypted. */
export function patchHeaderBytes(flags: number): number {
  return PATCH_HEADER_BYTES + (flags & PATCH_FLAG_AES128_CTR ? PATCH_CRYPT_BYTES : 0);
}

/** CRC-32 (IEEE), as runtime-c/edgec_update.c computes it over the patch body. */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of data) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (~crc) >>> 0;
}

export function writePatchHeader(h: PatchHeader): Uint8Array {
  const out = new Uint8Array(PATCH_HEADER_BYTES);
  const dv = new DataView(out.buffer);
  out.set(Buffer.from(PATCH_MAGIC, 'latin1'), 0);
  dv.setUint16(4, PATCH_VERSION, true);
  out[6] = PATCH_WINDOW_BITS;
  out[7] = h.flags ?? 0;
  dv.setUint32(8, h.baseLen, true);
  dv.setUint32(12, h.targetLen, true);
  dv.setUint32(16, h.bodyLen, true);
  dv.setUint32(20, h.bodyCrc, true);
  out.set(h.baseSha, 24);
  out.set(h.targetSha, 56);
  return out;
}

export function readPatchHeader(bytes: Uint8Array, file: string): PatchHeader & { flags: number; headerBytes: number } {
  if (magicOf(bytes) !== PATCH_MAGIC) throw new EdgecError(`${file}: not an edgec patch (bad magic)`, 2);
  if (bytes.length < PATCH_HEADER_BYTES) throw new EdgecError(`${file}: truncated patch`, 2);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint16(4, true) !== PATCH_VERSION || bytes[6] > PATCH_WINDOW_BITS) throw new EdgecError(`${file}: patch format not supported`, 2);
  const flags = bytes[7];
  if ((flags & ~PATCH_FLAG_AES128_CTR) !== 0) throw new EdgecError(`${file}: patch flags 0x${flags.toString(16)} not supported`, 2);
  const headerBytes = patchHeaderBytes(flags);
  const h = { baseLen: dv.getUint32(8, true), targetLen: dv.getUint32(12, true), bodyLen: dv.getUint32(16, true), bodyCrc: dv.getUint32(20, true), baseSha: bytes.slice(24, 56), targetSha: bytes.slice(56, 88), flags, headerBytes };
  if (bytes.length < headerBytes + h.bodyLen) throw new EdgecError(`${file}: truncated patch`, 2);
  return h;
}

/** Bytes a signature covers: everything before a trailer, or the whole file when unsigned. */
export function signedLength(bytes: Uint8Array): number {
  if (bytes.length < SIG_TRAILER_BYTES) return bytes.length;
  const t = bytes.subarray(bytes.length - SIG_TRAILER_BYTES);
  const dv = new DataView(t.buffer, t.byteOffset, t.byteLength);
  return magicOf(t) === SIG_MAGIC && dv.getUint32(4, true) === bytes.length - SIG_TRAILER_BYTES ? bytes.length - SIG_TRAILER_BYTES : bytes.length;
}
