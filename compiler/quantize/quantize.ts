/**
 * Float graph + activation ranges → QDQ graph, in the form onnxruntime's
 * quantize_static (QDQ, per-channel) writes, so that fold-qdq and lowering
 * compile it like any other int8 model and onnxruntime runs it as is:
 *  - activations: QuantizeLinear → DequantizeLinear after their producer,
 *    int8 asymmetric, the range widened to contain 0, integer zero point;
 *  - Relu / Clip right after Conv / Gemm / MatMul / Add / Mul: the op's own
 *    result gets no Q/DQ (the activation fuses into the op's clamp);
 *  - layout ops and pooling keep their input's quantization;
 *    Softmax writes scale 1/256, zero point −128 (the int8 kernel's fixed output);
 *  - weights: int8 symmetric per output channel, DQ(int8 initializer, axis);
 *    bias: int32, scale = input scale × weight scale, zero point 0;
 *  - other float constants read by quantized ops: int8 per tensor.
 */
import { INPUT_EDGE_ATTR, isInputEdgeNode } from '../passes/mark-input-affine.js';
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { roundHalfEven } from '../ir/quant.js';
import { uniqueTensorName } from '../passes/graph-edit.js';
import type { Range } from './ranges.js';
import { correctedBias, type ChannelMeans } from './bias-correction.js';
import { asInt16Layer, type Precision, type PrecisionPlan } from './precision.js';

export interface ActQuant { scale: number; zeroPoint: number }

/**
 * Ops whose output is the input's values rearranged or selected: same quantization.
 * Not GlobalAveragePool: a mean over the whole map has a much narrower range than its
 * input (a third of it in a Conv1d model, 1.6 bits), and its int8 kernel requantizes
 * for free (TFLite MEAN), so it gets its own calibrated range as in onnxruntime.
 */
export const PASS_THROUGH_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'MaxPool', 'AveragePool', 'GlobalMaxPool', 'Slice', 'Gather', 'Split', 'Pad', 'DepthToSpace', 'SpaceToDepth', 'Resize', 'Upsample']);
/** Ops with constant weights (input 1) quantized per output channel, and an int32 bias (input 2). */
export const WEIGHTED_OPS = new Set(['Conv', 'Gemm', 'MatMul', 'ConvTranspose']);
/** Producers an immediately following Relu/Clip fuses into. */
const FUSABLE_PRODUCERS = new Set(['Conv', 'Gemm', 'MatMul', 'Add', 'Mul']);

/** Output quantization of the int8 softmax kernel (TFLite's). */
export const SOFTMAX_OUTPUT: ActQuant = { scale: 1 / 256, zeroPoint: -128 };

/** int8 asymmetric parameters for a real range (widened to contain 0), as onnxruntime computes them. */
export function activationParams(range: Range): ActQuant {
  const lo = Math.min(range.lo, 0);
  const hi = Math.max(range.hi, 0);
  if (!(hi - lo > 0)) return { scale: 1, zeroPoint: 0 };
  const scale = Math.fround((hi - lo) / 255);
  const zeroPoint = Math.max(-128, Math.min(127, roundHalfEven(-128 - lo / scale)));
  return { scale, zeroPoint };
}

/** Symmetric int8 per-channel quantization of `w` along `axis`. */
export function quantizeWeights(w: Tensor, axis: number): { data: Int8Array; scales: Float32Array } {
  const data = w.data as Float32Array;
  const channels = w.shape[axis];
  const inner = w.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const chOf = (i: number): number => Math.floor(i / inner) % channels;
  const absMax = new Float64Array(channels);
  for (let i = 0; i < data.length; i++) absMax[chOf(i)] = Math.max(absMax[chOf(i)], Math.abs(data[i]));
  // an all-zero channel still needs a positive scale; its values quantize to 0 either way
  const scales = Float32Array.from(absMax, (m) => (m > 0 ? m / 127 : 1));
  const q = new Int8Array(data.length);
  for (let i = 0; i < data.length; i++) q[i] = Math.max(-127, Math.min(127, roundHalfEven(data[i] / scales[chOf(i)])));
  return { data: q, scales };
}

