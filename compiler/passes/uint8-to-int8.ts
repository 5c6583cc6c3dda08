/**
 * uint8 quantized tensors (onnxruntime's QUInt8) become int8 exactly:
 * q - 128 with zero point - 128. Model inputs and outputs keep the uint8 type
 * users feed and read; a sign-bit flip converts at the edge.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { uniqueTensorName } from './graph-edit.js';

function toInt8Quant(t: Tensor): Tensor {
  const quant = t.quant ? { ...t.quant, zeroPoint: t.quant.zeroPoint.map((z) => z - 128) } : undefined;
  const data = t.data ? Int8Array.from(t.data as Uint8Array, (v) => v - 128) : undefined;
  return { ...t, dtype: 'int8', quant, data };
}

function edgeNode(op: 'edgec.U8ToS8' | 'edgec.S8ToU8', input: string, output: string): Node {
  return { name: `${op.slice(6)}_${output}`, opType: op, domain: 'edgec', inputs: [input], outputs: [output], attrs: {} };
}

export function uint8ToInt8(graph: Graph): Graph {
  const added: Node[] = [];
  for (const t of [...graph.tensors.values()]) {
    if (t.dtype !== 'uint8' || !t.quant) continue;
    if (graph.inputs.includes(t.name)) {
      const inner = uniqueTensorName(graph, `${t.name}_s8`);
      graph.tensors.set(inner, { ...toInt8Quant(t), name: inner });
      for (const n of graph.nodes) n.inputs = n.inputs.map((i) => (i === t.name ? inner : i));
      added.unshift(edgeNode('edgec.U8ToS8', t.name, inner));
    } else if (graph.outputs.includes(t.name)) {
      const inner = uniqueTensorName(graph, `${t.name}_s8`);
      graph.tensors.set(inner, { ...toInt8Quant(t), name: inner });
      for (const n of graph.nodes) {
        n.outputs = n.outputs.map((o) => (o === t.name ? inner : o));
        n.inputs = n.inputs.map((i) => (i === t.name ? inner : i));
      }
      added.push(edgeNode('edgec.S8ToU8', inner, t.name));
    } else {
      graph.tensors.set(t.name, toInt8Quant(t));
    }
  }
  const toFront = added.filter((n) => n.opType === 'edgec.U8ToS8');
  const toBack = added.filter((n) => n.opType === 'edgec.S8ToU8');
  graph.nodes = [...toFront, ...graph.nodes, ...toBack];
  return graph;
}
