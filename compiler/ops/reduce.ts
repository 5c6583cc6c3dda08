/**
 * ReduceMean / ReduceSum / ReduceMax / ReduceMin over any axes, keepdims 0
 * or 1, in whatever layout the input already has (ONNX axes are logical; the
 * reduction runs over the physical dims that hold them, so an NHWC feature
 * map reduced over H, W or over C needs no layout copy). Arithmetic is TFLite
 * Micro's: MEAN / SUM int8 = QuantizedMeanOrSum (int32 sum, one
 * MultiplyByQuantizedMultiplier whose multiplier absorbs 1/count the way
 * TFLM does, including its precision clamp), REDUCE_MAX / REDUCE_MIN int8 =
 * ReduceGeneric on the raw int8 values (TFLM requires equal input and output
 * quantization; a model that asks for another output quantization gets a
 * requantize after the op). GlobalMaxPool is ReduceMax over the spatial axes.
 */
import type { Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { physicalShape, type Perm } from '../ir/layout.js';
import { quantizeMultiplier, type FixedPointMultiplier } from '../ir/quant.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt, attrInts, constInts } from './attrs.js';
import { outputWithQuant } from './quantize.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { espReduceSum } from '../backends/esp-nn.js';
import { int16Quant, INT16_REASON, isInt16 } from './int16.js';
import { FLOAT_LAYER_REASON, writeFloat } from './float-layer.js';
import { cFloat } from './quantize.js';

type ReduceMode = 'mean' | 'sum' | 'max' | 'min';

/** Opset from which the axes are an input instead of an attribute. */
/** GlobalAveragePool of int16 data (ops/pool.ts): TFLM's int16 MEAN over the spatial axes, keepdims. */
export function lowerGlobalAvgPoolS16(node: Node, ctx: LoweringContext): void {
  lowerReduce(node, ctx, 'mean');
}

const AXES_INPUT_SINCE: Record<ReduceMode, number> = { mean: 18, sum: 13, max: 18, min: 18 };

/**
 * TFLM's MEAN multiplier: QuantizeMultiplier(in_scale / out_scale), then
 * 1/count folded in as (mult << s) / count with s = floor(log2 count),
 * clamped to 32 and to 31 + shift (reference_ops::QuantizedMeanOrSum).
 */
export function meanMultiplier(inScale: number, outScale: number, count: number): FixedPointMultiplier {
  const base = quantizeMultiplier(inScale / outScale);
  let s = Math.floor(Math.log2(count));
  while (2 ** (s + 1) <= count) s++; // log2 rounding near powers of two
  while (2 ** s > count) s--;
  s = Math.min(s, 32, 31 + base.shift);
  const mult = Number((BigInt(base.mult) << BigInt(s)) / BigInt(count));
  return { mult: mult | 0, shift: base.shift - s };
}

/** The reduced logical axes, sorted and unique; undefined for an empty axes list. */
function reducedAxes(node: Node, ctx: LoweringContext, mode: ReduceMode, rank: number): number[] | undefined {
  const raw = ctx.graph.opset >= AXES_INPUT_SINCE[mode] ? constInts(ctx.graph, node, 1) : attrInts(node, 'axes', []);
  if (!raw || raw.length === 0) return undefined;
  const bad = raw.find((a) => a < -rank || a >= rank);
  if (bad !== undefined) throw ctx.fail(node, `${node.opType} axis ${bad} is out of range for a rank-${rank} input`);
  return [...new Set(raw.map((a) => (a + rank) % rank))].sort((a, b) => a - b);
}

/** GlobalMaxPool = ReduceMax over the spatial axes with keepdims (what tf2onnx writes for TFLite's spatial REDUCE_MAX). */
function spatialAxes(node: Node, ctx: LoweringContext, rank: number): number[] {
  if (rank < 3) throw ctx.fail(node, `${node.opType} needs a rank >= 3 input, got rank ${rank}`);
  return Array.from({ length: rank - 2 }, (_, i) => i + 2);
}

/** A run of physical dims, all reduced or all kept, with its input stride (elements). */
export interface DimRun { size: number; stride: number; reduced: boolean }

/**
 * The physical dims of the input merged into runs: unit dims dropped, adjacent
 * dims that are both reduced or both kept merged (their elements are
 * contiguous in that order). Never empty on either side: a missing side gets
 * a unit run so the C arrays have at least one element.
 */
export function reductionRuns(physDims: readonly number[], reduced: readonly boolean[]): { kept: DimRun[]; red: DimRun[] } {
  const runs: { size: number; reduced: boolean }[] = [];
  physDims.forEach((size, i) => {
    if (size === 1) return;
    const last = runs[runs.length - 1];
    if (last && last.reduced === reduced[i]) last.size *= size;
    else runs.push({ size, reduced: reduced[i] as boolean });
  });
  let stride = 1;
  const withStrides: DimRun[] = [];
  for (let i = runs.length - 1; i >= 0; i--) {
    const r = runs[i] as { size: number; reduced: boolean };
    withStrides.unshift({ ...r, stride });
    stride *= r.size;
  }
  const unit: DimRun = { size: 1, stride: 0, reduced: false };
  const kept = withStrides.filter((r) => !r.reduced);
  const red = withStrides.filter((r) => r.reduced);
  return { kept: kept.length ? kept : [unit], red: red.length ? red : [{ ...unit, reduced: true }] };
}

/** Layout of the output: the input's memory order with the reduced axes removed (keepdims=0) or kept as unit dims. */
function outputPerm(perm: Perm, axes: readonly number[], keepDims: boolean): Perm {
  if (keepDims) return perm.slice();
  return perm.filter((a) => !axes.includes(a)).map((a) => a - axes.filter((r) => r < a).length);
}

function lowerReduce(node: Node, ctx: LoweringContext, mode: ReduceMode): void {
  const xName = node.inputs[0];
  const shape = ctx.tensor(xName).shape;
  const rank = shape.length;
  const keepDims = attrInt(node, 'keepdims', 1) === 1;
  const global = node.opType === 'GlobalMaxPool' || node.opType === 'GlobalAveragePool';
  const listed = global ? spatialAxes(node, ctx, rank) : reducedAxes(node, ctx, mode, rank);
  const noop = listed === undefined && ctx.graph.opset >= AXES_INPUT_SINCE[mode] && attrInt(node, 'noop_with_empty_axes', 0) === 1;
  const axes = noop ? [] : listed ?? shape.map((_, i) => i);
  const src = ctx.readAny(node, xName);
  // 16x8 (ops/int16.ts): TFLM's MEAN / SUM on int16, the int8 arithmetic clamped to int16
  const int16 = isInt16(ctx, xName);
  if (int16 && (mode === 'max' || mode === 'min')) throw ctx.fail(node, `${node.opType} on int16 activations is not supported (16x8: ReduceMean, ReduceSum, GlobalAveragePool)`);
  const floatInput = ctx.value(src.value).type === 'float32';
  if (floatInput && (mode === 'max' || mode === 'min')) throw ctx.fail(node, `${node.opType} on float32 data (after a layer kept float) is not supported; ReduceMean and ReduceSum are`);
  const inQ = int16 ? int16Quant(ctx, node, xName) : floatInput ? { scale: 0, zeroPoint: 0 } : ctx.quant(node, xName);
  const { kept, red } = reductionRuns(physicalShape(shape, src.perm), src.perm.map((a) => axes.includes(a)));
  const count = red.reduce((a, r) => a * r.size, 1);
  const perm = outputPerm(src.perm, axes, keepDims || noop);
  const base = {
    name: node.name, onnxOp: node.opType, inputs: [src.value], consts: {},
    macs: shape.reduce((a, b) => a * b, 1),
  };
  const runs = {
    kept_rank: kept.length, kept_dims: kept.map((r) => r.size), kept_strides: kept.map((r) => r.stride),
    red_rank: red.length, red_dims: red.map((r) => r.size), red_strides: red.map((r) => r.stride),
  };
  if (mode === 'max' || mode === 'min') {
    const out = outputWithQuant(ctx, node, perm, inQ);
    ctx.addOp({ ...base, kind: 'reduce_max', outputs: [out.write], params: { ...runs, is_min: mode === 'min' ? 1 : 0 } });
    out.finish();
    return;
  }
  if (ctx.value(src.value).type === 'float32') {
    // between a layer kept float and its QuantizeLinear (ops/float-layer.ts): the mean / sum in float, as onnxruntime computes it
    const out = writeFloat(ctx, node, perm);
    ctx.addOp({ ...base, kind: 'reduce_sum_f32', outputs: [out.write], params: { ...runs, divisor: mode === 'mean' ? count : 1 } });
    out.finish();
    return;
  }
  const outQ = int16 ? int16Quant(ctx, node, node.outputs[0]) : ctx.quant(node, node.outputs[0]);
  const m = mode === 'mean' ? meanMultiplier(inQ.scale, outQ.scale, count) : quantizeMultiplier(inQ.scale / outQ.scale);
  const output = ctx.define(node.outputs[0], perm);
  ctx.addOp({
    ...base, kind: int16 ? 'reduce_sum_s16' : 'reduce_sum', outputs: [output],
    params: { ...runs, input_sum_offset: -inQ.zeroPoint * count, output_offset: outQ.zeroPoint, mult: m.mult, shift: m.shift },
  });
}

function runsView(op: Op): Record<string, unknown> {
  const list = (k: string): string => (op.params[k] as number[]).join(', ');
  return {
    kept_rank: op.params.kept_rank, kept_dims: list('kept_dims'), kept_strides: list('kept_strides'),
    red_rank: op.params.red_rank, red_dims: list('red_dims'), red_strides: list('red_strides'),
  };
}

function io(op: Op, env: EmitEnv): Record<string, string> {
  return { input: env.ptr(op.inputs[0] as string, 'const int8_t'), output: env.ptr(op.outputs[0] as string, 'int8_t') };
}

export const reduce: OpDefinition = {
  lowerings: [
    { onnxOps: ['ReduceMean'], lower: (n, c) => lowerReduce(n, c, 'mean') },
    { onnxOps: ['ReduceSum'], lower: (n, c) => lowerReduce(n, c, 'sum') },
    { onnxOps: ['ReduceMax', 'GlobalMaxPool'], lower: (n, c) => lowerReduce(n, c, 'max') },
    { onnxOps: ['ReduceMin'], lower: (n, c) => lowerReduce(n, c, 'min') },
  ],
  portable: {
    reduce_sum: {
      sources: ['edgec_reduce_sum_s8.c'], template: 'reduce_sum',
      view: (op, env) => ({
        ...runsView(op), ...io(op, env),
        args: ['input_sum_offset', 'output_offset', 'mult', 'shift'].map((f) => op.params[f]).join(', '),
      }),
    },
    reduce_sum_s16: {
      sources: ['edgec_reduce_sum_s16.c'], template: 'reduce_sum_s16',
      view: (op, env) => ({
        ...runsView(op), input: env.ptr(op.inputs[0] as string, 'const int16_t'), output: env.ptr(op.outputs[0] as string, 'int16_t'),
        args: ['input_sum_offset', 'output_offset', 'mult', 'shift'].map((f) => op.params[f]).join(', '),
      }),
    },
    // float32 data after a layer kept float (ops/float-layer.ts)
    reduce_sum_f32: {
      sources: ['edgec_reduce_sum_f32.c'], template: 'reduce_sum_f32',
      view: (op, env) => ({
        ...runsView(op), input: env.ptr(op.inputs[0] as string, 'const float'), output: env.ptr(op.outputs[0] as string, 'float'),
        args: cFloat(Number(op.params.divisor)),
      }),
    },
    reduce_max: {
      sources: ['edgec_reduce_max_s8.c'], template: 'reduce_max',
      view: (op, env) => ({ ...runsView(op), ...io(op, env), is_min: op.params.is_min }),
    },
  },
  libraryMissing: { reduce_sum_s16: INT16_REASON, reduce_sum_f32: FLOAT_LAYER_REASON },
  espNn: { reduce_sum: espReduceSum },
};
