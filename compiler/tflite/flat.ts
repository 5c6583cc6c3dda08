/**
 * Bounds-checked access to a FlatBuffer. The `flatbuffers` runtime's
 * ByteBuffer reads the bytes; every position is checked here before it is
 * read, because a .tflite file is untrusted input: an offset that points
 * outside the file, a vtable that runs past the end or a vector longer than
 * the file must become one clear error, never a wrong value or a crash.
 */
import { ByteBuffer } from 'flatbuffers';

/** Thrown by the reader; the importer turns it into an EdgecError naming file and context. */
export class FlatError extends Error {}

/** A table located in the buffer: its position and the bounds of its vtable. */
export interface TableRef {
  pos: number;
  /** Number of field slots in the vtable. */
  fieldCount: number;
  vtable: number;
  what: string;
}

export interface VectorRef {
  /** Position of the first element. */
  start: number;
  length: number;
}

export class FlatReader {
  readonly bb: ByteBuffer;
  readonly size: number;

  constructor(readonly bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes);
    this.size = bytes.length;
  }

  /** Fails unless [pos, pos + length) lies inside the buffer. */
  need(pos: number, length: number, what: string): void {
    if (!Number.isSafeInteger(pos) || pos < 0 || length < 0 || pos + length > this.size) {
      throw new FlatError(`${what} at byte ${pos} (${length} bytes) lies outside the ${this.size}-byte file`);
    }
  }

  u8(pos: number, what: string): number { this.need(pos, 1, what); return this.bb.readUint8(pos); }
  i8(pos: number, what: string): number { this.need(pos, 1, what); return this.bb.readInt8(pos); }
  u16(pos: number, what: string): number { this.need(pos, 2, what); return this.bb.readUint16(pos); }
  i32(pos: number, what: string): number { this.need(pos, 4, what); return this.bb.readInt32(pos); }
  u32(pos: number, what: string): number { this.need(pos, 4, what); return this.bb.readUint32(pos); }
  f32(pos: number, what: string): number { this.need(pos, 4, what); return this.bb.readFloat32(pos); }
  i64(pos: number, what: string): number {
    this.need(pos, 8, what);
    const v = this.bb.readInt64(pos);
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new FlatError(`${what} ${v} is out of range`);
    return Number(v);
  }

  /** The root table (uoffset at byte 0). */
  root(what: string): TableRef {
    return this.table(this.indirect(0, what), what);
  }

  /** Follows the uoffset stored at `pos` (relative to `pos`). */
  indirect(pos: number, what: string): number {
    const target = pos + this.u32(pos, `offset to ${what}`);
    this.need(target, 4, what);
    return target;
  }

  table(pos: number, what: string): TableRef {
    const vtable = pos - this.i32(pos, `${what} vtable offset`);
    const vtableBytes = this.u16(vtable, `${what} vtable`);
    const objectBytes = this.u16(vtable + 2, `${what} vtable`);
    if (vtableBytes < 4 || vtableBytes % 2 !== 0) throw new FlatError(`${what} has a malformed vtable (${vtableBytes} bytes)`);
    this.need(vtable, vtableBytes, `${what} vtable`);
    this.need(pos, objectBytes, what);
    return { pos, vtable, fieldCount: (vtableBytes - 4) / 2, what };
  }

  /** Absolute position of field `id` of table `t`, or 0 when the field is absent (default value). */
  field(t: TableRef, id: number): number {
    if (id >= t.fieldCount) return 0;
    const off = this.u16(t.vtable + 4 + 2 * id, `${t.what} vtable`);
    return off === 0 ? 0 : t.pos + off;
  }

  fieldU8(t: TableRef, id: number, dflt: number, what: string): number { const p = this.field(t, id); return p ? this.u8(p, `${t.what}.${what}`) : dflt; }
  fieldI8(t: TableRef, id: number, dflt: number, what: string): number { const p = this.field(t, id); return p ? this.i8(p, `${t.what}.${what}`) : dflt; }
  fieldBool(t: TableRef, id: number, what: string): boolean { return this.fieldU8(t, id, 0, what) !== 0; }
  fieldI32(t: TableRef, id: number, dflt: number, what: string): number { const p = this.field(t, id); return p ? this.i32(p, `${t.what}.${what}`) : dflt; }
  fieldU32(t: TableRef, id: number, dflt: number, what: string): number { const p = this.field(t, id); return p ? this.u32(p, `${t.what}.${what}`) : dflt; }
  fieldF32(t: TableRef, id: number, dflt: number, what: string): number { const p = this.field(t, id); return p ? this.f32(p, `${t.what}.${what}`) : dflt; }
  fieldI64(t: TableRef, id: number, dflt: number, what: string): number { const p = this.field(t, id); return p ? this.i64(p, `${t.what}.${what}`) : dflt; }

  /** Sub-table in field `id`, or undefined when absent. */
  fieldTable(t: TableRef, id: number, what: string): TableRef | undefined {
    const p = this.field(t, id);
    return p ? this.table(this.indirect(p, `${t.what}.${what}`), `${t.what}.${what}`) : undefined;
  }

  /** Vector in field `id` with `elemBytes`-wide elements; empty when absent. */
  fieldVector(t: TableRef, id: number, elemBytes: number, what: string): VectorRef {
    const p = this.field(t, id);
    if (!p) return { start: 0, length: 0 };
    const label = `${t.what}.${what}`;
    const vec = this.indirect(p, label);
    const length = this.u32(vec, `${label} length`);
    this.need(vec + 4, length * elemBytes, `${label} (${length} elements)`);
    return { start: vec + 4, length };
  }

  fieldString(t: TableRef, id: number, what: string): string | undefined {
    const v = this.fieldVector(t, id, 1, what);
    if (v.start === 0) return undefined;
    return new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(v.start, v.start + v.length));
  }

  fieldI32s(t: TableRef, id: number, what: string): number[] {
    const v = this.fieldVector(t, id, 4, what);
    return Array.from({ length: v.length }, (_, i) => this.bb.readInt32(v.start + 4 * i));
  }

  fieldF32s(t: TableRef, id: number, what: string): number[] {
    const v = this.fieldVector(t, id, 4, what);
    return Array.from({ length: v.length }, (_, i) => this.bb.readFloat32(v.start + 4 * i));
  }

  fieldI64s(t: TableRef, id: number, what: string): number[] {
    const v = this.fieldVector(t, id, 8, what);
    return Array.from({ length: v.length }, (_, i) => this.i64(v.start + 8 * i, `${t.what}.${what}[${i}]`));
  }

  /** Vector of tables in field `id`. */
  fieldTables(t: TableRef, id: number, what: string): TableRef[] {
    const v = this.fieldVector(t, id, 4, what);
    return Array.from({ length: v.length }, (_, i) => {
      const label = `${t.what}.${what}[${i}]`;
      return this.table(this.indirect(v.start + 4 * i, label), label);
    });
  }
}
