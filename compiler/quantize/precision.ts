/**
 * Activation precision of our PTQ (issue 14): int8 everywhere (default), the
 * 16x8 scheme everywhere (`--activations int16`), or int16 on named layers
 * only (`--int16-layers`). A layer whose op has no 16x8 kernel in edgec stays
 * int8; where an int8 tensor meets an int16 reader (or the reverse) the QDQ
 * model gets a second Q/DQ pair of the reader's type, which fold-qdq imports
 * as one requantize (ops/quantize.ts requantize_s16).
 *
 * Rules: each node has a precision; a tensor has its producer's (a graph
 * input: int16 when an int16 layer reads it). Layout ops and pools keep their
 * input's precision when they have a 16x8 form; a Relu / Clip fused into its
 * producer follows it.
 */
import type { Graph, Node } from '../ir/graph.js';
import { displayName, EdgecError } from '../errors.js';
import { isInputEdgeNode } from '../passes/mark-input-affine.js';
import { fusedIntermediates, PASS_THROUGH_OPS, type ActQuant, type QuantPlan } from './quantize.js';
import type { Range } from './ranges.js';

export type Precision = 'int8' | 'int16';
export const ACTIVATION_TYPES: readonly Precision[] = ['int8', 'int16'];

/** Ops edgec has a 16x8 kernel for whatever their operands (more below with conditions). */
const INT16_OPS = new Set(['Add', 'Mul', 'MaxPool', 'GlobalAveragePool', 'ReduceMean', 'ReduceSum', 'Softmax', 'Sigmoid', 'Tanh', 'Concat']);
/** Layout ops that move int16 data as well as int8 (views, or the 2-byte transpose). */
const INT16_LAYOUT_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity']);
/** int16 output scale of TFLM's 16x8 Softmax / Logistic / Tanh kernels (their output is fixed). */
export const INT16_FIXED_OUTPUT: ActQuant = { scale: 1 / 32768, zeroPoint: 0 };
const FIXED_OUTPUT_OPS = new Set(['Softmax', 'Sigmoid', 'Tanh']);
/** Largest int16 magnitude a symmetric range maps to (TFLite's converter: 32767, so -32768 is never used). */
const INT16_MAX = 32767;

/** `--activations int8|int16`; a bad value is a usage error. */
export function parseActivations(text: string | undefined): Precision {
  if (text === undefined) return 'int8';
  if (!ACTIVATION_TYPES.includes(text as Precision)) throw new EdgecError(`--activations '${text}': expected int8 or int16`, 2);
  return text as Precision;
}

/** `--int16-layers a,b` -> ['a', 'b']; empty names are a usage error. */
export function parseInt16Layers(text: string | undefined): string[] {
  if (text === undefined) return [];
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new EdgecError(`--int16-layers '${text}': expected a comma-separated list of ONNX node names`, 2);
  return [...new Set(names)];
}

/** Symmetric int16 parameters for a real range (zero point 0, scale = max |range| / 32767, as TFLite's converter). */
export function int16Params(range: Range): ActQuant {
  const m = Math.max(Math.abs(range.lo), Math.abs(range.hi));
  return { scale: m > 0 ? Math.fround(m / INT16_MAX) : 1, zeroPoint: 0 };
}

const constant = (graph: Graph, name: string | undefined): boolean => !!graph.tensors.get(name ?? '')?.data;

/** Whether `node` (float graph) has a 16x8 kernel in edgec, leaving fused Relu / Clip and pass-through rules aside. */
function ownInt16Kernel(graph: Graph, node: Node): boolean {
  if (INT16_OPS.has(node.opType) || INT16_LAYOUT_OPS.has(node.opType)) return true;
  if (node.opType === 'Conv') {
    const w = graph.tensors.get(node.inputs[1] ?? '');
    const group = Number(node.attrs.group ?? 1);
    const inChannels = graph.tensors.get(node.inputs[0])?.shape[1];
    return !!w?.data && (group === 1 || (group === inChannels && w.shape[1] === 1));
  }
  // TFLM's 16x8 AVERAGE_POOL averages over the valid taps only; with no padding count_include_pad changes nothing
  if (node.opType === 'AveragePool') return Number(node.attrs.count_include_pad ?? 0) === 0 || noPadding(node);
  if (node.opType === 'Gemm') return constant(graph, node.inputs[1]) && Number(node.attrs.transA ?? 0) === 0;
  if (node.opType === 'MatMul') return constant(graph, node.inputs[1]);
  // TFLM's 16x8 PAD takes zero padding only (the zero point is 0)
  if (node.opType === 'Pad') {
    const value = graph.tensors.get(node.inputs[2] ?? '')?.data;
    return (node.attrs.mode ?? 'constant') === 'constant' && (!value || Number(value[0]) === 0);
  }
  return false;
}

