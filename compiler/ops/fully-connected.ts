/**
 * Gemm and MatMul with constant weights -> fully_connected. Weights are
 * stored [out][in] row-major (Gemm transB = 1 already is; otherwise
 * transposed at compile time). MatMul's leading input dims are batches.
 */
import type { Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { identityPerm } from '../ir/layout.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrFloat, attrInt } from './attrs.js';
import { accumulatorBias, quantizedWeights, requantization, SPARSE_REASON, ZERO_POINT_REASON } from './weights.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { int16Weighted, INT16_REASON, isInt16, libraryAccumulatorParams } from './int16.js';
import { lowerBatchMatMul } from './batch-matmul.js';
import { cFloat } from './quantize.js';
import { FLOAT_LAYER_REASON, floatBias, floatClamp, floatConstant, hasFloatWeights, readFloat, writeFloat } from './float-layer.js';
import { cmsisFullyConnected } from '../backends/cmsis-nn.js';
import { cmsisFullyConnectedS16 } from '../backends/cmsis-nn-s16.js';
import { espFullyConnected } from '../backends/esp-nn.js';

function transpose2d<T extends Int8Array | Float32Array>(w: T, rows: number, cols: number): T {
  const out = w.slice() as T;
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

function permuteColumns<T extends Int8Array | Float32Array>(w: T, rows: number, order: number[]): T {
  const cols = order.length;
  const out = w.slice() as T;
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) out[r * cols + j] = w[r * cols + order[j]];
  return out;
}

/** Inner and output depth and batches of a fully connected layer, checked. */
function fcGeometry(node: Node, ctx: LoweringContext, transB: boolean): { k: number; nOut: number; batches: number } {
  const x = ctx.tensor(node.inputs[0]);
  const wT = ctx.tensor(node.inputs[1]);
  if (!wT.data) throw ctx.fail(node, `${node.opType} with a non-constant second input is not supported (weights must be initializers)`);
  if (wT.shape.length !== 2) throw ctx.fail(node, `${node.opType} weights of rank ${wT.shape.length} are not supported (2-D only)`);
  const [k, nOut] = transB ? [wT.shape[1], wT.shape[0]] : wT.shape;
  const inDepth = x.shape[x.shape.length - 1];
  if (inDepth !== k) throw ctx.fail(node, `inner dimensions differ (${inDepth} vs ${k})`);
  return { k, nOut, batches: x.shape.slice(0, -1).reduce((a, b) => a * b, 1) };
}

/** A Gemm / MatMul kept in float32 (ops/float-layer.ts): float [out][in] weights and bias in flash. */
function lowerFullyConnectedF32(node: Node, ctx: LoweringContext, transB: boolean, biasIndex: number): void {
  const xName = node.inputs[0];
  const { k, nOut, batches } = fcGeometry(node, ctx, transB);
  const weights = floatConstant(ctx, node, 1, 'weights') as Float32Array;
  const bias = biasIndex < 0 ? new Float32Array(nOut) : floatBias(ctx, node, biasIndex, nOut);
  const input = readFloat(ctx, node, xName, identityPerm(ctx.tensor(xName).shape.length));
  const output = writeFloat(ctx, node, identityPerm(ctx.tensor(node.outputs[0]).shape.length));
  const rowMajor = transB ? weights : transpose2d(weights, k, nOut);
  const order = ctx.featureOrder.get(xName);
  const filter = order ? permuteColumns(rowMajor, nOut, order) : rowMajor;
  ctx.addOp({
    kind: 'fully_connected_f32', name: node.name, onnxOp: node.opType, inputs: [input], outputs: [output.write],
    params: { batches, in_depth: k, out_depth: nOut, ...floatClamp(node) },
    consts: { filter: ctx.addConst(`${node.name}_filter`, 'float32', filter), bias: ctx.addConst(`${node.name}_bias`, 'float32', bias) },
    macs: batches * k * nOut,
  });
  output.finish();
}

/** A 16x8 fully connected layer (ops/int16.ts): int16 activations, int8 weights, int64 bias. */
function lowerFullyConnectedS16(node: Node, ctx: LoweringContext, transB: boolean, biasIndex: number): void {
  const xName = node.inputs[0];
  const { k, nOut, batches } = fcGeometry(node, ctx, transB);
  const w = int16Weighted(ctx, node, transB ? 0 : 1, nOut, biasIndex);
  const input = ctx.read(node, xName, identityPerm(ctx.tensor(xName).shape.length));
  const output = ctx.define(node.outputs[0], identityPerm(ctx.tensor(node.outputs[0]).shape.length));
  const rowMajor = transB ? w.filter : transpose2d(w.filter, k, nOut);
  const order = ctx.featureOrder.get(xName);
  const filter = order ? permuteColumns(rowMajor, nOut, order) : rowMajor;
  const library = libraryAccumulatorParams(filter, (i) => Math.floor(i / k), w.bias, w.mult, w.shift);
  // arm_fully_connected_s16 takes one multiplier and shift for all channels
  const perTensor = w.mult.every((m, c) => m === w.mult[0] && w.shift[c] === w.shift[0]);
  ctx.addOp({
    kind: 'fully_connected_s16', name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [output],
    params: { batches, in_depth: k, out_depth: nOut, input_offset: 0, output_offset: 0, act_min: w.actMin, act_max: w.actMax, per_channel: 1, ...library, per_tensor_requant: perTensor ? 1 : 0 },
    consts: {
      filter: ctx.addConst(`${node.name}_filter`, 'int8', filter),
      bias: ctx.addConst(`${node.name}_bias`, 'int64', w.bias),
      mult: ctx.addConst(`${node.name}_mult`, 'int32', w.mult),
      shift: ctx.addConst(`${node.name}_shift`, 'int32', w.shift),
    },
    macs: batches * k * nOut,
  });
}

function lowerFullyConnected(node: Node, ctx: LoweringContext, transB: boolean, biasIndex: number): void {
  if (hasFloatWeights(ctx, node)) return lowerFullyConnectedF32(node, ctx, transB, biasIndex);
  if (isInt16(ctx, node.inputs[0])) return lowerFullyConnectedS16(node, ctx, transB, biasIndex);
  const xName = node.inputs[0];
  const x = ctx.tensor(xName);
  const { k, nOut, batches } = fcGeometry(node, ctx, transB);
  const inQ = ctx.quant(node, xName);
  const outQ = ctx.quant(node, node.outputs[0]);
  const weights = quantizedWeights(ctx, node, 1, transB ? 0 : 1, nOut);
  const bias = accumulatorBias(ctx, node, biasIndex, inQ.scale, weights.scales, weights.data.length / weights.scales.length);
  const rq = requantization(node, inQ, weights.scales, outQ);
  const input = ctx.read(node, xName, identityPerm(x.shape.length));
  const output = ctx.define(node.outputs[0], identityPerm(ctx.tensor(node.outputs[0]).shape.length));
  const rowMajor = transB ? weights.data : transpose2d(weights.data, k, nOut);
  // A flatten folded into this layer (ops/layout-ops.ts): reorder weight columns to the input's memory order.
  const order = ctx.featureOrder.get(xName);
  const filter = order ? permuteColumns(rowMajor, nOut, order) : rowMajor;
  const op: Op = {
    kind: weights.filterOffset ? 'fully_connected_wzp' : 'fully_connected', name: node.name, onnxOp: node.opType,
    inputs: [input.value], outputs: [output],
    params: {
      batches, in_depth: k, out_depth: nOut, input_offset: -inQ.zeroPoint, output_offset: outQ.zeroPoint,
      act_min: rq.actMin, act_max: rq.actMax, per_channel: 1,
    },
    consts: {
      filter: ctx.addConst(`${node.name}_filter`, 'int8', filter),
      bias: ctx.addConst(`${node.name}_bias`, 'int32', bias),
      mult: ctx.addConst(`${node.name}_mult`, 'int32', rq.mult),
      shift: ctx.addConst(`${node.name}_shift`, 'int32', rq.shift),
      ...(weights.filterOffset ? { filter_offset: ctx.addConst(`${node.name}_filter_offset`, 'int32', weights.filterOffset) } : {}),
    },
    macs: batches * k * nOut,
  };
  ctx.addOp(op);
}

function lowerGemm(node: Node, ctx: LoweringContext): void {
  if (attrInt(node, 'transA', 0) !== 0) throw ctx.fail(node, 'Gemm with transA=1 is not supported');
  if (attrFloat(node, 'alpha', 1) !== 1) throw ctx.fail(node, `Gemm with alpha=${attrFloat(node, 'alpha', 1)} is not supported (only 1)`);
  if (attrFloat(node, 'beta', 1) !== 1 && (node.inputs[2] ?? '') !== '') throw ctx.fail(node, `Gemm with beta=${attrFloat(node, 'beta', 1)} is not supported (only 1)`);
  if (ctx.tensor(node.inputs[0]).shape.length !== 2) throw ctx.fail(node, 'Gemm input must be 2-D');
  lowerFullyConnected(node, ctx, attrInt(node, 'transB', 0) === 1, 2);
}

function lowerMatMul(node: Node, ctx: LoweringContext): void {
  if (node.inputs.every((i) => !ctx.tensor(i).data)) return lowerBatchMatMul(node, ctx);
  lowerFullyConnected(node, ctx, false, -1);
}

const WIDE_REASON = 'weights pre-widened to int16 for the DSP path (passes/wide-weights.ts: fewer instructions than the libraries\' int8 kernels)';

const FC_FIELDS = ['batches', 'in_depth', 'out_depth', 'input_offset', 'output_offset', 'act_min', 'act_max', 'per_channel'];

function fcView(op: Op, env: EmitEnv): Record<string, unknown> {
  return {
    params: FC_FIELDS.map((f) => op.params[f]).join(', '),
    input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
    filter: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
    mult: env.constName(op.consts.mult), shift: env.constName(op.consts.shift),
  };
}

/** Bitmap-sparse weights (passes/sparse-weights.ts): index and nonzero values instead of the filter. */
function sparseFcView(op: Op, env: EmitEnv): Record<string, unknown> {
  const { filter: _none, ...dense } = fcView({ ...op, consts: { ...op.consts, filter: op.consts.values } }, env);
  return { ...dense, index: env.constName(op.consts.index), values: env.constName(op.consts.values) };
}

function floatFcView(op: Op, env: EmitEnv): Record<string, unknown> {
  return {
    params: [op.params.batches, op.params.in_depth, op.params.out_depth, cFloat(Number(op.params.act_min)), cFloat(Number(op.params.act_max))].join(', '),
    input: env.ptr(op.inputs[0], 'const float'), output: env.ptr(op.outputs[0], 'float'),
    filter: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
  };
}

function fcS16View(op: Op, env: EmitEnv): Record<string, unknown> {
  return { ...fcView(op, env), input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'int16_t') };
}

