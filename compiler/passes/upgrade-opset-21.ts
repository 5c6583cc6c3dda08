/**
 * Float graph (opset 13+) -> opset 21, for a QDQ model with int16 Q/DQ: 16-bit
 * QuantizeLinear / DequantizeLinear only exist from opset 21, and onnxruntime
 * runs the written model at the opset it declares. Between 13 and 21 two
 * changes break a model written for 13 (onnx/defs, opset 18): the Reduce ops
 * other than ReduceSum take `axes` as an input instead of an attribute, and
 * Split without its `split` input needs `num_outputs`. Everything else edgec
 * writes means the same at 21.
 */
import type { Graph, Node } from '../ir/graph.js';
import { uniqueTensorName } from './graph-edit.js';

export const INT16_QDQ_OPSET = 21;
/** Reduce ops whose `axes` became an input at opset 18 (ReduceSum did at 13). */
const AXES_INPUT_AT_18 = new Set(['ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceL1', 'ReduceL2', 'ReduceLogSum', 'ReduceLogSumExp', 'ReduceSumSquare']);

function upgradeNode(graph: Graph, node: Node): void {
  if (AXES_INPUT_AT_18.has(node.opType)) {
    const axes = node.attrs.axes;
    if (!Array.isArray(axes)) return; // no axes: all of them, the same at 18
    delete node.attrs.axes;
    const name = uniqueTensorName(graph, `${node.name || node.outputs[0]}_axes`);
    graph.tensors.set(name, { name, dtype: 'int64', shape: [axes.length], data: Float64Array.from(axes as number[]) });
    node.inputs = [node.inputs[0], name];
    return;
  }
  if (node.opType === 'Split' && (node.inputs[1] ?? '') === '') node.attrs.num_outputs = node.outputs.length;
}

export function upgradeOpset21(graph: Graph): Graph {
  if (graph.opset >= INT16_QDQ_OPSET) return graph;
  if (graph.opset < 18) for (const node of graph.nodes) if (node.domain === '' || node.domain === 'ai.onnx') upgradeNode(graph, node);
  graph.opset = INT16_QDQ_OPSET;
  return graph;
}
