/**
 * Turns a QDQ graph (DequantizeLinear -> float op -> QuantizeLinear) into a
 * graph of ops on quantized tensors: quantization moves from Q/DQ nodes onto
 * the tensors themselves (Tensor.quant) and the float ops in between read and
 * write int8 directly.
 *
 *  - DQ of a constant (weights, bias) becomes a quantized constant.
 *  - DQ of an activation disappears: readers read the quantized tensor.
 *  - Q of an op's only result makes that op write the quantized tensor.
 *  - Q of a graph input, and DQ feeding a graph output, stay: they are the
 *    model's float edges (lowered to quantize / dequantize kernels).
 *  - A second Q of the same float tensor with other parameters becomes an
 *    edgec.Requantize node.
 */
import type { Graph, Node, QuantInfo, Tensor } from '../ir/graph.js';
import { displayName, modelError } from '../errors.js';
import { GraphIndex, pruneTensors, removeNodes } from './graph-edit.js';
import { QUANTIZED_RANGE, quantizeValue } from '../ir/quant.js';

/** Zero-point types QuantizeLinear / DequantizeLinear take (int32: a bias DequantizeLinear). */
const ZERO_POINT_DTYPES = new Set(['int8', 'uint8', 'int16', 'int32']);
/** float32 subnormals: no kernel multiplier or division is meaningful with them. */
const MIN_NORMAL_FLOAT32 = 2 ** -126;

export function readQuantParams(graph: Graph, node: Node): QuantInfo {
  const fail = (reason: string): Error => modelError(graph.fileName, node, reason);
  const scaleName = node.inputs[1] ?? '';
  const scaleT = graph.tensors.get(scaleName);
  if (!scaleT?.data) throw fail('scale must be a constant');
  // A BOOL or integer scale would decode as 0/1 and silently quantize with the wrong step.
  // (float64: scales our own passes derive as exact products, e.g. per-channel-activation)
  if (scaleT.dtype !== 'float32' && scaleT.dtype !== 'float64') throw fail(`scale '${displayName(scaleName)}' has type ${scaleT.dtype}; float32 is required`);
  const zpName = node.inputs[2] ?? '';
  const zpT = zpName ? graph.tensors.get(zpName) : undefined;
  if (zpName && !zpT?.data) throw fail('zero point must be a constant');
  const quantized = graph.tensors.get(node.opType === 'DequantizeLinear' ? node.inputs[0] : node.outputs[0]);
  if (zpT) {
    if (!ZERO_POINT_DTYPES.has(zpT.dtype)) throw fail(`zero point '${displayName(zpName)}' has type ${zpT.dtype}; int8, uint8, int16 or int32 is required`);
    if (node.opType === 'DequantizeLinear' && quantized && quantized.dtype !== zpT.dtype) {
      throw fail(`zero point '${displayName(zpName)}' has type ${zpT.dtype} but the quantized tensor '${displayName(quantized.name)}' is ${quantized.dtype}`);
    }
  }
  const scale = Array.from(scaleT.data, Number);
  const zeroPoint = zpT?.data ? Array.from(zpT.data, Number) : scale.map(() => 0);
  if (scale.length === 0) throw fail(`scale '${displayName(scaleName)}' is empty`);
  if (zeroPoint.length !== scale.length) throw fail(`scale '${displayName(scaleName)}' has ${scale.length} values but zero point '${displayName(zpName)}' has ${zeroPoint.length}`);
  const bad = scale.find((s) => !(s > 0) || !Number.isFinite(s) || s < MIN_NORMAL_FLOAT32);
  if (bad !== undefined) throw fail(`scale '${displayName(scaleName)}' must be a positive, finite, normal float32 (got ${bad})`);
  const inputRank = graph.tensors.get(node.inputs[0])?.shape.length ?? 1;
  const rawAxis = typeof node.attrs.axis === 'number' ? node.attrs.axis : 1;
  // rank 1: per channel over its only axis whatever `axis` says (tf2onnx writes axis=3 on depthwise biases, as onnxruntime accepts)
  if (scale.length > 1 && inputRank > 1 && (rawAxis < -inputRank || rawAxis >= inputRank)) throw fail(`axis ${rawAxis} is out of range for a rank-${inputRank} tensor`);
  const axis = scale.length > 1 ? (inputRank === 1 ? 0 : (rawAxis + inputRank) % inputRank) : -1;
  const axisDim = axis >= 0 ? graph.tensors.get(node.inputs[0])?.shape[axis] : undefined;
  if (axisDim !== undefined && axisDim !== scale.length) throw fail(`scale '${displayName(scaleName)}' has ${scale.length} values for ${axisDim} channels along axis ${axis}`);
  return { scale, zeroPoint, axis };
}