function zeroPointFcView(op: Op, env: EmitEnv): Record<string, unknown> {
  return { ...fcView(op, env), filter_offset: env.constName(op.consts.filter_offset) };
}

export const fullyConnected: OpDefinition = {
  lowerings: [
    { onnxOps: ['Gemm'], lower: lowerGemm },
    { onnxOps: ['MatMul'], lower: lowerMatMul },
    // MatMul + Add(bias) fused by passes/matmul-add-to-fc.ts: inputs x, W [K, N], int32 bias
    { onnxOps: ['edgec.MatMulAdd'], lower: (n, c) => lowerFullyConnected(n, c, false, 2) },
  ],
  portable: {
    fully_connected: { sources: ['edgec_fully_connected_s8.c'], template: 'fully_connected', view: fcView },
    // uint8 asymmetric weights (onnxruntime U8U8) whose zero point could not be folded (ops/weights.ts).
    fully_connected_wzp: { sources: ['edgec_fully_connected_wzp_s8.c'], template: 'fully_connected_wzp', view: zeroPointFcView },
    // Weights pre-widened to int16 lane pairs, input offset in the bias (passes/wide-weights.ts); same results as fully_connected.
    fully_connected_wide: { sources: ['edgec_fully_connected_wide_s8.c'], template: 'fully_connected_wide', view: fcView },
    // Pruned weights stored bitmap-sparse (passes/sparse-weights.ts); same results as fully_connected.
    fully_connected_sparse: { sources: ['edgec_fully_connected_sparse_s8.c'], template: 'fully_connected_sparse', view: sparseFcView },
    // int16 activations, int8 weights, int64 bias (ops/int16.ts)
    fully_connected_s16: { sources: ['edgec_fully_connected_s16.c'], template: 'fully_connected_s16', view: fcS16View },
    // layers kept in float32 (ops/float-layer.ts)
    fully_connected_f32: { sources: ['edgec_fully_connected_f32.c'], template: 'fully_connected_f32', view: floatFcView },
  },
  libraryMissing: {
    fully_connected_wide: WIDE_REASON, fully_connected_wzp: ZERO_POINT_REASON, fully_connected_sparse: SPARSE_REASON, fully_connected_f32: FLOAT_LAYER_REASON,
    fully_connected_s16: INT16_REASON,
  },
  cmsisNn: { fully_connected: cmsisFullyConnected, fully_connected_s16: cmsisFullyConnectedS16 },
  espNn: { fully_connected: espFullyConnected },
};
