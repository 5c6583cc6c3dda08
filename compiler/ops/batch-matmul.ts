/**
 * MatMul of two activations (attention scores, context) -> batch_matmul,
 * TFLite Micro BATCH_MATMUL int8 arithmetic: exact int32 sums of
 * (a - a_zp)(b - b_zp), one multiplier a_scale * b_scale / out_scale, fused
 * Relu/Clip as the clamp. Both operands read in their declared (row-major)
 * layout; numpy batch broadcasting over up to two batch dims. MatMul with a
 * constant operand stays a fully connected layer (fully-connected.ts).
 */
import type { Node } from '../ir/graph.js';
import { identityPerm } from '../ir/layout.js';
import { quantizeMultiplier } from '../ir/quant.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { fusedActivationRange } from '../passes/fuse-activations.js';
import type { OpDefinition } from './types.js';
import { cmsisBatchMatmul } from '../backends/cmsis-nn.js';

const FIELDS = ['b0', 'b1', 'a_step0', 'a_step1', 'c_step0', 'c_step1', 'm', 'k', 'n', 'a_offset', 'b_offset', 'out_offset', 'mult', 'shift', 'act_min', 'act_max'];

/** Element step per output batch index of an operand with batch dims `dims` (right-aligned to `out`). */
function batchSteps(dims: number[], out: number[], matrix: number): number[] {
  const padded = [...new Array<number>(out.length - dims.length).fill(1), ...dims];
  const steps: number[] = [];
  let stride = matrix;
  for (let d = padded.length - 1; d >= 0; d--) {
    steps[d] = padded[d] === 1 ? 0 : stride;
    stride *= padded[d];
  }
  return steps;
}

export function lowerBatchMatMul(node: Node, ctx: LoweringContext): void {
  const opset = ctx.graph.opset;
  const [aName, bName] = node.inputs;
  const aShape = ctx.tensor(aName).shape;
  const bShape = ctx.tensor(bName).shape;
  const outName = node.outputs[0];
  const outShape = ctx.tensor(outName).shape;
  if (aShape.length < 2 || bShape.length < 2) throw ctx.fail(node, `MatMul of two activations needs rank >= 2 operands, got [${aShape.join(',')}] x [${bShape.join(',')}] (opset ${opset})`);
  const batchOut = outShape.slice(0, -2);
  if (batchOut.length > 2) throw ctx.fail(node, `MatMul of two activations with ${batchOut.length} batch dims is not supported (opset ${opset}); up to 2`);
  const [m, k] = aShape.slice(-2);
  const n = bShape[bShape.length - 1];
  const aQ = ctx.quant(node, aName);
  const bQ = ctx.quant(node, bName);
  const outQ = ctx.quant(node, outName);
  const a = ctx.read(node, aName, identityPerm(aShape.length));
  const b = ctx.read(node, bName, identityPerm(bShape.length));
  const out = ctx.define(outName, identityPerm(outShape.length));
  const two = [...new Array<number>(2 - batchOut.length).fill(1), ...batchOut];
  const pad2 = (s: number[]): number[] => [...new Array<number>(2 - s.length).fill(0), ...s];
  const aSteps = pad2(batchSteps(aShape.slice(0, -2), batchOut, m * k));
  const bSteps = pad2(batchSteps(bShape.slice(0, -2), batchOut, k * n));
  const mq = quantizeMultiplier((aQ.scale * bQ.scale) / outQ.scale);
  const act = fusedActivationRange(node, outQ);
  const batches = two[0] * two[1];
  ctx.addOp({
    kind: 'batch_matmul', name: node.name, onnxOp: 'MatMul', inputs: [a.value, b.value], outputs: [out],
    params: {
      b0: two[0], b1: two[1], a_step0: aSteps[0], a_step1: aSteps[1], c_step0: bSteps[0], c_step1: bSteps[1],
      m, k, n, a_offset: -aQ.zeroPoint, b_offset: -bQ.zeroPoint, out_offset: outQ.zeroPoint,
      mult: mq.mult, shift: mq.shift, act_min: act.min, act_max: act.max,
    },
    consts: {}, macs: batches * m * n * k,
  });
}

export const batchMatMul: OpDefinition = {
  lowerings: [],
  portable: {
    batch_matmul: {
      sources: ['edgec_batch_matmul_s8.c'], template: 'batch_matmul',
      view: (op, env) => ({
        params: FIELDS.map((f) => op.params[f]).join(', '),
        a: env.ptr(op.inputs[0], 'const int8_t'), c: env.ptr(op.inputs[1], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
      }),
    },
  },
  cmsisNn: { batch_matmul: cmsisBatchMatmul },
};
