/**
 * Concat along any axis, in whatever layout the first input already has.
 * Inputs quantized differently from the output are requantized first.
 */
import type { Node } from '../ir/graph.js';
import { physicalShape, type Perm } from '../ir/layout.js';
import { readFloat, writeFloat } from './float-layer.js';
import { elementBytes, type LoweringContext } from '../passes/lower-context.js';
import type { ValueType } from '../ir/program.js';
import { attrInt } from './attrs.js';
import { sourceQuant } from './data-movement.js';
import { requantizeOp, requantizeS16Op, sameQuant } from './quantize.js';
import type { OpDefinition } from './types.js';

/**
 * Concat with a float32 input (the output of a layer kept float, before its
 * QuantizeLinear): in float, int8 inputs dequantized (ops/float-layer.ts), the
 * result quantized when the model quantizes it; 4-byte elements.
 */
function lowerFloatConcat(node: Node, ctx: LoweringContext, inputs: string[], perm: Perm, axis: number): void {
  const values = inputs.map((name) => readFloat(ctx, node, name, perm));
  const out = writeFloat(ctx, node, perm);
  const outShape = ctx.tensor(node.outputs[0]).shape;
  const physAxis = perm.indexOf(axis);
  const outer = physicalShape(outShape, perm).slice(0, physAxis).reduce((a, b) => a * b, 1);
  const inner = inputs.map((name) => physicalShape(ctx.tensor(name).shape, perm).slice(physAxis).reduce((a, b) => a * b, 1));
  ctx.addOp({ kind: 'concat', name: node.name, onnxOp: 'Concat', inputs: values, outputs: [out.write], params: { outer, inner_sizes: inner, elem_bytes: elementBytes('float32') }, consts: {}, macs: 0 });
  out.finish();
}

function lowerConcat(node: Node, ctx: LoweringContext): void {
  const outName = node.outputs[0];
  const outShape = ctx.tensor(outName).shape;
  const rank = outShape.length;
  const axis = (attrInt(node, 'axis', 0) + rank) % rank;
  const inputs = node.inputs.filter((n) => n !== '' && ctx.tensor(n).shape[axis] !== 0);
  const constant = inputs.find((n) => ctx.tensor(n).data);
  if (constant) throw ctx.fail(node, `constant input '${constant}' to Concat is not supported`);
  const first = ctx.readAny(node, inputs[0]);
  const perm = first.perm;
  const typeOf = (name: string): ValueType => ctx.value(ctx.readAny(node, name).value).type;
  if (inputs.some((n) => typeOf(n) === 'float32')) {
    lowerFloatConcat(node, ctx, inputs, first.perm, axis);
    return;
  }
  // 16x8: int16 inputs, requantized by the int16 rule, copied as 2-byte elements
  const int16 = ctx.value(first.value).type === 'int16';
  const isInt16 = (name: string): boolean => ctx.value(ctx.readAny(node, name).value).type === 'int16';
  if (int16 !== (ctx.tensor(outName).dtype === 'int16') || inputs.some((n) => isInt16(n) !== int16)) {
    throw ctx.fail(node, 'Concat of int8 and int16 tensors is not supported');
  }
  // tf2onnx leaves int8 tensors of transparent ops without Q/DQ: they keep their source's quantization
  const outQ = ctx.tensor(outName).quant ? ctx.quant(node, outName) : sourceQuant(ctx, node, inputs[0], first);
  const physAxis = perm.indexOf(axis);
  const values = inputs.map((name) => {
    const l = ctx.read(node, name, perm);
    const q = sourceQuant(ctx, node, name, l);
    if (sameQuant(q, outQ)) return l.value;
    const t = ctx.tensor(name);
    const type = int16 ? 'int16' : 'int8';
    const tmp = ctx.newValue(`${name}_requant`, { type, shape: physicalShape(t.shape, perm), scale: outQ.scale, zeroPoint: outQ.zeroPoint, role: 'activation', onnxName: name, logicalShape: t.shape });
    ctx.addOp(int16 ? requantizeS16Op(`${node.name}_requant_${name}`, l.value, type, q, tmp, type, outQ) : requantizeOp(`${node.name}_requant_${name}`, l.value, q, tmp, outQ));
    return tmp;
  });
  const out = ctx.define(outName, perm, { quant: outQ });
  const outer = physicalShape(outShape, perm).slice(0, physAxis).reduce((a, b) => a * b, 1);
  const inner = inputs.map((name) => physicalShape(ctx.tensor(name).shape, perm).slice(physAxis).reduce((a, b) => a * b, 1));
  ctx.addOp({ kind: 'concat', name: node.name, onnxOp: 'Concat', inputs: values, outputs: [out], params: { outer, inner_sizes: inner, elem_bytes: int16 ? 2 : 1 }, consts: {}, macs: 0 });
}

export const concat: OpDefinition = {
  lowerings: [{ onnxOps: ['Concat'], lower: lowerConcat }],
  portable: {
    concat: {
      sources: ['edgec_concat_s8.c'], template: 'concat',
      view: (op, env) => ({
        outer: op.params.outer, count: op.inputs.length,
        inputs: op.inputs.map((v) => env.ptr(v, 'const int8_t')).join(', '),
        // the kernel copies bytes: int16 blocks are twice as long
        inner: (op.params.inner_sizes as number[]).map((n) => n * Number(op.params.elem_bytes ?? 1)).join(', '),
        output: env.ptr(op.outputs[0], 'int8_t'),
      }),
    },
  },
};
