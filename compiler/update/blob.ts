/**
 * `--weights blob`: the program's constant arrays laid out in one binary blob
 * (16-byte aligned, after an 80-byte header), the C expressions that read
 * them in place, and the fingerprint of the compiled graph the blob belongs to.
 */
import { createHash } from 'node:crypto';
import type { ConstArray, Program } from '../ir/program.js';
import { BLOB_ALIGN, BLOB_HEADER_BYTES, BLOB_VERSION, sha256, writeBlobHeader } from './format.js';

export interface BlobLayout {
  /** Byte offset of each const array from the start of the blob. */
  offsets: Map<string, number>;
  payloadBytes: number;
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/**
 * Arrays in program order, each 16-byte aligned; the header is a multiple of
 * 16 too. `padding`: zero elements a library kernel may read past an array.
 */
export function layoutConsts(program: Program, padding: ReadonlyMap<string, number> = new Map()): BlobLayout {
  const offsets = new Map<string, number>();
  let pos = BLOB_HEADER_BYTES;
  for (const c of program.consts.values()) {
    pos = alignUp(pos, BLOB_ALIGN);
    offsets.set(c.id, pos);
    pos += c.data.byteLength + (padding.get(c.id) ?? 0) * c.data.BYTES_PER_ELEMENT;
  }
  return { offsets, payloadBytes: alignUp(pos, BLOB_ALIGN) - BLOB_HEADER_BYTES };
}

function constCType(c: ConstArray): string {
  return c.type === 'float32' ? 'float' : `${c.type}_t`;
}

/** The C expression replacing a const array's name: a typed pointer into the bound blob. */
export function blobConstRef(program: Program, layout: BlobLayout, weightsVar: string): (id: string) => string {
  return (id: string): string => {
    const c = program.consts.get(id);
    const off = layout.offsets.get(id);
    if (!c || off === undefined) throw new Error(`internal: const '${id}' is not in the weight blob`);
    return `((const ${constCType(c)} *)(${weightsVar} + ${off}))`;
  };
}

/**
 * Identity of the compiled code: everything the generated C fixes at compile
 * time (call sequence with its parameters, shapes, activation quantization,
 * arena offsets, blob layout). Const data is not part of it, so a retrained
 * model with the same structure and quantization takes the same code.
 */
export function fingerprint(parts: { name: string; calls: string[]; tensors: unknown[]; arenaBytes: number; layout: BlobLayout; program: Program }): Uint8Array {
  const consts = [...parts.program.consts.values()].map((c) => [c.id, c.type, c.data.length, parts.layout.offsets.get(c.id)]);
  const canonical = JSON.stringify({ format: BLOB_VERSION, name: parts.name, arena: parts.arenaBytes, calls: parts.calls, tensors: parts.tensors, consts, payload: parts.layout.payloadBytes });
  return new Uint8Array(createHash('sha256').update(canonical).digest());
}

/** Header + payload; padding bytes are zero so the same weights give the same blob. */
export function buildBlob(program: Program, layout: BlobLayout, fp: Uint8Array): Uint8Array {
  const blob = new Uint8Array(BLOB_HEADER_BYTES + layout.payloadBytes);
  for (const c of program.consts.values()) {
    blob.set(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength), layout.offsets.get(c.id) as number);
  }
  // const data is little-endian in the blob, as in memory on every supported MCU
  if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) throw new Error('internal: big-endian host');
  blob.set(writeBlobHeader({ version: BLOB_VERSION, payloadBytes: layout.payloadBytes, fingerprint: fp, payloadSha: sha256(blob.subarray(BLOB_HEADER_BYTES)) }), 0);
  return blob;
}

export function cByteArray(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 16) lines.push(`  ${Array.from(bytes.subarray(i, i + 16), (b) => `0x${b.toString(16).padStart(2, '0')}`).join(', ')},`);
  return lines.join('\n');
}
