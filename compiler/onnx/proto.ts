/**
 * The one place that touches onnx-proto. The package is CommonJS with a
 * namespace-style .d.ts; under NodeNext the default import is module.exports,
 * so `onnxProto.onnx` is the runtime namespace and `onnx.*` the types.
 */
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { DType } from '../ir/graph.js';

export const { onnx } = onnxProto;
export type ModelProto = OnnxTypes.ModelProto;
export type GraphProto = OnnxTypes.GraphProto;
export type NodeProto = OnnxTypes.INodeProto;
export type TensorProto = OnnxTypes.ITensorProto;
export type AttributeProto = OnnxTypes.IAttributeProto;
export type ValueInfoProto = OnnxTypes.IValueInfoProto;

/** protobufjs hands out int64 fields as Long objects when the `long` package is present. */
export interface LongLike { toNumber(): number }
export type IntLike = number | LongLike;

export function toNumber(v: IntLike | null | undefined): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : v.toNumber();
}

/**
 * protobufjs puts field defaults on the prototype, so a missing field reads as
 * 0 / '' / empty bytes. Presence on the wire shows up as an own property.
 */
export function has(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}

/** TensorProto.DataType codes (onnx.proto); newer codes beyond onnx-proto's enum included by number. */
export const ONNX_DTYPE = {
  UNDEFINED: 0, FLOAT: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, STRING: 8,
  BOOL: 9, FLOAT16: 10, DOUBLE: 11, UINT32: 12, UINT64: 13, COMPLEX64: 14, COMPLEX128: 15, BFLOAT16: 16,
} as const;

const DTYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64',
  8: 'STRING', 9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64',
  15: 'COMPLEX128', 16: 'BFLOAT16', 17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2',
  20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4', 23: 'FLOAT4E2M1',
};

export function onnxDTypeName(code: number): string {
  return DTYPE_NAMES[code] ?? `data type ${code}`;
}

const TO_DTYPE: Record<number, DType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 5: 'int16', 6: 'int32', 7: 'int64', 9: 'bool', 11: 'float64',
};

/** IR dtype for an ONNX element type, or undefined when edgec has no such dtype. */
export function dtypeFromOnnx(code: number): DType | undefined {
  return TO_DTYPE[code];
}

export function onnxFromDType(dtype: DType): number {
  switch (dtype) {
    case 'float32': return ONNX_DTYPE.FLOAT;
    case 'float64': return ONNX_DTYPE.DOUBLE;
    case 'int8': return ONNX_DTYPE.INT8;
    case 'uint8': return ONNX_DTYPE.UINT8;
    case 'int16': return ONNX_DTYPE.INT16;
    case 'int32': return ONNX_DTYPE.INT32;
    case 'int64': return ONNX_DTYPE.INT64;
    case 'bool': return ONNX_DTYPE.BOOL;
  }
}
