/**
 * QOperator format -> QDQ: every QLinearConv / QLinearMatMul / com.microsoft
 * QLinear* node (onnx/qoperator.ts) becomes DequantizeLinear on each
 * quantized operand -> the float op -> QuantizeLinear with the node's output
 * parameters, which fold-qdq then turns into int8 ops like any QDQ model.
 *
 *  - int32 biases (QLinearConv B, QGemm C) are dequantized with scale
 *    input_scale × weight_scale (per output channel), zero point 0: the
 *    accumulator scale they are stored in, so lowering keeps them bit for bit.
 *  - QGemm's alpha is folded into the weight scale (alpha·A·B = A·(alpha·B)).
 *  - Data movement the format runs directly on uint8 (MaxPool, Flatten,
 *    Reshape, Transpose, Pad, ...) is wrapped the same way with its input's
 *    parameters: value-preserving, so the output shares them (a Pad's
 *    constant value is stored quantized with them too).
 *
 * Weights keep their zero point: uint8 weights with zero point != 128 (U8U8)
 * are handled exactly at lowering (ops/weights.ts).
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { modelError } from '../errors.js';
import { qoperatorForm, type BiasRef, type QOperatorForm, type QuantRef } from '../onnx/qoperator.js';
import { softmaxAxis } from '../onnx/shapes/index.js';
import { uniqueTensorName } from './graph-edit.js';

/** Ops that only move or select values: their quantized output shares the input's parameters. */
const VALUE_PRESERVING = new Set(['MaxPool', 'GlobalMaxPool', 'Flatten', 'Reshape', 'Transpose', 'Squeeze', 'Unsqueeze', 'Identity', 'Slice', 'Dropout', 'Pad']);

interface Rewrite {
  graph: Graph;
  nodes: Node[];
  /** Quantization of every quantized activation seen so far. */
  quantOf: Map<string, QuantRef>;
  /** One DequantizeLinear per (tensor, parameters). */
  dequantized: Map<string, string>;
  nodeNames: Set<string>;
}

function isQuantizedType(t: Tensor | undefined): boolean {
  return t !== undefined && (t.dtype === 'uint8' || t.dtype === 'int8');
}

function constantValues(rw: Rewrite, node: Node, name: string, what: string): number[] {
  const t = rw.graph.tensors.get(name);
  if (!t?.data) throw modelError(rw.graph.fileName, node, `${what} '${name}' must be a constant`);
  return Array.from(t.data, Number);
}

function addTensor(rw: Rewrite, base: string, t: Omit<Tensor, 'name'>): string {
  const name = uniqueTensorName(rw.graph, base);
  rw.graph.tensors.set(name, { ...t, name });
  return name;
}

/** Scale and zero point as the node gives them: constants of one shape (one value, or one per channel). */
function checkQuantRef(rw: Rewrite, node: Node, operand: string, quant: QuantRef): void {
  const scale = constantValues(rw, node, quant.scale, `scale of '${operand}'`);
  if (quant.zeroPoint === '') return;
  const zp = constantValues(rw, node, quant.zeroPoint, `zero point of '${operand}'`);
  if (zp.length !== scale.length) throw modelError(rw.graph.fileName, node, `'${operand}' has ${scale.length} scales but ${zp.length} zero points`);
}

function dequantize(rw: Rewrite, source: string, quant: QuantRef, base: string): string {
  const key = `${source}\u0000${quant.scale}\u0000${quant.zeroPoint}\u0000${quant.axis ?? ''}`;
  const done = rw.dequantized.get(key);
  if (done) return done;
  const src = rw.graph.tensors.get(source) as Tensor;
  const out = addTensor(rw, `${base}_dq`, { dtype: 'float32', shape: [...src.shape] });
  const inputs = quant.zeroPoint === '' ? [source, quant.scale] : [source, quant.scale, quant.zeroPoint];
  const attrs: Node['attrs'] = quant.axis !== undefined ? { axis: quant.axis } : {};
  rw.nodes.push({ name: uniqueNodeName(rw, `${base}_DequantizeLinear`), opType: 'DequantizeLinear', domain: '', inputs, outputs: [out], attrs });
  rw.dequantized.set(key, out);
  return out;
}

