/**
 * Conv (ONNX) -> conv2d / depthwise_conv2d (NHWC, OHWI / 1HWC filters).
 * 1-D convolutions run as 2-D with H = 1. Groups: depthwise when every group
 * has one input channel, grouped conv2d otherwise.
 */
import type { Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { channelsLastPerm } from '../ir/layout.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt, attrInts, windowPads } from './attrs.js';
import { accumulatorBias, quantizedWeights, requantization, SPARSE_REASON, ZERO_POINT_REASON } from './weights.js';
import { cFloat } from './quantize.js';
import { FLOAT_LAYER_REASON, floatBias, floatClamp, floatConstant, hasFloatWeights, readFloat, writeFloat } from './float-layer.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { int16Weighted, INT16_REASON, isInt16, libraryAccumulatorParams } from './int16.js';
import { cmsisConv, cmsisDepthwise } from '../backends/cmsis-nn.js';
import { cmsisConvS16, cmsisDepthwiseS16 } from '../backends/cmsis-nn-s16.js';
import { espConv, espDepthwise } from '../backends/esp-nn.js';

/** OIHW -> OHWI (I = in channels per group); int8 or float weights. */
function toOhwi<T extends Int8Array | Float32Array>(w: T, o: number, i: number, kh: number, kw: number): T {
  const out = w.slice() as T;
  for (let oc = 0; oc < o; oc++)
    for (let ic = 0; ic < i; ic++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          out[((oc * kh + y) * kw + x) * i + ic] = w[((oc * i + ic) * kh + y) * kw + x];
  return out;
}

/** [C_out, 1, KH, KW] -> [1, KH, KW, C_out]; output channel order (ic * mult + m) is ONNX's group order. */
function toDepthwise<T extends Int8Array | Float32Array>(w: T, o: number, kh: number, kw: number): T {
  const out = w.slice() as T;
  for (let oc = 0; oc < o; oc++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        out[(y * kw + x) * o + oc] = w[(oc * kh + y) * kw + x];
  return out;
}

/** Shapes, strides, dilations and padding of a Conv as 2-D NHWC kernel parameters (1-D runs with H = 1). */
interface ConvGeometry {
  params: { batches: number; in_h: number; in_w: number; in_c: number; out_h: number; out_w: number; out_c: number; k_h: number; k_w: number;
    stride_h: number; stride_w: number; dil_h: number; dil_w: number; pad_top: number; pad_left: number; groups: number };
  rank: number;
  macs: number;
}

function convGeometry(node: Node, ctx: LoweringContext): ConvGeometry {
  const x = ctx.tensor(node.inputs[0]);
  const y = ctx.tensor(node.outputs[0]);
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) throw ctx.fail(node, `Conv on a rank-${rank} input is not supported (1-D and 2-D only)`);
  const spatial = rank - 2;
  const [n, cin] = x.shape;
  const cout = y.shape[1];
  const inHW = rank === 4 ? [x.shape[2], x.shape[3]] : [1, x.shape[2]];
  const outHW = rank === 4 ? [y.shape[2], y.shape[3]] : [1, y.shape[2]];
  const w = ctx.tensor(node.inputs[1]);
  const kernel = w.shape.slice(2);
  const kHW = rank === 4 ? kernel : [1, kernel[0]];
  const strides = attrInts(node, 'strides', new Array<number>(spatial).fill(1));
  const dil = attrInts(node, 'dilations', new Array<number>(spatial).fill(1));
  const pads = windowPads(ctx.graph, node, x.shape.slice(2), y.shape.slice(2), kernel, strides, dil);
  const groups = attrInt(node, 'group', 1);
  if (cin % groups !== 0 || cout % groups !== 0) throw ctx.fail(node, `group ${groups} does not divide channels ${cin} -> ${cout}`);
  const s2 = rank === 4 ? strides : [1, strides[0]];
  const d2 = rank === 4 ? dil : [1, dil[0]];
  const p2 = rank === 4 ? pads : [{ padBegin: 0, padEnd: 0 }, pads[0]];
  return {
    params: {
      batches: n, in_h: inHW[0], in_w: inHW[1], in_c: cin, out_h: outHW[0], out_w: outHW[1], out_c: cout,
      k_h: kHW[0], k_w: kHW[1], stride_h: s2[0], stride_w: s2[1], dil_h: d2[0], dil_w: d2[1],
      pad_top: p2[0].padBegin, pad_left: p2[1].padBegin, groups,
    },
    rank,
    macs: n * outHW[0] * outHW[1] * cout * (cin / groups) * kHW[0] * kHW[1],
  };
}

function lowerConv(node: Node, ctx: LoweringContext): void {
  if (hasFloatWeights(ctx, node)) return lowerConvF32(node, ctx);
  if (isInt16(ctx, node.inputs[0])) return lowerConvS16(node, ctx);
  const xName = node.inputs[0];
  const g = convGeometry(node, ctx);
  const { in_c: cin, out_c: cout, k_h: kh, k_w: kw, groups } = g.params;

  const inQ = ctx.quant(node, xName);
  const outQ = ctx.quant(node, node.outputs[0]);
  const weights = quantizedWeights(ctx, node, 1, 0, cout);
  const bias = accumulatorBias(ctx, node, 2, inQ.scale, weights.scales, weights.data.length / weights.scales.length);
  const rq = requantization(node, inQ, weights.scales, outQ);

  const perm = channelsLastPerm(g.rank);
  const input = ctx.read(node, xName, perm);
  const output = ctx.define(node.outputs[0], perm);
  // Weights that keep a zero point run the correction kernel, depthwise as grouped (OHWI with one input channel per group).
  const zeroPoint = weights.filterOffset !== undefined;
  const depthwise = groups === cin && groups > 1 && !zeroPoint;
  const filter = depthwise ? toDepthwise(weights.data, cout, kh, kw) : toOhwi(weights.data, cout, cin / groups, kh, kw);
  const base = node.name;
  const op: Op = {
    kind: zeroPoint ? 'conv2d_wzp' : depthwise ? 'depthwise_conv2d' : 'conv2d',
    name: node.name, onnxOp: 'Conv',
    inputs: [input.value], outputs: [output],
    params: { ...g.params, input_offset: -inQ.zeroPoint, output_offset: outQ.zeroPoint, act_min: rq.actMin, act_max: rq.actMax },
    consts: {
      filter: ctx.addConst(`${base}_filter`, 'int8', filter),
      bias: ctx.addConst(`${base}_bias`, 'int32', bias),
      mult: ctx.addConst(`${base}_mult`, 'int32', rq.mult),
      shift: ctx.addConst(`${base}_shift`, 'int32', rq.shift),
      ...(weights.filterOffset ? { filter_offset: ctx.addConst(`${base}_filter_offset`, 'int32', weights.filterOffset) } : {}),
    },
    macs: g.macs,
  };
  ctx.addOp(op);
}

/** A 16x8 Conv (ops/int16.ts): int16 activations, int8 per-channel weights, int64 bias; depthwise as for int8. */
function lowerConvS16(node: Node, ctx: LoweringContext): void {
  const g = convGeometry(node, ctx);
  const { in_c: cin, out_c: cout, k_h: kh, k_w: kw, groups } = g.params;
  const w = int16Weighted(ctx, node, 0, cout, 2);
  const perm = channelsLastPerm(g.rank);
  const input = ctx.read(node, node.inputs[0], perm);
  const output = ctx.define(node.outputs[0], perm);
  const depthwise = groups === cin && groups > 1;
  const filter = depthwise ? toDepthwise(w.filter, cout, kh, kw) : toOhwi(w.filter, cout, cin / groups, kh, kw);
  // OHWI: channel-major; depthwise 1HWC: channel innermost
  const perChannel = filter.length / cout;
  const library = libraryAccumulatorParams(filter, depthwise ? (i) => i % cout : (i) => Math.floor(i / perChannel), w.bias, w.mult, w.shift);
  ctx.addOp({
    kind: depthwise ? 'depthwise_conv2d_s16' : 'conv2d_s16', name: node.name, onnxOp: 'Conv',
    inputs: [input.value], outputs: [output],
    params: { ...g.params, input_offset: 0, output_offset: 0, act_min: w.actMin, act_max: w.actMax, ...library },
    consts: {
      filter: ctx.addConst(`${node.name}_filter`, 'int8', filter),
      bias: ctx.addConst(`${node.name}_bias`, 'int64', w.bias),
      mult: ctx.addConst(`${node.name}_mult`, 'int32', w.mult),
      shift: ctx.addConst(`${node.name}_shift`, 'int32', w.shift),
    },
    macs: g.macs,
  });
}

/** A Conv kept in float32 (ops/float-layer.ts): float weights and bias in flash, int8 neighbours dequantized / quantized at its edges. */
function lowerConvF32(node: Node, ctx: LoweringContext): void {
  const g = convGeometry(node, ctx);
  const { in_c: cin, out_c: cout, k_h: kh, k_w: kw, groups } = g.params;
  const weights = floatConstant(ctx, node, 1, 'weights') as Float32Array;
  if (weights.length !== cout * (cin / groups) * kh * kw) throw ctx.fail(node, `weights '${node.inputs[1]}' have ${weights.length} values for [${cout}, ${cin / groups}, ${kh}, ${kw}]`);
  const bias = floatBias(ctx, node, 2, cout);
  const perm = channelsLastPerm(g.rank);
  const input = readFloat(ctx, node, node.inputs[0], perm);
  const output = writeFloat(ctx, node, perm);
  const depthwise = groups === cin && groups > 1;
  const filter = depthwise ? toDepthwise(weights, cout, kh, kw) : toOhwi(weights, cout, cin / groups, kh, kw);
  ctx.addOp({
    kind: depthwise ? 'depthwise_conv2d_f32' : 'conv2d_f32', name: node.name, onnxOp: 'Conv',
    inputs: [input], outputs: [output.write],
    params: { ...g.params, ...floatClamp(node) },
    consts: { filter: ctx.addConst(`${node.name}_filter`, 'float32', filter), bias: ctx.addConst(`${node.name}_bias`, 'float32', bias) },
    macs: g.macs,
  });
  output.finish();
}

export const CONV_PARAM_FIELDS = ['batches', 'in_h', 'in_w', 'in_c', 'out_h', 'out_w', 'out_c', 'k_h', 'k_w', 'stride_h', 'stride_w',
  'dil_h', 'dil_w', 'pad_top', 'pad_left', 'groups', 'input_offset', 'output_offset', 'act_min', 'act_max'];

function convView(op: Op, env: EmitEnv): Record<string, unknown> {
  return {
    params: CONV_PARAM_FIELDS.map((f) => op.params[f]).join(', '),
    input: env.ptr(op.inputs[0], 'const int8_t'),
    output: env.ptr(op.outputs[0], 'int8_t'),
    filter: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
    mult: env.constName(op.consts.mult), shift: env.constName(op.consts.shift),
  };
}

/** 16x8 conv / depthwise: int16 data pointers, the same parameters and constants. */
function convS16View(op: Op, env: EmitEnv): Record<string, unknown> {
  return { ...convView(op, env), input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'int16_t') };
}

/** Conv whose weights keep a zero point: convView plus the per-channel filter offsets. */
function zeroPointConvView(op: Op, env: EmitEnv): Record<string, unknown> {
  return { ...convView(op, env), filter_offset: env.constName(op.consts.filter_offset) };
}

/** Bitmap-sparse weights (passes/sparse-weights.ts): index and nonzero values instead of the filter. */
function sparseConvView(op: Op, env: EmitEnv): Record<string, unknown> {
  const { filter: _none, ...dense } = convView({ ...op, consts: { ...op.consts, filter: op.consts.values } }, env);
  return { ...dense, index: env.constName(op.consts.index), values: env.constName(op.consts.values) };
}

/** Overlapped pointwise conv: input and output pointers into one block, the planner's run temporary (if the kernel needs one) and its length in pixels. */
function overlapPointwiseView(op: Op, env: EmitEnv): Record<string, unknown> {
  const temp = op.params.scratch === undefined ? 'NULL' : env.ptr(String(op.params.scratch), 'int8_t');
  return { ...convView(op, env), temp, block: Number(op.params.block) };
}

/** In-place depthwise: one pointer for input and output, plus the planner's row-ring temporary. */
function inPlaceDepthwiseView(op: Op, env: EmitEnv): Record<string, unknown> {
  return { ...convView(op, env), data: env.ptr(op.inputs[0], 'int8_t'), temp: env.ptr(String(op.params.scratch), 'int8_t') };
}

export const CONV_F32_PARAM_FIELDS = ['batches', 'in_h', 'in_w', 'in_c', 'out_h', 'out_w', 'out_c', 'k_h', 'k_w', 'stride_h', 'stride_w',
  'dil_h', 'dil_w', 'pad_top', 'pad_left', 'groups'];

/** Float conv / depthwise: integer geometry, then the clamp as float literals. */
function floatConvView(op: Op, env: EmitEnv): Record<string, unknown> {
  return {
    params: [...CONV_F32_PARAM_FIELDS.map((f) => op.params[f]), cFloat(Number(op.params.act_min)), cFloat(Number(op.params.act_max))].join(', '),
    input: env.ptr(op.inputs[0], 'const float'), output: env.ptr(op.outputs[0], 'float'),
    filter: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
  };
}

const WIDE_CONV_REASON = 'weights pre-widened to int16 for the DSP path (passes/wide-conv-weights.ts: fewer instructions than the libraries\' int8 kernels)';

export const conv: OpDefinition = {
  lowerings: [{ onnxOps: ['Conv'], lower: lowerConv }],
  portable: {
    conv2d: { sources: ['edgec_conv_s8.c'], template: 'conv2d', view: convView },
    depthwise_conv2d: { sources: ['edgec_depthwise_conv_s8.c'], template: 'depthwise_conv2d', view: convView },
    // Chosen by the planner (compiler/plan/program.ts) when the output may overwrite the input.
    depthwise_conv2d_inplace: { sources: ['edgec_depthwise_conv_inplace_s8.c', 'edgec_depthwise_conv_s8.c'], template: 'depthwise_conv2d_inplace', view: inPlaceDepthwiseView },
    // Chosen by the planner when a 1x1 conv's input may live inside its output (over 1024 input channels it runs edgec_conv_s8 on runs of pixels).
    conv2d_1x1_overlap: { sources: ['edgec_conv_1x1_overlap_s8.c', 'edgec_conv_s8.c'], template: 'conv2d_1x1_overlap', view: overlapPointwiseView },
    // uint8 asymmetric weights (onnxruntime U8U8) whose zero point could not be folded (ops/weights.ts).
    conv2d_wzp: { sources: ['edgec_conv_wzp_s8.c'], template: 'conv2d_wzp', view: zeroPointConvView },
    // Pruned weights stored bitmap-sparse (passes/sparse-weights.ts); same results as conv2d / depthwise_conv2d.
    conv2d_sparse: { sources: ['edgec_conv_sparse_s8.c'], template: 'conv2d_sparse', view: sparseConvView },
    depthwise_conv2d_sparse: { sources: ['edgec_depthwise_conv_sparse_s8.c'], template: 'depthwise_conv2d_sparse', view: sparseConvView },
    // Weights pre-widened to int16 lane pairs (passes/wide-conv-weights.ts); same results as conv2d. The 1x1 kernel may overlap its input like conv2d_1x1_overlap.
    conv2d_wide: { sources: ['edgec_conv_wide_s8.c'], template: 'conv2d_wide', view: convView },
    conv2d_1x1_wide: { sources: ['edgec_conv_1x1_wide_s8.c'], template: 'conv2d_1x1_wide', view: convView },
    // int16 activations, int8 weights, int64 bias (ops/int16.ts)
    conv2d_s16: { sources: ['edgec_conv_s16.c'], template: 'conv2d_s16', view: convS16View },
    depthwise_conv2d_s16: { sources: ['edgec_depthwise_conv_s16.c'], template: 'depthwise_conv2d_s16', view: convS16View },
    // layers kept in float32 (ops/float-layer.ts)
    conv2d_f32: { sources: ['edgec_conv_f32.c'], template: 'conv2d_f32', view: floatConvView },
    depthwise_conv2d_f32: { sources: ['edgec_depthwise_conv_f32.c'], template: 'depthwise_conv2d_f32', view: floatConvView },
  },
  libraryMissing: {
    conv2d_wzp: ZERO_POINT_REASON, conv2d_sparse: SPARSE_REASON, conv2d_wide: WIDE_CONV_REASON, conv2d_1x1_wide: WIDE_CONV_REASON, depthwise_conv2d_sparse: SPARSE_REASON,
    conv2d_f32: FLOAT_LAYER_REASON, depthwise_conv2d_f32: FLOAT_LAYER_REASON,
    conv2d_s16: INT16_REASON, depthwise_conv2d_s16: INT16_REASON,
  },
  cmsisNn: { conv2d: cmsisConv, depthwise_conv2d: cmsisDepthwise, conv2d_s16: cmsisConvS16, depthwise_conv2d_s16: cmsisDepthwiseS16 },
  espNn: { conv2d: espConv, depthwise_conv2d: espDepthwise },
};
