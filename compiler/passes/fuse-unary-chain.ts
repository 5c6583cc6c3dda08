/**
 * Two unary math ops with no quantization between them (tf2onnx writes
 * TFLite RSQRT as Sqrt -> Reciprocal inside one DQ/Q pair) run as one table:
 * the second node reads the first's input and records the first op in
 * `edgec.pre`; compiler/ops/unary-table.ts then tabulates the float32
 * composition, as onnxruntime computes it. Only attribute-free ops of the
 * onnxruntime-rounded table family chain this way.
 */
import type { Graph, Node } from '../ir/graph.js';
import { pruneTensors, removeNodes } from './graph-edit.js';

export const CHAINABLE_UNARY = new Set(['Neg', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Erf', 'Softplus', 'Mish']);
export const PRE_ATTR = 'edgec.pre';

export function fuseUnaryChain(graph: Graph): Graph {
  const dead = new Set<Node>();
  for (const first of graph.nodes) {
    if (!CHAINABLE_UNARY.has(first.opType) || dead.has(first) || first.attrs[PRE_ATTR] !== undefined) continue;
    const mid = first.outputs[0];
    const midT = graph.tensors.get(mid);
    if (!midT || midT.quant || midT.dtype !== 'float32' || graph.outputs.includes(mid)) continue;
    const readers = graph.nodes.filter((n) => n.inputs.includes(mid));
    const second = readers[0];
    if (readers.length !== 1 || !second || !CHAINABLE_UNARY.has(second.opType) || second.attrs[PRE_ATTR] !== undefined) continue;
    if (!graph.tensors.get(first.inputs[0])?.quant || !graph.tensors.get(second.outputs[0])?.quant) continue;
    second.inputs = [first.inputs[0]];
    second.attrs[PRE_ATTR] = first.opType;
    dead.add(first);
  }
  if (dead.size === 0) return graph;
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}
