/** Unary math ops, Max / Min, Where and ArgMax / ArgMin (compiler/ops/unary-table.ts, binary.ts, arg.ts). */
import { broadcastShapes, fmtShape, type ShapeRule } from './context.js';

/** Same shape and type as input 0. */
const unary: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  return [{ dtype: x.dtype, shape: [...x.shape] }];
};
export const Neg = unary;
export const Abs = unary;
export const Sqrt = unary;
export const Reciprocal = unary;
export const Exp = unary;
export const Log = unary;
export const Erf = unary;
export const Softplus = unary;
export const Mish = unary;
export const Selu = unary;
export const Elu = unary;
export const Gelu = unary;

/** Max / Min: variadic, multidirectional broadcasting (opset ≥ 8). */
const variadic: ShapeRule = (ctx) => {
  const present = ctx.node.inputs.map((_, i) => ctx.optional(i)).filter((t): t is NonNullable<typeof t> => t !== undefined);
  if (present.length === 0) ctx.fail('needs at least one input');
  const dtype = present[0].dtype;
  for (const t of present) if (t.dtype !== dtype) ctx.fail(`inputs have different types ${dtype} and ${t.dtype}`);
  return [{ dtype, shape: broadcastShapes(ctx, present.map((t) => t.shape)) }];
};
export const Max = variadic;
export const Min = variadic;

/** Where(condition, X, Y): all three broadcast; the type is X's. */
export const Where: ShapeRule = (ctx) => {
  const c = ctx.input(0);
  const x = ctx.input(1);
  const y = ctx.input(2);
  if (c.dtype !== 'bool') ctx.fail(`condition has type ${c.dtype}, bool is required`);
  if (x.dtype !== y.dtype) ctx.fail(`X and Y have different types ${x.dtype} and ${y.dtype}`);
  return [{ dtype: x.dtype, shape: broadcastShapes(ctx, [c.shape, x.shape, y.shape]) }];
};

/** ArgMax / ArgMin: int64 indices along `axis`, kept as size 1 when keepdims = 1 (the default). */
const arg: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const rank = x.shape.length;
  if (rank === 0) ctx.fail('input must have rank ≥ 1');
  const axis = ctx.axis(ctx.int('axis', 0), rank);
  const keepdims = ctx.int('keepdims', 1);
  if (keepdims !== 0 && keepdims !== 1) ctx.fail(`keepdims must be 0 or 1, got ${keepdims}`);
  if (x.shape[axis] === 0) ctx.fail(`axis ${axis} of ${fmtShape(x.shape)} is empty`);
  const shape = keepdims ? x.shape.map((d, i) => (i === axis ? 1 : d)) : x.shape.filter((_, i) => i !== axis);
  return [{ dtype: 'int64', shape }];
};
export const ArgMax = arg;
export const ArgMin = arg;