function quantize(rw: Rewrite, floatName: string, quant: QuantRef, output: string): void {
  const inputs = quant.zeroPoint === '' ? [floatName, quant.scale] : [floatName, quant.scale, quant.zeroPoint];
  rw.nodes.push({ name: uniqueNodeName(rw, `${output}_QuantizeLinear`), opType: 'QuantizeLinear', domain: '', inputs, outputs: [output], attrs: {} });
}

function uniqueNodeName(rw: Rewrite, base: string): string {
  let name = base;
  for (let i = 1; rw.nodeNames.has(name); i++) name = `${base}_${i}`;
  rw.nodeNames.add(name);
  return name;
}

/** A weight scale multiplied by QGemm's alpha (a new constant; the original may be shared). */
function scaledWeightQuant(rw: Rewrite, node: Node, quant: QuantRef, factor: number): QuantRef {
  if (factor === 1) return quant;
  if (!(factor > 0) || !Number.isFinite(factor)) throw modelError(rw.graph.fileName, node, `alpha ${factor} must be positive and finite`);
  const scale = constantValues(rw, node, quant.scale, 'weight scale').map((s) => Math.fround(s * factor));
  const shape = rw.graph.tensors.get(quant.scale)?.shape ?? [];
  const name = addTensor(rw, `${node.name}_weight_scale_alpha`, { dtype: 'float32', shape: [...shape], data: Float32Array.from(scale) });
  return { ...quant, scale: name };
}

/** DequantizeLinear of an int32 bias: scale input × weight per output channel, zero point 0. */
function dequantizeBias(rw: Rewrite, node: Node, biasName: string, bias: BiasRef): string {
  const biasT = rw.graph.tensors.get(biasName);
  if (!biasT?.data) throw modelError(rw.graph.fileName, node, `bias '${biasName}' must be a constant`);
  if (biasT.dtype !== 'int32') throw modelError(rw.graph.fileName, node, `bias '${biasName}' has type ${biasT.dtype} (int32 expected)`);
  const inScale = constantValues(rw, node, bias.input.scale, 'input scale');
  if (inScale.length !== 1) throw modelError(rw.graph.fileName, node, `input scale '${bias.input.scale}' must be a single value`);
  const wScale = constantValues(rw, node, bias.weight.scale, 'weight scale');
  const channels = biasT.data.length;
  if (wScale.length !== 1 && wScale.length !== channels) throw modelError(rw.graph.fileName, node, `weight scale has ${wScale.length} values for a bias of ${channels}`);
  const scale = Float32Array.from(wScale, (s) => Math.fround(inScale[0] * s));
  const perChannel = scale.length > 1;
  const scaleName = addTensor(rw, `${biasName}_scale`, { dtype: 'float32', shape: perChannel ? [scale.length] : [], data: scale });
  const out = addTensor(rw, `${biasName}_dq`, { dtype: 'float32', shape: [...biasT.shape] });
  rw.nodes.push({ name: uniqueNodeName(rw, `${biasName}_DequantizeLinear`), opType: 'DequantizeLinear', domain: '', inputs: [biasName, scaleName], outputs: [out], attrs: perChannel ? { axis: 0 } : {} });
  return out;
}

/** QLinearSoftmax carries the opset its axis follows; refuse only when the model's opset would read it differently. */
function checkSoftmaxOpset(rw: Rewrite, node: Node, form: QOperatorForm): void {
  if (form.opset === undefined) return;
  const rank = rw.graph.tensors.get(node.inputs[0])?.shape.length ?? 0;
  const axis = typeof form.attrs.axis === 'number' ? form.attrs.axis : undefined;
  const theirs = softmaxAxis(form.opset, axis, rank);
  const ours = softmaxAxis(rw.graph.opset, axis, rank);
  const sameLastAxis = theirs.axis === rank - 1 && ours.axis === rank - 1;
  if (!sameLastAxis && (theirs.axis !== ours.axis || theirs.coerced2D !== ours.coerced2D)) {
    throw modelError(rw.graph.fileName, node, `softmax of opset ${form.opset} semantics (axis ${theirs.axis}) in an opset-${rw.graph.opset} model is not supported`);
  }
}

