/** Gemm and MatMul. */
import { broadcastShapes, fmtShape, type ShapeRule } from './context.js';

/** Gemm: Y = alpha·A'·B' + beta·C with A' [M,K], B' [K,N] and C broadcastable to [M,N]. */
export const Gemm: ShapeRule = (ctx) => {
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (a.shape.length !== 2 || b.shape.length !== 2) ctx.fail(`A and B must be 2-D, got ${fmtShape(a.shape)} and ${fmtShape(b.shape)}`);
  const [m, ka] = ctx.int('transA', 0) ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [kb, n] = ctx.int('transB', 0) ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (ka !== kb) ctx.fail(`inner dimensions differ: A ${fmtShape(a.shape)} and B ${fmtShape(b.shape)} (transA=${ctx.int('transA', 0)}, transB=${ctx.int('transB', 0)})`);
  const c = ctx.optional(2);
  if (c) {
    const s = broadcastShapes(ctx, [[m, n], c.shape]);
    if (s.length !== 2 || s[0] !== m || s[1] !== n) ctx.fail(`C ${fmtShape(c.shape)} does not broadcast to [${m}, ${n}]`);
  }
  return [{ dtype: a.dtype, shape: [m, n] }];
};

/** MatMul with numpy semantics: 1-D operands are promoted and the added dim removed; batch dims broadcast. */
export const MatMul: ShapeRule = (ctx) => {
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (a.shape.length === 0 || b.shape.length === 0) ctx.fail('MatMul operands must have rank ≥ 1');
  const as = a.shape.length === 1 ? [1, a.shape[0]!] : a.shape;
  const bs = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
  const k1 = as[as.length - 1]!;
  const k2 = bs[bs.length - 2]!;
  if (k1 !== k2) ctx.fail(`inner dimensions differ: ${fmtShape(a.shape)} x ${fmtShape(b.shape)}`);
  const batch = broadcastShapes(ctx, [as.slice(0, -2), bs.slice(0, -2)]);
  const shape = [...batch];
  if (a.shape.length > 1) shape.push(as[as.length - 2]!);
  if (b.shape.length > 1) shape.push(bs[bs.length - 1]!);
  return [{ dtype: a.dtype, shape }];
};
