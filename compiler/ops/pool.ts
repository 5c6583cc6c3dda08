/**
 * MaxPool / AveragePool -> max_pool / avg_pool (NHWC, input quantization
 * kept, requantized after if the model asks for another);
 * GlobalAveragePool -> global_avg_pool (a mean with requantization, TFLite
 * MEAN semantics incl. its multiplier; ReduceMean lives in reduce.ts).
 */
import type { Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { channelsLastPerm } from '../ir/layout.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt, attrInts, windowPads } from './attrs.js';
import { lowerGlobalAvgPoolS16, meanMultiplier } from './reduce.js';
import { outputWithQuant } from './quantize.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { INT16_RANGE, INT8_RANGE } from '../ir/quant.js';
import { int16Quant, INT16_REASON, isInt16 } from './int16.js';
import { cmsisPool } from '../backends/cmsis-nn.js';
import { cmsisPoolS16 } from '../backends/cmsis-nn-s16.js';
import { espGlobalAvgPool, espPool } from '../backends/esp-nn.js';

function lowerPool(node: Node, ctx: LoweringContext, kind: 'max_pool' | 'avg_pool'): void {
  const xName = node.inputs[0];
  const x = ctx.tensor(xName);
  const y = ctx.tensor(node.outputs[0]);
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) throw ctx.fail(node, `${node.opType} on a rank-${rank} input is not supported (1-D and 2-D only)`);
  const spatial = rank - 2;
  const kernel = attrInts(node, 'kernel_shape', []);
  if (kernel.length !== spatial) throw ctx.fail(node, 'kernel_shape is missing or has the wrong length');
  const strides = attrInts(node, 'strides', new Array<number>(spatial).fill(1));
  const dil = attrInts(node, 'dilations', new Array<number>(spatial).fill(1));
  if (dil.some((d) => d !== 1)) throw ctx.fail(node, `${node.opType} with dilations ${dil.join('x')} is not supported`);
  if (node.outputs.length > 1 && node.outputs[1] !== '') throw ctx.fail(node, 'MaxPool Indices output is not supported');
  const pads = windowPads(ctx.graph, node, x.shape.slice(2), y.shape.slice(2), kernel, strides, dil);
  const two = <T>(v: T[], pad: T): T[] => (rank === 4 ? v : [pad, v[0]]);
  const k2 = two(kernel, 1);
  const s2 = two(strides, 1);
  const p2 = two(pads, { padBegin: 0, padEnd: 0 });
  const inHW = two(x.shape.slice(2), 1);
  const outHW = two(y.shape.slice(2), 1);
  // 16x8 (ops/int16.ts): int16 data, TFLite semantics; input and output must share the quantization (no int16 requantize)
  const int16 = isInt16(ctx, xName);
  const inQ = int16 ? int16Quant(ctx, node, xName) : ctx.quant(node, xName);
  if (int16) {
    const outQ = int16Quant(ctx, node, node.outputs[0]);
    if (outQ.scale !== inQ.scale) throw ctx.fail(node, `int16 ${node.opType} with output scale ${outQ.scale} different from the input's ${inQ.scale} is not supported`);
    if (kind === 'avg_pool' && attrInt(node, 'count_include_pad', 0) !== 0) throw ctx.fail(node, 'int16 AveragePool with count_include_pad=1 is not supported');
  }
  const [typeMin, typeMax] = int16 ? INT16_RANGE : INT8_RANGE;
  const perm = channelsLastPerm(rank);
  const input = ctx.read(node, xName, perm);
  const out = outputWithQuant(ctx, node, perm, inQ);
  ctx.addOp({
    kind: int16 ? (kind === 'max_pool' ? 'max_pool_s16' : 'avg_pool_s16') : kind, name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [out.write],
    params: {
      batches: x.shape[0], in_h: inHW[0], in_w: inHW[1], channels: x.shape[1], out_h: outHW[0], out_w: outHW[1],
      k_h: k2[0], k_w: k2[1], stride_h: s2[0], stride_w: s2[1],
      pad_top: p2[0].padBegin, pad_left: p2[1].padBegin, pad_bottom: p2[0].padEnd, pad_right: p2[1].padEnd,
      count_include_pad: kind === 'avg_pool' ? attrInt(node, 'count_include_pad', 0) : 0, act_min: typeMin, act_max: typeMax, pad_value: inQ.zeroPoint,
    },
    consts: {},
    macs: kind === 'avg_pool' ? y.shape.reduce((a, b) => a * b, 1) * k2[0] * k2[1] : 0,
  });
  out.finish();
}