/** Output-channel axis of a weighted op's weight tensor. */
export function weightAxis(node: Node, w: Tensor): number {
  if (node.opType === 'Conv') return 0;
  if (node.opType === 'ConvTranspose') return 1;
  if (node.opType === 'Gemm') return Number(node.attrs.transB ?? 0) === 1 ? 0 : 1;
  return w.shape.length - 1; // MatMul [.., K, N]
}

function isFloatActivation(graph: Graph, name: string): boolean {
  const t = graph.tensors.get(name);
  return !!t && !t.data && t.dtype === 'float32';
}

/** Producer outputs whose only reader is a Relu/Clip that fuses into the producer: they get no Q/DQ. */
export function fusedIntermediates(graph: Graph): Set<string> {
  const fused = new Set<string>();
  const producers = new Map<string, Node>();
  graph.nodes.forEach((n) => n.outputs.forEach((o) => producers.set(o, n)));
  for (const act of graph.nodes) {
    if (act.opType !== 'Relu' && act.opType !== 'Clip') continue;
    if (act.opType === 'Clip' && act.inputs.slice(1).some((i) => i !== '' && !graph.tensors.get(i)?.data)) continue;
    const mid = act.inputs[0];
    const p = producers.get(mid);
    if (!p || !FUSABLE_PRODUCERS.has(p.opType) || graph.outputs.includes(mid)) continue;
    if (graph.nodes.filter((n) => n.inputs.includes(mid)).length !== 1) continue;
    fused.add(mid);
  }
  return fused;
}

export interface QuantPlan {
  /** Activation tensors that get Q/DQ, with the producer-independent params source. */
  quantized: string[];
  /** Tensors whose range calibration must measure. */
  needRange: string[];
}

/** Which activations are quantized, and which of them need a calibrated range. */
export function planQuantization(graph: Graph): QuantPlan {
  const fused = fusedIntermediates(graph);
  const quantized: string[] = [];
  const needRange: string[] = [];
  const add = (name: string, own: boolean): void => {
    if (!isFloatActivation(graph, name) || fused.has(name) || quantized.includes(name)) return;
    quantized.push(name);
    if (own) needRange.push(name);
  };
  // a float input normalised at the input edge (passes/mark-input-affine.ts): the input and the chain's
  // intermediates stay float; the chain's last output is the first quantized tensor
  const edgeOnly = (name: string): boolean => {
    const readers = graph.nodes.filter((n) => n.inputs.includes(name));
    return readers.length > 0 && readers.every(isInputEdgeNode);
  };
  graph.inputs.filter((i) => !edgeOnly(i)).forEach((i) => add(i, true));
  for (const node of graph.nodes) {
    if (isInputEdgeNode(node) && node.outputs.every(edgeOnly)) continue;
    const passThrough = PASS_THROUGH_OPS.has(node.opType) && isFloatActivation(graph, node.inputs[0]) && !fused.has(node.inputs[0]);
    node.outputs.forEach((o, k) => {
      if (o === '') return;
      add(o, !(passThrough && k === 0 || node.opType === 'Softmax' || passThrough && node.opType === 'Split'));
    });
  }
  return { quantized, needRange };
}

/** Final activation parameters: calibrated, inherited through pass-through ops, or fixed (Softmax). */
export function activationQuant(graph: Graph, plan: QuantPlan, ranges: ReadonlyMap<string, Range>): Map<string, ActQuant> {
  const params = new Map<string, ActQuant>();
  const producers = new Map<string, Node>();
  graph.nodes.forEach((n) => n.outputs.forEach((o) => producers.set(o, n)));
  for (const name of plan.quantized) {
    const range = ranges.get(name);
    if (range) { params.set(name, activationParams(range)); continue; }
    const p = producers.get(name);
    if (p?.opType === 'Softmax') { params.set(name, SOFTMAX_OUTPUT); continue; }
    const inherited = p ? params.get(p.inputs[0]) : undefined;
    if (!inherited) throw new Error(`internal: no quantization for '${name}'`);
    params.set(name, inherited);
  }
  return params;
}

interface Builder { graph: Graph; nodes: Node[]; biasMeans?: ChannelMeans }

/** Mixed / int16 activations (quantize/precision.ts): each tensor's and node's precision, and the int16 parameters. */
export interface Int16Activations { precision: PrecisionPlan; params16: ReadonlyMap<string, ActQuant> }

