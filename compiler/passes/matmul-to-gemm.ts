/**
 * Float pass: Keras Dense exported by tf2onnx is MatMul(x, W) then Add(b).
 * With a 2-D activation, constant W [K,N] and a per-column constant bias,
 * that is Gemm(x, W, b) with transB=0: one op, one output range, bias
 * quantized to int32 like every other fully connected layer.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { pruneTensors, removeNodes, uniqueTensorName } from './graph-edit.js';

function biasVector(t: Tensor | undefined, n: number): Float32Array | undefined {
  if (!t?.data || t.dtype !== 'float32') return undefined;
  const ok = (t.shape.length === 1 && (t.shape[0] === n || t.shape[0] === 1)) || (t.shape.length === 2 && t.shape[0] === 1 && (t.shape[1] === n || t.shape[1] === 1));
  if (!ok) return undefined;
  return Float32Array.from({ length: n }, (_, i) => Number(t.data![t.data!.length === 1 ? 0 : i]));
}

export function matmulToGemm(graph: Graph): Graph {
  const dead = new Set<Node>();
  for (const mm of graph.nodes) {
    if (mm.opType !== 'MatMul') continue;
    const a = graph.tensors.get(mm.inputs[0]);
    const w = graph.tensors.get(mm.inputs[1]);
    if (!a || a.data || a.shape.length !== 2 || !w?.data || w.dtype !== 'float32' || w.shape.length !== 2) continue;
    const out = mm.outputs[0];
    const readers = graph.nodes.filter((n) => n.inputs.includes(out));
    const add = readers.length === 1 && !graph.outputs.includes(out) && readers[0].opType === 'Add' ? readers[0] : undefined;
    const n = w.shape[1];
    const bias = add ? biasVector(graph.tensors.get(add.inputs[0] === out ? add.inputs[1] : add.inputs[0]), n) : undefined;
    if (!add || !bias) continue;
    const bName = uniqueTensorName(graph, `${mm.name}_bias`);
    graph.tensors.set(bName, { name: bName, dtype: 'float32', shape: [n], data: bias });
    mm.opType = 'Gemm';
    mm.inputs = [mm.inputs[0], mm.inputs[1], bName];
    mm.attrs = { alpha: 1, beta: 1, transA: 0, transB: 0 };
    mm.outputs = [add.outputs[0]];
    dead.add(add);
  }
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}
