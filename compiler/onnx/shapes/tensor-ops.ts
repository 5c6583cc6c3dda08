/** Data movement and shape ops. Where a shape depends on values (Reshape, Slice, Pad...), they must be constants. */
import type { DType, Tensor } from '../../ir/graph.js';
import { elementCount } from '../../ir/graph.js';
import { broadcastShapes, fmtShape, isIntegerDType, type ShapeContext, type ShapeRule } from './context.js';

export const Concat: ShapeRule = (ctx) => {
  const inputs = ctx.node.inputs.map((_, i) => ctx.input(i));
  const first = inputs[0];
  if (!first) throw ctx.error('needs at least one input');
  const rank = first.shape.length;
  const axisAttr = ctx.int('axis');
  if (axisAttr === undefined) throw ctx.error("missing attribute 'axis'");
  const axis = ctx.axis(axisAttr, rank);
  const shape = [...first.shape];
  shape[axis] = 0;
  for (const t of inputs) {
    if (t.dtype !== first.dtype) ctx.fail(`inputs have different types ${first.dtype} and ${t.dtype}`);
    if (t.shape.length !== rank || t.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
      ctx.fail(`cannot concatenate ${fmtShape(first.shape)} and ${fmtShape(t.shape)} on axis ${axis}`);
    }
    shape[axis] += t.shape[axis]!;
  }
  return [{ dtype: first.dtype, shape }];
};

/**
 * Pads in ONNX order [x1_begin, x2_begin, ..., x1_end, x2_end, ...], one pair
 * per input axis. Attribute before opset 11, input (with optional axes from 18) after.
 */
export function padAmounts(ctx: ShapeContext, rank: number): { begin: number[]; end: number[] } {
  let pads: number[];
  let axes: number[];
  if (ctx.opset >= 11) {
    pads = ctx.requireInts(1, 'pads');
    const rawAxes = ctx.opset >= 18 ? ctx.optionalInts(3, 'axes') : undefined;
    axes = rawAxes ? rawAxes.map((a) => ctx.axis(a, rank, 'axes value')) : [...Array(rank).keys()];
  } else {
    const p = ctx.ints('pads');
    if (!p) throw ctx.error("missing attribute 'pads'");
    pads = p;
    axes = [...Array(rank).keys()];
  }
  if (pads.length !== 2 * axes.length) ctx.fail(`pads has ${pads.length} values, expected ${2 * axes.length}`);
  const begin = new Array<number>(rank).fill(0);
  const end = new Array<number>(rank).fill(0);
  axes.forEach((a, i) => {
    begin[a] = pads[i]!;
    end[a] = pads[i + axes.length]!;
  });
  return { begin, end };
}

export const Pad: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const mode = ctx.string('mode', 'constant');
  if (!['constant', 'reflect', 'edge', 'wrap'].includes(mode)) ctx.fail(`unknown pad mode '${mode}'`);
  const { begin, end } = padAmounts(ctx, x.shape.length);
  // Negative pads crop; the result must still be non-negative.
  const shape = x.shape.map((d, i) => d + begin[i]! + end[i]!);
  if (shape.some((d) => d < 0)) ctx.fail(`pads crop ${fmtShape(x.shape)} below zero`);
  return [{ dtype: x.dtype, shape }];
};

export function transposePerm(ctx: ShapeContext, rank: number): number[] {
  const perm = ctx.ints('perm') ?? [...Array(rank).keys()].reverse();
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== rank || sorted.some((v, i) => v !== i)) ctx.fail(`perm ${fmtShape(perm)} is not a permutation of ${rank} axes`);
  return perm;
}

export const Transpose: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const perm = transposePerm(ctx, x.shape.length);
  return [{ dtype: x.dtype, shape: perm.map((p) => x.shape[p]!) }];
};

/** Reshape target: 0 copies the input dim (unless allowzero, opset ≥ 14), -1 is inferred. */
export function reshapeTarget(ctx: ShapeContext, input: readonly number[], requested: readonly number[], allowZero: boolean): number[] {
  const out = requested.map((d, i) => {
    if (d === 0 && !allowZero) {
      if (i >= input.length) ctx.fail(`shape ${fmtShape(requested)} copies dim ${i} (0) but the input ${fmtShape(input)} has rank ${input.length}`);
      return input[i]!;
    }
    return d;
  });
  const inferred = out.filter((d) => d === -1).length;
  if (inferred > 1 || out.some((d) => d < -1)) ctx.fail(`invalid shape ${fmtShape(requested)}`);
  const total = elementCount(input);
  if (inferred === 1) {
    const known = elementCount(out.filter((d) => d !== -1));
    if (known === 0 || total % known !== 0) ctx.fail(`cannot reshape ${fmtShape(input)} to ${fmtShape(requested)}`);
    out[out.indexOf(-1)] = total / known;
  }
  if (elementCount(out) !== total) ctx.fail(`cannot reshape ${fmtShape(input)} (${total} elements) to ${fmtShape(requested)}`);
  return out;
}