/** DQ nodes: constants become quantized constants; activations are read directly. */
function foldDequantize(graph: Graph, dead: Set<Node>): void {
  const index = new GraphIndex(graph);
  const outputs = new Set(graph.outputs);
  for (const node of graph.nodes) {
    if (node.opType !== 'DequantizeLinear') continue;
    const quant = readQuantParams(graph, node);
    const src = graph.tensors.get(node.inputs[0]) as Tensor;
    const out = node.outputs[0];
    if (src.data) {
      const folded: Tensor = { name: out, dtype: src.dtype, shape: src.shape, data: src.data, quant };
      graph.tensors.set(out, folded);
      dead.add(node);
      continue;
    }
    if (src.quant && !sameQuant(src.quant, quant)) {
      throw modelError(graph.fileName, node, `tensor '${src.name}' is dequantized with two different quantizations`);
    }
    src.quant = quant;
    if (outputs.has(out)) continue; // float model output: keep as the edge op
    index.replaceReads(out, src.name);
    dead.add(node);
  }
}

/** The same quantization: axis, and every scale (as float32) and zero point. */
export function sameQuant(a: QuantInfo, b: QuantInfo): boolean {
  return a.axis === b.axis && a.scale.length === b.scale.length
    && a.scale.every((s, i) => Math.fround(s) === Math.fround(b.scale[i]) && a.zeroPoint[i] === b.zeroPoint[i]);
}

/**
 * Tensors computed in float from the model's float inputs, before any
 * QuantizeLinear: those ops really run in float and cannot write int8.
 */
function floatEdgeTensors(graph: Graph): Set<string> {
  const edge = new Set(graph.inputs.filter((i) => graph.tensors.get(i)?.dtype === 'float32' && !graph.tensors.get(i)?.quant && !graph.tensors.get(i)?.data));
  for (const node of graph.nodes) {
    // quantizers end the float edge (edgec.QuantizeAffine: a normalised input's QuantizeLinear, passes/fold-input-affine.ts)
    if (node.opType === 'QuantizeLinear' || node.opType === 'edgec.QuantizeAffine') continue;
    const active = node.inputs.filter((i) => i !== '' && !graph.tensors.get(i)?.data);
    if (active.length > 0 && active.every((i) => edge.has(i))) node.outputs.forEach((o) => edge.add(o));
  }
  return edge;
}

/**
 * QuantizeLinear of a constant, computed as onnxruntime does (x / scale in
 * float32, round half to even, plus the zero point, saturated); a
 * non-finite value or an output type other than int8 / uint8 / int16 is
 * refused in one line.
 */
function quantizeConstant(graph: Graph, node: Node, src: Tensor, out: Tensor, q: QuantInfo): Int8Array | Uint8Array | Int16Array {
  const range = out.dtype === 'int8' || out.dtype === 'uint8' || out.dtype === 'int16' ? QUANTIZED_RANGE[out.dtype] : undefined;
  if (!range) throw modelError(graph.fileName, node, `quantizing constant '${displayName(src.name)}' to ${out.dtype} is not supported (int8, uint8 or int16)`);
  const values = src.data as ArrayLike<number>;
  const inner = q.axis < 0 ? 1 : src.shape.slice(q.axis + 1).reduce((a, b) => a * b, 1);
  const channels = q.axis < 0 ? 1 : src.shape[q.axis];
  const data = out.dtype === 'int8' ? new Int8Array(values.length) : out.dtype === 'uint8' ? new Uint8Array(values.length) : new Int16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = Number(values[i]);
    if (!Number.isFinite(x)) throw modelError(graph.fileName, node, `constant '${displayName(src.name)}' element ${i} is ${x}; it cannot be quantized`);
    const c = q.axis < 0 ? 0 : Math.floor(i / inner) % channels;
    data[i] = quantizeValue(x, q.scale[c], q.zeroPoint[c], range);
  }
  return data;
}

