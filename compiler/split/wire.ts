/**
 * The wire format of a split model's cut tensor (compiler/split/README.md):
 * the same packets runtime-c/split/edgec_wire.c writes on the device and
 * edgec_wire.py reads in the cloud. The TS side measures packet sizes for
 * split-advisor and checks the C encoder in tests.
 */
import { crc32 } from '../update/format.js';
import { lzssDecompress } from '../update/lzss.js';

export const WIRE_MAGIC = 'ECUT';
export const WIRE_VERSION = 1;
export const WIRE_FLAG_LZSS = 1;
export const WIRE_DTYPE_INT8 = 1;
/** edgec.h's EDGEC_MAX_RANK: the encoder refuses more. */
export const WIRE_MAX_RANK = 6;

export interface WirePacket {
  dims: number[];
  scale: number;
  zeroPoint: number;
  values: Int8Array;
  compressed: boolean;
}

export const wireHeaderBytes = (rank: number): number => 20 + 4 * rank;

const LZ_WINDOW = 256;
const LZ_MIN_MATCH = 3;
const LZ_MAX_MATCH = 258;
const LZ_HASH_SIZE = 256;
const LZ_MAX_CHAIN = 16;

const hash3 = (d: Uint8Array, i: number): number => Math.imul((d[i] << 16) | (d[i + 1] << 8) | d[i + 2], 2654435761) >>> 24;

/**
 * The device's LZSS (runtime-c/split/edgec_wire.c), step for step: greedy,
 * hash chains of at most 16 candidates within the 256-byte window. The
 * stream is compiler/update/lzss.ts's; the same search makes the same bytes,
 * so split-advisor's sizes are what the device sends.
 */
export function wireCompress(src: Uint8Array): Uint8Array {
  const head = new Uint32Array(LZ_HASH_SIZE);
  const prev = new Uint16Array(LZ_WINDOW);
  const n = src.length;
  const insert = (i: number): void => {
    if (i + LZ_MIN_MATCH > n) return;
    const h = hash3(src, i);
    const last = head[h];
    prev[i & (LZ_WINDOW - 1)] = last !== 0 && i - (last - 1) <= LZ_WINDOW ? i - (last - 1) : 0;
    head[h] = i + 1;
  };
  const longestMatch = (i: number): { len: number; dist: number } => {
    const limit = Math.min(n - i, LZ_MAX_MATCH);
    let best = 0;
    let dist = 0;
    if (limit < LZ_MIN_MATCH) return { len: 0, dist: 0 };
    let cand = head[hash3(src, i)];
    for (let steps = 0; cand !== 0 && steps < LZ_MAX_CHAIN && best < limit; steps++) {
      const pos = cand - 1;
      if (i - pos > LZ_WINDOW) break;
      let len = 0;
      while (len < limit && src[pos + len] === src[i + len]) len++;
      if (len > best) { best = len; dist = i - pos; }
      const back = prev[pos & (LZ_WINDOW - 1)];
      cand = back !== 0 && back <= pos ? pos - back + 1 : 0;
    }
    return { len: best, dist };
  };
  const out: number[] = [];
  let flagPos = 0;
  let flagBit = 8;
  for (let i = 0; i < n;) {
    const match = longestMatch(i);
    if (flagBit === 8) { flagPos = out.length; out.push(0); flagBit = 0; }
    let len = match.len;
    if (len >= LZ_MIN_MATCH) {
      out.push(match.dist - 1, len - LZ_MIN_MATCH);
    } else {
      len = 1;
      out[flagPos] |= 1 << flagBit;
      out.push(src[i]);
    }
    for (let k = 0; k < len; k++) insert(i + k);
    i += len;
    flagBit++;
  }
  return Uint8Array.from(out);
}

export class WireError extends Error {
  constructor(reason: string) {
    super(`edgec wire packet: ${reason}`);
    this.name = 'WireError';
  }
}

