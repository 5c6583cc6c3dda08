/**
 * TensorProto → IR Tensor with decoded data. ONNX stores constant payloads in
 * three ways (raw little-endian bytes, typed repeated fields, or an external
 * file next to the model); all of them end up as one ConstData array here.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { resolve, isAbsolute } from 'node:path';
import type { ConstData, DType, Tensor } from '../ir/graph.js';
import { elementCount } from '../ir/graph.js';
import { modelError } from '../errors.js';
import { has, onnxDTypeName, toNumber, ONNX_DTYPE, type IntLike, type TensorProto } from './proto.js';

/** Where a tensor comes from, for error messages and external data lookup. */
export interface TensorSource {
  /** The model file name as the user gave it (used in messages). */
  file: string;
  /** Directory external data paths are relative to. */
  baseDir: string;
}

/**
 * The IR dtype a constant of ONNX type `code` is stored as. Types edgec has no
 * dtype for are widened losslessly where possible (uint16 → int32, uint32 →
 * int64, float16/bfloat16 → float32) because constants of those types appear
 * in shape arithmetic and mixed-precision exports; anything else is rejected.
 */
function constDType(code: number): DType | undefined {
  switch (code) {
    case ONNX_DTYPE.FLOAT: case ONNX_DTYPE.FLOAT16: case ONNX_DTYPE.BFLOAT16: return 'float32';
    case ONNX_DTYPE.DOUBLE: return 'float64';
    case ONNX_DTYPE.INT8: return 'int8';
    case ONNX_DTYPE.UINT8: return 'uint8';
    case ONNX_DTYPE.INT16: return 'int16';
    case ONNX_DTYPE.INT32: case ONNX_DTYPE.UINT16: return 'int32';
    case ONNX_DTYPE.INT64: case ONNX_DTYPE.UINT32: case ONNX_DTYPE.UINT64: return 'int64';
    case ONNX_DTYPE.BOOL: return 'bool';
    default: return undefined;
  }
}

/** Bytes per element as stored in raw_data for the ONNX type. */
function rawElementBytes(code: number): number {
  switch (code) {
    case ONNX_DTYPE.INT8: case ONNX_DTYPE.UINT8: case ONNX_DTYPE.BOOL: return 1;
    case ONNX_DTYPE.INT16: case ONNX_DTYPE.UINT16: case ONNX_DTYPE.FLOAT16: case ONNX_DTYPE.BFLOAT16: return 2;
    case ONNX_DTYPE.INT32: case ONNX_DTYPE.UINT32: case ONNX_DTYPE.FLOAT: return 4;
    default: return 8;
  }
}

export function allocate(dtype: DType, n: number): ConstData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': case 'int64': return new Float64Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
  }
}

/** IEEE half → float. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** bfloat16 is the top half of a float32. */
function bfloatToFloat(bits: number): number {
  const view = new DataView(new ArrayBuffer(4));
  view.setUint32(0, (bits & 0xffff) << 16);
  return view.getFloat32(0);
}

/** Decode little-endian raw bytes; DataView avoids alignment and host-endianness issues. */
function decodeRaw(bytes: Uint8Array, code: number, dtype: DType, n: number): ConstData {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = allocate(dtype, n);
  const read = rawReader(view, code);
  for (let i = 0; i < n; i++) out[i] = read(i);
  return out;
}

function rawReader(view: DataView, code: number): (i: number) => number {
  switch (code) {
    case ONNX_DTYPE.FLOAT: return (i) => view.getFloat32(i * 4, true);
    case ONNX_DTYPE.DOUBLE: return (i) => view.getFloat64(i * 8, true);
    case ONNX_DTYPE.INT8: return (i) => view.getInt8(i);
    case ONNX_DTYPE.UINT8: case ONNX_DTYPE.BOOL: return (i) => view.getUint8(i);
    case ONNX_DTYPE.INT16: return (i) => view.getInt16(i * 2, true);
    case ONNX_DTYPE.UINT16: return (i) => view.getUint16(i * 2, true);
    case ONNX_DTYPE.FLOAT16: return (i) => halfToFloat(view.getUint16(i * 2, true));
    case ONNX_DTYPE.BFLOAT16: return (i) => bfloatToFloat(view.getUint16(i * 2, true));
    case ONNX_DTYPE.INT32: return (i) => view.getInt32(i * 4, true);
    case ONNX_DTYPE.UINT32: return (i) => view.getUint32(i * 4, true);
    case ONNX_DTYPE.INT64: return (i) => Number(view.getBigInt64(i * 8, true));
    default: return (i) => Number(view.getBigUint64(i * 8, true));
  }
}

