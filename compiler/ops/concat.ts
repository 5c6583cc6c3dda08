/**
 * Concat along any axis, in whatever layout the first input already has.
 * Inputs quantized differently from the output are requantized first.
 */
import type { Node } from '../ir/graph.js';
import { physicalShape } from '../ir/layout.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt } from './attrs.js';
import { requantizeOp, sameQuant } from './quantize.js';
import type { OpDefinition } from './types.js';

function lowerConcat(node: Node, ctx: LoweringContext): void {
  const outName = node.outputs[0];
  const outShape = ctx.tensor(outName).shape;
  const rank = outShape.length;
  const axis = (attrInt(node, 'axis', 0) + rank) % rank;
  const inputs = node.inputs.filter((n) => n !== '' && ctx.tensor(n).shape[axis] !== 0);
  const constant = inputs.find((n) => ctx.tensor(n).data);
  if (constant) throw ctx.fail(node, `constant input '${constant}' to Concat is not supported`);
  const perm = ctx.readAny(node, inputs[0]).perm;
  const outQ = ctx.quant(node, outName);
  const physAxis = perm.indexOf(axis);
  const values = inputs.map((name) => {
    const l = ctx.read(node, name, perm);
    const q = ctx.quant(node, name);
    if (sameQuant(q, outQ)) return l.value;
    const t = ctx.tensor(name);
    const tmp = ctx.newValue(`${name}_requant`, { type: 'int8', shape: physicalShape(t.shape, perm), scale: outQ.scale, zeroPoint: outQ.zeroPoint, role: 'activation', onnxName: name, logicalShape: t.shape });
    ctx.addOp(requantizeOp(`${node.name}_requant_${name}`, l.value, q, tmp, outQ));
    return tmp;
  });
  const out = ctx.define(outName, perm);
  const outer = physicalShape(outShape, perm).slice(0, physAxis).reduce((a, b) => a * b, 1);
  const inner = inputs.map((name) => physicalShape(ctx.tensor(name).shape, perm).slice(physAxis).reduce((a, b) => a * b, 1));
  ctx.addOp({ kind: 'concat', name: node.name, onnxOp: 'Concat', inputs: values, outputs: [out], params: { outer, inner_sizes: inner }, consts: {}, macs: 0 });
}

export const concat: OpDefinition = {
  lowerings: [{ onnxOps: ['Concat'], lower: lowerConcat }],
  portable: {
    concat: {
      sources: ['edgec_concat_s8.c'], template: 'concat',
      view: (op, env) => ({
        outer: op.params.outer, count: op.inputs.length,
        inputs: op.inputs.map((v) => env.ptr(v, 'const int8_t')).join(', '),
        inner: (op.params.inner_sizes as number[]).join(', '),
        output: env.ptr(op.outputs[0], 'int8_t'),
      }),
    },
  },
};