/** One packet, byte for byte what edgec_wire_encode() writes; with `compress`, LZSS when that is smaller than the raw values. */
export function encodeWire(tensor: { dims: number[]; scale: number; zeroPoint: number; values: Int8Array }, compress: boolean): Uint8Array {
  const raw = new Uint8Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.byteLength);
  const packed = compress && raw.length > 0 ? wireCompress(raw) : raw;
  const useLzss = compress && packed.length < raw.length;
  const payload = useLzss ? packed : raw;
  const header = wireHeaderBytes(tensor.dims.length);
  const out = new Uint8Array(header + payload.length + 4);
  const view = new DataView(out.buffer);
  out.set([...WIRE_MAGIC].map((c) => c.charCodeAt(0)), 0);
  out[4] = WIRE_VERSION;
  out[5] = useLzss ? WIRE_FLAG_LZSS : 0;
  out[6] = WIRE_DTYPE_INT8;
  out[7] = tensor.dims.length;
  tensor.dims.forEach((d, i) => view.setUint32(8 + 4 * i, d, true));
  view.setFloat32(header - 12, tensor.scale, true);
  view.setInt32(header - 8, tensor.zeroPoint, true);
  view.setUint32(header - 4, payload.length, true);
  out.set(payload, header);
  view.setUint32(header + payload.length, crc32(out.subarray(0, header + payload.length)), true);
  return out;
}

/** Reads one packet; throws WireError naming what is wrong (as edgec_wire.py raises ValueError). */
export function decodeWire(packet: Uint8Array): WirePacket {
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  if (packet.length < 8) throw new WireError(`truncated: ${packet.length} bytes, shorter than the fixed header`);
  if (String.fromCharCode(...packet.subarray(0, 4)) !== WIRE_MAGIC) throw new WireError('bad magic (not an edgec cut-tensor packet)');
  if (packet[4] !== WIRE_VERSION) throw new WireError(`unsupported version ${packet[4]} (this decoder reads version ${WIRE_VERSION})`);
  const flags = packet[5];
  if ((flags & ~WIRE_FLAG_LZSS) !== 0) throw new WireError(`unknown flags 0x${flags.toString(16)}`);
  if (packet[6] !== WIRE_DTYPE_INT8) throw new WireError(`unsupported dtype ${packet[6]} (1 = int8)`);
  const rank = packet[7];
  if (rank < 1 || rank > WIRE_MAX_RANK) throw new WireError(`rank ${rank} outside 1..${WIRE_MAX_RANK}`);
  const header = wireHeaderBytes(rank);
  if (packet.length < header + 4) throw new WireError(`truncated: ${packet.length} bytes, the header alone needs ${header + 4}`);
  const payloadBytes = view.getUint32(header - 4, true);
  if (packet.length !== header + payloadBytes + 4) {
    throw new WireError(packet.length < header + payloadBytes + 4 ? `truncated: ${packet.length} bytes, the header announces ${header + payloadBytes + 4}` : `${packet.length - header - payloadBytes - 4} bytes after the end of the packet`);
  }
  const stored = view.getUint32(header + payloadBytes, true);
  if (crc32(packet.subarray(0, header + payloadBytes)) !== stored) throw new WireError('CRC mismatch (corrupted in transit)');
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(8 + 4 * i, true));
  const count = dims.reduce((a, b) => a * b, 1);
  const payload = packet.subarray(header, header + payloadBytes);
  let raw: Uint8Array;
  try {
    raw = flags & WIRE_FLAG_LZSS ? lzssDecompress(payload) : payload;
  } catch (e) {
    throw new WireError(`bad compressed payload (${e instanceof Error ? e.message : String(e)})`);
  }
  if (raw.length !== count) throw new WireError(`length mismatch: ${raw.length} values for dims [${dims.join(', ')}] (${count})`);
  return {
    dims, scale: view.getFloat32(header - 12, true), zeroPoint: view.getInt32(header - 8, true),
    values: new Int8Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length)), compressed: (flags & WIRE_FLAG_LZSS) !== 0,
  };
}

/** The float tensor the tail model reads: scale * (q - zero point), computed in float32 as edgec_wire.py does. */
export function dequantizeWire(p: WirePacket): Float32Array {
  const scale = Math.fround(p.scale);
  return Float32Array.from(p.values, (q) => Math.fround(scale * (q - p.zeroPoint)));
}