export const Reshape: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  // Opset ≥ 5 takes the target as input 1 (the `shape` attribute form is opset 1-4, below what we accept).
  if (!ctx.optional(1)) ctx.fail('missing shape input (opset ≥ 5 takes the target shape as input 1)');
  const requested = ctx.requireInts(1, 'shape');
  const allowZero = ctx.opset >= 14 && ctx.int('allowzero', 0) === 1;
  return [{ dtype: x.dtype, shape: reshapeTarget(ctx, x.shape, requested, allowZero) }];
};

export const Flatten: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const rank = x.shape.length;
  let axis = ctx.int('axis', 1);
  if (axis < -rank || axis > rank) ctx.fail(`axis ${axis} is out of range for rank ${rank}`);
  if (axis < 0) axis += rank;
  return [{ dtype: x.dtype, shape: [elementCount(x.shape.slice(0, axis)), elementCount(x.shape.slice(axis))] }];
};

/** Axes of Squeeze/Unsqueeze: attribute before opset 13, optional input from 13. */
function squeezeAxes(ctx: ShapeContext): number[] | undefined {
  return ctx.opset >= 13 ? ctx.optionalInts(1, 'axes') : ctx.ints('axes');
}

export const Squeeze: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const raw = squeezeAxes(ctx);
  let axes: number[];
  if (raw === undefined || raw.length === 0) axes = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  else axes = raw.map((a) => ctx.axis(a, x.shape.length, 'axes value'));
  for (const a of axes) if (x.shape[a] !== 1) ctx.fail(`cannot squeeze axis ${a} of ${fmtShape(x.shape)} (size ${x.shape[a]})`);
  return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) }];
};

export const Unsqueeze: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const raw = squeezeAxes(ctx);
  if (!raw || raw.length === 0) throw ctx.error('missing axes');
  const rank = x.shape.length + raw.length;
  const axes = raw.map((a) => ctx.axis(a, rank, 'axes value'));
  if (new Set(axes).size !== axes.length) ctx.fail(`duplicate axes ${fmtShape(raw)}`);
  const shape: number[] = [];
  let src = 0;
  for (let i = 0; i < rank; i++) shape.push(axes.includes(i) ? 1 : x.shape[src++]!);
  return [{ dtype: x.dtype, shape }];
};

/** Shape (start/end attributes from opset 15, clamped like Python slicing). */
export function shapeRange(ctx: ShapeContext, rank: number): [number, number] {
  const clamp = (v: number): number => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  return [clamp(ctx.int('start', 0)), clamp(ctx.int('end', rank))];
}

export const Shape: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const [start, end] = shapeRange(ctx, x.shape.length);
  return [{ dtype: 'int64', shape: [Math.max(0, end - start)] }];
};

export const Gather: ShapeRule = (ctx) => {
  const data = ctx.input(0);
  const indices = ctx.input(1);
  if (indices.dtype !== 'int32' && indices.dtype !== 'int64') ctx.fail(`indices must be int32 or int64, got ${indices.dtype}`);
  const axis = ctx.axis(ctx.int('axis', 0), data.shape.length);
  return [{ dtype: data.dtype, shape: [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)] }];
};

export interface SliceAxis {
  start: number;
  step: number;
  length: number;
}

/**
 * Resolve Slice parameters for every input axis (unsliced axes cover the full
 * range). Attributes before opset 10, inputs after; clamping per the spec,
 * so INT64_MAX / INT64_MIN sentinels work even though they are not exact doubles.
 */