/** Largest int32 bias value; beyond it an int16 layer's bias stays float (the importer makes it int64, ops/int16.ts). */
const INT32_MAX = 2 ** 31 - 1;

function constTensor(b: Builder, base: string, t: Omit<Tensor, 'name'>): string {
  const name = uniqueTensorName(b.graph, base);
  b.graph.tensors.set(name, { name, ...t });
  return name;
}

function scalarParams(b: Builder, base: string, q: ActQuant, dtype: Precision): [string, string] {
  const s = constTensor(b, `${base}_scale`, { dtype: 'float32', shape: [], data: Float32Array.of(q.scale) });
  const z = constTensor(b, `${base}_zero_point`, { dtype, shape: [], data: dtype === 'int16' ? Int16Array.of(q.zeroPoint) : Int8Array.of(q.zeroPoint) });
  return [s, z];
}

function addNode(b: Builder, opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): void {
  b.nodes.push({ name: `${outputs[0]}_${opType}`, opType, domain: '', inputs, outputs, attrs });
}

function newActivation(b: Builder, base: string, like: Tensor, dtype: Tensor['dtype']): string {
  const name = uniqueTensorName(b.graph, base);
  b.graph.tensors.set(name, { name, dtype, shape: [...like.shape] });
  return name;
}

/** DQ of a quantized constant; returns the float tensor the op reads. */
function dequantizedConst(b: Builder, base: string, q: Omit<Tensor, 'name'>, scales: Float32Array, zeroPoints: Int8Array | Int16Array | Int32Array, axis: number | undefined, floatShape: number[]): string {
  const qName = constTensor(b, `${base}_quantized`, q);
  const perChannel = axis !== undefined;
  const s = constTensor(b, `${base}_scale`, { dtype: 'float32', shape: perChannel ? [scales.length] : [], data: scales });
  const zeroType = zeroPoints instanceof Int8Array ? 'int8' : zeroPoints instanceof Int16Array ? 'int16' : 'int32';
  const z = constTensor(b, `${base}_zero_point`, { dtype: zeroType, shape: perChannel ? [zeroPoints.length] : [], data: zeroPoints });
  const out = uniqueTensorName(b.graph, `${base}_DequantizeLinear`);
  b.graph.tensors.set(out, { name: out, dtype: 'float32', shape: floatShape });
  addNode(b, 'DequantizeLinear', [qName, s, z], [out], perChannel ? { axis } : {});
  return out;
}

/**
 * `inQ`: quantization of the op's activation input (its bias scale is input × weight scale).
 * `int16`: a 16x8 layer, whose int32 bias may not hold input × weight scale steps: then it stays float.
 */
function quantizeWeightInputs(b: Builder, node: Node, inQ: ActQuant | undefined, int16 = false): void {
  const w = b.graph.tensors.get(node.inputs[1]);
  if (!w?.data || w.dtype !== 'float32') return;
  const axis = weightAxis(node, w);
  const { data, scales } = quantizeWeights(w, axis);
  node.inputs[1] = dequantizedConst(b, w.name, { dtype: 'int8', shape: [...w.shape], data }, scales, new Int8Array(scales.length), axis, [...w.shape]);
  const biasName = node.inputs[2] ?? '';
  const bias = biasName !== '' ? b.graph.tensors.get(biasName) : undefined;
  if (!bias?.data || bias.dtype !== 'float32' || !inQ) return;
  const channels = scales.length;
  if (bias.data.length !== channels && bias.data.length !== 1) return;
  const mean = b.biasMeans?.get(node.name);
  const inner = w.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
  const floatBias = mean
    ? correctedBias(node, w, Float64Array.from(data, (q, i) => q * scales[Math.floor(i / inner) % channels]), bias.data as Float32Array, mean)
    : bias.data;
  const bScales = Float32Array.from(scales, (s) => Math.fround(inQ.scale * s));
  if (int16 && Array.from({ length: channels }, (_, c) => Math.abs(Number(floatBias[floatBias.length === 1 ? 0 : c]) / bScales[c])).some((v) => !(v <= INT32_MAX))) {
    if (mean) node.inputs[2] = constTensor(b, `${bias.name}_corrected`, { dtype: 'float32', shape: [...bias.shape], data: Float32Array.from(floatBias, Number) });
    return;
  }
  const bq = Int32Array.from({ length: channels }, (_, c) => {
    const v = roundHalfEven(Number(floatBias[floatBias.length === 1 ? 0 : c]) / bScales[c]);
    return Math.max(-(2 ** 31) + 1, Math.min(2 ** 31 - 1, v));
  });
  node.inputs[2] = dequantizedConst(b, bias.name, { dtype: 'int32', shape: [channels], data: bq }, bScales, new Int32Array(channels), 0, [channels]);
}

