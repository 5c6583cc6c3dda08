/**
 * Quantization flows through value-preserving ops, in both directions.
 *
 * Exporters other than onnxruntime leave data-movement ops outside the QDQ
 * islands: PPQ / esp-ppq / NNCF write `DQ -> Transpose -> Reshape -> Gemm`,
 * `Q -> Reshape -> DQ`, and MaxPool / Flatten / Pad outputs float between
 * islands. Those ops never create a value their input does not hold, so:
 *
 *  - forward: the float output of such an op whose inputs are all
 *    dequantized with the same parameters is on that int8 grid; giving it
 *    Q/DQ with those parameters changes no value (exact);
 *  - backward: a float tensor every reader of which ends up quantized with
 *    the same parameters (directly or through such ops) can be quantized
 *    first: Q(op(x)) = op(Q(x)) for these ops, because Q is monotone and
 *    elementwise (exact for the graph's outputs);
 *  - int8 tensors between such ops (`Q -> Reshape -> DQ`) take the
 *    parameters as their quantization directly;
 *  - a dequantized constant moved by Transpose / Reshape (PPQ's weights) is
 *    moved at compile time and stays a quantized constant.
 *
 * Pad counts only when its pad value lies on the grid (0 is the zero point);
 * Concat only when its inputs share one quantization.
 */
import type { Graph, Node, QuantInfo, Tensor } from '../ir/graph.js';
import { elementCount, producerOf } from '../ir/graph.js';
import { attrFloat, attrInts, attrString } from '../ops/attrs.js';
import { pruneTensors, removeNodes, replaceNodeUses, uniqueTensorName } from './graph-edit.js';
import { addQuantInitializers, dequantizedConstant, dequantizerOf, insertQdq, nodeActQuant, quantForRange, readersOf, representableRange, sameActQuant, type ActQuant } from './qdq-edit.js';

/** Ops whose outputs only hold values of their data inputs. */
export const VALUE_PRESERVING_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'Dropout', 'MaxPool', 'Pad', 'Slice', 'Split', 'Concat']);

/** The activation inputs of a value-preserving op (Concat: all; others: the first; shapes, axes, pads are constants). */
export function dataInputs(graph: Graph, node: Node): string[] {
  const inputs = node.opType === 'Concat' ? node.inputs : node.inputs.slice(0, 1);
  return inputs.filter((i) => i !== '' && !graph.tensors.get(i)?.data);
}

/** Its value outputs (Split: all; MaxPool: not the Indices output, which disqualifies it). */
export function dataOutputs(node: Node): string[] {
  return node.opType === 'Split' ? node.outputs.filter((o) => o !== '') : node.outputs.slice(0, 1);
}

/** The real pad value of a Pad node, or undefined when it is not a constant-mode pad with a constant value. */
function padValue(graph: Graph, node: Node): number | undefined {
  if (attrString(node, 'mode', 'constant') !== 'constant') return undefined;
  if (graph.opset < 11) return attrFloat(node, 'value', 0);
  const name = node.inputs[2] ?? '';
  if (name === '') return 0;
  const direct = graph.tensors.get(name);
  if (direct?.data) return direct.quant ? direct.quant.scale[0] * (Number(direct.data[0]) - direct.quant.zeroPoint[0]) : Number(direct.data[0]);
  const dq = dequantizedConstant(graph, name);
  if (!dq) return undefined;
  return dq.quant.scale[0] * (Number(dq.data.data?.[0] ?? 0) - dq.quant.zeroPoint[0]);
}

/** Whether real value `v` is exactly an int8 value under `q`. */
function onGrid(v: number, q: ActQuant): boolean {
  const level = Math.round(v / q.scale) + q.zeroPoint;
  return level >= -128 && level <= 127 && Math.fround(q.scale * (level - q.zeroPoint)) === Math.fround(v);
}

/** Whether `node` preserves values for an input quantized with `q` (Pad: its pad value must be on the grid). */
function preservesValues(graph: Graph, node: Node, q: ActQuant | undefined): boolean {
  if (!VALUE_PRESERVING_OPS.has(node.opType)) return false;
  if (node.opType === 'MaxPool' && (node.outputs[1] ?? '') !== '') return false;
  if (node.opType === 'Pad') {
    const v = padValue(graph, node);
    return v !== undefined && (q === undefined || onGrid(v, q));
  }
  return true;
}

/** Element order of a transposed constant. */
function transposeData(data: ArrayLike<number>, shape: readonly number[], perm: readonly number[]): number[] {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const n = elementCount(shape);
  const out = new Array<number>(n);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    out[flat] = data[perm.reduce((f, p, a) => f + idx[a] * strides[p], 0)];
    for (let a = outShape.length - 1; a >= 0; a--) { if (++idx[a] < outShape[a]) break; idx[a] = 0; }
  }
  return out;
}

