/**
 * BatchNormalization left after a quantized Conv (NNCF exports
 * `DQ(x) -> Conv(DQ(W int8)) -> BatchNormalization -> Relu -> Q`, BN not
 * folded and no Q between) folds into the conv, as TFLite's converter folds
 * it before quantizing: y = k[c]·conv(x, W)[c] + t[c] with
 * k = γ/√(σ²+ε), t = β - μ·k, so the int8 weights stay and only their
 * per-channel scales become s[c]·|k[c]| (a channel with k < 0 has its int8
 * weights negated, exact for symmetric weights without -128); the bias
 * becomes the float k[c]·b[c] + t[c], quantized by the conv's lowering.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { producerOf } from '../ir/graph.js';
import { batchNormAffine } from './fold-batchnorm.js';
import { pruneTensors, removeNodes, uniqueTensorName } from './graph-edit.js';
import { dequantizedConstant, readersOf, uniqueNodeName } from './qdq-edit.js';

/** Real per-channel bias of a conv (0 without one), or undefined when it is not a constant. */
function convBias(graph: Graph, conv: Node, channels: number): number[] | undefined {
  const name = conv.inputs[2] ?? '';
  if (name === '') return new Array<number>(channels).fill(0);
  const t = graph.tensors.get(name);
  if (t?.data) return t.data.length === channels ? Array.from(t.data, Number) : undefined;
  const c = dequantizedConstant(graph, name);
  if (!c || c.data.shape.reduce((a, b) => a * b, 1) !== channels) return undefined;
  return Array.from(c.data.data as ArrayLike<number>, (v, i) => {
    const k = c.quant.axis === -1 ? 0 : i;
    return c.quant.scale[k] * (Number(v) - c.quant.zeroPoint[k]);
  });
}

function foldInto(graph: Graph, conv: Node, bn: Node): boolean {
  const w = dequantizedConstant(graph, conv.inputs[1]);
  if (!w || w.data.dtype !== 'int8' || (w.quant.axis !== -1 && w.quant.axis !== 0) || w.quant.zeroPoint.some((z) => z !== 0)) return false;
  const channels = w.data.shape[0];
  const affine = batchNormAffine(graph, bn, channels);
  const bias = convBias(graph, conv, channels);
  if (!affine || !bias || affine.scale.some((k) => k === 0 || !Number.isFinite(k))) return false;
  const data = w.data.data as Int8Array;
  const inner = data.length / channels;
  const flips = (i: number): boolean => affine.scale[Math.floor(i / inner)] < 0;
  if (data.some((v, i) => v === -128 && flips(i))) return false; // -(-128) is not int8
  const negated = Int8Array.from(data, (v, i) => (flips(i) ? -v : v));
  const wName = uniqueTensorName(graph, `${w.data.name}_bn_folded`);
  graph.tensors.set(wName, { name: wName, dtype: 'int8', shape: w.data.shape.slice(), data: negated });
  const s = uniqueTensorName(graph, `${wName}_scale`);
  graph.tensors.set(s, { name: s, dtype: 'float64', shape: [channels], data: Float64Array.from({ length: channels }, (_, c) => w.quant.scale[w.quant.axis === -1 ? 0 : c] * Math.abs(affine.scale[c])) });
  const z = uniqueTensorName(graph, `${wName}_zero_point`);
  graph.tensors.set(z, { name: z, dtype: 'int8', shape: [channels], data: new Int8Array(channels) });
  const wOut = uniqueTensorName(graph, `${wName}_dequantized`);
  graph.tensors.set(wOut, { name: wOut, dtype: 'float32', shape: w.data.shape.slice() });
  const b = uniqueTensorName(graph, `${conv.name}_bias_bn_folded`);
  const biasT: Tensor = { name: b, dtype: 'float32', shape: [channels], data: Float32Array.from(bias, (v, c) => v * affine.scale[c] + affine.shift[c]) };
  graph.tensors.set(b, biasT);
  graph.nodes.splice(graph.nodes.indexOf(conv), 0, {
    name: uniqueNodeName(graph, `${wName}_DequantizeLinear`), opType: 'DequantizeLinear', domain: '', inputs: [wName, s, z], outputs: [wOut], attrs: { axis: 0 },
  });
  conv.inputs = [conv.inputs[0], wOut, b];
  conv.outputs = [bn.outputs[0]];
  return true;
}

export function foldBatchNormQdq(graph: Graph): Graph {
  const dead = new Set<Node>();
  for (const bn of [...graph.nodes]) {
    if (bn.opType !== 'BatchNormalization' || bn.outputs.filter((o) => o !== '').length !== 1) continue;
    const conv = producerOf(graph, bn.inputs[0]);
    if (!conv || conv.opType !== 'Conv' || readersOf(graph, bn.inputs[0]).length !== 1 || graph.outputs.includes(bn.inputs[0])) continue;
    if (foldInto(graph, conv, bn)) dead.add(bn);
  }
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}