/**
 * An LSTM quantized whole for TFLite Micro's integer kernel: W and R int8
 * symmetric with one scale per gate (TFLM's kernel takes one per gate
 * tensor), as a per-channel DequantizeLinear along the gate rows (axis 1)
 * whose scales repeat within a gate, shared by the directions; B int32 with
 * Wb + Rb in the Wb half at scale X × W_g and the Rb half zero (TFLM has one
 * bias per gate), same axis.
 */
function quantizeLstmWeights(b: Builder, node: Node, inQ: ActQuant | undefined): void {
  const [w, r] = [1, 2].map((slot) => b.graph.tensors.get(node.inputs[slot]));
  if (!w?.data || !r?.data || w.dtype !== 'float32' || r.dtype !== 'float32' || !inQ) return;
  const hidden = r.shape[2];
  const rows = 4 * hidden;
  const perGate = (t: Tensor): Float32Array => {
    const data = t.data as Float32Array;
    const k = t.shape[2];
    const absMax = new Float64Array(4);
    data.forEach((v, i) => { const g = Math.floor((Math.floor(i / k) % rows) / hidden); absMax[g] = Math.max(absMax[g], Math.abs(v)); });
    return Float32Array.from({ length: rows }, (_, row) => { const m = absMax[Math.floor(row / hidden)]; return m > 0 ? m / 127 : 1; });
  };
  const quantizeRows = (t: Tensor, scales: Float32Array): string => {
    const k = t.shape[2];
    const q = Int8Array.from(t.data as Float32Array, (v, i) => Math.max(-127, Math.min(127, roundHalfEven(v / scales[Math.floor(i / k) % rows]))));
    return dequantizedConst(b, t.name, { dtype: 'int8', shape: [...t.shape], data: q }, scales, new Int8Array(rows), 1, [...t.shape]);
  };
  const wScales = perGate(w);
  node.inputs[1] = quantizeRows(w, wScales);
  node.inputs[2] = quantizeRows(r, perGate(r));
  const bias = (node.inputs[3] ?? '') !== '' ? b.graph.tensors.get(node.inputs[3]) : undefined;
  if (!bias?.data || bias.dtype !== 'float32') return;
  const dirs = w.shape[0];
  const bScales = Float32Array.from({ length: 2 * rows }, (_, i) => Math.fround(inQ.scale * wScales[i % rows]));
  const bq = new Int32Array(dirs * 2 * rows);
  for (let d = 0; d < dirs; d++) {
    for (let row = 0; row < rows; row++) {
      const real = Number(bias.data[d * 2 * rows + row]) + Number(bias.data[d * 2 * rows + rows + row]);
      bq[d * 2 * rows + row] = Math.max(-(2 ** 31) + 1, Math.min(2 ** 31 - 1, roundHalfEven(real / bScales[row])));
    }
  }
  node.inputs[3] = dequantizedConst(b, bias.name, { dtype: 'int32', shape: [...bias.shape], data: bq }, bScales, new Int32Array(2 * rows), 1, [...bias.shape]);
}

