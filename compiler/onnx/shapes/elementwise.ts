/** Elementwise ops, activations and normalisations: output shape follows the input (or numpy broadcasting). */
import type { DType } from '../../ir/graph.js';
import { dtypeFromOnnx, onnxDTypeName } from '../proto.js';
import { broadcastShapes, fmtShape, type ShapeContext, type ShapeRule } from './context.js';

/** Binary arithmetic with ONNX (numpy) multidirectional broadcasting, opset ≥ 7. */
const binary: ShapeRule = (ctx) => {
  const a = ctx.input(0);
  const b = ctx.input(1);
  if (a.dtype !== b.dtype) ctx.fail(`inputs have different types ${a.dtype} and ${b.dtype}`);
  return [{ dtype: a.dtype, shape: broadcastShapes(ctx, [a.shape, b.shape]) }];
};
export const Add = binary;
export const Sub = binary;
export const Mul = binary;
export const Div = binary;

/** Same shape and type as input 0. */
const unary: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  return [{ dtype: x.dtype, shape: [...x.shape] }];
};
export const Relu = unary;
export const LeakyRelu = unary;
export const Sigmoid = unary;
export const Tanh = unary;
export const HardSwish = unary;
export const HardSigmoid = unary;
export const Identity = unary;

/** PRelu: slope broadcasts unidirectionally to X. */
export const PRelu: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const slope = ctx.input(1);
  const shape = broadcastShapes(ctx, [x.shape, slope.shape]);
  if (fmtShape(shape) !== fmtShape(x.shape)) ctx.fail(`slope ${fmtShape(slope.shape)} does not broadcast to input ${fmtShape(x.shape)}`);
  return [{ dtype: x.dtype, shape }];
};

function requireScalar(ctx: ShapeContext, slot: number, what: string): void {
  const t = ctx.optional(slot);
  if (t && t.shape.reduce((a, b) => a * b, 1) !== 1) ctx.fail(`${what} must be a scalar, got shape ${fmtShape(t.shape)}`);
}

/** Clip: min/max are float attributes before opset 11 and optional scalar inputs from 11 on. */
export const Clip: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (ctx.opset >= 11) {
    requireScalar(ctx, 1, 'min');
    requireScalar(ctx, 2, 'max');
  } else {
    ctx.float('min');
    ctx.float('max');
  }
  return [{ dtype: x.dtype, shape: [...x.shape] }];
};

/**
 * Softmax axis semantics changed in opset 13: before, the input is coerced to
 * 2-D [prod(0..axis), prod(axis..)] and normalised over the second dim (axis
 * default 1); from 13 on it normalises over one axis (default -1).
 */
export function softmaxAxis(opset: number, axisAttr: number | undefined, rank: number): { axis: number; coerced2D: boolean } {
  if (opset >= 13) {
    const a = axisAttr ?? -1;
    return { axis: a < 0 ? a + rank : a, coerced2D: false };
  }
  const a = axisAttr ?? 1;
  return { axis: a < 0 ? a + rank : a, coerced2D: true };
}

const softmax: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const rank = x.shape.length;
  const raw = ctx.int('axis');
  // Before 13 the axis may equal rank only in the degenerate coerced case; keep the spec range [-r, r-1].
  if (raw !== undefined) ctx.axis(raw, Math.max(rank, 1));
  softmaxAxis(ctx.opset, raw, rank);
  return [{ dtype: x.dtype, shape: [...x.shape] }];
};
export const Softmax = softmax;
export const LogSoftmax = softmax;

/** Dropout (inference: identity) with an optional bool mask output. */
export const Dropout: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const outs = [{ dtype: x.dtype, shape: [...x.shape] }];
  if (ctx.node.outputs.length > 1) outs.push({ dtype: 'bool' as DType, shape: [...x.shape] });
  return outs;
};

/** BatchNormalization: Y like X; the training-mode extra outputs (mean/var...) are per-channel vectors. */
export const BatchNormalization: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  if (x.shape.length < 2) ctx.fail(`input must be at least N x C, got ${fmtShape(x.shape)}`);
  const c = x.shape[1]!;
  for (let slot = 1; slot <= 4; slot++) {
    const p = ctx.input(slot);
    if (p.shape.length !== 1 || p.shape[0] !== c) ctx.fail(`parameter '${p.name}' has shape ${fmtShape(p.shape)}, expected [${c}]`);
  }
  return ctx.node.outputs.map((_, i) => (i === 0 ? { dtype: x.dtype, shape: [...x.shape] } : { dtype: x.dtype, shape: [c] }));
};

export const Cast: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const to = ctx.int('to');
  if (to === undefined) throw ctx.error("missing attribute 'to'");
  const dtype = dtypeFromOnnx(to);
  if (!dtype) throw ctx.error(`Cast to ${onnxDTypeName(to)} is not supported`);
  return [{ dtype, shape: [...x.shape] }];
};