function rewriteQOperator(rw: Rewrite, node: Node, form: QOperatorForm): void {
  const output = node.outputs[0];
  if (form.floatOp === 'Softmax') checkSoftmaxOpset(rw, node, form);
  if ((form.floatOp === 'GlobalAveragePool' || form.floatOp === 'AveragePool') && node.attrs.channels_last === 1) {
    throw modelError(rw.graph.fileName, node, 'channels_last=1 is not supported (onnxruntime writes it only for NHWC graphs)');
  }
  const inputs = form.inputs.map((operand, slot) => {
    if (operand.bias) {
      const weight = slot > 0 && form.weightScaleFactor !== undefined ? scaledWeightQuant(rw, node, operand.bias.weight, form.weightScaleFactor) : operand.bias.weight;
      return dequantizeBias(rw, node, operand.name, { input: operand.bias.input, weight });
    }
    if (!operand.quant) return operand.name;
    checkQuantRef(rw, node, operand.name, operand.quant);
    if (form.output) checkQuantRef(rw, node, output, form.output);
    const quant = slot === 1 && form.weightScaleFactor !== undefined ? scaledWeightQuant(rw, node, operand.quant, form.weightScaleFactor) : operand.quant;
    return dequantize(rw, operand.name, quant, operand.name);
  });
  const outT = rw.graph.tensors.get(output) as Tensor;
  const attrs = form.attrs;
  const floatOp = form.floatOp === 'AveragePool' && coversWholeInput(rw, node, outT) ? 'GlobalAveragePool' : form.floatOp;
  if (!form.output) {
    rw.nodes.push({ name: node.name, opType: floatOp, domain: '', inputs, outputs: [output], attrs: floatOp === form.floatOp ? attrs : {} });
    return;
  }
  const floatOut = addTensor(rw, `${output}_float`, { dtype: 'float32', shape: [...outT.shape] });
  rw.nodes.push({ name: node.name, opType: floatOp, domain: '', inputs, outputs: [floatOut], attrs: floatOp === form.floatOp ? attrs : {} });
  quantize(rw, floatOut, form.output, output);
}

/**
 * An average pool whose one window is the whole unpadded input (onnxruntime's
 * global pooling of Keras/TF models) is a global average: lowered as one mean
 * with requantization (TFLite MEAN) instead of a pool then a requantize, which
 * would round twice when input and output scales differ.
 */
function coversWholeInput(rw: Rewrite, node: Node, outT: Tensor): boolean {
  const x = rw.graph.tensors.get(node.inputs[0]);
  const kernel = node.attrs.kernel_shape;
  if (!x || !Array.isArray(kernel)) return false;
  const spatial = x.shape.slice(2);
  const pads = node.attrs.pads;
  const autoPad = node.attrs.auto_pad ?? 'NOTSET';
  const unpadded = (autoPad === 'NOTSET' || autoPad === 'VALID') && (!Array.isArray(pads) || (pads as number[]).every((p) => p === 0));
  return unpadded && kernel.length === spatial.length && spatial.every((d, i) => kernel[i] === d) && outT.shape.slice(2).every((d) => d === 1);
}