/** Float constants that a quantized op reads (Add/Mul operands, Clip bounds stay float); int16 symmetric in a 16x8 layer. */
function quantizeConstInputs(b: Builder, node: Node, precision: Precision): void {
  if (node.opType === 'Clip' || PASS_THROUGH_OPS.has(node.opType) || node.opType.endsWith('QuantizeLinear')) return;
  node.inputs.forEach((name, i) => {
    const t = name === '' ? undefined : b.graph.tensors.get(name);
    if (!t?.data || t.dtype !== 'float32') return;
    if (WEIGHTED_OPS.has(node.opType) && (i === 1 || i === 2)) return;
    let lo = 0;
    let hi = 0;
    for (const v of t.data) { lo = Math.min(lo, Number(v)); hi = Math.max(hi, Number(v)); }
    if (precision === 'int16') {
      const scale = Math.max(-lo, hi) > 0 ? Math.fround(Math.max(-lo, hi) / 32767) : 1;
      const data = Int16Array.from(t.data, (v) => Math.max(-32767, Math.min(32767, roundHalfEven(Number(v) / scale))));
      node.inputs[i] = dequantizedConst(b, `${t.name}_${node.name}`, { dtype: 'int16', shape: [...t.shape], data }, Float32Array.of(scale), Int16Array.of(0), undefined, [...t.shape]);
      return;
    }
    const q = activationParams({ lo, hi });
    const data = Int8Array.from(t.data, (v) => Math.max(-128, Math.min(127, roundHalfEven(Number(v) / q.scale) + q.zeroPoint)));
    node.inputs[i] = dequantizedConst(b, `${t.name}_${node.name}`, { dtype: 'int8', shape: [...t.shape], data }, Float32Array.of(q.scale), Int8Array.of(q.zeroPoint), undefined, [...t.shape]);
  });
}

/**
 * A tensor between two layers kept float: written by a float layer (or by a
 * Relu / Clip fused into one) and read only by float layers. It stays float:
 * no Q/DQ round trip inside a float region.
 */
function insideFloatRegion(graph: Graph, name: string, floatLayers: ReadonlySet<string>, floatInputs: boolean): boolean {
  if (floatLayers.size === 0 || graph.outputs.includes(name)) return false;
  const readers = graph.nodes.filter((n) => n.inputs.includes(name));
  if (readers.length === 0 || !readers.every((r) => floatLayers.has(r.name))) return false;
  // a model input only float layers read stays float, as onnxruntime's quantize_static leaves it: quantizing it to
  // dequantize it again is noise (torch_lstm with its LSTM float: 45.6 -> 46.7 dB)
  if (graph.inputs.includes(name)) return floatInputs;
  const producer = graph.nodes.find((n) => n.outputs.includes(name));
  if (!producer) return false;
  if (floatLayers.has(producer.name)) return true;
  const clamp = producer.opType === 'Relu' || producer.opType === 'Clip';
  const source = clamp ? graph.nodes.find((n) => n.outputs.includes(producer.inputs[0])) : undefined;
  return !!source && floatLayers.has(source.name) && fusedIntermediates(graph).has(producer.inputs[0]);
}

/**
 * Rewrites `graph` in place into its QDQ form. `floatLayers`: weighted nodes
 * that stay float (--float-layers / --auto-float): their weights and bias are
 * left float, their activations keep their Q/DQ, so the int8 neighbours are
 * quantized exactly as in the all-int8 model and the layer computes in float
 * between a DequantizeLinear and a QuantizeLinear (ops/float-layer.ts).
 * A model input only float layers read stays float, unless `floatInputs` is
 * false (--int8-io: the user feeds the quantized input).
 * `int16`: tensors and layers with int16 activations (16x8); where a layer
 * reads a tensor of the other precision, a second Q/DQ pair of the layer's
 * type follows the tensor's DQ (imported as one requantize).
 */
