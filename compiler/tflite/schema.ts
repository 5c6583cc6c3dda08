/**
 * The TFLite schema tables edgec reads (tensorflow/lite/schema/schema.fbs,
 * file identifier "TFL3"), decoded into plain objects with FlatReader. Field
 * ids follow the schema's declaration order; only the fields edgec uses are
 * read. Builtin options stay a TableRef: each op reads its own fields
 * (compiler/tflite/options.ts).
 */
import { FlatError, FlatReader, type TableRef } from './flat.js';

export const TFLITE_IDENTIFIER = 'TFL3';

/** TensorType enum values edgec handles. */
export const TensorType = { FLOAT32: 0, FLOAT16: 1, INT32: 2, UINT8: 3, INT64: 4, STRING: 5, BOOL: 6, INT16: 7, INT8: 9, FLOAT64: 10 } as const;

const BUILTIN_NAMES = (
  'ADD AVERAGE_POOL_2D CONCATENATION CONV_2D DEPTHWISE_CONV_2D DEPTH_TO_SPACE DEQUANTIZE EMBEDDING_LOOKUP FLOOR ' +
  'FULLY_CONNECTED HASHTABLE_LOOKUP L2_NORMALIZATION L2_POOL_2D LOCAL_RESPONSE_NORMALIZATION LOGISTIC ' +
  'LSH_PROJECTION LSTM MAX_POOL_2D MUL RELU RELU_N1_TO_1 RELU6 RESHAPE RESIZE_BILINEAR RNN SOFTMAX SPACE_TO_DEPTH ' +
  'SVDF TANH CONCAT_EMBEDDINGS SKIP_GRAM CALL CUSTOM EMBEDDING_LOOKUP_SPARSE PAD UNIDIRECTIONAL_SEQUENCE_RNN ' +
  'GATHER BATCH_TO_SPACE_ND SPACE_TO_BATCH_ND TRANSPOSE MEAN SUB DIV SQUEEZE UNIDIRECTIONAL_SEQUENCE_LSTM ' +
  'STRIDED_SLICE BIDIRECTIONAL_SEQUENCE_RNN EXP TOPK_V2 SPLIT LOG_SOFTMAX DELEGATE BIDIRECTIONAL_SEQUENCE_LSTM ' +
  'CAST PRELU MAXIMUM ARG_MAX MINIMUM LESS NEG PADV2 GREATER GREATER_EQUAL LESS_EQUAL SELECT SLICE SIN ' +
  'TRANSPOSE_CONV SPARSE_TO_DENSE TILE EXPAND_DIMS EQUAL NOT_EQUAL LOG SUM SQRT RSQRT SHAPE POW ARG_MIN ' +
  'FAKE_QUANT REDUCE_PROD REDUCE_MAX PACK LOGICAL_OR ONE_HOT LOGICAL_AND LOGICAL_NOT UNPACK REDUCE_MIN FLOOR_DIV ' +
  'REDUCE_ANY SQUARE ZEROS_LIKE FILL FLOOR_MOD RANGE RESIZE_NEAREST_NEIGHBOR LEAKY_RELU SQUARED_DIFFERENCE ' +
  'MIRROR_PAD ABS SPLIT_V UNIQUE CEIL REVERSE_V2 ADD_N GATHER_ND COS WHERE RANK ELU REVERSE_SEQUENCE MATRIX_DIAG ' +
  'QUANTIZE MATRIX_SET_DIAG ROUND HARD_SWISH IF WHILE NON_MAX_SUPPRESSION_V4 NON_MAX_SUPPRESSION_V5 SCATTER_ND ' +
  'SELECT_V2 DENSIFY SEGMENT_SUM BATCH_MATMUL PLACEHOLDER_FOR_GREATER_OP_CODES CUMSUM CALL_ONCE BROADCAST_TO ' +
  'RFFT2D CONV_3D IMAG REAL COMPLEX_ABS HASHTABLE HASHTABLE_FIND HASHTABLE_IMPORT HASHTABLE_SIZE REDUCE_ALL ' +
  'CONV_3D_TRANSPOSE VAR_HANDLE READ_VARIABLE ASSIGN_VARIABLE BROADCAST_ARGS RANDOM_STANDARD_NORMAL BUCKETIZE ' +
  'RANDOM_UNIFORM MULTINOMIAL GELU DYNAMIC_UPDATE_SLICE RELU_0_TO_1 UNSORTED_SEGMENT_PROD UNSORTED_SEGMENT_MAX ' +
  'UNSORTED_SEGMENT_SUM ATAN2 UNSORTED_SEGMENT_MIN SIGN BITCAST BITWISE_XOR RIGHT_SHIFT'
).split(' ');

/** BuiltinOperator name for a code ("BUILTIN_200" beyond the names listed). */
export function builtinName(code: number): string {
  return BUILTIN_NAMES[code] ?? `BUILTIN_${code}`;
}

export const CUSTOM_CODE = 32;
/** Codes above 127 live only in OperatorCode.builtin_code; deprecated_builtin_code then holds this placeholder. */
const PLACEHOLDER_FOR_GREATER_OP_CODES = 127;

export interface TflOperatorCode {
  builtin: number;
  name: string;
  custom?: string;
  version: number;
}

export interface TflQuantization {
  scale: number[];
  zeroPoint: number[];
  quantizedDimension: number;
}

export interface TflTensor {
  index: number;
  name: string;
  type: number;
  shape: number[];
  buffer: number;
  quantization?: TflQuantization;
  isVariable: boolean;
}

export interface TflOperator {
  index: number;
  opcodeIndex: number;
  inputs: number[];
  outputs: number[];
  optionsType: number;
  options?: TableRef;
  hasCustomOptions: boolean;
}

