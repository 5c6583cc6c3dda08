/**
 * `--float-layers <node,...>`: the named ONNX nodes run in float32 inside the
 * int8 model (issue 14). A layer runs float when its weights are a float
 * constant (compiler/ops/float-layer.ts); this pass makes that so for the
 * named nodes and marks them:
 *  - weights and bias behind a DequantizeLinear of a constant (a QDQ model),
 *    or quantized constants (an imported .tflite), become float constants with the values onnxruntime computes for that
 *    DequantizeLinear, (q - zero point) * scale in float32, so the float layer
 *    computes what onnxruntime computes for the same QDQ model;
 *  - float weights (our PTQ left them float, or the exporter did) stay;
 *  - the node gets `edgec.float`, so float-tail leaves a named tail layer
 *    float instead of running it in int8.
 * Run right after import, before the QDQ canonicalisation, while node names
 * are the model's. Unknown names and ops without a float kernel are refused
 * with one line naming the model and the option.
 */
import type { Graph, Node, QuantInfo, Tensor } from '../ir/graph.js';
import { elementCount, producerOf } from '../ir/graph.js';
import { displayName, EdgecError } from '../errors.js';
import { readQuantParams } from './fold-qdq.js';
import { readersOf } from './qdq-edit.js';
import { uniqueTensorName } from './graph-edit.js';

/** ONNX ops with a float32 kernel (conv, depthwise, fully connected; LSTM and GRU: ops/recurrent-float.ts). */
export const FLOAT_LAYER_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'LSTM', 'GRU']);
/** Recurrent ones: the PTQ leaves them whole instead of unrolling them when they stay float. */
export const RECURRENT_OPS = new Set(['LSTM', 'GRU']);
/** Node attribute: the layer was asked to stay float (read by float-tail). */
export const KEEP_FLOAT_ATTR = 'edgec.float';

/** `--float-layers a,b , c` -> ['a', 'b', 'c']; empty names are a usage error. */
export function parseFloatLayers(text: string | undefined): string[] {
  if (text === undefined) return [];
  const names = text.split(',').map((s) => s.trim());
  if (names.some((n) => n === '')) throw new EdgecError(`--float-layers '${text}': expected a comma-separated list of ONNX node names`, 2);
  return [...new Set(names)];
}

/** Names of the nodes `--float-layers` accepts, for the error message. */
function candidates(graph: Graph): string {
  const names = graph.nodes.filter((n) => FLOAT_LAYER_OPS.has(n.opType)).map((n) => `'${displayName(n.name, 40)}'`);
  if (names.length === 0) return 'the model has no Conv, Gemm, MatMul, LSTM or GRU node';
  return `layers that can stay float: ${names.slice(0, 8).join(', ')}${names.length > 8 ? `, ... (${names.length - 8} more)` : ''}`;
}

/** The named nodes, checked: each exists and has a float kernel. */
export function floatLayerNodes(graph: Graph, names: readonly string[], option = '--float-layers'): Node[] {
  return names.map((name) => {
    const node = graph.nodes.find((n) => n.name === name);
    if (!node) throw new EdgecError(`${graph.fileName}: ${option}: no node named '${displayName(name)}' (${candidates(graph)})`, 2);
    if (!FLOAT_LAYER_OPS.has(node.opType)) {
      throw new EdgecError(`${graph.fileName}: ${option}: node '${displayName(name)}' is a ${displayName(node.opType, 40)}; only Conv, Gemm, MatMul, LSTM and GRU layers can stay float (${candidates(graph)})`, 2);
    }
    const w = graph.tensors.get(node.inputs[1] ?? '');
    const wProducer = producerOf(graph, node.inputs[1] ?? '');
    const constantWeights = !!w?.data || (wProducer?.opType === 'DequantizeLinear' && !!graph.tensors.get(wProducer.inputs[0])?.data);
    if (!constantWeights) throw new EdgecError(`${graph.fileName}: ${option}: node '${displayName(name)}' has no constant weights; only layers with constant weights can stay float`, 2);
    return node;
  });
}

/** Quantized constant values -> float32, (q - zero point) * scale as onnxruntime's DequantizeLinear computes it. */
function dequantizeConstant(graph: Graph, src: Tensor, q: QuantInfo, base: string): Tensor {
  const inner = q.axis === -1 ? 1 : elementCount(src.shape.slice(q.axis + 1));
  const channels = q.axis === -1 ? 1 : src.shape[q.axis];
  const values = Float32Array.from(src.data as ArrayLike<number>, (v, i) => {
    const c = q.axis === -1 ? 0 : Math.floor(i / inner) % channels;
    return Math.fround((Number(v) - q.zeroPoint[c]) * Math.fround(q.scale[c]));
  });
  const name = uniqueTensorName(graph, `${base}_float`);
  const t: Tensor = { name, dtype: 'float32', shape: src.shape.slice(), data: values };
  graph.tensors.set(name, t);
  return t;
}

/**
 * Input `index` of `node` as a float constant: a DequantizeLinear of a
 * constant (QDQ models), or a constant that carries its quantization itself
 * (imported .tflite models).
 */
function floatInput(graph: Graph, node: Node, index: number): void {
  const name = node.inputs[index] ?? '';
  if (name === '') return;
  const own = graph.tensors.get(name);
  if (own?.data && own.quant) {
    node.inputs[index] = dequantizeConstant(graph, own, own.quant, name).name;
    return;
  }
  const dq = producerOf(graph, name);
  const src = dq?.opType === 'DequantizeLinear' ? graph.tensors.get(dq.inputs[0]) : undefined;
  if (!dq || !src?.data) return;
  node.inputs[index] = dequantizeConstant(graph, src, readQuantParams(graph, dq), dq.outputs[0]).name;
  if (readersOf(graph, name).length === 0 && !graph.outputs.includes(name)) graph.nodes = graph.nodes.filter((n) => n !== dq);
}

/** The pass, for the given node names (none: the graph unchanged). */
export function keepLayersFloat(names: readonly string[]): (graph: Graph) => Graph {
  return (graph) => {
    for (const node of floatLayerNodes(graph, names)) {
      // weights and bias: W, R and B of a recurrent layer
      for (const index of RECURRENT_OPS.has(node.opType) ? [1, 2, 3] : [1, 2]) floatInput(graph, node, index);
      node.attrs[KEEP_FLOAT_ATTR] = 1;
    }
    return graph;
  };
}