/** MaxPool / Flatten / Reshape... on a quantized activation: DQ -> op -> Q with the input's parameters. */
function wrapValuePreserving(rw: Rewrite, node: Node): boolean {
  if (!VALUE_PRESERVING.has(node.opType) || (node.domain !== '' && node.domain !== 'ai.onnx')) return false;
  const source = node.inputs[0];
  const quant = rw.quantOf.get(source);
  const outT = rw.graph.tensors.get(node.outputs[0]);
  if (!quant || !isQuantizedType(outT) || rw.graph.tensors.get(source)?.data) return false;
  const dq = dequantize(rw, source, quant, source);
  const output = node.outputs[0];
  const floatOut = addTensor(rw, `${output}_float`, { dtype: 'float32', shape: [...(outT as Tensor).shape] });
  // Quantized constants among the other inputs (Pad's constant_value) share the data's parameters.
  const rest = node.inputs.slice(1).map((name) => {
    const t = rw.graph.tensors.get(name);
    return name !== '' && t?.data && isQuantizedType(t) ? dequantize(rw, name, quant, name) : name;
  });
  // Extra outputs (MaxPool indices, Dropout mask) keep their names.
  rw.nodes.push({ ...node, inputs: [dq, ...rest], outputs: [floatOut, ...node.outputs.slice(1)] });
  quantize(rw, floatOut, rw.quantOf.get(output) ?? quant, output);
  return true;
}

/** Records the parameters the model's own Q/DQ nodes give activations. */
function noteQdq(rw: Rewrite, node: Node): void {
  const quant: QuantRef = { scale: node.inputs[1] ?? '', zeroPoint: node.inputs[2] ?? '' };
  const axis = node.attrs.axis;
  if (node.opType === 'QuantizeLinear') rw.quantOf.set(node.outputs[0], typeof axis === 'number' ? { ...quant, axis } : quant);
  if (node.opType === 'DequantizeLinear' && !rw.graph.tensors.get(node.inputs[0])?.data && !rw.quantOf.has(node.inputs[0])) {
    rw.quantOf.set(node.inputs[0], typeof axis === 'number' ? { ...quant, axis } : quant);
  }
}

/**
 * Parameters of every quantized activation, wherever the model states them
 * (a QOperator node reading or writing it, a Q/DQ node), then carried through
 * value-preserving ops in both directions: a uint8 graph input pooled before
 * its first QLinearConv gets that conv's input parameters.
 */
function collectQuant(rw: Rewrite): void {
  for (const node of rw.graph.nodes) {
    const form = qoperatorForm(node);
    if (form) {
      for (const operand of form.inputs) {
        if (operand.quant && !rw.graph.tensors.get(operand.name)?.data && !rw.quantOf.has(operand.name)) rw.quantOf.set(operand.name, operand.quant);
      }
      if (form.output && !rw.quantOf.has(node.outputs[0])) rw.quantOf.set(node.outputs[0], form.output);
    } else if (node.opType === 'QuantizeLinear' || node.opType === 'DequantizeLinear') {
      noteQdq(rw, node);
    }
  }
  const movers = rw.graph.nodes.filter((n) => VALUE_PRESERVING.has(n.opType) && (n.domain === '' || n.domain === 'ai.onnx'));
  for (let changed = true; changed;) {
    changed = false;
    for (const n of movers) {
      const [src, out] = [n.inputs[0], n.outputs[0]];
      if (!isQuantizedType(rw.graph.tensors.get(out)) || rw.graph.tensors.get(src)?.data) continue;
      const known = rw.quantOf.get(src) ?? rw.quantOf.get(out);
      if (!known) continue;
      if (!rw.quantOf.has(src)) { rw.quantOf.set(src, known); changed = true; }
      if (!rw.quantOf.has(out)) { rw.quantOf.set(out, known); changed = true; }
    }
  }
}

export function qoperatorToQdq(graph: Graph): Graph {
  if (!graph.nodes.some((n) => qoperatorForm(n))) return graph;
  const rw: Rewrite = { graph, nodes: [], quantOf: new Map(), dequantized: new Map(), nodeNames: new Set(graph.nodes.map((n) => n.name)) };
  collectQuant(rw);
  for (const node of graph.nodes) {
    const form = qoperatorForm(node);
    if (form) { rewriteQOperator(rw, node, form); continue; }
    if (wrapValuePreserving(rw, node)) continue;
    rw.nodes.push(node);
  }
  graph.nodes = rw.nodes;
  return graph;
}
