/**
 * Float pass, after fold-batchnorm: a BatchNormalization with no Conv/Gemm
 * to fold into (on the model input, after an Add, after a pooling) becomes
 * Mul by the per-channel scale γ/√(σ²+ε) and Add of the shift β − μ·scale,
 * both constants of shape [1, C, 1, ...] that broadcast over the channel
 * axis. Those quantize and lower like any int8 Mul/Add; a trivial factor
 * (all ones) or shift (all zeros) is left out. When fold-affine-forward
 * could fold the scale into a following op's weights the shift goes first,
 * y = (x + shift/scale)·scale, so that the Mul sits next to that op (a Conv
 * with padding cannot take an Add).
 */
import type { Graph, Node } from '../ir/graph.js';
import { batchNormAffine } from './fold-batchnorm.js';
import { foldableScale } from './fold-affine-forward.js';
import { pruneTensors, uniqueTensorName } from './graph-edit.js';

function channelConst(graph: Graph, base: string, values: Float64Array, rank: number): string {
  const name = uniqueTensorName(graph, base);
  const shape = Array.from({ length: rank }, (_, i) => (i === 1 ? values.length : 1));
  graph.tensors.set(name, { name, dtype: 'float32', shape, data: Float32Array.from(values) });
  return name;
}

/** The Mul/Add nodes replacing `bn`, or undefined when its parameters are not constants. */
function rewrite(graph: Graph, bn: Node): Node[] | undefined {
  const x = graph.tensors.get(bn.inputs[0]);
  if (!x || x.shape.length < 2 || bn.outputs.filter((o) => o !== '').length !== 1) return undefined;
  const affine = batchNormAffine(graph, bn, x.shape[1]);
  if (!affine) return undefined;
  const rank = x.shape.length;
  const out = bn.outputs[0];
  const hasScale = affine.scale.some((v) => v !== 1);
  const hasShift = affine.shift.some((v) => v !== 0);
  const nodes: Node[] = [];
  let cur = bn.inputs[0];
  if (hasScale && hasShift && foldableScale(affine.scale)) {
    const shifted = uniqueTensorName(graph, `${out}_shifted`);
    graph.tensors.set(shifted, { name: shifted, dtype: 'float32', shape: [...x.shape] });
    const pre = affine.shift.map((t, c) => t / affine.scale[c]);
    nodes.push({ name: `${bn.name}_add`, opType: 'Add', domain: '', inputs: [cur, channelConst(graph, `${bn.name}_shift`, pre, rank)], outputs: [shifted], attrs: {} });
    nodes.push({ name: `${bn.name}_mul`, opType: 'Mul', domain: '', inputs: [shifted, channelConst(graph, `${bn.name}_scale`, affine.scale, rank)], outputs: [out], attrs: {} });
    return nodes;
  }
  if (hasScale) {
    const scaled = hasShift ? uniqueTensorName(graph, `${out}_scaled`) : out;
    if (hasShift) graph.tensors.set(scaled, { name: scaled, dtype: 'float32', shape: [...x.shape] });
    nodes.push({ name: `${bn.name}_mul`, opType: 'Mul', domain: '', inputs: [cur, channelConst(graph, `${bn.name}_scale`, affine.scale, rank)], outputs: [scaled], attrs: {} });
    cur = scaled;
  }
  if (hasShift || !hasScale) {
    nodes.push({ name: `${bn.name}_add`, opType: 'Add', domain: '', inputs: [cur, channelConst(graph, `${bn.name}_shift`, affine.shift, rank)], outputs: [out], attrs: {} });
  }
  return nodes;
}

export function batchNormToMulAdd(graph: Graph): Graph {
  graph.nodes = graph.nodes.flatMap((n) => (n.opType === 'BatchNormalization' ? rewrite(graph, n) ?? [n] : [n]));
  pruneTensors(graph);
  return graph;
}
