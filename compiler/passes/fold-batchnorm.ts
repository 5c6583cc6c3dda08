/**
 * Float pass: a per-channel affine y = s[c]·x + t[c] right after a Conv or
 * Gemm folds into that op's weights and bias, so quantization sees one op
 * with one output range. Three exporter forms of the same thing:
 *  - BatchNormalization (PyTorch: Conv/Linear + BatchNorm),
 *  - Mul then Add by constants of shape [1,C,1,1] (Keras BN through tf2onnx),
 *  - a lone Mul or Add by such a constant.
 * Only applies when the op's result has no other reader and the weights are
 * constants; anything else is left for the quantizer as it is.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { pruneTensors, removeNodes, uniqueTensorName } from './graph-edit.js';

export interface Affine { scale: Float64Array; shift: Float64Array }

/** Output channel axis of a foldable producer, or undefined when it cannot take a fold. */
function channelAxis(graph: Graph, node: Node): number | undefined {
  const w = graph.tensors.get(node.inputs[1] ?? '');
  if (!w?.data || w.dtype !== 'float32') return undefined;
  const bias = node.inputs[2] ?? '';
  if (bias !== '' && !graph.tensors.get(bias)?.data) return undefined;
  if (node.opType === 'Conv') return 1;
  if (node.opType === 'Gemm' && Number(node.attrs.transA ?? 0) === 0) return 1;
  return undefined;
}

function onlyReader(graph: Graph, name: string): Node | undefined {
  if (graph.outputs.includes(name)) return undefined;
  const readers = graph.nodes.filter((n) => n.inputs.includes(name));
  return readers.length === 1 ? readers[0] : undefined;
}

/**
 * The per-channel vector of a constant broadcast against an output of
 * `outShape`, or undefined when it varies along any other axis.
 */
function perChannel(t: Tensor | undefined, outShape: readonly number[], axis: number): Float64Array | undefined {
  if (!t?.data || (t.dtype !== 'float32' && t.dtype !== 'float64') || t.shape.length > outShape.length) return undefined;
  const channels = outShape[axis];
  const offset = outShape.length - t.shape.length;
  for (let i = 0; i < t.shape.length; i++) {
    const d = t.shape[i];
    if (d !== 1 && !(i + offset === axis && d === channels)) return undefined;
  }
  const out = new Float64Array(channels);
  for (let c = 0; c < channels; c++) out[c] = Number(t.data[t.data.length === 1 ? 0 : c]);
  return out;
}

export function batchNormAffine(graph: Graph, bn: Node, channels: number): Affine | undefined {
  const vec = (i: number): Float64Array | undefined => perChannel(graph.tensors.get(bn.inputs[i] ?? ''), [channels], 0);
  const [gamma, beta, mean, variance] = [vec(1), vec(2), vec(3), vec(4)];
  if (!gamma || !beta || !mean || !variance) return undefined;
  const eps = typeof bn.attrs.epsilon === 'number' ? bn.attrs.epsilon : 1e-5;
  const scale = gamma.map((g, c) => g / Math.sqrt(variance[c] + eps));
  const shift = beta.map((b, c) => b - mean[c] * scale[c]);
  return { scale, shift };
}

/** The affine `reader` applies to `name` (a tensor of `shape`, channels on `axis`), if any. */
function readerAffine(graph: Graph, reader: Node, name: string, shape: readonly number[], axis: number): Affine | undefined {
  const channels = shape[axis];
  if (reader.opType === 'BatchNormalization' && reader.inputs[0] === name && reader.outputs.filter((o) => o !== '').length === 1) {
    return batchNormAffine(graph, reader, channels);
  }
  if (reader.opType !== 'Mul' && reader.opType !== 'Add') return undefined;
  const other = reader.inputs[0] === name ? reader.inputs[1] : reader.inputs[0];
  if (other === name) return undefined;
  const otherT = graph.tensors.get(other);
  // the constant must not widen the result (same output shape)
  const outT = graph.tensors.get(reader.outputs[0]);
  if (!outT || outT.shape.join(',') !== shape.join(',')) return undefined;
  const v = perChannel(otherT, shape, axis);
  if (!v) return undefined;
  return reader.opType === 'Mul' ? { scale: v, shift: new Float64Array(channels) } : { scale: new Float64Array(channels).fill(1), shift: v };
}

/** Rewrites the producer's weights and bias to include the affine (new tensors; originals may be shared). */
function applyAffine(graph: Graph, node: Node, affine: Affine): void {
  const w = graph.tensors.get(node.inputs[1]) as Tensor;
  const wData = w.data as Float32Array;
  const channels = affine.scale.length;
  const isGemm = node.opType === 'Gemm';
  const transB = isGemm && Number(node.attrs.transB ?? 0) === 1;
  const alpha = isGemm ? Number(node.attrs.alpha ?? 1) : 1;
  const beta = isGemm ? Number(node.attrs.beta ?? 1) : 1;
  const newW = new Float32Array(wData.length);
  // Conv OIHW and Gemm transB=1 [N,K]: channel is the outer index; Gemm transB=0 [K,N]: the inner one.
  const inner = isGemm && !transB ? 1 : wData.length / channels;
  for (let i = 0; i < wData.length; i++) {
    const c = isGemm && !transB ? i % channels : Math.floor(i / inner);
    newW[i] = wData[i] * alpha * affine.scale[c];
  }
  const biasName = node.inputs[2] ?? '';
  const oldBias = biasName !== '' ? perChannel(graph.tensors.get(biasName), [1, channels], 1) : new Float64Array(channels);
  if (!oldBias) throw new Error(`internal: bias of '${node.name}' is not per-channel`);
  const newB = Float32Array.from(oldBias, (b, c) => b * beta * affine.scale[c] + affine.shift[c]);
  const wName = uniqueTensorName(graph, `${w.name}_folded`);
  const bName = uniqueTensorName(graph, `${node.name}_bias_folded`);
  graph.tensors.set(wName, { name: wName, dtype: 'float32', shape: [...w.shape], data: newW });
  graph.tensors.set(bName, { name: bName, dtype: 'float32', shape: [channels], data: newB });
  node.inputs = [node.inputs[0], wName, bName];
  if (isGemm) { node.attrs.alpha = 1; node.attrs.beta = 1; }
}

function biasShapeOk(graph: Graph, node: Node, channels: number): boolean {
  const biasName = node.inputs[2] ?? '';
  return biasName === '' || perChannel(graph.tensors.get(biasName), [1, channels], 1) !== undefined;
}

export function foldBatchNorm(graph: Graph): Graph {
  for (let changed = true; changed;) {
    changed = false;
    const dead = new Set<Node>();
    for (const node of graph.nodes) {
      if (dead.has(node)) continue;
      const axis = channelAxis(graph, node);
      if (axis === undefined) continue;
      const out = node.outputs[0];
      const shape = graph.tensors.get(out)?.shape;
      const reader = onlyReader(graph, out);
      if (!shape || !reader || dead.has(reader)) continue;
      const affine = readerAffine(graph, reader, out, shape, axis);
      if (!affine || !biasShapeOk(graph, node, shape[axis])) continue;
      applyAffine(graph, node, affine);
      node.outputs = [reader.outputs[0]];
      dead.add(reader);
      changed = true;
    }
    removeNodes(graph, dead);
  }
  pruneTensors(graph);
  return graph;
}
