/**
 * The QOperator format (onnxruntime quantize_static(quant_format=QOperator)):
 * ONNX QLinearConv / QLinearMatMul and the com.microsoft QLinear* ops carry
 * the quantization of each operand as extra (scale, zero point) inputs. Each
 * is described here as the float op it computes plus where its quantization
 * parameters live, so that import (shape rules) and the canonicalisation pass
 * (passes/qoperator-to-qdq.ts, DQ -> float op -> Q) share one table.
 */
import type { AttrValue, Node } from '../ir/graph.js';

export const MICROSOFT_DOMAIN = 'com.microsoft';

/** Where a tensor's quantization lives: names of the scale and zero-point tensors ('' = zero point 0). */
export interface QuantRef {
  scale: string;
  zeroPoint: string;
  /** Per-channel axis (DequantizeLinear's attribute) when the scale has more than one value. */
  axis?: number;
}

/** int32 bias in the accumulator's scale (input scale × weight scale, zero point 0). */
export interface BiasRef {
  input: QuantRef;
  weight: QuantRef;
}

export interface QOperatorInput {
  name: string;
  /** Quantized operand: dequantized before the float op. */
  quant?: QuantRef;
  /** Quantized bias of a weighted op. */
  bias?: BiasRef;
}

export interface QOperatorForm {
  /** The default-domain float op the node computes between its dequantized inputs and quantized output. */
  floatOp: string;
  inputs: QOperatorInput[];
  attrs: Record<string, AttrValue>;
  /** Output quantization; absent when the op writes float (QGemm without y_scale). */
  output?: QuantRef;
  /** Factor on the weight (input 1) scale: QGemm's alpha folded into the weights. */
  weightScaleFactor?: number;
  /** Opset whose semantics the float op's attributes follow when it differs from the model's (QLinearSoftmax's 'opset'). */
  opset?: number;
}

function input(node: Node, slot: number): string {
  return node.inputs[slot] ?? '';
}

function quantRef(node: Node, scaleSlot: number, axis?: number): QuantRef {
  return { scale: input(node, scaleSlot), zeroPoint: input(node, scaleSlot + 1), axis };
}

/** (x, x_scale, x_zero_point) starting at `slot`. */
function operand(node: Node, slot: number, axis?: number): QOperatorInput {
  return { name: input(node, slot), quant: quantRef(node, slot + 1, axis) };
}

function without(attrs: Record<string, AttrValue>, ...names: string[]): Record<string, AttrValue> {
  const out = { ...attrs };
  for (const n of names) delete out[n];
  return out;
}

function numberAttr(node: Node, name: string, fallback: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : fallback;
}

/** x, x_scale, x_zp, y_scale, y_zp: the unary com.microsoft ops. */
function unary(floatOp: string, keep: (node: Node) => Record<string, AttrValue>) {
  return (node: Node): QOperatorForm => ({ floatOp, inputs: [operand(node, 0)], attrs: keep(node), output: quantRef(node, 3) });
}

/** a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp. */
function binary(floatOp: string) {
  return (node: Node): QOperatorForm => ({ floatOp, inputs: [operand(node, 0), operand(node, 3)], attrs: {}, output: quantRef(node, 6) });
}

function qlinearConv(node: Node): QOperatorForm {
  const x = operand(node, 0);
  const w = operand(node, 3, 0);
  const inputs = [x, w];
  const bias = input(node, 8);
  if (bias !== '') inputs.push({ name: bias, bias: { input: x.quant!, weight: w.quant! } });
  return { floatOp: 'Conv', inputs, attrs: { ...node.attrs }, output: quantRef(node, 6) };
}

function qlinearMatMul(node: Node): QOperatorForm {
  // Per-channel B is quantized along its last axis (the output columns).
  return { floatOp: 'MatMul', inputs: [operand(node, 0), operand(node, 3, -1)], attrs: {}, output: quantRef(node, 6) };
}

/** QGemm(A, a_scale, a_zp, B, b_scale, b_zp, C?, y_scale?, y_zp?): Y = alpha·A'·B' + C, C int32 in scale alpha·a_scale·b_scale. */
function qgemm(node: Node): QOperatorForm {
  const transB = numberAttr(node, 'transB', 0);
  const a = operand(node, 0);
  const b = operand(node, 3, transB ? 0 : 1);
  const inputs = [a, b];
  const c = input(node, 6);
  if (c !== '') inputs.push({ name: c, bias: { input: a.quant!, weight: b.quant! } });
  const output = input(node, 7) !== '' ? quantRef(node, 7) : undefined;
  return { floatOp: 'Gemm', inputs, attrs: without(node.attrs, 'alpha', 'beta'), output, weightScaleFactor: numberAttr(node, 'alpha', 1) };
}

/** QLinearConcat(y_scale, y_zp, x0, x0_scale, x0_zp, x1, ...). */
function qlinearConcat(node: Node): QOperatorForm {
  const inputs: QOperatorInput[] = [];
  for (let slot = 2; slot < node.inputs.length; slot += 3) inputs.push(operand(node, slot));
  return { floatOp: 'Concat', inputs, attrs: { ...node.attrs }, output: quantRef(node, 0) };
}

function qlinearSoftmax(node: Node): QOperatorForm {
  // The contrib op's axis defaults to -1 whatever the opset.
  const form = unary('Softmax', (n) => ({ ...without(n.attrs, 'opset'), axis: numberAttr(n, 'axis', -1) }))(node);
  const opset = node.attrs.opset;
  return typeof opset === 'number' ? { ...form, opset } : form;
}

const keepAll = (n: Node): Record<string, AttrValue> => ({ ...n.attrs });
const poolAttrs = (n: Node): Record<string, AttrValue> => without(n.attrs, 'channels_last');

const DEFAULT_DOMAIN_FORMS: Record<string, (node: Node) => QOperatorForm> = {
  QLinearConv: qlinearConv,
  QLinearMatMul: qlinearMatMul,
};

const MICROSOFT_FORMS: Record<string, (node: Node) => QOperatorForm> = {
  QGemm: qgemm,
  QLinearAdd: binary('Add'),
  QLinearMul: binary('Mul'),
  QLinearConcat: qlinearConcat,
  QLinearGlobalAveragePool: unary('GlobalAveragePool', poolAttrs),
  QLinearAveragePool: unary('AveragePool', poolAttrs),
  QLinearSigmoid: unary('Sigmoid', () => ({})),
  QLinearLeakyRelu: unary('LeakyRelu', keepAll),
  QLinearSoftmax: qlinearSoftmax,
};

export function isQOperator(node: Node): boolean {
  return qoperatorFormFn(node) !== undefined;
}

function qoperatorFormFn(node: Node): ((node: Node) => QOperatorForm) | undefined {
  if (node.domain === MICROSOFT_DOMAIN) return Object.hasOwn(MICROSOFT_FORMS, node.opType) ? MICROSOFT_FORMS[node.opType] : undefined;
  if (node.domain === '' || node.domain === 'ai.onnx') return Object.hasOwn(DEFAULT_DOMAIN_FORMS, node.opType) ? DEFAULT_DOMAIN_FORMS[node.opType] : undefined;
  return undefined;
}

/** The float form of a QOperator node, undefined for any other node. */
export function qoperatorForm(node: Node): QOperatorForm | undefined {
  return qoperatorFormFn(node)?.(node);
}

/** com.microsoft op names edgec imports (for the shape-rule table). */
export const MICROSOFT_QOPERATORS: readonly string[] = Object.keys(MICROSOFT_FORMS);
export const DEFAULT_QOPERATORS: readonly string[] = Object.keys(DEFAULT_DOMAIN_FORMS);
