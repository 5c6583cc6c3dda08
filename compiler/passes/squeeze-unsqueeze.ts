/**
 * Float pass: the Squeeze/Unsqueeze pairs exporters put around 1-D
 * convolutions. tf2onnx writes a Keras Conv1D as
 *   Unsqueeze → Conv(H=1) → Squeeze → Add(bias) → Relu → Unsqueeze → Conv ...
 * which leaves the bias and the activation outside the Conv: quantized as
 * written, that is an extra int8 Add and an extra requantization per layer.
 * Two rewrites, repeated until nothing changes:
 *  - an elementwise op right after a unit reshape (a Squeeze, Unsqueeze or
 *    Reshape that only adds or removes size-1 dims) moves before it: unary
 *    activations as they are, Add/Mul by a constant with the constant's
 *    shape moved to the other side of the reshape;
 *  - two unit reshapes in a row that restore the first one's input shape
 *    cancel.
 * Afterwards Conv → Add → Relu → Conv is what fold-batchnorm and activation
 * fusion expect.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { pruneTensors, removeNodes, replaceNodeUses, uniqueTensorName } from './graph-edit.js';

const UNIT_RESHAPES = new Set(['Squeeze', 'Unsqueeze', 'Reshape', 'Flatten']);
/** Elementwise ops of one activation input: they commute with any reshape. */
const UNARY = new Set(['Relu', 'Clip', 'LeakyRelu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'Elu', 'Selu', 'Softplus', 'Neg', 'Abs', 'Exp', 'Erf']);

/** Axes of `shape` whose size is not 1. */
function nonUnitAxes(shape: readonly number[]): number[] {
  return shape.flatMap((d, i) => (d === 1 ? [] : [i]));
}

/** A reshape between shapes that differ only in size-1 dims. */
function isUnitReshape(graph: Graph, node: Node): boolean {
  if (!UNIT_RESHAPES.has(node.opType)) return false;
  const a = graph.tensors.get(node.inputs[0]);
  const b = graph.tensors.get(node.outputs[0]);
  if (!a || !b || a.data) return false;
  const da = a.shape.filter((d) => d !== 1);
  const db = b.shape.filter((d) => d !== 1);
  return da.length === db.length && da.every((d, i) => d === db[i]);
}

function readersOf(graph: Graph, name: string): Node[] {
  return graph.nodes.filter((n) => n.inputs.includes(name));
}

/** The single node reading `name` (which is not a graph output), if any. */
function onlyReader(graph: Graph, name: string): Node | undefined {
  if (graph.outputs.includes(name)) return undefined;
  const readers = readersOf(graph, name);
  return readers.length === 1 ? readers[0] : undefined;
}

/**
 * A constant broadcast against `to` (the reshape's output), re-shaped to
 * broadcast the same way against `from` (its input); undefined when it
 * varies along an axis the reshape collapses.
 */
function constAcross(c: Tensor, from: readonly number[], to: readonly number[]): number[] | undefined {
  if (c.shape.length > to.length) return undefined;
  const padded = [...new Array<number>(to.length - c.shape.length).fill(1), ...c.shape];
  const toAxes = nonUnitAxes(to);
  const fromAxes = nonUnitAxes(from);
  if (padded.some((d, i) => d !== 1 && !toAxes.includes(i))) return undefined;
  const shape = new Array<number>(from.length).fill(1);
  toAxes.forEach((axis, k) => { shape[fromAxes[k]] = padded[axis]; });
  return shape;
}

/** Moves `op` (the only reader of `reshape`'s output) before `reshape`; false when it cannot. */
function hoistOver(graph: Graph, reshape: Node, op: Node): boolean {
  const mid = reshape.outputs[0];
  const src = graph.tensors.get(reshape.inputs[0]) as Tensor;
  const out = graph.tensors.get(op.outputs[0]);
  const midT = graph.tensors.get(mid) as Tensor;
  if (!out || op.outputs.filter((o) => o !== '').length !== 1 || out.shape.join(',') !== midT.shape.join(',')) return false;
  let inputs: string[];
  if (UNARY.has(op.opType)) {
    if (op.inputs[0] !== mid || op.inputs.slice(1).some((i) => i !== '' && !graph.tensors.get(i)?.data)) return false;
    inputs = [reshape.inputs[0], ...op.inputs.slice(1)];
  } else if (op.opType === 'Add' || op.opType === 'Mul') {
    const k = op.inputs[0] === mid ? 1 : 0;
    if (op.inputs[1 - k] !== mid || op.inputs[k] === mid) return false;
    const c = graph.tensors.get(op.inputs[k]);
    if (!c?.data) return false;
    const shape = constAcross(c, src.shape, midT.shape);
    if (!shape) return false;
    const name = uniqueTensorName(graph, `${c.name}_${src.shape.length}d`);
    graph.tensors.set(name, { ...c, name, shape });
    inputs = [...op.inputs];
    inputs[1 - k] = reshape.inputs[0];
    inputs[k] = name;
  } else {
    return false;
  }
  const moved = uniqueTensorName(graph, `${op.outputs[0]}_before_${reshape.opType}`);
  graph.tensors.set(moved, { name: moved, dtype: out.dtype, shape: [...src.shape] });
  op.inputs = inputs;
  const finalOut = op.outputs[0];
  op.outputs = [moved];
  reshape.inputs = [moved, ...reshape.inputs.slice(1)];
  reshape.outputs = [finalOut];
  // the op now runs first: it takes the reshape's place in the node order
  const i = graph.nodes.indexOf(reshape);
  const j = graph.nodes.indexOf(op);
  graph.nodes[i] = op;
  graph.nodes[j] = reshape;
  return true;
}

/** `first` → `second`, both unit reshapes, back to `first`'s input shape: readers of `second` read that input. */
function cancelPair(graph: Graph, first: Node, second: Node, dead: Set<Node>): boolean {
  if (!isUnitReshape(graph, second) || second.inputs[0] !== first.outputs[0] || graph.outputs.includes(second.outputs[0])) return false;
  const a = graph.tensors.get(first.inputs[0]) as Tensor;
  const c = graph.tensors.get(second.outputs[0]) as Tensor;
  if (a.shape.join(',') !== c.shape.join(',')) return false;
  replaceNodeUses(graph, second.outputs[0], first.inputs[0]);
  dead.add(first);
  dead.add(second);
  return true;
}

export function squeezeUnsqueeze(graph: Graph): Graph {
  for (let changed = true; changed;) {
    changed = false;
    const dead = new Set<Node>();
    for (const node of [...graph.nodes]) {
      if (dead.has(node) || !isUnitReshape(graph, node)) continue;
      const reader = onlyReader(graph, node.outputs[0]);
      if (!reader || dead.has(reader)) continue;
      if (cancelPair(graph, node, reader, dead) || hoistOver(graph, node, reader)) changed = true;
    }
    removeNodes(graph, dead);
  }
  pruneTensors(graph);
  return graph;
}