/** The per-channel axis of a reshaped constant: the output axis with the same size and the same number of elements before it. */
function reshapedAxis(inShape: readonly number[], outShape: readonly number[], axis: number): number | undefined {
  const before = elementCount(inShape.slice(0, axis));
  const j = outShape.findIndex((d, k) => d === inShape[axis] && elementCount(outShape.slice(0, k)) === before);
  return j < 0 ? undefined : j;
}

/**
 * `DQ(W) -> Transpose / Reshape -> reader`: the op runs at compile time on
 * the int8 constant, and a DQ of the moved constant writes the op's output.
 */
function foldConstantMoves(graph: Graph): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const node of graph.nodes) {
      if (!['Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity'].includes(node.opType)) continue;
      const c = dequantizedConstant(graph, node.inputs[0]);
      if (!c || c.data.dtype !== 'int8' && c.data.dtype !== 'uint8' && c.data.dtype !== 'int32') continue;
      const out = graph.tensors.get(node.outputs[0]) as Tensor;
      const inShape = c.data.shape;
      let data: number[] = Array.from(c.data.data as ArrayLike<number>);
      let axis = c.quant.axis;
      if (node.opType === 'Transpose') {
        const perm = attrInts(node, 'perm', inShape.map((_, i) => inShape.length - 1 - i));
        data = transposeData(data, inShape, perm);
        if (axis !== -1) axis = perm.indexOf(axis);
      } else if (axis !== -1) {
        const mapped = reshapedAxis(inShape, out.shape, axis);
        if (mapped === undefined) continue;
        axis = mapped;
      }
      const name = uniqueTensorName(graph, `${node.outputs[0]}_quantized`);
      const typed = c.data.dtype === 'int8' ? Int8Array.from(data) : c.data.dtype === 'uint8' ? Uint8Array.from(data) : Int32Array.from(data);
      graph.tensors.set(name, { name, dtype: c.data.dtype, shape: out.shape.slice(), data: typed });
      const [s, z] = addQuantInitializers(graph, name, c.quant, c.data.dtype === 'int32' ? 'int32' : 'int8');
      if (c.data.dtype === 'uint8') (graph.tensors.get(z) as Tensor).data = Uint8Array.from(c.quant.zeroPoint);
      if (c.data.dtype === 'uint8') (graph.tensors.get(z) as Tensor).dtype = 'uint8';
      node.opType = 'DequantizeLinear';
      node.inputs = [name, s, z];
      node.attrs = axis === -1 ? {} : { axis };
      changed = true;
    }
  }
}

/** Known per-tensor parameters of activations: DQ outputs and Q inputs' demands, then propagated. */
type Known = Map<string, ActQuant>;

function seeds(graph: Graph): Known {
  const known: Known = new Map();
  for (const n of graph.nodes) {
    if (n.opType !== 'DequantizeLinear' && n.opType !== 'QuantizeLinear') continue;
    if (graph.tensors.get(n.inputs[0])?.data) continue;
    const q = nodeActQuant(graph, n);
    if (!q) continue;
    // DQ: its float output and its int8 input; Q: its int8 output
    if (n.opType === 'DequantizeLinear') { known.set(n.outputs[0], q); if (!known.has(n.inputs[0])) known.set(n.inputs[0], q); }
    else known.set(n.outputs[0], q);
  }
  return known;
}

/** Common parameters of a list, or undefined when absent or different. */
function common(qs: (ActQuant | undefined)[]): ActQuant | undefined {
  const first = qs[0];
  if (!first || qs.some((q) => !q || !sameActQuant(q, first))) return undefined;
  return first;
}

function forward(graph: Graph, known: Known): boolean {
  let changed = false;
  for (const node of graph.nodes) {
    const ins = dataInputs(graph, node);
    if (ins.length === 0 || !VALUE_PRESERVING_OPS.has(node.opType)) continue;
    const q = common(ins.map((i) => known.get(i)));
    if (!q || !preservesValues(graph, node, q)) continue;
    for (const o of dataOutputs(node)) {
      if (known.has(o)) continue;
      known.set(o, q);
      changed = true;
    }
  }
  return changed;
}

/** The parameters every reader of `name` quantizes it with (Q readers, or value-preserving readers whose outputs are known). */
function demand(graph: Graph, known: Known, name: string): ActQuant | undefined {
  if (graph.outputs.includes(name)) return undefined;
  const readers = readersOf(graph, name);
  if (readers.length === 0) return undefined;
  return common(readers.map((r) => {
    if (r.opType === 'QuantizeLinear' && r.inputs[0] === name) return nodeActQuant(graph, r);
    if (!preservesValues(graph, r, undefined) || !dataInputs(graph, r).includes(name)) return undefined;
    return common(dataOutputs(r).map((o) => known.get(o)));
  }));
}