export interface TflSubGraph {
  name: string;
  tensors: TflTensor[];
  inputs: number[];
  outputs: number[];
  operators: TflOperator[];
}

export interface TflModel {
  version: number;
  operatorCodes: TflOperatorCode[];
  subgraphs: TflSubGraph[];
  /** Buffer contents (views into the file); empty for buffers without data. */
  buffers: Uint8Array[];
  reader: FlatReader;
}

/** True when the bytes carry the TFLite file identifier at bytes 4..8. */
export function isTfliteBytes(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7]) === TFLITE_IDENTIFIER;
}

function readOperatorCode(r: FlatReader, t: TableRef): TflOperatorCode {
  const deprecated = r.fieldI8(t, 0, 0, 'deprecated_builtin_code');
  const current = r.fieldI32(t, 3, 0, 'builtin_code');
  // schema_utils GetBuiltinCode: the larger of the two (old files only set the deprecated byte).
  const builtin = Math.max(deprecated, current);
  if (builtin < 0) throw new FlatError(`${t.what} has a negative builtin code ${builtin}`);
  if (deprecated !== PLACEHOLDER_FOR_GREATER_OP_CODES && current > PLACEHOLDER_FOR_GREATER_OP_CODES && deprecated !== 0) {
    throw new FlatError(`${t.what} has inconsistent builtin codes ${deprecated} and ${current}`);
  }
  return { builtin, name: builtinName(builtin), custom: r.fieldString(t, 1, 'custom_code'), version: r.fieldI32(t, 2, 1, 'version') };
}

function readQuantization(r: FlatReader, t: TableRef): TflQuantization | undefined {
  const scale = r.fieldF32s(t, 2, 'scale');
  const zeroPoint = r.fieldI64s(t, 3, 'zero_point');
  if (r.fieldU8(t, 4, 0, 'details_type') !== 0) throw new FlatError(`${t.what} uses custom quantization details, which edgec does not support`);
  if (scale.length === 0) return undefined;
  return { scale, zeroPoint, quantizedDimension: r.fieldI32(t, 6, 0, 'quantized_dimension') };
}

function readTensor(r: FlatReader, t: TableRef, index: number): TflTensor {
  const q = r.fieldTable(t, 4, 'quantization');
  if (r.field(t, 6)) throw new FlatError(`tensor ${index} is sparse, which edgec does not support`);
  return {
    index,
    name: r.fieldString(t, 3, 'name') ?? '',
    type: r.fieldI8(t, 1, 0, 'type'),
    shape: r.fieldI32s(t, 0, 'shape'),
    buffer: r.fieldU32(t, 2, 0, 'buffer'),
    quantization: q ? readQuantization(r, q) : undefined,
    isVariable: r.fieldBool(t, 5, 'is_variable'),
  };
}

function readOperator(r: FlatReader, t: TableRef, index: number): TflOperator {
  return {
    index,
    opcodeIndex: r.fieldU32(t, 0, 0, 'opcode_index'),
    inputs: r.fieldI32s(t, 1, 'inputs'),
    outputs: r.fieldI32s(t, 2, 'outputs'),
    optionsType: r.fieldU8(t, 3, 0, 'builtin_options_type'),
    options: r.fieldTable(t, 4, 'builtin_options'),
    hasCustomOptions: r.field(t, 5) !== 0,
  };
}

function readSubGraph(r: FlatReader, t: TableRef): TflSubGraph {
  return {
    name: r.fieldString(t, 4, 'name') ?? '',
    tensors: r.fieldTables(t, 0, 'tensors').map((tt, i) => readTensor(r, { ...tt, what: `tensor ${i}` }, i)),
    inputs: r.fieldI32s(t, 1, 'inputs'),
    outputs: r.fieldI32s(t, 2, 'outputs'),
    operators: r.fieldTables(t, 3, 'operators').map((ot, i) => readOperator(r, { ...ot, what: `operator ${i}` }, i)),
  };
}

/** Buffer.data, or for files over 2 GB the (offset, size) pair pointing into the file. */
function readBuffer(r: FlatReader, t: TableRef): Uint8Array {
  const data = r.fieldVector(t, 0, 1, 'data');
  if (data.length > 0) return r.bytes.subarray(data.start, data.start + data.length);
  const offset = r.fieldI64(t, 1, 0, 'offset');
  const size = r.fieldI64(t, 2, 0, 'size');
  if (offset > 1) {
    r.need(offset, size, `${t.what} data`);
    return r.bytes.subarray(offset, offset + size);
  }
  return new Uint8Array(0);
}

/** Decodes the tables of a .tflite file. Throws FlatError on any malformed structure. */
export function readTfliteModel(bytes: Uint8Array): TflModel {
  if (bytes.length < 8) throw new FlatError(`file is ${bytes.length} bytes, too short for a FlatBuffer`);
  if (!isTfliteBytes(bytes)) throw new FlatError('missing the TFLite file identifier "TFL3" at bytes 4..8');
  const r = new FlatReader(bytes);
  const model = r.root('model');
  const version = r.fieldU32(model, 0, 0, 'version');
  if (version !== 3) throw new FlatError(`schema version ${version} is not supported (TFLite schema 3 only)`);
  return {
    version,
    operatorCodes: r.fieldTables(model, 1, 'operator_codes').map((t, i) => readOperatorCode(r, { ...t, what: `operator code ${i}` })),
    subgraphs: r.fieldTables(model, 2, 'subgraphs').map((t, i) => readSubGraph(r, { ...t, what: `subgraph ${i}` })),
    buffers: r.fieldTables(model, 4, 'buffers').map((t, i) => readBuffer(r, { ...t, what: `buffer ${i}` })),
    reader: r,
  };
}
