/**
 * Builtin options of the ops edgec maps (schema.fbs *Options tables), read
 * through FlatReader with the schema's defaults when a field or the whole
 * table is absent.
 */
import type { FlatReader, TableRef } from './flat.js';

/** BuiltinOptions union type ids of the option tables we read. */
export const OptionsType = {
  Conv2D: 1, DepthwiseConv2D: 2, Pool2D: 5, FullyConnected: 8, Softmax: 9, Concatenation: 10, Add: 11,
  Reshape: 17, Mul: 21, Reducer: 27, Sub: 28, Squeeze: 30, LeakyRelu: 75,
  ResizeBilinear: 15, StridedSlice: 32, Split: 35, TransposeConv: 49, Unpack: 64, ResizeNearestNeighbor: 74,
  UnidirectionalSequenceLSTM: 71,
} as const;

export type Padding = 'SAME' | 'VALID';

/** ActivationFunctionType: NONE, RELU, RELU_N1_TO_1, RELU6, TANH, SIGN_BIT, SIGMOID. */
export const ACTIVATION_NAMES = ['NONE', 'RELU', 'RELU_N1_TO_1', 'RELU6', 'TANH', 'SIGN_BIT', 'SIGMOID'];

/** ActivationFunctionType codes of TANH and SIGMOID (an LSTM's cell gate activation). */
export const ACTIVATION_TANH = 4;
export const ACTIVATION_SIGMOID = 6;

/** Reads one options table; every accessor falls back to the schema default when absent. */
export class Options {
  constructor(private readonly r: FlatReader, private readonly t: TableRef | undefined) {}

  int(id: number, dflt: number, what: string): number { return this.t ? this.r.fieldI32(this.t, id, dflt, what) : dflt; }
  byte(id: number, dflt: number, what: string): number { return this.t ? this.r.fieldI8(this.t, id, dflt, what) : dflt; }
  bool(id: number, what: string): boolean { return this.t ? this.r.fieldBool(this.t, id, what) : false; }
  float(id: number, dflt: number, what: string): number { return this.t ? this.r.fieldF32(this.t, id, dflt, what) : dflt; }
  ints(id: number, what: string): number[] { return this.t ? this.r.fieldI32s(this.t, id, what) : []; }
}

export interface ConvOptions { padding: Padding; strideW: number; strideH: number; activation: number; dilationW: number; dilationH: number }
export interface DepthwiseOptions extends ConvOptions { depthMultiplier: number }
export interface PoolOptions { padding: Padding; strideW: number; strideH: number; filterW: number; filterH: number; activation: number }

function padding(v: number): Padding {
  return v === 1 ? 'VALID' : 'SAME';
}

export function convOptions(o: Options): ConvOptions {
  return {
    padding: padding(o.byte(0, 0, 'padding')), strideW: o.int(1, 0, 'stride_w'), strideH: o.int(2, 0, 'stride_h'),
    activation: o.byte(3, 0, 'fused_activation_function'), dilationW: o.int(4, 1, 'dilation_w_factor'), dilationH: o.int(5, 1, 'dilation_h_factor'),
  };
}

export function depthwiseOptions(o: Options): DepthwiseOptions {
  return {
    padding: padding(o.byte(0, 0, 'padding')), strideW: o.int(1, 0, 'stride_w'), strideH: o.int(2, 0, 'stride_h'),
    depthMultiplier: o.int(3, 0, 'depth_multiplier'), activation: o.byte(4, 0, 'fused_activation_function'),
    dilationW: o.int(5, 1, 'dilation_w_factor'), dilationH: o.int(6, 1, 'dilation_h_factor'),
  };
}

export function poolOptions(o: Options): PoolOptions {
  return {
    padding: padding(o.byte(0, 0, 'padding')), strideW: o.int(1, 0, 'stride_w'), strideH: o.int(2, 0, 'stride_h'),
    filterW: o.int(3, 0, 'filter_width'), filterH: o.int(4, 0, 'filter_height'), activation: o.byte(5, 0, 'fused_activation_function'),
  };
}

export function fullyConnectedOptions(o: Options): { activation: number; weightsFormat: number; keepNumDims: boolean } {
  return { activation: o.byte(0, 0, 'fused_activation_function'), weightsFormat: o.byte(1, 0, 'weights_format'), keepNumDims: o.bool(2, 'keep_num_dims') };
}

/** AddOptions, SubOptions, MulOptions: the fused activation is field 0. */
export function binaryActivation(o: Options): number {
  return o.byte(0, 0, 'fused_activation_function');
}

export function concatenationOptions(o: Options): { axis: number; activation: number } {
  return { axis: o.int(0, 0, 'axis'), activation: o.byte(1, 0, 'fused_activation_function') };
}

export function softmaxBeta(o: Options): number {
  return o.float(0, 0, 'beta');
}

export function leakyReluAlpha(o: Options): number {
  return o.float(0, 0, 'alpha');
}

export function reducerKeepDims(o: Options): boolean {
  return o.bool(0, 'keep_dims');
}

export function splitCount(o: Options): number {
  return o.int(0, 0, 'num_splits');
}

/** UnpackOptions: num (0), axis (1). */
export function unpackAxis(o: Options): number {
  return o.int(1, 0, 'axis');
}

/** ResizeBilinearOptions (fields 0, 1 are the deprecated new_height / new_width) and ResizeNearestNeighborOptions. */
export function resizeOptions(o: Options, bilinear: boolean): { alignCorners: boolean; halfPixelCenters: boolean } {
  const first = bilinear ? 2 : 0;
  return { alignCorners: o.bool(first, 'align_corners'), halfPixelCenters: o.bool(first + 1, 'half_pixel_centers') };
}

export function transposeConvOptions(o: Options): { padding: Padding; strideW: number; strideH: number; activation: number } {
  return { padding: padding(o.byte(0, 0, 'padding')), strideW: o.int(1, 0, 'stride_w'), strideH: o.int(2, 0, 'stride_h'), activation: o.byte(3, 0, 'fused_activation_function') };
}

export interface StridedSliceOptions { beginMask: number; endMask: number; ellipsisMask: number; newAxisMask: number; shrinkAxisMask: number; offset: boolean }

export function stridedSliceOptions(o: Options): StridedSliceOptions {
  return {
    beginMask: o.int(0, 0, 'begin_mask'), endMask: o.int(1, 0, 'end_mask'), ellipsisMask: o.int(2, 0, 'ellipsis_mask'),
    newAxisMask: o.int(3, 0, 'new_axis_mask'), shrinkAxisMask: o.int(4, 0, 'shrink_axis_mask'), offset: o.bool(5, 'offset'),
  };
}

export interface SequenceLstmOptions { activation: number; cellClip: number; projClip: number; timeMajor: boolean; asymmetricQuantizeInputs: boolean; diagonalRecurrentTensors: boolean }

/** UnidirectionalSequenceLSTMOptions. */
export function sequenceLstmOptions(o: Options): SequenceLstmOptions {
  return {
    activation: o.byte(0, 0, 'fused_activation_function'), cellClip: o.float(1, 0, 'cell_clip'), projClip: o.float(2, 0, 'proj_clip'),
    timeMajor: o.bool(3, 'time_major'), asymmetricQuantizeInputs: o.bool(4, 'asymmetric_quantize_inputs'), diagonalRecurrentTensors: o.bool(5, 'diagonal_recurrent_tensors'),
  };
}
