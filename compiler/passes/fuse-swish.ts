/**
 * Swish / SiLU written as x * Sigmoid(x) (Keras `swish`, PyTorch SiLU
 * exports, tf2onnx) becomes one node `edgec.Swish`, lowered to a single
 * 256-entry table (compiler/ops/unary-table.ts). The table is the composition
 * of what edgec computes for the two nodes — the Sigmoid table into the
 * sigmoid's quantization, then int8 Mul — so outputs do not change; one
 * pass over the data and no intermediate buffer instead of two.
 * Applies after fold-qdq, when x, the sigmoid's output and the product are
 * per-tensor int8 and the sigmoid's output has no other reader.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { pruneTensors, removeNodes } from './graph-edit.js';

function perTensorInt8(t: Tensor | undefined): t is Tensor & { quant: NonNullable<Tensor['quant']> } {
  return !!t && !t.data && t.dtype === 'int8' && !!t.quant && t.quant.axis === -1;
}

export function fuseSwish(graph: Graph): Graph {
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const dead = new Set<Node>();
  for (const sig of graph.nodes) {
    if (sig.opType !== 'Sigmoid' || dead.has(sig)) continue;
    const x = sig.inputs[0];
    const s = sig.outputs[0];
    const users = readers.get(s) ?? [];
    const mul = users[0];
    if (users.length !== 1 || !mul || mul.opType !== 'Mul' || graph.outputs.includes(s)) continue;
    const other = mul.inputs[0] === s ? mul.inputs[1] : mul.inputs[0];
    if (other !== x || mul.inputs[0] === mul.inputs[1]) continue;
    const sq = graph.tensors.get(s);
    if (!perTensorInt8(graph.tensors.get(x)) || !perTensorInt8(sq) || !perTensorInt8(graph.tensors.get(mul.outputs[0]))) continue;
    if (mul.attrs['edgec.act'] !== undefined) continue; // a fused clamp would be lost
    mul.opType = 'edgec.Swish';
    mul.domain = 'edgec';
    mul.inputs = [x];
    mul.attrs = { sigmoid_scale: sq.quant.scale[0], sigmoid_zero_point: sq.quant.zeroPoint[0] };
    dead.add(sig);
  }
  if (dead.size === 0) return graph;
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}