/** A pool without padding: explicit pads all 0 and no SAME auto-padding. */
function noPadding(node: Node): boolean {
  const pads = Array.isArray(node.attrs.pads) ? (node.attrs.pads as number[]) : [];
  const autoPad = String(node.attrs.auto_pad ?? 'NOTSET');
  return pads.every((p) => p === 0) && (autoPad === 'NOTSET' || autoPad === 'VALID');
}

/**
 * A 16x8 layer written as its kernel takes it: an AveragePool without padding
 * drops count_include_pad=1 (PyTorch's default; the same average, and the
 * 16x8 lowering takes 0 only).
 */
export function asInt16Layer(node: Node): void {
  if (node.opType === 'AveragePool' && Number(node.attrs.count_include_pad ?? 0) !== 0 && noPadding(node)) delete node.attrs.count_include_pad;
}

export interface PrecisionPlan {
  /** Precision of every node that computes on quantized activations. */
  nodes: Map<string, Precision>;
  /** Precision of every quantized activation tensor. */
  tensors: Map<string, Precision>;
  /** --activations int16: the nodes that stay int8 for want of a 16x8 kernel (the build note names them). */
  int8Fallback: Node[];
  /** Whether any tensor is int16 (the QDQ model then needs opset 21). */
  anyInt16: boolean;
}

/** The named nodes, checked: each exists and has a 16x8 kernel. */
export function int16LayerNodes(graph: Graph, names: readonly string[]): Node[] {
  const capable = graph.nodes.filter((n) => ownInt16Kernel(graph, n) && !INT16_LAYOUT_OPS.has(n.opType)).map((n) => `'${displayName(n.name, 40)}'`);
  const hint = capable.length ? `layers with a 16x8 kernel: ${capable.slice(0, 8).join(', ')}${capable.length > 8 ? `, ... (${capable.length - 8} more)` : ''}` : 'the model has no layer with a 16x8 kernel';
  return names.map((name) => {
    const node = graph.nodes.find((n) => n.name === name);
    if (!node) throw new EdgecError(`${graph.fileName}: --int16-layers: no node named '${displayName(name)}' (${hint})`, 2);
    if (!ownInt16Kernel(graph, node)) throw new EdgecError(`${graph.fileName}: --int16-layers: node '${displayName(name)}' is a ${displayName(node.opType, 40)}, which has no 16x8 kernel in edgec (${hint})`, 2);
    return node;
  });
}

/**
 * Precision of every node and quantized tensor of the float graph:
 * `activations` int16 makes every layer with a 16x8 kernel int16,
 * `int16Layers` names the layers that are (the rest int8).
 */