/** Q nodes: the producer writes the quantized tensor. */
function foldQuantize(graph: Graph, dead: Set<Node>): void {
  const producers = new Map<string, Node>();
  graph.nodes.forEach((n) => n.outputs.forEach((o) => producers.set(o, n)));
  const firstQuantOf = new Map<string, string>();
  const floatEdge = floatEdgeTensors(graph);
  const index = new GraphIndex(graph);
  const inputs = new Set(graph.inputs);
  const outputs = new Set(graph.outputs);
  for (const node of graph.nodes) {
    if (node.opType !== 'QuantizeLinear' || dead.has(node)) continue;
    const quant = readQuantParams(graph, node);
    const src = node.inputs[0];
    const out = graph.tensors.get(node.outputs[0]) as Tensor;
    out.quant = quant;
    const srcTensor = graph.tensors.get(src) as Tensor;
    if (srcTensor.data) {
      // a constant (onnxruntime's Q of an Expand of zeros: an LSTM's initial state) is quantized here, once
      out.data = quantizeConstant(graph, node, srcTensor, out, quant);
      dead.add(node);
      continue;
    }
    if (srcTensor.dtype !== 'float32' && srcTensor.quant) {
      // Q of a folded DQ (DQ -> Q with other parameters): the source already is
      // quantized, so this is a requantization, not a float edge and not a
      // re-labelling of the producer's output (that would skip the first rounding).
      node.opType = 'edgec.Requantize';
      node.domain = 'edgec';
      index.setInputs(node, [src]);
      continue;
    }
    const producer = producers.get(src);
    if (!producer || inputs.has(src)) continue; // model float input: keep as edge quantize
    // A float op before the model's first Q (e.g. a Reshape of a float input) stays float.
    if (floatEdge.has(src)) continue;
    const readers = index.readersOf(src).filter((n) => !dead.has(n));
    const onlyQuantizers = readers.every((r) => r.opType === 'QuantizeLinear') && !outputs.has(src);
    if (!onlyQuantizers) continue; // a float reader remains; lowering reports it
    const first = firstQuantOf.get(src);
    if (first === undefined) {
      firstQuantOf.set(src, out.name);
      producer.outputs = producer.outputs.map((o) => (o === src ? out.name : o));
      dead.add(node);
      continue;
    }
    const firstTensor = graph.tensors.get(first) as Tensor;
    if (firstTensor.quant && sameQuant(firstTensor.quant, quant)) {
      index.replaceReads(out.name, first);
      if (outputs.has(out.name)) {
        // keep the output name: a requantize with identical parameters is a copy
        node.opType = 'edgec.Requantize'; node.domain = 'edgec'; index.setInputs(node, [first]);
        continue;
      }
      dead.add(node);
      continue;
    }
    node.opType = 'edgec.Requantize';
    node.domain = 'edgec';
    index.setInputs(node, [first]);
  }
}

/** Ops that move int8 data without changing values: they share one quantization. */
const LAYOUT_OPS = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Transpose', 'Identity', 'Dropout']);

/**
 * Integer tensors that reach a layout op without their own Q/DQ (tf2onnx
 * reshapes int8 model inputs before the first DQ) take the quantization of
 * the tensor on the other side of that op.
 */
function propagateThroughLayoutOps(graph: Graph): void {
  for (let changed = true; changed;) {
    changed = false;
    for (const node of graph.nodes) {
      if (!LAYOUT_OPS.has(node.opType)) continue;
      const a = graph.tensors.get(node.inputs[0]);
      const b = graph.tensors.get(node.outputs[0]);
      if (!a || !b || a.data || (a.dtype !== 'int8' && a.dtype !== 'uint8') || a.dtype !== b.dtype) continue;
      if (a.quant && !b.quant && a.quant.axis === -1) { b.quant = a.quant; changed = true; }
      if (b.quant && !a.quant && b.quant.axis === -1) { a.quant = b.quant; changed = true; }
    }
  }
}

export function foldQdq(graph: Graph): Graph {
  const dead = new Set<Node>();
  foldDequantize(graph, dead);
  removeNodes(graph, dead);
  propagateThroughLayoutOps(graph);
  dead.clear();
  foldQuantize(graph, dead);
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}
