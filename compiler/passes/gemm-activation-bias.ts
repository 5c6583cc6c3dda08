/**
 * Float pass: a Gemm whose C is computed at run time (tf2onnx writes the
 * `x·W + h·R` of a Keras LSTM with unroll=True as Gemm(x, W, C = MatMul(h, R)))
 * becomes Gemm(A, B) then Add(C): a fully connected layer takes only a
 * constant bias, and the Add requantizes the two int8 sums TFLite's way.
 * beta ≠ 1 scales C by a constant Mul first.
 */
import type { Graph, Node } from '../ir/graph.js';
import { uniqueTensorName } from './graph-edit.js';

function computedBias(graph: Graph, node: Node): boolean {
  if (node.opType !== 'Gemm') return false;
  const c = node.inputs[2];
  return c !== undefined && c !== '' && !graph.tensors.get(c)?.data;
}

function uniqueNodeName(graph: Graph, base: string): string {
  const names = new Set(graph.nodes.map((n) => n.name));
  if (!names.has(base)) return base;
  for (let i = 1; ; i++) if (!names.has(`${base}_${i}`)) return `${base}_${i}`;
}

export function gemmActivationBias(graph: Graph): Graph {
  if (!graph.nodes.some((n) => computedBias(graph, n))) return graph;
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    nodes.push(node);
    if (!computedBias(graph, node)) continue;
    const out = node.outputs[0];
    const t = graph.tensors.get(out)!;
    const product = uniqueTensorName(graph, `${out}_product`);
    graph.tensors.set(product, { name: product, dtype: t.dtype, shape: [...t.shape] });
    let c = node.inputs[2];
    const beta = Number(node.attrs.beta ?? 1);
    if (beta !== 1) {
      const betaName = uniqueTensorName(graph, `${node.name}_beta`);
      graph.tensors.set(betaName, { name: betaName, dtype: 'float32', shape: [], data: Float32Array.of(beta) });
      const scaled = uniqueTensorName(graph, `${c}_scaled`);
      graph.tensors.set(scaled, { name: scaled, dtype: 'float32', shape: [...graph.tensors.get(c)!.shape] });
      nodes.push({ name: uniqueNodeName(graph, `${node.name}_beta`), opType: 'Mul', domain: '', inputs: [c, betaName], outputs: [scaled], attrs: {} });
      c = scaled;
    }
    nodes.push({ name: uniqueNodeName(graph, `${node.name}_bias`), opType: 'Add', domain: '', inputs: [product, c], outputs: [out], attrs: {} });
    node.inputs = node.inputs.slice(0, 2);
    node.outputs = [product];
    // beta only scaled C; the default (1) is left implicit
    node.attrs = Object.fromEntries(Object.entries(node.attrs).filter(([k]) => k !== 'beta'));
  }
  graph.nodes = nodes;
  return graph;
}
