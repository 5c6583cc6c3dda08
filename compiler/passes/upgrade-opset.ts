/**
 * Float pass: a model exported at an old opset (PyTorch `opset_version=9/10`,
 * opset-7-style converters) is rewritten to opset 13 before quantization. The
 * QDQ form needs it: per-channel DequantizeLinear (the `axis` attribute) only
 * exists from opset 13, and the written model must run in onnxruntime. The
 * attributes that became inputs between opset 7 and 13 move to constant
 * inputs (Clip min/max, Pad pads/value, Squeeze/Unsqueeze axes, Split split,
 * ReduceSum axes); Softmax-family ops get their axis made explicit, and the
 * old "coerce to 2-D" semantics is refused where it differs from opset 13.
 */
import type { Graph, Node } from '../ir/graph.js';
import { EdgecError } from '../errors.js';
import { softmaxAxis } from '../onnx/shapes/elementwise.js';
import { uniqueTensorName } from './graph-edit.js';

export const TARGET_OPSET = 13;

function addConst(graph: Graph, base: string, dtype: 'float32' | 'int64', shape: number[], values: readonly number[]): string {
  const name = uniqueTensorName(graph, base);
  const data = dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values);
  graph.tensors.set(name, { name, dtype, shape, data });
  return name;
}

function intsAttr(node: Node, name: string): number[] | undefined {
  const v = node.attrs[name];
  return Array.isArray(v) ? (v as number[]) : undefined;
}

function numAttr(node: Node, name: string): number | undefined {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : undefined;
}

/** Inputs with their optional trailing '' slots filled up to `index`. */
function setInput(node: Node, index: number, name: string): void {
  while (node.inputs.length < index) node.inputs.push('');
  node.inputs[index] = name;
}

function upgradeNode(graph: Graph, node: Node, opset: number): void {
  const base = node.name || node.outputs[0];
  switch (node.opType) {
    case 'Clip': {
      if (opset >= 11) return;
      const min = numAttr(node, 'min');
      const max = numAttr(node, 'max');
      delete node.attrs.min;
      delete node.attrs.max;
      node.inputs = [node.inputs[0]];
      if (min !== undefined) setInput(node, 1, addConst(graph, `${base}_min`, 'float32', [], [min]));
      if (max !== undefined) setInput(node, 2, addConst(graph, `${base}_max`, 'float32', [], [max]));
      return;
    }
    case 'Pad': {
      if (opset >= 11) return;
      const pads = intsAttr(node, 'pads') ?? [];
      const value = numAttr(node, 'value') ?? 0;
      delete node.attrs.pads;
      delete node.attrs.value;
      node.inputs = [node.inputs[0], addConst(graph, `${base}_pads`, 'int64', [pads.length], pads)];
      if (value !== 0) node.inputs.push(addConst(graph, `${base}_value`, 'float32', [], [value]));
      return;
    }
    case 'Squeeze': case 'Unsqueeze': case 'ReduceSum': {
      const axes = intsAttr(node, 'axes');
      if (axes === undefined) return;
      delete node.attrs.axes;
      setInput(node, 1, addConst(graph, `${base}_axes`, 'int64', [axes.length], axes));
      return;
    }
    case 'Split': {
      const split = intsAttr(node, 'split');
      if (split === undefined) return;
      delete node.attrs.split;
      setInput(node, 1, addConst(graph, `${base}_split`, 'int64', [split.length], split));
      return;
    }
    case 'Softmax': case 'LogSoftmax': case 'Hardmax': {
      const shape = graph.tensors.get(node.inputs[0])?.shape ?? [];
      const { axis } = softmaxAxis(opset, numAttr(node, 'axis'), shape.length);
      // the old form normalises over axis..end flattened; the same as opset 13 when nothing after `axis` is wider than 1
      if (shape.slice(axis + 1).some((d) => d !== 1)) {
        throw new EdgecError(`${graph.fileName}: node '${node.name}' (${node.opType}, opset ${opset}) normalises over dims ${axis}..${shape.length - 1} flattened together; re-export the model at opset 13 or later`, 2);
      }
      node.attrs.axis = axis;
      return;
    }
    case 'BatchNormalization': {
      // opset 7-8 `spatial` (1 = per channel, the only form opset 9+ has)
      if (numAttr(node, 'spatial') === 0) throw new EdgecError(`${graph.fileName}: node '${node.name}' (BatchNormalization spatial=0) is not supported; re-export the model at opset 9 or later`, 2);
      delete node.attrs.spatial;
      return;
    }
    default:
  }
}

export function upgradeOpset(graph: Graph): Graph {
  if (graph.opset >= TARGET_OPSET) return graph;
  for (const node of graph.nodes) if (node.domain === '' || node.domain === 'ai.onnx') upgradeNode(graph, node, graph.opset);
  graph.opset = TARGET_OPSET;
  return graph;
}
