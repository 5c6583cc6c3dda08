/**
 * Helpers of the quantization canonicalisation passes (propagate-quant,
 * matmul-add-to-fc, unquantized-activation, per-channel-activation,
 * float-tail): they run on the QDQ graph before fold-qdq and only ever add
 * QuantizeLinear / DequantizeLinear pairs or relabel constants, so fold-qdq
 * and the lowerings see the canonical form "every int8 op between DQ and Q".
 */
import type { Graph, Node, QuantInfo, Tensor } from '../ir/graph.js';
import { producerOf } from '../ir/graph.js';
import { readQuantParams } from './fold-qdq.js';
import { uniqueTensorName } from './graph-edit.js';

/** Per-tensor int8 parameters of an activation. */
/** Per-tensor activation quantization; `int16`: a 16x8 model's int16 tensor (int8 otherwise). */
export interface ActQuant { scale: number; zeroPoint: number; int16?: boolean }

export function sameActQuant(a: ActQuant, b: ActQuant): boolean {
  return Math.fround(a.scale) === Math.fround(b.scale) && a.zeroPoint === b.zeroPoint && !!a.int16 === !!b.int16;
}

/**
 * The per-tensor parameters of a Q or DQ node in int8 terms (a uint8 zero
 * point counts 128 lower: the same real grid), or undefined when it is per-channel.
 */
export function nodeActQuant(graph: Graph, node: Node): ActQuant | undefined {
  const q: QuantInfo = readQuantParams(graph, node);
  if (q.axis !== -1) return undefined;
  const intTensor = graph.tensors.get(node.opType === 'QuantizeLinear' ? node.outputs[0] : node.inputs[0]);
  const q8 = { scale: q.scale[0], zeroPoint: q.zeroPoint[0] - (intTensor?.dtype === 'uint8' ? 128 : 0) };
  return intTensor?.dtype === 'int16' ? { ...q8, int16: true } : q8;
}

export function readersOf(graph: Graph, name: string): Node[] {
  return graph.nodes.filter((n) => n.inputs.includes(name));
}

/** The DQ node writing `name`, if any. */
export function dequantizerOf(graph: Graph, name: string): Node | undefined {
  const p = producerOf(graph, name);
  return p?.opType === 'DequantizeLinear' ? p : undefined;
}

/** A DQ of a constant (weights, bias): the constant tensor and its quantization. */
export function dequantizedConstant(graph: Graph, name: string): { node: Node; data: Tensor; quant: QuantInfo } | undefined {
  const dq = dequantizerOf(graph, name);
  const src = dq ? graph.tensors.get(dq.inputs[0]) : undefined;
  if (!dq || !src?.data) return undefined;
  return { node: dq, data: src, quant: readQuantParams(graph, dq) };
}

/** Scale and zero-point initializers for `base` (int8 zero points; int16 for 16x8 activations; int32 for biases). */
export function addQuantInitializers(graph: Graph, base: string, quant: { scale: number[]; zeroPoint: number[] }, zpType: 'int8' | 'int16' | 'int32' = 'int8'): [string, string] {
  const perChannel = quant.scale.length > 1;
  const shape = perChannel ? [quant.scale.length] : [];
  const s = uniqueTensorName(graph, `${base}_scale`);
  graph.tensors.set(s, { name: s, dtype: 'float32', shape, data: Float32Array.from(quant.scale) });
  const z = uniqueTensorName(graph, `${base}_zero_point`);
  const zData = zpType === 'int8' ? Int8Array.from(quant.zeroPoint) : zpType === 'int16' ? Int16Array.from(quant.zeroPoint) : Int32Array.from(quant.zeroPoint);
  graph.tensors.set(z, { name: z, dtype: zpType, shape, data: zData });
  return [s, z];
}

/** Insert `node` right after the node producing its first input (or at the front). */
function insertAfterProducer(graph: Graph, node: Node, after: Node | undefined): void {
  const at = after ? graph.nodes.indexOf(after) + 1 : 0;
  graph.nodes.splice(at, 0, node);
}

/**
 * Quantize float tensor `name` in place with `q`: its producer now writes
 * `<name>_float`, QuantizeLinear makes `<name>_q` (int8, or int16 for q.int16) and a
 * DequantizeLinear writes `name` again, so readers and graph outputs keep
 * their names. fold-qdq then makes the producer write int8 directly.
 */
export function insertQdq(graph: Graph, name: string, q: ActQuant): void {
  const t = graph.tensors.get(name);
  if (!t) throw new Error(`internal: unknown tensor '${name}'`);
  const producer = producerOf(graph, name);
  if (!producer) throw new Error(`internal: insertQdq on '${name}', which no node writes`);
  const floatName = uniqueTensorName(graph, `${name}_float`);
  graph.tensors.set(floatName, { name: floatName, dtype: t.dtype, shape: t.shape.slice() });
  const qName = uniqueTensorName(graph, `${name}_q`);
  // int16 where the quantization came from a 16x8 model's int16 Q/DQ
  const type = q.int16 ? 'int16' : 'int8';
  graph.tensors.set(qName, { name: qName, dtype: type, shape: t.shape.slice() });
  const [s, z] = addQuantInitializers(graph, qName, { scale: [q.scale], zeroPoint: [q.zeroPoint] }, type);
  if (producer) producer.outputs = producer.outputs.map((o) => (o === name ? floatName : o));
  const quantize: Node = { name: uniqueNodeName(graph, `${name}_QuantizeLinear`), opType: 'QuantizeLinear', domain: '', inputs: [floatName, s, z], outputs: [qName], attrs: {} };
  const dequantize: Node = { name: uniqueNodeName(graph, `${name}_DequantizeLinear`), opType: 'DequantizeLinear', domain: '', inputs: [qName, s, z], outputs: [name], attrs: {} };
  insertAfterProducer(graph, quantize, producer);
  insertAfterProducer(graph, dequantize, quantize);
}

export function uniqueNodeName(graph: Graph, base: string): string {
  const used = new Set(graph.nodes.map((n) => n.name));
  if (!used.has(base)) return base;
  for (let i = 1; ; i++) if (!used.has(`${base}_${i}`)) return `${base}_${i}`;
}

/** Int8 parameters covering the real range [lo, hi] (widened to include 0), as TFLite's converter and onnxruntime derive them. */
export function quantForRange(lo: number, hi: number): ActQuant {
  const min = Math.min(lo, 0);
  const max = Math.max(hi, 0);
  const scale = max === min ? 1 : Math.fround((max - min) / 255);
  const zp = Math.round(-128 - min / scale);
  return { scale, zeroPoint: Math.max(-128, Math.min(127, zp)) };
}

/** The real range an int8 tensor with `q` can hold. */
export function representableRange(q: ActQuant): { lo: number; hi: number } {
  return { lo: q.scale * (-128 - q.zeroPoint), hi: q.scale * (127 - q.zeroPoint) };
}
