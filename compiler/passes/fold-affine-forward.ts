/**
 * Float pass: a per-feature Mul or Add by a constant whose only reader is a
 * Gemm (or a Conv) folds into that op's weights and bias — the mirror image
 * of fold-batchnorm, for what comes *before* the op. PyTorch input
 * normalisation `(x - mean) / std` in front of the first Linear is the usual
 * case: kept as ops, the input would be rounded to int8 three times (x, x −
 * mean, then / std) where onnxruntime's quantizer leaves Sub/Div in float;
 * folded, the Gemm reads x once quantized, exactly.
 *   y = W·(s⊙x) + b  →  W' = W·diag(s)
 *   y = W·(x + t) + b  →  b' = b + W·t
 * A Conv takes the Add only without padding (a padded border would see t
 * where the model pads zeros); a Mul folds either way (s·0 = 0).
 * A Mul folds only when its factors are within MAX_SCALE_SPREAD of each
 * other: W·diag(s) scales the weights per *input* feature, and per-channel
 * weight quantization is per *output* channel, so features with a small
 * factor would get coarse weights (an input BatchNorm with variances 0.25
 * and 9 lost 5 dB that way); one requantization costs less.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { pruneTensors, removeNodes, uniqueTensorName } from './graph-edit.js';
import { isInputEdgeNode } from './mark-input-affine.js';

export const MAX_SCALE_SPREAD = 2;

/** Per-feature factors that fold into weights without costing their quantization precision. */
export function foldableScale(v: ArrayLike<number>): boolean {
  let lo = Infinity;
  let hi = 0;
  for (let i = 0; i < v.length; i++) { const a = Math.abs(v[i]); lo = Math.min(lo, a); hi = Math.max(hi, a); }
  return lo > 0 && hi / lo <= MAX_SCALE_SPREAD;
}

/** Weighted reader of `name` that can take a per-input-feature affine, with the feature count. */
interface Target { node: Node; w: Tensor; features: number }

function onlyReader(graph: Graph, name: string): Node | undefined {
  if (graph.outputs.includes(name)) return undefined;
  const readers = graph.nodes.filter((n) => n.inputs.includes(name));
  return readers.length === 1 ? readers[0] : undefined;
}

function targetOf(graph: Graph, reader: Node, name: string): Target | undefined {
  if (reader.inputs[0] !== name || reader.inputs.indexOf(name, 1) !== -1) return undefined;
  const w = graph.tensors.get(reader.inputs[1] ?? '');
  if (!w?.data || w.dtype !== 'float32') return undefined;
  const bias = reader.inputs[2] ?? '';
  if (bias !== '' && !graph.tensors.get(bias)?.data) return undefined;
  if (reader.opType === 'Gemm' && Number(reader.attrs.transA ?? 0) === 0 && w.shape.length === 2) {
    return { node: reader, w, features: Number(reader.attrs.transB ?? 0) === 1 ? w.shape[1] : w.shape[0] };
  }
  if (reader.opType === 'Conv' && Number(reader.attrs.group ?? 1) === 1) return { node: reader, w, features: w.shape[1] };
  return undefined;
}

/** The per-feature vector (axis 1 of `x`) of a broadcast constant, or undefined when it varies along another axis. */
function featureVector(c: Tensor, x: readonly number[], features: number): Float64Array | undefined {
  if (!c.data || (c.dtype !== 'float32' && c.dtype !== 'float64') || c.shape.length > x.length || x[1] !== features) return undefined;
  const offset = x.length - c.shape.length;
  if (c.shape.some((d, i) => d !== 1 && !(i + offset === 1 && d === features))) return undefined;
  return Float64Array.from({ length: features }, (_, k) => Number(c.data![c.data!.length === 1 ? 0 : k]));
}

function convUnpadded(node: Node): boolean {
  const pads = node.attrs.pads;
  const auto = node.attrs.auto_pad;
  return (!Array.isArray(pads) || (pads as number[]).every((p) => p === 0)) && (auto === undefined || auto === 'NOTSET' || auto === 'VALID');
}

/** Feature index of every weight element (Gemm [K,N] / [N,K]; Conv OIHW). */
function featureOf(t: Target): (i: number) => number {
  const { node, w } = t;
  if (node.opType === 'Gemm') {
    const transB = Number(node.attrs.transB ?? 0) === 1;
    return transB ? (i) => i % w.shape[1] : (i) => Math.floor(i / w.shape[1]);
  }
  const inner = w.shape.slice(2).reduce((a, b) => a * b, 1);
  return (i) => Math.floor(i / inner) % w.shape[1];
}

