/** Reductions. Axes moved from attribute to input in opset 13 (ReduceSum) and 18 (the others). */
import { type ShapeRule } from './context.js';

function reduce(axesInputSince: number): ShapeRule {
  return (ctx) => {
    const x = ctx.input(0);
    const rank = x.shape.length;
    const keep = ctx.int('keepdims', 1) === 1;
    const raw = ctx.opset >= axesInputSince ? ctx.optionalInts(1, 'axes') : ctx.ints('axes');
    let axes: number[];
    if (raw === undefined || raw.length === 0) {
      // noop_with_empty_axes only exists in the input-axes versions.
      if (ctx.opset >= axesInputSince && ctx.int('noop_with_empty_axes', 0) === 1) return [{ dtype: x.dtype, shape: [...x.shape] }];
      axes = x.shape.map((_, i) => i);
    } else {
      axes = raw.map((a) => ctx.axis(a, rank, 'axes value'));
    }
    const shape: number[] = [];
    x.shape.forEach((d, i) => {
      if (!axes.includes(i)) shape.push(d);
      else if (keep) shape.push(1);
    });
    return [{ dtype: x.dtype, shape }];
  };
}

export const ReduceMean = reduce(18);
export const ReduceMax = reduce(18);
export const ReduceMin = reduce(18);
export const ReduceSum = reduce(13);