export function resolveSlice(ctx: ShapeContext, shape: readonly number[]): SliceAxis[] {
  let starts: number[];
  let ends: number[];
  let axes: number[] | undefined;
  let steps: number[] | undefined;
  if (ctx.opset >= 10) {
    for (const slot of [1, 2, 3, 4]) {
      const t = ctx.optional(slot);
      if (t && t.shape.length !== 1) ctx.fail(`${['', 'starts', 'ends', 'axes', 'steps'][slot]} must be 1-D, got ${fmtShape(t.shape)}`);
    }
    starts = ctx.requireInts(1, 'starts');
    ends = ctx.requireInts(2, 'ends');
    axes = ctx.optionalInts(3, 'axes');
    steps = ctx.optionalInts(4, 'steps');
  } else {
    const s = ctx.ints('starts');
    const e = ctx.ints('ends');
    if (!s || !e) throw ctx.error("missing attribute 'starts' or 'ends'");
    starts = s;
    ends = e;
    axes = ctx.ints('axes');
  }
  const rank = shape.length;
  const ax = axes ?? starts.map((_, i) => i);
  if (ends.length !== starts.length || ax.length !== starts.length || (steps && steps.length !== starts.length)) {
    ctx.fail('starts, ends, axes and steps must have the same length');
  }
  const result: SliceAxis[] = shape.map((d) => ({ start: 0, step: 1, length: d }));
  ax.forEach((rawAxis, i) => {
    const a = ctx.axis(rawAxis, rank, 'axes value');
    const d = shape[a]!;
    const step = steps?.[i] ?? 1;
    if (step === 0) ctx.fail('slice step cannot be 0');
    let s = starts[i]!;
    let e = ends[i]!;
    if (s < 0) s += d;
    if (e < 0) e += d;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      s = Math.min(Math.max(s, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const length = Math.max(0, Math.ceil((e - s) / step));
    result[a] = { start: s, step, length };
  });
  return result;
}

export const Slice: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  return [{ dtype: x.dtype, shape: resolveSlice(ctx, x.shape).map((s) => s.length) }];
};

export const Expand: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const target = ctx.requireInts(1, 'shape');
  return [{ dtype: x.dtype, shape: broadcastShapes(ctx, [x.shape, target]) }];
};

/** The `value` of ConstantOfShape: a one-element tensor, default float32 0. */
export function constantOfShapeValue(ctx: ShapeContext): { dtype: DType; value: number } {
  const t = ctx.tensor('value');
  if (!t) return { dtype: 'float32', value: 0 };
  if (!t.data || t.data.length !== 1) ctx.fail("attribute 'value' must hold one element");
  return { dtype: t.dtype, value: t.data[0]! };
}

export const ConstantOfShape: ShapeRule = (ctx) => {
  const shape = ctx.requireInts(0, 'shape');
  if (shape.some((d) => d < 0 || !Number.isInteger(d))) ctx.fail(`invalid shape ${fmtShape(shape)}`);
  const input = ctx.input(0);
  if (!isIntegerDType(input.dtype)) ctx.fail('shape input must be int64');
  return [{ dtype: constantOfShapeValue(ctx).dtype, shape }];
};

/** The tensor a Constant node produces (value, value_float(s), value_int(s)). */
export function constantNodeTensor(ctx: ShapeContext, outputName: string): Tensor {
  const attrs = ctx.node.attrs;
  const keys = Object.keys(attrs);
  if (keys.length !== 1) ctx.fail(`needs exactly one value attribute, got ${keys.length ? keys.join(', ') : 'none'}`);
  const key = keys[0]!;
  switch (key) {
    case 'value': {
      const t = ctx.tensor('value');
      if (!t) throw ctx.error("missing attribute 'value'");
      return { ...t, name: outputName };
    }
    case 'value_float': return { name: outputName, dtype: 'float32', shape: [], data: Float32Array.of(ctx.float('value_float', 0)) };
    case 'value_floats': {
      const v = ctx.floats('value_floats') ?? [];
      return { name: outputName, dtype: 'float32', shape: [v.length], data: Float32Array.from(v) };
    }
    case 'value_int': return { name: outputName, dtype: 'int64', shape: [], data: Float64Array.of(ctx.int('value_int', 0)) };
    case 'value_ints': {
      const v = ctx.ints('value_ints') ?? [];
      return { name: outputName, dtype: 'int64', shape: [v.length], data: Float64Array.from(v) };
    }
    default:
      throw ctx.error(`Constant with '${key}' is not supported (only numeric tensors)`);
  }
}

export const Constant: ShapeRule = (ctx) => {
  const t = constantNodeTensor(ctx, ctx.node.outputs[0] ?? '');
  return [{ dtype: t.dtype, shape: [...t.shape] }];
};
