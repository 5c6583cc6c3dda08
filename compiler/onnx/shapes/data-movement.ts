/** Shape rules of the data-movement ops: Split, Tile, Resize, Upsample, DepthToSpace, SpaceToDepth. */
import { fmtShape, type ShapeContext, type ShapeRule } from './context.js';

/**
 * Split sizes along `axis`: the `split` input (opset 13+) or attribute
 * (before), else num_outputs (opset 18: ceil-sized chunks, the last smaller),
 * else equal parts, one per output.
 */
export function splitSizes(ctx: ShapeContext, dim: number, outputs: number): number[] {
  const given = ctx.opset >= 13 ? ctx.optionalInts(1, 'split') : ctx.ints('split');
  if (given && given.length > 0) {
    if (given.length !== outputs) ctx.fail(`split has ${given.length} sizes for ${outputs} outputs`);
    if (given.some((s) => s < 0) || given.reduce((a, b) => a + b, 0) !== dim) ctx.fail(`split sizes [${given.join(', ')}] do not add up to the axis size ${dim}`);
    return given;
  }
  const parts = ctx.opset >= 18 ? ctx.int('num_outputs', outputs) : outputs;
  if (parts !== outputs) ctx.fail(`num_outputs ${parts} differs from the node's ${outputs} outputs`);
  if (ctx.opset >= 18) {
    const chunk = Math.ceil(dim / parts);
    return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
  }
  if (dim % parts !== 0) ctx.fail(`axis size ${dim} does not split into ${parts} equal parts`);
  return new Array<number>(parts).fill(dim / parts);
}

export const Split: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const axis = ctx.axis(ctx.int('axis', 0), x.shape.length);
  const outputs = ctx.node.outputs.length;
  return splitSizes(ctx, x.shape[axis] as number, outputs).map((s) => ({ dtype: x.dtype, shape: x.shape.map((d, i) => (i === axis ? s : d)) }));
};

export const Tile: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const repeats = ctx.requireInts(1, 'repeats');
  if (repeats.length !== x.shape.length) ctx.fail(`repeats has ${repeats.length} values for a rank-${x.shape.length} input`);
  if (repeats.some((r) => r < 0)) ctx.fail(`negative repeats [${repeats.join(', ')}]`);
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => d * (repeats[i] as number)) }];
};

/** Per-axis scales of a Resize / Upsample, or the output sizes when given instead. */
export interface ResizeTarget { scales: number[]; sizes: number[] }

/**
 * Scales and output sizes of Resize (opset 10: scales input 1; 11+: roi,
 * scales, sizes at 1, 2, 3; 18+: `axes`) and Upsample (7: scales attribute;
 * 9: input 1). Sizes come from floor(in * scale) in float32 as onnxruntime
 * computes them; given sizes set the scale to out / in.
 */
export function resizeTarget(ctx: ShapeContext, inShape: readonly number[]): ResizeTarget {
  const rank = inShape.length;
  const isUpsample = ctx.node.opType === 'Upsample';
  let scales: number[] | undefined;
  let sizes: number[] | undefined;
  if (isUpsample) scales = ctx.floats('scales') ?? floatInput(ctx, 1);
  else if (ctx.opset < 11) scales = floatInput(ctx, 1);
  else {
    scales = floatInput(ctx, 2);
    sizes = ctx.optionalInts(3, 'sizes');
    if (sizes && sizes.length === 0) sizes = undefined;
    if (scales && scales.length === 0) scales = undefined;
  }
  const axes = ctx.opset >= 18 && !isUpsample ? ctx.ints('axes') : undefined;
  const expand = (v: number[], fill: (i: number) => number): number[] => {
    if (!axes) return v;
    const full = inShape.map((_, i) => fill(i));
    axes.forEach((a, k) => { full[ctx.axis(a, rank, 'axes value')] = v[k] as number; });
    return full;
  };
  if (sizes) {
    const policy = ctx.opset >= 18 ? ctx.string('keep_aspect_ratio_policy', 'stretch') : 'stretch';
    if (policy !== 'stretch') ctx.fail(`keep_aspect_ratio_policy '${policy}' is not supported (stretch only)`);
    const full = expand(sizes, (i) => inShape[i] as number);
    if (full.length !== rank) ctx.fail(`sizes has ${full.length} values for a rank-${rank} input`);
    return { sizes: full, scales: full.map((s, i) => Math.fround(s / (inShape[i] as number))) };
  }
  if (!scales) ctx.fail('needs scales or sizes');
  const full = expand(scales.map((s) => Math.fround(s)), () => 1);
  if (full.length !== rank) ctx.fail(`scales has ${full.length} values for a rank-${rank} input`);
  if (full.some((s) => !(s > 0))) ctx.fail(`scales [${full.join(', ')}] must be positive`);
  return { scales: full, sizes: full.map((s, i) => Math.floor(Math.fround(s * (inShape[i] as number)))) };
}

function floatInput(ctx: ShapeContext, slot: number): number[] | undefined {
  const t = ctx.optional(slot);
  if (!t) return undefined;
  if (!t.data) ctx.fail(`input '${t.name}' (scales) must be a constant`);
  return Array.from(t.data, Number);
}

const resize: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  return [{ dtype: x.dtype, shape: resizeTarget(ctx, x.shape).sizes }];
};

export const Resize = resize;
export const Upsample = resize;

function blockSize(ctx: ShapeContext): number {
  const b = ctx.int('blocksize');
  if (b === undefined || b < 1) ctx.fail('blocksize must be a positive int');
  return b;
}

export const DepthToSpace: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const b = blockSize(ctx);
  if (x.shape.length !== 4) ctx.fail(`needs a rank-4 input, got ${fmtShape(x.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (c % (b * b) !== 0) ctx.fail(`channels ${c} are not a multiple of blocksize² ${b * b}`);
  return [{ dtype: x.dtype, shape: [n, c / (b * b), h * b, w * b] }];
};

export const SpaceToDepth: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const b = blockSize(ctx);
  if (x.shape.length !== 4) ctx.fail(`needs a rank-4 input, got ${fmtShape(x.shape)}`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  if (h % b !== 0 || w % b !== 0) ctx.fail(`spatial dims ${h}x${w} are not multiples of blocksize ${b}`);
  return [{ dtype: x.dtype, shape: [n, c * b * b, h / b, w / b] }];
};