function lowerGlobalAvgPool(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  if (isInt16(ctx, xName)) return lowerGlobalAvgPoolS16(node, ctx);
  const x = ctx.tensor(xName);
  const rank = x.shape.length;
  if (rank < 3) throw ctx.fail(node, `${node.opType} needs a rank >= 3 input`);
  const spatial = x.shape.slice(2).reduce((a, b) => a * b, 1);
  const inQ = ctx.quant(node, xName);
  const outQ = ctx.quant(node, node.outputs[0]);
  const perm = channelsLastPerm(rank);
  const input = ctx.read(node, xName, perm);
  const output = ctx.define(node.outputs[0], perm);
  const m = meanMultiplier(inQ.scale, outQ.scale, spatial);
  ctx.addOp({
    kind: 'global_avg_pool', name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [output],
    params: { batches: x.shape[0], spatial, channels: x.shape[1], input_offset: -inQ.zeroPoint, output_offset: outQ.zeroPoint, mult: m.mult, shift: m.shift, act_min: -128, act_max: 127 },
    consts: {}, macs: x.shape.reduce((a, b) => a * b, 1),
  });
}

const POOL_FIELDS = ['batches', 'in_h', 'in_w', 'channels', 'out_h', 'out_w', 'k_h', 'k_w', 'stride_h', 'stride_w',
  'pad_top', 'pad_left', 'pad_bottom', 'pad_right', 'count_include_pad', 'act_min', 'act_max', 'pad_value'];

function poolView(op: Op, env: EmitEnv): Record<string, unknown> {
  return { params: POOL_FIELDS.map((f) => op.params[f]).join(', '), input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t') };
}

function poolS16View(op: Op, env: EmitEnv): Record<string, unknown> {
  return { ...poolView(op, env), input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'int16_t') };
}

export const pool: OpDefinition = {
  lowerings: [
    { onnxOps: ['MaxPool'], lower: (n, c) => lowerPool(n, c, 'max_pool') },
    { onnxOps: ['AveragePool'], lower: (n, c) => lowerPool(n, c, 'avg_pool') },
    { onnxOps: ['GlobalAveragePool'], lower: lowerGlobalAvgPool },
  ],
  portable: {
    max_pool: { sources: ['edgec_max_pool_s8.c'], template: 'max_pool', view: poolView },
    avg_pool: { sources: ['edgec_avg_pool_s8.c'], template: 'avg_pool', view: poolView },
    max_pool_s16: { sources: ['edgec_max_pool_s16.c'], template: 'max_pool_s16', view: poolS16View },
    avg_pool_s16: { sources: ['edgec_avg_pool_s16.c'], template: 'avg_pool_s16', view: poolS16View },
    global_avg_pool: {
      sources: ['edgec_global_avg_pool_s8.c'], template: 'global_avg_pool',
      view: (op, env) => ({
        args: ['batches', 'spatial', 'channels', 'input_offset', 'output_offset', 'mult', 'shift', 'act_min', 'act_max'].map((f) => op.params[f]).join(', '),
        input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
      }),
    },
  },
  libraryMissing: { max_pool_s16: INT16_REASON, avg_pool_s16: INT16_REASON },
  cmsisNn: { max_pool: cmsisPool, avg_pool: cmsisPool, max_pool_s16: cmsisPoolS16, avg_pool_s16: cmsisPoolS16 },
  espNn: { max_pool: espPool, avg_pool: espPool, global_avg_pool: espGlobalAvgPool },
};