export function insertQdq(graph: Graph, plan: QuantPlan, params: ReadonlyMap<string, ActQuant>, floatLayers: ReadonlySet<string> = new Set(), biasMeans?: ChannelMeans, int16?: Int16Activations,
  lstmCells: ReadonlyMap<string, number> = new Map(), floatInputs = true): Graph {
  const b: Builder = { graph, nodes: [], biasMeans };
  const quantized = new Set(plan.quantized.filter((name) => !insideFloatRegion(graph, name, floatLayers, floatInputs)));
  /** Float tensor readers should read instead of each quantized activation. */
  const readAs = new Map<string, string>();
  /** The same, requantized to the other precision for readers of that precision (key `<tensor>|<precision>`). */
  const readAsOther = new Map<string, string>();
  // an LSTM quantized whole: its Y_c carries the int16 cell scale (passes/integer-lstm.ts reads it; nothing else does)
  // (and its initial_c, when the state is given at run time: the kernel reads it as int16 at that scale)
  const cellStates = new Map(graph.nodes.filter((n) => lstmCells.has(n.name) && !floatLayers.has(n.name))
    .flatMap((n) => [n.outputs[2] ?? '', n.inputs[6] ?? ''].filter((name) => name !== '' && !graph.tensors.get(name)?.data)
      .map((name) => [name, { scale: lstmCells.get(n.name) as number, zeroPoint: 0 }] as const)));
  const tensorPrecision = (name: string): Precision => (cellStates.has(name) ? 'int16' : int16?.precision.tensors.get(name) ?? 'int8');
  const nodePrecision = (node: Node): Precision => int16?.precision.nodes.get(node.name) ?? 'int8';
  const paramsOf = (name: string, p: Precision): ActQuant | undefined => (p === 'int16' ? cellStates.get(name) ?? int16?.params16.get(name) : params.get(name));

  const emitQdq = (src: string, dqOut: string, q: ActQuant, p: Precision, base = src): void => {
    const t = graph.tensors.get(src) as Tensor;
    const [s, z] = scalarParams(b, base, q, p);
    const qOut = newActivation(b, `${base}_QuantizeLinear`, t, p);
    addNode(b, 'QuantizeLinear', [src, s, z], [qOut]);
    addNode(b, 'DequantizeLinear', [qOut, s, z], [dqOut]);
  };
  const quantizeOutput = (name: string): void => {
    const p = tensorPrecision(name);
    const q = paramsOf(name, p) as ActQuant;
    const t = graph.tensors.get(name) as Tensor;
    if (graph.outputs.includes(name)) return; // handled after the producer is renamed
    const dq = newActivation(b, `${name}_DequantizeLinear`, t, 'float32');
    emitQdq(name, dq, q, p);
    readAs.set(name, dq);
  };
  /** What `reader` reads for input `name`: its DQ, or that DQ requantized to the reader's precision. */
  const readFor = (name: string, reader: Precision): string => {
    const dq = readAs.get(name);
    if (dq === undefined || tensorPrecision(name) === reader) return dq ?? name;
    const key = `${name}|${reader}`;
    const known = readAsOther.get(key);
    if (known !== undefined) return known;
    const out = newActivation(b, `${name}_${reader}_DequantizeLinear`, graph.tensors.get(name) as Tensor, 'float32');
    emitQdq(dq, out, paramsOf(name, reader) as ActQuant, reader, `${name}_${reader}`);
    readAsOther.set(key, out);
    return out;
  };

  graph.inputs.filter((i) => quantized.has(i)).forEach(quantizeOutput);
  for (const node of graph.nodes) {
    const precision = nodePrecision(node);
    // the activation's quantization is keyed by its float name, before the read is redirected to its DQ
    const inQ = paramsOf(node.inputs[0], precision);
    // an LSTM quantized whole reads its initial_c as the int16 cell state
    node.inputs = node.inputs.map((i) => readFor(i, lstmCells.has(node.name) && cellStates.has(i) ? 'int16' : precision));
    const inputEdge = isInputEdgeNode(node);
    // the mark is ours: the written model is plain ONNX
    delete node.attrs[INPUT_EDGE_ATTR];
    if (precision === 'int16') asInt16Layer(node);
    if (!floatLayers.has(node.name) && !inputEdge) {
      if (WEIGHTED_OPS.has(node.opType)) quantizeWeightInputs(b, node, inQ, precision === 'int16');
      if (lstmCells.has(node.name)) quantizeLstmWeights(b, node, inQ);
      quantizeConstInputs(b, node, precision);
    }
    // a quantized graph output keeps its name: the producer writes <name>_float, Q/DQ restore <name>
    const renamed = new Map<string, string>();
    node.outputs = node.outputs.map((o) => {
      if (!quantized.has(o) || !graph.outputs.includes(o)) return o;
      const f = newActivation(b, `${o}_float`, graph.tensors.get(o) as Tensor, 'float32');
      renamed.set(f, o);
      return f;
    });
    b.nodes.push(node);
    for (const o of node.outputs) {
      const original = renamed.get(o);
      if (original !== undefined) {
        emitQdq(o, original, paramsOf(original, tensorPrecision(original)) as ActQuant, tensorPrecision(original));
        readAs.set(original, original); // a reader of the other precision requantizes the output's DQ
      }
      else if (quantized.has(o)) quantizeOutput(o);
    }
  }
  graph.nodes = b.nodes;
  return graph;
}