/** Output channel of every weight element. */
function outputOf(t: Target): (i: number) => number {
  const { node, w } = t;
  if (node.opType === 'Gemm') {
    const transB = Number(node.attrs.transB ?? 0) === 1;
    return transB ? (i) => Math.floor(i / w.shape[1]) : (i) => i % w.shape[1];
  }
  const inner = w.shape.slice(1).reduce((a, b) => a * b, 1);
  return (i) => Math.floor(i / inner);
}

function outputChannels(t: Target): number {
  if (t.node.opType === 'Conv') return t.w.shape[0];
  return Number(t.node.attrs.transB ?? 0) === 1 ? t.w.shape[0] : t.w.shape[1];
}

/** Current bias as a per-output vector (beta applied), or undefined when it is not one. */
function biasVector(graph: Graph, t: Target, channels: number): Float64Array | undefined {
  const name = t.node.inputs[2] ?? '';
  if (name === '') return new Float64Array(channels);
  const b = graph.tensors.get(name) as Tensor;
  if (b.data!.length !== channels && b.data!.length !== 1) return undefined;
  const beta = t.node.opType === 'Gemm' ? Number(t.node.attrs.beta ?? 1) : 1;
  return Float64Array.from({ length: channels }, (_, c) => beta * Number(b.data![b.data!.length === 1 ? 0 : c]));
}

function fold(graph: Graph, op: Node, t: Target, v: Float64Array): boolean {
  const isMul = op.opType === 'Mul';
  if (!isMul && t.node.opType === 'Conv' && !convUnpadded(t.node)) return false;
  if (isMul && !foldableScale(v)) return false;
  const channels = outputChannels(t);
  const bias = biasVector(graph, t, channels);
  if (!bias) return false;
  const w = t.w.data as Float32Array;
  const feature = featureOf(t);
  const out = outputOf(t);
  const alpha = t.node.opType === 'Gemm' ? Number(t.node.attrs.alpha ?? 1) : 1;
  const newW = Float32Array.from(w, (x, i) => (isMul ? x * v[feature(i)] : x));
  if (!isMul) for (let i = 0; i < w.length; i++) bias[out(i)] += alpha * w[i] * v[feature(i)];
  const wName = uniqueTensorName(graph, `${t.w.name}_prefolded`);
  const bName = uniqueTensorName(graph, `${t.node.name}_bias_prefolded`);
  graph.tensors.set(wName, { name: wName, dtype: 'float32', shape: [...t.w.shape], data: newW });
  graph.tensors.set(bName, { name: bName, dtype: 'float32', shape: [channels], data: Float32Array.from(bias) });
  const x = op.inputs.find((i) => !graph.tensors.get(i)?.data) as string;
  t.node.inputs = [x, wName, bName];
  if (t.node.opType === 'Gemm') t.node.attrs.beta = 1;
  return true;
}

export function foldAffineForward(graph: Graph): Graph {
  for (let changed = true; changed;) {
    changed = false;
    const dead = new Set<Node>();
    for (const op of graph.nodes) {
      // an input's normalisation kept at the input edge (mark-input-affine.ts) stays
      if ((op.opType !== 'Mul' && op.opType !== 'Add') || dead.has(op) || isInputEdgeNode(op)) continue;
      const consts = op.inputs.filter((i) => graph.tensors.get(i)?.data);
      const acts = op.inputs.filter((i) => !graph.tensors.get(i)?.data);
      if (consts.length !== 1 || acts.length !== 1) continue;
      const xShape = graph.tensors.get(acts[0])?.shape;
      const outShape = graph.tensors.get(op.outputs[0])?.shape;
      if (!xShape || !outShape || xShape.join(',') !== outShape.join(',')) continue;
      const reader = onlyReader(graph, op.outputs[0]);
      const target = reader && !dead.has(reader) ? targetOf(graph, reader, op.outputs[0]) : undefined;
      const v = target ? featureVector(graph.tensors.get(consts[0]) as Tensor, xShape, target.features) : undefined;
      if (!target || !v || !fold(graph, op, target, v)) continue;
      dead.add(op);
      changed = true;
    }
    removeNodes(graph, dead);
  }
  pruneTensors(graph);
  return graph;
}
