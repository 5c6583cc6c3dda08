/**
 * MatMul + Add(bias) -> one fully connected op with an int32 bias.
 *
 * tf2onnx 1.17 --tflite writes every Dense layer of a full-int8 TFLite model
 * as `DQ(x) -> MatMul(DQ(W)) -> Add(DQ(int32 bias)) -> [Relu] -> Q`: the
 * MatMul output is float and quantized by nobody. TFLite ran one
 * FULLY_CONNECTED there, which is what this pass restores:
 * `edgec.MatMulAdd(x, W, bias)` (lowered by ops/fully-connected.ts; a
 * following Relu / Clip still folds into its clamp in fuse-activations).
 *
 * The bias is kept bit for bit when its DQ scale is input scale × weight
 * scale (what TFLite stored); otherwise its real value is quantized into
 * that scale the way TFLite's converter does (float 1/scale, round half
 * away from zero), so the int32 bias is what TFLite would have computed.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { roundHalfAway } from '../ir/quant.js';
import { pruneTensors, removeNodes, uniqueTensorName } from './graph-edit.js';
import { addQuantInitializers, dequantizedConstant, dequantizerOf, nodeActQuant, readersOf, uniqueNodeName } from './qdq-edit.js';

export const MATMUL_ADD = 'edgec.MatMulAdd';

/** The bias operand of `add` (the operand that is not `mid`): a constant or a DQ of one. */
function biasOperand(graph: Graph, add: Node, mid: string): string | undefined {
  if (add.inputs.length !== 2) return undefined;
  const other = add.inputs[0] === mid ? add.inputs[1] : add.inputs[1] === mid ? add.inputs[0] : undefined;
  if (!other) return undefined;
  return graph.tensors.get(other)?.data || dequantizedConstant(graph, other) ? other : undefined;
}

/** Real bias values of a constant or a DQ of one. */
function realBias(graph: Graph, name: string): number[] {
  const direct = graph.tensors.get(name) as Tensor;
  if (direct.data) return Array.from(direct.data, Number);
  const c = dequantizedConstant(graph, name);
  if (!c) throw new Error(`internal: bias '${name}' is not constant`);
  const values = Array.from(c.data.data as ArrayLike<number>, Number);
  return values.map((v, i) => {
    const k = c.quant.axis === -1 ? 0 : i;
    return Math.fround(c.quant.scale[k] * (v - c.quant.zeroPoint[k]));
  });
}

/** TFLite's converter: int32 bias = round_half_away(bias * float(1 / (input_scale * weight_scale))). */
export function tfliteBias(value: number, accScale: number): number {
  const inv = Math.fround(1 / accScale);
  const q = roundHalfAway(Math.fround(value * inv));
  return Math.max(-2147483648, Math.min(2147483647, q));
}

/** Whether a DQ'd int32 bias is already in the accumulator's scale (kept bit for bit then). */
function exactBias(graph: Graph, name: string, accScales: number[]): boolean {
  const c = dequantizedConstant(graph, name);
  if (!c || c.data.dtype !== 'int32') return false;
  return accScales.every((s, i) => {
    const k = c.quant.axis === -1 ? 0 : i;
    return c.quant.zeroPoint[k] === 0 && Math.fround(c.quant.scale[k]) === Math.fround(s);
  });
}

/**
 * The bias input for the fused op: the model's own when exact, else an int32
 * constant quantized into input × weight scale, TFLite's way.
 */
function canonicalBias(graph: Graph, fused: Node, bias: string, x: string, w: string, channels: number): string {
  const xq = (() => { const dq = dequantizerOf(graph, x); return dq ? nodeActQuant(graph, dq) : undefined; })();
  const wc = dequantizedConstant(graph, w);
  if (!xq || !wc) return bias; // lowering requantizes it from its real value
  const wScales = wc.quant.axis === -1 ? new Array<number>(channels).fill(wc.quant.scale[0]) : wc.quant.scale;
  const accScales = wScales.map((s) => Math.fround(xq.scale * s));
  if (exactBias(graph, bias, accScales)) return bias;
  const values = realBias(graph, bias);
  if (values.length !== channels && values.length !== 1) return bias; // lowering reports the mismatch
  const q = Int32Array.from(accScales, (s, c) => tfliteBias(values[values.length === 1 ? 0 : c], s));
  const name = uniqueTensorName(graph, `${fused.name}_bias_int32`);
  graph.tensors.set(name, { name, dtype: 'int32', shape: [channels], data: q });
  const [s, z] = addQuantInitializers(graph, name, { scale: accScales, zeroPoint: accScales.map(() => 0) }, 'int32');
  const out = uniqueTensorName(graph, `${name}_dequantized`);
  graph.tensors.set(out, { name: out, dtype: 'float32', shape: [channels] });
  graph.nodes.splice(graph.nodes.indexOf(fused), 0, {
    name: uniqueNodeName(graph, `${fused.name}_bias_DequantizeLinear`), opType: 'DequantizeLinear', domain: '',
    inputs: [name, s, z], outputs: [out], attrs: accScales.length > 1 ? { axis: 0 } : {},
  });
  return out;
}

export function matmulAddToFc(graph: Graph): Graph {
  const dead = new Set<Node>();
  for (const mm of [...graph.nodes]) {
    if (mm.opType !== 'MatMul' || dead.has(mm)) continue;
    const [x, w] = mm.inputs;
    const wc = dequantizedConstant(graph, w);
    const wShape = (wc?.data ?? graph.tensors.get(w))?.shape;
    if (!wShape || wShape.length !== 2 || !(wc || graph.tensors.get(w)?.data)) continue;
    const xRank = graph.tensors.get(x)?.shape.length ?? 0;
    if (xRank < 2) continue; // leading dims are batches (tf2onnx keeps ExpandDims: a rank-4 [1, 1, T, C] per-time-step Dense)
    const mid = mm.outputs[0];
    const readers = readersOf(graph, mid);
    if (readers.length !== 1 || readers[0].opType !== 'Add' || graph.outputs.includes(mid)) continue;
    const add = readers[0];
    const bias = biasOperand(graph, add, mid);
    const channels = wShape[1];
    const biasShape = bias ? graph.tensors.get(bias)?.shape ?? [] : [];
    if (!bias || biasShape.reduce((a, b) => a * b, 1) !== channels || biasShape.slice(0, -1).some((d) => d !== 1)) continue;
    const fused: Node = { name: mm.name, opType: MATMUL_ADD, domain: 'edgec', inputs: [x, w, bias], outputs: [add.outputs[0]], attrs: {} };
    graph.nodes[graph.nodes.indexOf(add)] = fused;
    fused.inputs[2] = canonicalBias(graph, fused, bias, x, w, channels);
    dead.add(mm);
  }
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}
