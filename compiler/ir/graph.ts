/**
 * The graph edgec works on between import and lowering: ONNX op names and
 * ONNX (logical) shapes, but every tensor fully typed and shaped, constants
 * decoded, and quantization attached to tensors instead of living in
 * QuantizeLinear/DequantizeLinear nodes once the QDQ pass has run.
 */

export type DType = 'float32' | 'float64' | 'int8' | 'uint8' | 'int16' | 'int32' | 'int64' | 'bool';

/**
 * Constant payloads. int64 values are held in a Float64Array: every int64 an
 * ONNX model stores for shapes, axes or slice bounds fits a double exactly or
 * is a sentinel (INT64_MAX) whose exact value does not matter.
 */
export type ConstData = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

/** Affine quantization: real = scale * (q - zeroPoint). axis = -1 means per tensor. */
export interface QuantInfo {
  scale: number[];
  zeroPoint: number[];
  axis: number;
}

export interface Tensor {
  name: string;
  dtype: DType;
  /** Logical shape in the ONNX model's layout. Always fully static after import. */
  shape: number[];
  /** Present for initializers and folded constants. */
  data?: ConstData;
  /** Present once the QDQ pass has attached the quantization of a tensor. */
  quant?: QuantInfo;
}

export type AttrValue = number | string | number[] | string[] | Tensor;

export interface Node {
  /** Unique, non-empty (import names anonymous nodes `<op>_<index>`). */
  name: string;
  opType: string;
  domain: string;
  inputs: string[]; // '' marks an omitted optional input
  outputs: string[];
  attrs: Record<string, AttrValue>;
}

export interface Graph {
  name: string;
  /** Source file, for error messages. */
  fileName: string;
  /** Opset of the default ONNX domain. */
  opset: number;
  tensors: Map<string, Tensor>;
  nodes: Node[];
  inputs: string[];
  outputs: string[];
  /** What passes changed that the user should know (e.g. a float tail run in int8); the build report prints them. */
  notes?: string[];
  /**
   * Groups of activations that must share one quantization range (the same
   * tensor of every time step of an unrolled LSTM/GRU): the quantizer
   * calibrates each and quantizes the group with the union of the ranges.
   */
  tiedRanges?: string[][];
  /**
   * `--stateful`: graph inputs whose next value is a graph output of this
   * invoke (an LSTM's initial_h and its Y_h). Set by passes/state-pairs.ts;
   * the pair shares one quantization and the generated code keeps the state
   * between invoke() calls (passes/stateful-program.ts).
   */
  statePairs?: StatePair[];
}

/** A streaming state: graph input `input` receives graph output `output` of the previous invoke. */
export interface StatePair {
  input: string;
  output: string;
}

export function tensorOf(graph: Graph, name: string): Tensor {
  const t = graph.tensors.get(name);
  if (!t) throw new Error(`internal: unknown tensor '${name}'`);
  return t;
}

export function isConstant(graph: Graph, name: string): boolean {
  return name !== '' && graph.tensors.get(name)?.data !== undefined;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function bytesPerElement(dtype: DType): number {
  switch (dtype) {
    case 'int8': case 'uint8': case 'bool': return 1;
    case 'int16': return 2;
    case 'int32': case 'float32': return 4;
    case 'int64': case 'float64': return 8;
  }
}

/** Nodes that read `name`, with the input slot. */
export function consumersOf(graph: Graph, name: string): { node: Node; slot: number }[] {
  const out: { node: Node; slot: number }[] = [];
  for (const node of graph.nodes) {
    node.inputs.forEach((input, slot) => { if (input === name) out.push({ node, slot }); });
  }
  return out;
}

export function producerOf(graph: Graph, name: string): Node | undefined {
  return graph.nodes.find((n) => n.outputs.includes(name));
}