export function planPrecision(graph: Graph, plan: QuantPlan, activations: Precision, int16Layers: readonly string[]): PrecisionPlan {
  const named = new Set(int16LayerNodes(graph, int16Layers).map((n) => n.name));
  const fused = fusedIntermediates(graph);
  const producers = new Map<string, Node>();
  graph.nodes.forEach((n) => n.outputs.forEach((o) => producers.set(o, n)));
  const nodes = new Map<string, Precision>();
  const tensors = new Map<string, Precision>();
  const int8Fallback: Node[] = [];
  const quantized = new Set(plan.quantized);
  const inputPrecision = (name: string): Precision | undefined => tensors.get(name) ?? nodes.get(producers.get(name)?.name ?? '');
  // a graph input is int16 when a reader computes in int16 on it (any reader with a 16x8 kernel, or a named layer)
  const int16Reader = (n: Node): boolean => !isInputEdgeNode(n) && (activations === 'int16' ? ownInt16Kernel(graph, n) : named.has(n.name));
  graph.inputs.forEach((i) => { if (quantized.has(i)) tensors.set(i, graph.nodes.some((n) => n.inputs.includes(i) && int16Reader(n)) ? 'int16' : 'int8'); });
  for (const node of graph.nodes) {
    const source = node.inputs[0] ?? '';
    let p: Precision;
    if (isInputEdgeNode(node)) p = 'int8'; // the folded input normalisation writes int8 (ops/quantize.ts QuantizeAffine)
    else if ((node.opType === 'Relu' || node.opType === 'Clip') && fused.has(source)) p = nodes.get(producers.get(source)?.name ?? '') ?? 'int8';
    else if (PASS_THROUGH_OPS.has(node.opType) && quantized.has(source)) {
      p = ownInt16Kernel(graph, node) ? inputPrecision(source) ?? 'int8' : 'int8';
      // a Slice / Gather / Resize ... of int16 data runs on an int8 copy
      if (activations === 'int16' && !ownInt16Kernel(graph, node) && inputPrecision(source) === 'int16') int8Fallback.push(node);
    } else if (activations === 'int16') {
      p = ownInt16Kernel(graph, node) ? 'int16' : 'int8';
      if (p === 'int8' && node.outputs.some((o) => quantized.has(o) || fused.has(o))) int8Fallback.push(node);
    } else p = named.has(node.name) ? 'int16' : 'int8';
    nodes.set(node.name, p);
    node.outputs.forEach((o) => { if (quantized.has(o)) tensors.set(o, p); });
  }
  // --stateful: a state input has its output's precision (the copy between invokes is of bytes); readers of the other precision requantize
  for (const pair of graph.statePairs ?? []) {
    const p = tensors.get(pair.output);
    if (p !== undefined && tensors.has(pair.input)) tensors.set(pair.input, p);
  }
  return { nodes, tensors, int8Fallback, anyInt16: [...tensors.values()].includes('int16') };
}

/**
 * int16 parameters of every quantized activation, the counterpart of
 * activationQuant's int8 ones: calibrated ranges made symmetric, inherited
 * through pass-through ops, fixed for Softmax / Sigmoid / Tanh (TFLM's 2^-15).
 */
export function activationQuant16(graph: Graph, plan: QuantPlan, ranges: ReadonlyMap<string, Range>): Map<string, ActQuant> {
  const params = new Map<string, ActQuant>();
  const producers = new Map<string, Node>();
  graph.nodes.forEach((n) => n.outputs.forEach((o) => producers.set(o, n)));
  for (const name of plan.quantized) {
    const p = producers.get(name);
    if (p && FIXED_OUTPUT_OPS.has(p.opType)) { params.set(name, INT16_FIXED_OUTPUT); continue; }
    const range = ranges.get(name);
    if (range) { params.set(name, int16Params(range)); continue; }
    const inherited = p ? params.get(p.inputs[0]) : undefined;
    if (!inherited) throw new Error(`internal: no int16 quantization for '${name}'`);
    params.set(name, inherited);
  }
  return params;
}

/** The build note of `--activations int16`: which layers stayed int8 and why. */
export function int8FallbackNote(nodes: readonly Node[]): string | undefined {
  if (nodes.length === 0) return undefined;
  return `--activations int16: ${nodes.length} layer(s) stay int8, no 16x8 kernel in edgec: ${layerList(nodes)}; requantized at the int8 / int16 boundaries`;
}

/** The first eight layers as 'name' (op), then how many more. */
function layerList(nodes: readonly Node[]): string {
  const list = nodes.slice(0, 8).map((n) => `'${displayName(n.name, 40)}' (${displayName(n.opType, 20)})`).join(', ');
  return `${list}${nodes.length > 8 ? `, ... (${nodes.length - 8} more)` : ''}`;
}

/**
 * The build note of `--int16-layers`: every layer that computes in int16
 * (the named ones, and the pass-through layers after them that keep their
 * input's precision), and how many stay int8.
 */
export function int16LayersNote(graph: Graph, plan: PrecisionPlan): string | undefined {
  const int16 = graph.nodes.filter((n) => plan.nodes.get(n.name) === 'int16');
  if (int16.length === 0) return undefined;
  return `--int16-layers: ${int16.length} layer(s) int16: ${layerList(int16)}; ${graph.nodes.length - int16.length} int8; requantized at the int8 / int16 boundaries`;
}
