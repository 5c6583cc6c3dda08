/**
 * Per-channel activation quantization (NNCF: a per-channel QuantizeLinear
 * on the input of a depthwise convolution) folded into per-channel
 * requantization, exactly, where producer and consumer allow it:
 *
 *   Conv P -> [Relu | Clip] -> x -> Q(s[c], z, axis 1) -> DQ -> depthwise D (multiplier 1)
 *
 * The int8 values x_q[c] = round(x[c] / s[c]) + z stay what they are; only
 * their labels change to one per-tensor scale S:
 *  - P's weight (and int32 bias) scales times S / s[c]: its per-channel
 *    requantization in_s·w[c]·(S/s[c]) / S = in_s·w[c] / s[c] writes exactly
 *    the per-channel x_q (a float bias is scaled the same way);
 *  - D's weight scales times s[c] / S: channel c of D reads only channel c of
 *    x (multiplier 1), so w'[c]·S·(x_q - z) = w[c]·s[c]·(x_q - z), and its
 *    int32 bias already is in s[c]·w[c] = S·w'[c].
 * A Relu between P and x is unchanged by positive per-channel factors; a
 * Clip(0, m) too when m is at or above every channel's largest int8 value
 * (it then never binds: the Q saturates first), and becomes a Relu.
 * Anything else (another producer or reader, zero points that differ) is
 * refused with an error naming the tensor. Relabelled scales are stored as
 * float64 so the products stay exact to double precision.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { producerOf } from '../ir/graph.js';
import { modelError } from '../errors.js';
import { attrInt } from '../ops/attrs.js';
import { readQuantParams } from './fold-qdq.js';
import { clampBounds } from './fuse-activations.js';
import { uniqueTensorName } from './graph-edit.js';
import { dequantizedConstant, readersOf, uniqueNodeName } from './qdq-edit.js';

class Refusal extends Error {}

function refuse(why: string): never {
  throw new Refusal(why);
}

/** A float64 scale initializer (relabelled scales: exact products). */
function scaleTensor(graph: Graph, base: string, scales: number[]): string {
  const name = uniqueTensorName(graph, `${base}_scale`);
  graph.tensors.set(name, { name, dtype: 'float64', shape: scales.length > 1 ? [scales.length] : [], data: Float64Array.from(scales) });
  return name;
}

/** A new DQ of the same constant as DQ `dq` with per-channel `scales` (axis 0), written to a new tensor that `reader` reads at `slot`. */
function rescaledConstant(graph: Graph, reader: Node, slot: number, factor: (c: number) => number): void {
  const c = dequantizedConstant(graph, reader.inputs[slot]);
  if (!c) refuse(`input '${reader.inputs[slot]}' of '${reader.name}' is not a dequantized constant`);
  const channels = c.data.shape[0];
  const scales = Array.from({ length: channels }, (_, k) => c.quant.scale[c.quant.axis === -1 ? 0 : k] * factor(k));
  const zps = Array.from({ length: channels }, (_, k) => c.quant.zeroPoint[c.quant.axis === -1 ? 0 : k]);
  if (c.quant.axis !== -1 && c.quant.axis !== 0) refuse(`constant '${c.data.name}' is quantized along axis ${c.quant.axis}`);
  const s = scaleTensor(graph, `${reader.name}_in${slot}`, scales);
  const z = uniqueTensorName(graph, `${reader.name}_in${slot}_zero_point`);
  const zpType = graph.tensors.get(c.node.inputs[2] ?? '')?.dtype === 'int32' ? 'int32' : 'int8';
  graph.tensors.set(z, { name: z, dtype: zpType, shape: [channels], data: zpType === 'int32' ? Int32Array.from(zps) : Int8Array.from(zps) });
  const out = uniqueTensorName(graph, `${reader.inputs[slot]}_rescaled`);
  graph.tensors.set(out, { name: out, dtype: 'float32', shape: c.data.shape.slice() });
  graph.nodes.splice(graph.nodes.indexOf(reader), 0, {
    name: uniqueNodeName(graph, `${out}_DequantizeLinear`), opType: 'DequantizeLinear', domain: '', inputs: [c.data.name, s, z], outputs: [out], attrs: { axis: 0 },
  });
  reader.inputs[slot] = out;
}

/** A float bias initializer scaled per channel. */
function rescaledFloatBias(graph: Graph, reader: Node, factor: (c: number) => number): void {
  const t = graph.tensors.get(reader.inputs[2]) as Tensor;
  const name = uniqueTensorName(graph, `${t.name}_rescaled`);
  graph.tensors.set(name, { ...t, name, data: Float32Array.from(t.data as Float32Array, (v, c) => v * factor(c)) });
  reader.inputs[2] = name;
}

function isDepthwiseMultiplierOne(graph: Graph, node: Node, channels: number): boolean {
  const w = dequantizedConstant(graph, node.inputs[1]);
  return node.opType === 'Conv' && attrInt(node, 'group', 1) === channels && !!w && w.data.shape[0] === channels && w.data.shape[1] === 1;
}

