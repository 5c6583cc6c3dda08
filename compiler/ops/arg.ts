/**
 * ArgMax / ArgMin of an int8 activation, int32 indices (TFLite Micro
 * ARG_MAX / ARG_MIN: ties go to the first index; ONNX select_last_index = 1
 * to the last). The reduced axis is read where it lies in memory (no layout
 * copy) when the remaining axes keep their order, so the output has the
 * declared layout.
 */
import type { Node } from '../ir/graph.js';
import { identityPerm, physicalShape } from '../ir/layout.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt } from './attrs.js';
import type { OpDefinition } from './types.js';

function lowerArg(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const outName = node.outputs[0];
  const shape = ctx.tensor(xName).shape;
  const rank = shape.length;
  const axis = (attrInt(node, 'axis', 0) + rank) % rank;
  const selectLast = attrInt(node, 'select_last_index', 0);
  if (selectLast !== 0 && selectLast !== 1) throw ctx.fail(node, `${node.opType} select_last_index=${selectLast} is not supported (opset ${ctx.graph.opset})`);
  if (ctx.tensor(outName).dtype !== 'int32') {
    throw ctx.fail(node, `${node.opType} with an int64 index output is not supported (opset ${ctx.graph.opset}); edgec writes int32 indices`, 'follow it with Cast(to=INT32), as tf2onnx does');
  }
  if (ctx.tensor(xName).data) throw ctx.fail(node, `${node.opType} of a constant should have been folded`);
  ctx.quant(node, xName); // int8, per tensor
  const current = ctx.readAny(node, xName).perm;
  const rest = current.filter((a) => a !== axis);
  const input = rest.every((a, i) => i === 0 || rest[i - 1] < a) ? ctx.readAny(node, xName) : ctx.read(node, xName, identityPerm(rank));
  const phys = physicalShape(shape, input.perm);
  const at = input.perm.indexOf(axis);
  const outer = phys.slice(0, at).reduce((a, b) => a * b, 1);
  const inner = phys.slice(at + 1).reduce((a, b) => a * b, 1);
  const out = ctx.define(outName, identityPerm(ctx.tensor(outName).shape.length), { type: 'int32', quant: { scale: 0, zeroPoint: 0 } });
  ctx.addOp({
    kind: 'arg_minmax', name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [out],
    params: { outer, axis_size: shape[axis], inner, is_max: node.opType === 'ArgMax' ? 1 : 0, select_last: selectLast },
    consts: {}, macs: 0,
  });
}

export const arg: OpDefinition = {
  lowerings: [{ onnxOps: ['ArgMax', 'ArgMin'], lower: lowerArg }],
  portable: {
    arg_minmax: {
      sources: ['edgec_arg_minmax_s8.c'], template: 'arg_minmax',
      view: (op, env) => ({
        input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int32_t'),
        args: ['outer', 'axis_size', 'inner', 'is_max', 'select_last'].map((f) => op.params[f]).join(', '),
      }),
    },
  },
};
