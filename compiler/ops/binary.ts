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
 */
import type { Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { quantizeMultiplier } from '../ir/quant.js';
import type { LoweringContext, Quant } from '../passes/lower-context.js';
import { ADD_FIELDS, binaryView, broadcastInit, broadcastLayout, lowerBinary, operand, outputPerm } from './elementwise.js';
import type { EmitEnv, OpDefinition } from './types.js';

function requireActivation(ctx: LoweringContext, node: Node, index: number): void {
  if (ctx.tensor(node.inputs[index]).data) throw ctx.fail(node, `input ${index} ('${node.inputs[index]}') of ${node.opType} must be an activation, not a constant (opset ${ctx.graph.opset})`);
}

function lowerMinMax(node: Node, ctx: LoweringContext): void {
  const present = node.inputs.filter((i) => i !== '');
  if (present.length !== 2) throw ctx.fail(node, `${node.opType} with ${present.length} inputs is not supported (opset ${ctx.graph.opset}); two inputs are`);
  if (present.every((i) => ctx.tensor(i).data)) throw ctx.fail(node, `${node.opType} of two constants should have been folded`);
  const outName = node.outputs[0];
  const outShape = ctx.tensor(outName).shape;
  const outQ = ctx.quant(node, outName);
  const a = operand(ctx, node, 0, outShape);
  const b = operand(ctx, node, 1, outShape);
  const perm = outputPerm(ctx, node, outShape);
  const { collapsed, sameShape } = broadcastLayout(ctx, node, outShape, perm, [a, b]);
  const out = ctx.define(outName, perm);
  // the kernel shifts inputs left by 20 before the multiply (edgec_minmax_s8.c)
  const toOut = (q: Quant): { mult: number; shift: number } => {
    const ratio = q.scale / outQ.scale;
    if (ratio >= 2 ** 10) throw ctx.fail(node, `${node.opType} input scale ${q.scale} is over 1024 times the output scale ${outQ.scale}`);
    return quantizeMultiplier(ratio / 2 ** 20);
  };
  const m1 = toOut(a.quant);
  const m2 = toOut(b.quant);
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
    // element i is written after both inputs' element i are read: safe when both are read flat
    inPlace: sameShape,
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

const MINMAX_FIELDS = ['in1_offset', 'in1_mult', 'in1_shift', 'in2_offset', 'in2_mult', 'in2_shift', 'out_offset', 'is_max'];
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
  ],
  portable: {
    sub: { sources: ['edgec_sub_s8.c'], template: 'sub', view: binaryView(ADD_FIELDS) },
    minmax: { sources: ['edgec_minmax_s8.c'], template: 'minmax', view: binaryView(MINMAX_FIELDS) },
    prelu: { sources: ['edgec_prelu_s8.c'], template: 'prelu', view: preluView },
  },
};
