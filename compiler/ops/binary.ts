/**
 * Binary elementwise ops beyond Add / Mul, on the same broadcast machinery
 * (elementwise.ts: each operand read through strides in the output's
 * physical order, adjacent dims merged):
 *  - Sub: TFLite Micro SUB int8 (ADD's parameters, x_1 - x_2), kernel
 *    edgec_sub_s8.c; in place like Add.
 *  - Max / Min (two inputs): TFLite MAXIMUM / MINIMUM (raw int8 compare when
 *    every quantization is the same), each input requantized to the output's
 *    quantization first otherwise; kernel edgec_minmax_s8.c.
 *  - PRelu with a constant slope: TFLite Micro PRELU int8 (slope per tensor,
 *    per channel or any broadcast), kernel edgec_prelu_s8.c; in place.
 *  - Where with a constant condition (TFLite has no int8 SELECT with
 *    requantization): each side requantized to the output like Max / Min,
 *    the condition expanded to one byte per output element in memory order;
 *    kernel edgec_where_s8.c. A computed condition fails naming the node.
 */
import type { Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { quantizeMultiplier } from '../ir/quant.js';
import { physicalShape, rowMajorStrides } from '../ir/layout.js';
import type { LoweringContext, Quant } from '../passes/lower-context.js';
import { ADD_FIELDS, binaryView, broadcastInit, broadcastLayout, firstActivationReadFlat, lowerBinary, operand, outputPerm } from './elementwise.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { cmsisMinMax } from '../backends/cmsis-nn.js';

function requireActivation(ctx: LoweringContext, node: Node, index: number): void {
  if (ctx.tensor(node.inputs[index]).data) throw ctx.fail(node, `input ${index} ('${node.inputs[index]}') of ${node.opType} must be an activation, not a constant (opset ${ctx.graph.opset})`);
}

/**
 * Max/Min and Where: two (possibly broadcast, possibly constant) operands
 * read in the output's layout, the output defined, and each operand's
 * requantization to the output (both kernels compare or select after it).
 */
function twoOperands(ctx: LoweringContext, node: Node, first: number, second: number) {
  const outName = node.outputs[0];
  const outShape = ctx.tensor(outName).shape;
  const outQ = ctx.quant(node, outName);
  const operands = [operand(ctx, node, first, outShape), operand(ctx, node, second, outShape)] as const;
  const perm = outputPerm(ctx, node, outShape);
  const { collapsed } = broadcastLayout(ctx, node, outShape, perm, [...operands]);
  const out = ctx.define(outName, perm);
  const requant = [shiftedRequant(ctx, node, operands[0].quant, outQ), shiftedRequant(ctx, node, operands[1].quant, outQ)] as const;
  return { outShape, outQ, operands, perm, collapsed, out, requant };
}

function lowerMinMax(node: Node, ctx: LoweringContext): void {
  const present = node.inputs.filter((i) => i !== '');
  if (present.length !== 2) throw ctx.fail(node, `${node.opType} with ${present.length} inputs is not supported (opset ${ctx.graph.opset}); two inputs are`);
  if (present.every((i) => ctx.tensor(i).data)) throw ctx.fail(node, `${node.opType} of two constants should have been folded`);
  const { outQ, operands: [a, b], collapsed, out, requant: [m1, m2] } = twoOperands(ctx, node, 0, 1);
  ctx.addOp({
    kind: 'minmax', name: node.name, onnxOp: node.opType,
    inputs: [a, b].filter((o) => !o.isConst).map((o) => o.ref), outputs: [out],
    params: {
      in1_offset: -a.quant.zeroPoint, in1_mult: m1.mult, in1_shift: m1.shift,
      in2_offset: -b.quant.zeroPoint, in2_mult: m2.mult, in2_shift: m2.shift,
      out_offset: outQ.zeroPoint, is_max: node.opType === 'Max' ? 1 : 0,
      rank: collapsed.dims.length, dims: collapsed.dims, stride1: collapsed.strides[0], stride2: collapsed.strides[1],
      in1_const: a.isConst, in2_const: b.isConst,
    },
    consts: { ...(a.isConst ? { in1: a.ref } : {}), ...(b.isConst ? { in2: b.ref } : {}) },
    inPlace: firstActivationReadFlat(collapsed, [a, b]),
    macs: 0,
  });
}

function lowerPRelu(node: Node, ctx: LoweringContext): void {
  requireActivation(ctx, node, 0);
  const slopeName = node.inputs[1];
  const slope = ctx.tensor(slopeName);
  if (!slope.data) throw ctx.fail(node, `PRelu slope '${slopeName}' must be a constant (opset ${ctx.graph.opset})`);
  const outName = node.outputs[0];
  const outShape = ctx.tensor(outName).shape;
  const inQ = ctx.quant(node, node.inputs[0]);
  const outQ = ctx.quant(node, outName);
  const x = operand(ctx, node, 0, outShape);
  const alpha = operand(ctx, node, 1, outShape);
  const perm = ctx.readAny(node, node.inputs[0]).perm;
  const { collapsed } = broadcastLayout(ctx, node, outShape, perm, [x, alpha]);
  const out = ctx.define(outName, perm);
  // TFLite prelu.cc: QuantizeMultiplier of double(in_scale / out_scale) and double(in_scale * alpha_scale / out_scale)
  const pos = quantizeMultiplier(inQ.scale / outQ.scale);
  const neg = quantizeMultiplier((inQ.scale * alpha.quant.scale) / outQ.scale);
  ctx.addOp({
    kind: 'prelu', name: node.name, onnxOp: 'PRelu', inputs: [x.ref], outputs: [out],
    params: {
      input_offset: -inQ.zeroPoint, alpha_offset: -alpha.quant.zeroPoint, output_offset: outQ.zeroPoint,
      mult_pos: pos.mult, shift_pos: pos.shift, mult_neg: neg.mult, shift_neg: neg.shift,
      rank: collapsed.dims.length, dims: collapsed.dims, stride1: collapsed.strides[0], stride2: collapsed.strides[1],
    },
    consts: { alpha: alpha.ref }, inPlace: true, macs: 0,
  });
}

/** Multiplier of the pre-shifted (<< 20) requantization into the output's quantization (edgec_minmax_s8.c, edgec_where_s8.c). */
function shiftedRequant(ctx: LoweringContext, node: Node, from: Quant, to: Quant): { mult: number; shift: number } {
  const ratio = from.scale / to.scale;
  if (ratio >= 2 ** 10) throw ctx.fail(node, `${node.opType} input scale ${from.scale} is over 1024 times the output scale ${to.scale}`);
  return quantizeMultiplier(ratio / 2 ** 20);
}

/** The constant condition broadcast to the output, one byte per element in the output's memory order. */
function expandedMask(cond: Int8Array | Uint8Array, condShape: number[], outShape: number[], perm: number[]): Int8Array {
  const shape = [...new Array<number>(outShape.length - condShape.length).fill(1), ...condShape];
  const condStrides = rowMajorStrides(shape).map((s, a) => (shape[a] === 1 ? 0 : s));
  const phys = physicalShape(outShape, perm);
  const total = phys.reduce((a, b) => a * b, 1);
  const mask = new Int8Array(total);
  const idx = new Array<number>(phys.length).fill(0);
  for (let e = 0; e < total; e++) {
    let src = 0;
    idx.forEach((i, d) => { src += i * condStrides[perm[d]]; });
    mask[e] = cond[src] ? 1 : 0;
    for (let d = phys.length - 1; d >= 0; d--) {
      if (++idx[d] < phys[d]) break;
      idx[d] = 0;
    }
  }
  return mask;
}

function lowerWhere(node: Node, ctx: LoweringContext): void {
  const condName = node.inputs[0];
  const cond = ctx.tensor(condName);
  if (!cond.data) throw ctx.fail(node, `Where with a computed condition '${condName}' is not supported (opset ${ctx.graph.opset}); the condition must be a constant`);
  if (node.inputs.slice(1).every((i) => ctx.tensor(i).data)) throw ctx.fail(node, 'Where of two constants should have been folded');
  const { outShape, outQ, operands: [x, y], perm, collapsed, out, requant: [mx, my] } = twoOperands(ctx, node, 1, 2);
  const mask = expandedMask(cond.data as Int8Array | Uint8Array, cond.shape, outShape, perm);
  ctx.addOp({
    kind: 'where', name: node.name, onnxOp: 'Where',
    inputs: [x, y].filter((o) => !o.isConst).map((o) => o.ref), outputs: [out],
    params: {
      x_offset: -x.quant.zeroPoint, x_mult: mx.mult, x_shift: mx.shift,
      y_offset: -y.quant.zeroPoint, y_mult: my.mult, y_shift: my.shift, out_offset: outQ.zeroPoint,
      rank: collapsed.dims.length, dims: collapsed.dims, stride1: collapsed.strides[0], stride2: collapsed.strides[1],
      in1_const: x.isConst, in2_const: y.isConst,
    },
    consts: { mask: ctx.addConst(`${node.name}_mask`, 'int8', mask), ...(x.isConst ? { in1: x.ref } : {}), ...(y.isConst ? { in2: y.ref } : {}) },
    inPlace: firstActivationReadFlat(collapsed, [x, y]), macs: 0,
  });
}

const MINMAX_FIELDS = ['in1_offset', 'in1_mult', 'in1_shift', 'in2_offset', 'in2_mult', 'in2_shift', 'out_offset', 'is_max'];
const WHERE_FIELDS = ['x_offset', 'x_mult', 'x_shift', 'y_offset', 'y_mult', 'y_shift', 'out_offset'];
const PRELU_FIELDS = ['input_offset', 'alpha_offset', 'output_offset', 'mult_pos', 'shift_pos', 'mult_neg', 'shift_neg'];

function preluView(op: Op, env: EmitEnv): Record<string, unknown> {
  return {
    params: PRELU_FIELDS.map((f) => op.params[f]).join(', '), bcast: broadcastInit(op),
    input: env.ptr(op.inputs[0], 'const int8_t'), alpha: env.constName(op.consts.alpha), output: env.ptr(op.outputs[0], 'int8_t'),
  };
}

export const binary: OpDefinition = {
  lowerings: [
    { onnxOps: ['Sub'], lower: (n, c) => lowerBinary(n, c, 'sub') },
    { onnxOps: ['Max', 'Min'], lower: lowerMinMax },
    { onnxOps: ['PRelu'], lower: lowerPRelu },
    { onnxOps: ['Where'], lower: lowerWhere },
  ],
  portable: {
    sub: { sources: ['edgec_sub_s8.c'], template: 'sub', view: binaryView(ADD_FIELDS) },
    minmax: { sources: ['edgec_minmax_s8.c'], template: 'minmax', view: binaryView(MINMAX_FIELDS) },
    prelu: { sources: ['edgec_prelu_s8.c'], template: 'prelu', view: preluView },
    where: { sources: ['edgec_where_s8.c'], template: 'where', view: (op, env) => ({ ...binaryView(WHERE_FIELDS)(op, env), mask: env.constName(op.consts.mask) }) },
  },
  cmsisNn: { minmax: cmsisMinMax },
  libraryMissing: {
    // arm_elementwise_add_s8 with input 2's multiplier negated is not x1 - x2: its doubling high multiply rounds
    // ties toward +inf, so requantize(v, -m) is -requantize(v, m) + 1 on ties (e.g. m = 2^30 + 2^10, odd v).
    sub: 'no subtraction kernel in CMSIS-NN / ESP-NN (an add with a negated multiplier rounds ties differently)',
  },
};
