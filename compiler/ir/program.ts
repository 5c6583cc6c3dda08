/**
 * The lowered integer program (int8, and int16 activations of the 16x8
 * scheme): what the planner places and the backends emit.
 * Shapes here are physical (memory order), e.g. NHWC for feature maps.
 */
import type { ConstData } from './graph.js';

export type ValueType = 'int8' | 'uint8' | 'int16' | 'int32' | 'float32';

export interface Value {
  id: string;
  type: ValueType;
  /** Physical shape (memory order). */
  shape: number[];
  /** Per-tensor quantization of int8/uint8/int16 activations. */
  scale: number;
  zeroPoint: number;
  role: 'input' | 'output' | 'activation';
  /** Name in the ONNX model, for messages and the generated tensor table. */
  onnxName: string;
  /** Shape in the ONNX model's declared layout (what users see in dims[]). */
  logicalShape: number[];
  /**
   * Layout: physical dim i holds logical axis perm[i]. Set on values that
   * hold an ONNX tensor's data (layer-by-layer comparison uses it); absent
   * on temporaries such as a result before its requantization.
   */
  perm?: number[];
  /** A zero-copy view of another value (Reshape family, Transpose relabelling, contiguous Slice / Split parts). */
  aliasOf?: string;
  /** Bytes into `aliasOf` where the view starts (a Slice / Split part); default 0. */
  aliasOffset?: number;
}

/** Constant arrays that go to flash (float32: weights of layers kept in float; int64: biases of 16x8 layers). */
export interface ConstArray {
  id: string;
  type: 'int8' | 'int16' | 'int32' | 'int64' | 'float32';
  data: Int8Array | Int16Array | Int32Array | BigInt64Array | Float32Array;
}

/** Every op kind of edgec's own vocabulary (see compiler/ops/). */
export type OpKind =
  | 'conv2d' | 'conv2d_1x1_overlap' | 'depthwise_conv2d' | 'depthwise_conv2d_inplace' | 'fully_connected'
  | 'conv2d_wzp' | 'fully_connected_wzp'
  | 'conv2d_sparse' | 'depthwise_conv2d_sparse' | 'fully_connected_sparse'
  | 'fully_connected_wide' | 'conv2d_wide' | 'conv2d_1x1_wide'
  | 'max_pool' | 'avg_pool' | 'global_avg_pool'
  | 'add' | 'mul' | 'softmax' | 'lut' | 'requantize'
  | 'quantize' | 'quantize_affine' | 'dequantize' | 'u8_to_s8' | 's8_to_u8'
  | 'concat' | 'pad' | 'transpose'
  | 'reduce_sum' | 'reduce_max' | 'gather' | 'resize_bilinear'
  | 'sub' | 'minmax' | 'prelu' | 'log_softmax' | 'arg_minmax' | 'transpose_conv' | 'batch_matmul' | 'where'
  // TFLite UNIDIRECTIONAL_SEQUENCE_LSTM, integer (ops/lstm.ts)
  | 'lstm'
  // patch-based execution (passes/patch-stage.ts): a window of pixels between NHWC buffers of different widths
  | 'copy_window'
  // int16 activations, int8 weights (the TFLM / CMSIS-NN 16x8 scheme): same families, 16-bit kernels
  | 'conv2d_s16' | 'depthwise_conv2d_s16' | 'fully_connected_s16' | 'add_s16' | 'mul_s16' | 'max_pool_s16' | 'avg_pool_s16'
  | 'quantize_s16' | 'dequantize_s16' | 'requantize_s16' | 'reduce_sum_s16' | 'pad_s16' | 'logistic_s16' | 'tanh_s16' | 'softmax_s16'
  // layers kept in float32 (ops/float-layer.ts): same families, float kernels
  | 'conv2d_f32' | 'depthwise_conv2d_f32' | 'fully_connected_f32' | 'lstm_f32' | 'gru_f32' | 'reduce_sum_f32';

export type ParamValue = number | boolean | string | number[];

export interface Op {
  kind: OpKind;
  /** The ONNX node this op comes from (for comments, inspect and errors). */
  name: string;
  onnxOp: string;
  inputs: string[];
  outputs: string[];
  /** Integer parameters of the kernel call, named as in the kernel header. */
  params: Record<string, ParamValue>;
  /** Constant arrays the kernel reads, by role (filter, bias, mult, shift, table, ...). */
  consts: Record<string, string>;
  /** Output may share the input's memory when the input dies here. */
  inPlace?: boolean;
  /** Multiply-accumulates of one inference (0 for data movement). */
  macs: number;
  /** Conv / depthwise / fully connected: zeros found in the weights and the storage chosen (passes/sparse-weights.ts). */
  weightStorage?: WeightStorage;
  /** Set on the ops of a stage run patch by patch (passes/patch-stage.ts): they run portable kernels on patch geometry. */
  patch?: PatchTag;
}

/** Where a patch-stage op belongs: its tile (row-major in the grid) and the stage layer it computes (-1: a window copy). */
export interface PatchTag {
  tile: number;
  layer: number;
}

/** What `inspect` reports per weighted layer about its zeros and its weight storage. */
export interface WeightStorage {
  /** Percentage of zero weights. */
  zeroPercent: number;
  /** Zero pattern: none, unstructured, N:M (e.g. '2:4'), filters (whole output channels), input channels, or a combination. */
  pattern: string;
  /** wide-int16: pre-widened for the DSP path (passes/wide-weights.ts). */
  storage: 'dense' | 'bitmap-sparse' | 'wide-int16';
  /** Bytes of the dense filter and of what is stored instead (equal when dense). */
  denseBytes: number;
  chosenBytes: number;
  /** Why this storage (a short phrase for the report). */
  reason: string;
}

export interface Program {
  name: string;
  values: Map<string, Value>;
  consts: Map<string, ConstArray>;
  ops: Op[];
  inputs: string[];
  outputs: string[];
  /**
   * Patch-based execution (passes/patch-stage.ts): the stage output shares the
   * stage input's block, the input `inputOffset` bytes in (tiles write output
   * rows only over input rows no later tile reads).
   */
  patchOverlap?: { output: string; input: string; inputOffset: number };
  /** `--stateful`: state kept between invokes (passes/stateful-program.ts); its inputs are not in `inputs`. */
  state?: StateBuffer[];
}

/**
 * A streaming state: `input` (an int8 value read by the ops, not a user
 * input) holds the state between invokes; after the last op the generated
 * code copies `output` (the new state, same bytes and quantization) into it.
 */
export interface StateBuffer {
  input: string;
  output: string;
  bytes: number;
  /** The quantized real 0 that reset() writes. */
  zeroPoint: number;
  /** The model's names of the pair (the graph input and output). */
  onnxInput: string;
  onnxOutput: string;
}

export function valueOf(program: Program, id: string): Value {
  const v = program.values.get(id);
  if (!v) throw new Error(`internal: unknown value '${id}'`);
  return v;
}

/** Bytes of one element of a value type. */
export function typeBytes(type: ValueType): number {
  switch (type) {
    case 'int8': case 'uint8': return 1;
    case 'int16': return 2;
    case 'int32': case 'float32': return 4;
  }
}

export function valueBytes(v: Value): number {
  return v.shape.reduce((a, b) => a * b, 1) * typeBytes(v.type);
}

export type { ConstData };
