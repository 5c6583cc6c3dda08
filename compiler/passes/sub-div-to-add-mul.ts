/**
 * Float pass: input normalisation that exporters emit as Sub(x, mean) and
 * Div(x, std) with constant operands becomes Add(x, -mean) and Mul(x, 1/std),
 * which the quantizer and the int8 kernels handle (there are no int8 Sub/Div
 * kernels). Later fold-batchnorm may absorb them into a following op.
 */
import type { Graph } from '../ir/graph.js';
import { uniqueTensorName } from './graph-edit.js';

export function subDivToAddMul(graph: Graph): Graph {
  for (const node of graph.nodes) {
    if (node.opType !== 'Sub' && node.opType !== 'Div') continue;
    const x = graph.tensors.get(node.inputs[0]);
    const c = graph.tensors.get(node.inputs[1]);
    if (!x || x.data || x.dtype !== 'float32' || !c?.data || c.dtype !== 'float32') continue;
    const isSub = node.opType === 'Sub';
    if (!isSub && Array.from(c.data).some((v) => v === 0)) continue;
    const name = uniqueTensorName(graph, `${c.name}_${isSub ? 'neg' : 'recip'}`);
    const data = Float32Array.from(c.data, (v) => (isSub ? -v : 1 / v));
    graph.tensors.set(name, { name, dtype: 'float32', shape: [...c.shape], data });
    node.opType = isSub ? 'Add' : 'Mul';
    node.inputs = [node.inputs[0], name];
  }
  return graph;
}