function backward(graph: Graph, known: Known): boolean {
  let changed = false;
  for (const node of [...graph.nodes].reverse()) {
    if (!VALUE_PRESERVING_OPS.has(node.opType)) continue;
    // outputs first (what their readers demand), then the inputs (what this op's outputs demand)
    for (const i of [...dataOutputs(node), ...dataInputs(graph, node)]) {
      if (known.has(i) || graph.inputs.includes(i)) continue;
      const q = demand(graph, known, i);
      if (!q) continue;
      known.set(i, q);
      changed = true;
    }
  }
  return changed;
}

/**
 * A Concat of differently quantized inputs whose output no reader quantizes
 * (NNCF's SqueezeNet fire: Concat -> MaxPool -> GlobalAveragePool, all float):
 * its output covers every input's range, the range a calibrating converter
 * would record for it; the Concat then requantizes the narrower inputs.
 */
function unionConcats(graph: Graph, known: Known): boolean {
  let changed = false;
  for (const node of graph.nodes) {
    const out = node.outputs[0];
    if (node.opType !== 'Concat' || known.has(out) || graph.tensors.get(out)?.dtype !== 'float32' || graph.outputs.includes(out)) continue;
    const qs = node.inputs.map((i) => known.get(i));
    if (qs.length === 0 || qs.some((q) => !q)) continue;
    const ranges = qs.map((q) => representableRange(q as ActQuant));
    known.set(out, quantForRange(Math.min(...ranges.map((r) => r.lo)), Math.max(...ranges.map((r) => r.hi))));
    changed = true;
  }
  return changed;
}

/** Whether a float tensor already is in canonical QDQ form: a DQ output, or read only by Q nodes with parameters `q`. */
function alreadyCanonical(graph: Graph, name: string, q: ActQuant): boolean {
  if (dequantizerOf(graph, name)) return true;
  const readers = readersOf(graph, name);
  return !graph.outputs.includes(name) && readers.length > 0
    && readers.every((r) => r.opType === 'QuantizeLinear' && sameActQuant(nodeActQuant(graph, r) ?? { scale: 0, zeroPoint: 0 }, q));
}

/** After insertQdq on `name`: a Q reader with the same parameters reads the inserted DQ; its readers take the inserted int8 tensor instead. */
function absorbRequantizeCopies(graph: Graph, name: string, q: ActQuant, dead: Set<Node>): void {
  const dq = dequantizerOf(graph, name) as Node;
  for (const r of readersOf(graph, name)) {
    if (r.opType !== 'QuantizeLinear' || graph.outputs.includes(r.outputs[0])) continue;
    const rq = nodeActQuant(graph, r);
    if (!rq || !sameActQuant(rq, q)) continue;
    replaceNodeUses(graph, r.outputs[0], dq.inputs[0]);
    dead.add(r);
  }
}

/** Whether `node` touches a value-preserving op (only those tensors are changed by this pass). */
function touchesValuePreserving(graph: Graph, name: string): boolean {
  const p = producerOf(graph, name);
  return (!!p && VALUE_PRESERVING_OPS.has(p.opType)) || readersOf(graph, name).some((r) => VALUE_PRESERVING_OPS.has(r.opType));
}

export function propagateQuant(graph: Graph): Graph {
  foldConstantMoves(graph);
  const known = seeds(graph);
  for (let round = 0; round < 16; round++) {
    const f = forward(graph, known);
    const b = backward(graph, known);
    // only once nothing demands another quantization of a Concat's output: then the union of its inputs' ranges
    if (!f && !b && !unionConcats(graph, known)) break;
  }
  const dead = new Set<Node>();
  // Tensors next to a value-preserving op, before any edit: the edits below only move readers of
  // a tensor to fresh tensors, so no tensor of `known` starts touching one later. Skipping the
  // others up front keeps the pass linear on graphs without such ops (the exact check scans the graph).
  const nearValuePreserving = new Set(graph.nodes.filter((n) => VALUE_PRESERVING_OPS.has(n.opType)).flatMap((n) => [...n.inputs, ...n.outputs]));
  const inputs = new Set(graph.inputs);
  for (const [name, q] of known) {
    if (!nearValuePreserving.has(name)) continue;
    const t = graph.tensors.get(name);
    if (!t || t.data || inputs.has(name) || !touchesValuePreserving(graph, name)) continue;
    if (t.dtype === 'int8' || t.dtype === 'uint8' || t.dtype === 'int16') {
      // int8 between value-preserving ops (`Q -> Reshape -> DQ`): label it (uint8 keeps its own zero point)
      if (!t.quant) t.quant = perTensor({ scale: q.scale, zeroPoint: q.zeroPoint + (t.dtype === 'uint8' ? 128 : 0) });
      continue;
    }
    if (t.dtype !== 'float32' || alreadyCanonical(graph, name, q)) continue;
    insertQdq(graph, name, q);
    absorbRequantizeCopies(graph, name, q, dead);
  }
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}

function perTensor(q: ActQuant): QuantInfo {
  return { scale: [q.scale], zeroPoint: [q.zeroPoint], axis: -1 };
}