/** The typed repeated field ONNX uses for each element type (see onnx.proto comments). */
function typedValues(proto: TensorProto, code: number): number[] {
  switch (code) {
    case ONNX_DTYPE.FLOAT: return proto.floatData ?? [];
    case ONNX_DTYPE.DOUBLE: return proto.doubleData ?? [];
    case ONNX_DTYPE.INT64: return (proto.int64Data ?? []).map((v: IntLike) => toNumber(v));
    case ONNX_DTYPE.UINT32: case ONNX_DTYPE.UINT64: return (proto.uint64Data ?? []).map((v: IntLike) => toNumber(v));
    case ONNX_DTYPE.FLOAT16: return (proto.int32Data ?? []).map(halfToFloat);
    case ONNX_DTYPE.BFLOAT16: return (proto.int32Data ?? []).map(bfloatToFloat);
    default: return proto.int32Data ?? [];
  }
}

function externalBytes(proto: TensorProto, name: string, src: TensorSource): Uint8Array {
  const entries = new Map((proto.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
  const location = entries.get('location');
  if (!location) throw modelError(src.file, undefined, `initializer '${name}' has external data without a location`);
  // External paths are relative to the model file; refuse absolute paths and escapes like the onnx checker does.
  if (isAbsolute(location) || location.split(/[\\/]/).includes('..')) {
    throw modelError(src.file, undefined, `initializer '${name}': external data location '${location}' must be relative to the model directory`);
  }
  const path = resolve(src.baseDir, location);
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw modelError(src.file, undefined, `initializer '${name}': external data file '${location}' not found next to the model`);
  }
  const file = readFileSync(path);
  const offset = Number(entries.get('offset') ?? '0');
  const length = entries.has('length') ? Number(entries.get('length')) : file.length - offset;
  if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > file.length) {
    throw modelError(src.file, undefined, `initializer '${name}': external data range ${offset}+${length} is outside '${location}' (${file.length} bytes)`);
  }
  return new Uint8Array(file.buffer, file.byteOffset + offset, length);
}

/** Decode one initializer / Constant value. `name` overrides proto.name (Constant nodes name their output). */
export function decodeTensor(proto: TensorProto, src: TensorSource, name = proto.name ?? ''): Tensor {
  const code = proto.dataType ?? 0;
  const dtype = constDType(code);
  if (!dtype) throw modelError(src.file, undefined, `tensor '${name}' has unsupported data type ${onnxDTypeName(code)}`);
  if (proto.segment) throw modelError(src.file, undefined, `tensor '${name}' is segmented, which is not supported`);
  const shape = (proto.dims ?? []).map((d: IntLike) => toNumber(d));
  if (shape.some((d) => d < 0 || !Number.isInteger(d))) throw modelError(src.file, undefined, `tensor '${name}' has invalid dims [${shape.join(', ')}]`);
  const n = elementCount(shape);

  const external = proto.dataLocation === onnx_EXTERNAL;
  const raw = external ? externalBytes(proto, name, src) : has(proto, 'rawData') ? proto.rawData ?? undefined : undefined;
  let data: ConstData;
  if (raw !== undefined) {
    const expected = n * rawElementBytes(code);
    if (raw.byteLength !== expected) {
      throw modelError(src.file, undefined, `tensor '${name}' has ${raw.byteLength} bytes of data, expected ${expected} for shape [${shape.join(', ')}] ${onnxDTypeName(code)}`);
    }
    data = decodeRaw(raw, code, dtype, n);
  } else {
    const values = typedValues(proto, code);
    if (values.length !== n) {
      throw modelError(src.file, undefined, `tensor '${name}' has ${values.length} values, expected ${n} for shape [${shape.join(', ')}]`);
    }
    data = allocate(dtype, n);
    for (let i = 0; i < n; i++) data[i] = values[i] ?? 0;
  }
  return { name, dtype, shape, data };
}

/** TensorProto.DataLocation.EXTERNAL */
const onnx_EXTERNAL = 1;