/** The Conv writing `x` (through a Relu / never-binding Clip), checked; returns it and the clamp node if any. */
function producerConv(graph: Graph, x: string, maxReal: number): { conv: Node; clamp?: Node } {
  let node = producerOf(graph, x);
  let clamp: Node | undefined;
  const bounds = node && clampBounds(graph, node);
  if (node && bounds) {
    if (bounds.min !== 0) refuse(`the ${node.opType} before it clamps at ${bounds.min}, not 0`);
    if (bounds.max < maxReal * (1 - 1e-6)) refuse(`the ${node.opType} before it clamps at ${bounds.max}, inside some channel's int8 range (up to ${maxReal})`);
    clamp = node;
    if (readersOf(graph, node.inputs[0]).length !== 1) refuse(`'${node.inputs[0]}' has other readers`);
    node = producerOf(graph, node.inputs[0]);
  }
  if (!node || node.opType !== 'Conv') refuse(`it is written by ${node ? `a ${node.opType}` : 'no node'}, not a Conv whose requantization can take per-channel scales`);
  return { conv: node, clamp };
}

function foldOne(graph: Graph, q: Node): void {
  const x = q.inputs[0];
  const quant = readQuantParams(graph, q);
  const rank = graph.tensors.get(x)?.shape.length ?? 0;
  if (quant.axis !== 1 || rank !== 4) refuse(`it is quantized along axis ${quant.axis} of a rank-${rank} tensor (only the channel axis 1 of NCHW)`);
  const z = quant.zeroPoint[0];
  if (quant.zeroPoint.some((v) => v !== z)) refuse('its zero points differ between channels');
  if (readersOf(graph, x).length !== 1 || graph.outputs.includes(x)) refuse('it has float readers besides the QuantizeLinear');
  const channels = quant.scale.length;
  const dqs = readersOf(graph, q.outputs[0]);
  if (dqs.length === 0 || dqs.some((d) => d.opType !== 'DequantizeLinear') || graph.outputs.includes(q.outputs[0])) refuse('its quantized tensor is read by something other than DequantizeLinear');
  const consumers = dqs.flatMap((d) => readersOf(graph, d.outputs[0]));
  if (dqs.some((d) => graph.outputs.includes(d.outputs[0]))) refuse('it is a model output');
  for (const c of consumers) {
    if (c.inputs[0] !== dqs.find((d) => d.outputs[0] === c.inputs[0])?.outputs[0] || !isDepthwiseMultiplierOne(graph, c, channels)) {
      refuse(`it is read by '${c.name}' (${c.opType}), not a depthwise convolution with multiplier 1 over those channels`);
    }
  }
  const scale = Math.max(...quant.scale);
  const maxReal = Math.max(...quant.scale.map((s) => s * (127 - z)));
  const { conv, clamp } = producerConv(graph, x, maxReal);
  const toTensor = (c: number): number => scale / quant.scale[c];
  rescaledConstant(graph, conv, 1, toTensor);
  const bias = conv.inputs[2] ?? '';
  if (bias !== '' && graph.tensors.get(bias)?.data) rescaledFloatBias(graph, conv, toTensor);
  else if (bias !== '') rescaledConstant(graph, conv, 2, toTensor);
  if (clamp && clamp.opType === 'Clip') { clamp.opType = 'Relu'; clamp.inputs = clamp.inputs.slice(0, 1); clamp.attrs = {}; }
  for (const c of consumers) {
    rescaledConstant(graph, c, 1, (k) => quant.scale[k] / scale);
  }
  const s = scaleTensor(graph, `${x}_per_tensor`, [scale]);
  const zName = uniqueTensorName(graph, `${x}_per_tensor_zero_point`);
  const zType = graph.tensors.get(q.outputs[0])?.dtype === 'uint8' ? 'uint8' : 'int8';
  graph.tensors.set(zName, { name: zName, dtype: zType, shape: [], data: zType === 'uint8' ? Uint8Array.of(z) : Int8Array.of(z) });
  for (const n of [q, ...dqs]) { n.inputs = [n.inputs[0], s, zName]; n.attrs = {}; }
}

export function perChannelActivation(graph: Graph): Graph {
  for (const q of [...graph.nodes]) {
    if (q.opType !== 'QuantizeLinear' || graph.tensors.get(q.inputs[0])?.data) continue;
    const scale = graph.tensors.get(q.inputs[1]);
    if (!scale?.data || scale.data.length <= 1) continue;
    try {
      foldOne(graph, q);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      throw modelError(graph.fileName, q, `per-channel activation quantization of tensor '${q.inputs[0]}' cannot be folded exactly: ${e.message}`,
        'quantize activations per tensor (NNCF: per_channel=False for activations), or only on depthwise inputs written by a Conv');
    }
  }
  return graph;
}
