/** Conv and pooling: output spatial size from kernel, strides, dilations, pads / auto_pad, ceil_mode. */
import type { ShapeContext, ShapeRule } from './context.js';
import { fmtShape } from './context.js';

export type AutoPad = 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';

export interface WindowGeometry {
  kernel: number[];
  strides: number[];
  dilations: number[];
  /** Explicit pads per spatial axis, resolved from auto_pad where needed. */
  padsBegin: number[];
  padsEnd: number[];
  ceilMode: boolean;
  /** Output spatial dims. */
  out: number[];
}

/**
 * Spatial output size along one axis. ceil_mode follows onnxruntime's pool
 * kernels (and PyTorch): with ceil the last window must start inside the input
 * or the left padding, otherwise it is dropped.
 */
function outputDim(inDim: number, k: number, s: number, d: number, begin: number, end: number, ceil: boolean): number {
  const effK = (k - 1) * d + 1;
  const span = inDim + begin + end - effK;
  if (span < 0) return 0;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= inDim + begin) out--;
  return out;
}

/** Resolve a node's window attributes against a spatial input shape (used by shape rules and later passes). */
export function windowGeometry(ctx: ShapeContext, spatial: readonly number[], kernel: readonly number[]): WindowGeometry {
  const n = spatial.length;
  if (kernel.length !== n) ctx.fail(`kernel_shape ${fmtShape(kernel)} does not match ${n} spatial dims`);
  const strides = ctx.ints('strides') ?? new Array<number>(n).fill(1);
  const dilations = ctx.ints('dilations') ?? new Array<number>(n).fill(1);
  if (strides.length !== n || dilations.length !== n) ctx.fail(`strides/dilations must have ${n} values`);
  if ([...strides, ...dilations, ...kernel].some((v) => v < 1)) ctx.fail('kernel_shape, strides and dilations must be positive');
  const ceilMode = ctx.int('ceil_mode', 0) === 1;
  const autoPad = ctx.string('auto_pad', 'NOTSET') as AutoPad;
  const padsBegin: number[] = [];
  const padsEnd: number[] = [];
  const out: number[] = [];
  if (autoPad === 'NOTSET') {
    const pads = ctx.ints('pads') ?? new Array<number>(2 * n).fill(0);
    if (pads.length !== 2 * n) ctx.fail(`pads has ${pads.length} values, expected ${2 * n}`);
    if (pads.some((p) => p < 0)) ctx.fail('pads must be non-negative');
    for (let i = 0; i < n; i++) {
      padsBegin.push(pads[i]!);
      padsEnd.push(pads[i + n]!);
      out.push(outputDim(spatial[i]!, kernel[i]!, strides[i]!, dilations[i]!, pads[i]!, pads[i + n]!, ceilMode));
    }
  } else if (autoPad === 'VALID') {
    for (let i = 0; i < n; i++) {
      padsBegin.push(0);
      padsEnd.push(0);
      out.push(outputDim(spatial[i]!, kernel[i]!, strides[i]!, dilations[i]!, 0, 0, ceilMode));
    }
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    for (let i = 0; i < n; i++) {
      const o = Math.ceil(spatial[i]! / strides[i]!);
      const total = Math.max(0, (o - 1) * strides[i]! + (kernel[i]! - 1) * dilations[i]! + 1 - spatial[i]!);
      const small = Math.floor(total / 2);
      // SAME_UPPER puts the extra padding at the end, SAME_LOWER at the beginning.
      padsBegin.push(autoPad === 'SAME_UPPER' ? small : total - small);
      padsEnd.push(autoPad === 'SAME_UPPER' ? total - small : small);
      out.push(o);
    }
  } else {
    ctx.fail(`unknown auto_pad '${String(autoPad)}'`);
  }
  if (out.some((d) => d < 1)) ctx.fail(`window ${fmtShape(kernel)} does not fit input spatial dims ${fmtShape(spatial)}`);
  return { kernel: [...kernel], strides, dilations, padsBegin, padsEnd, ceilMode, out };
}

function requireRankAtLeast3(ctx: ShapeContext, shape: readonly number[]): void {
  if (shape.length < 3) ctx.fail(`input must be N x C x spatial..., got ${fmtShape(shape)}`);
}

export const Conv: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const w = ctx.input(1);
  requireRankAtLeast3(ctx, x.shape);
  if (w.shape.length !== x.shape.length) ctx.fail(`weight rank ${w.shape.length} does not match input rank ${x.shape.length}`);
  const group = ctx.int('group', 1);
  const [n, c] = x.shape as [number, number];
  const [m, cPerGroup] = w.shape as [number, number];
  if (group < 1 || c !== cPerGroup * group) ctx.fail(`input has ${c} channels but weight ${fmtShape(w.shape)} with group=${group} expects ${cPerGroup * group}`);
  if (m % group !== 0) ctx.fail(`${m} output channels are not divisible by group=${group}`);
  const bias = ctx.optional(2);
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== m)) ctx.fail(`bias shape ${fmtShape(bias.shape)} does not match ${m} output channels`);
  const kernel = ctx.ints('kernel_shape') ?? w.shape.slice(2);
  const g = windowGeometry(ctx, x.shape.slice(2), kernel);
  return [{ dtype: x.dtype, shape: [n, m, ...g.out] }];
};

function pool(withIndices: boolean): ShapeRule {
  return (ctx) => {
    const x = ctx.input(0);
    requireRankAtLeast3(ctx, x.shape);
    const kernel = ctx.ints('kernel_shape');
    if (!kernel) throw ctx.error('missing kernel_shape');
    const g = windowGeometry(ctx, x.shape.slice(2), kernel);
    const shape = [x.shape[0]!, x.shape[1]!, ...g.out];
    const outs = [{ dtype: x.dtype, shape }];
    if (withIndices && ctx.node.outputs.length > 1) outs.push({ dtype: 'int64', shape: [...shape] });
    return outs;
  };
}

export const MaxPool: ShapeRule = pool(true);
export const AveragePool: ShapeRule = pool(false);

const globalPool: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  requireRankAtLeast3(ctx, x.shape);
  return [{ dtype: x.dtype, shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] }];
};
export const GlobalAveragePool: ShapeRule = globalPool;
export const GlobalMaxPool: ShapeRule = globalPool;
