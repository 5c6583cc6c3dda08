/**
 * Resize (opsets 10-19) and Upsample (7, 9).
 *  - nearest: a `gather` with one index table per axis, the indices computed
 *    at compile time exactly as onnxruntime computes them (float32 coordinate
 *    transform for every coordinate_transformation_mode but
 *    tf_crop_and_resize, then every nearest_mode; Upsample and Resize-10 use
 *    asymmetric coordinates and onnxruntime's legacy rounding: floor when
 *    upsampling, ceil when downsampling), clamped into the input.
 *  - linear on the two spatial axes of an NCHW tensor: TFLite Micro
 *    RESIZE_BILINEAR int8 (ResizeBilinearInteger: 10-bit fixed-point
 *    coordinates, int64 weights, round half away from zero), with
 *    half_pixel (= TF half_pixel_centers; pytorch_half_pixel when no output
 *    axis has size 1), align_corners, or asymmetric (TF's default) coordinates.
 * Both keep the input's quantization (a requantize follows otherwise).
 */
import type { Node } from '../ir/graph.js';
import { channelsLastPerm } from '../ir/layout.js';
import { ShapeContext, resizeTarget } from '../onnx/shapes/index.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt, attrString } from './attrs.js';
import { gatherOp } from './data-movement.js';
import { outputWithQuant } from './quantize.js';
import type { OpDefinition } from './types.js';

const f = Math.fround;

const COORDINATE_MODES = ['half_pixel', 'asymmetric', 'pytorch_half_pixel', 'tf_half_pixel_for_nn', 'align_corners', 'half_pixel_symmetric'] as const;
type CoordinateMode = (typeof COORDINATE_MODES)[number];
const NEAREST_MODES = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil', 'simple'] as const;
type NearestMode = (typeof NEAREST_MODES)[number];

/** onnxruntime's GetOriginalCoordinate in float32. */
export function originalCoordinate(mode: CoordinateMode, x: number, scale: number, outLen: number, inLen: number): number {
  switch (mode) {
    case 'half_pixel': return f(f(f(x + 0.5) / scale) - 0.5);
    case 'asymmetric': return f(x / scale);
    case 'pytorch_half_pixel': return outLen > 1 ? f(f(f(x + 0.5) / scale) - 0.5) : 0;
    case 'tf_half_pixel_for_nn': return f(f(x + 0.5) / scale);
    case 'align_corners': return outLen === 1 ? 0 : f(f(x * (inLen - 1)) / (outLen - 1));
    case 'half_pixel_symmetric': {
      const adjustment = f(outLen / f(scale * inLen));
      const offset = f(f(inLen / 2) * f(1 - adjustment));
      return f(f(offset + f(f(x + 0.5) / scale)) - 0.5);
    }
  }
}

/** onnxruntime's GetNearestPixelFromOriginal. */
export function nearestPixel(mode: NearestMode, x: number, downsample: boolean): number {
  const roundAway = (v: number): number => (v < 0 ? -Math.round(-v) : Math.round(v));
  switch (mode) {
    case 'round_prefer_floor': return x === Math.trunc(x) + 0.5 ? Math.floor(x) : roundAway(x);
    case 'round_prefer_ceil': return roundAway(x);
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'simple': return downsample ? Math.ceil(x) : Math.trunc(x);
  }
}

function pick<T extends string>(ctx: LoweringContext, node: Node, name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw ctx.fail(node, `${node.opType} (opset ${ctx.graph.opset}) ${name} '${value}' is not supported`);
  return value as T;
}

function lowerResize(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const inShape = ctx.tensor(xName).shape;
  const { scales, sizes } = resizeTarget(ShapeContext.forGraph(ctx.graph, node), inShape);
  const legacy = node.opType === 'Upsample' || ctx.graph.opset < 11;
  const mode = attrString(node, 'mode', 'nearest');
  const coordinate = pick(ctx, node, 'coordinate_transformation_mode', legacy ? 'asymmetric' : attrString(node, 'coordinate_transformation_mode', 'half_pixel'), COORDINATE_MODES);
  if (attrInt(node, 'antialias', 0) !== 0) throw ctx.fail(node, `${node.opType} (opset ${ctx.graph.opset}) antialias 1 is not supported`);
  if (mode === 'nearest') {
    const nearest = pick(ctx, node, 'nearest_mode', legacy ? 'simple' : attrString(node, 'nearest_mode', 'round_prefer_floor'), NEAREST_MODES);
    const tables = inShape.map((inLen, a) => Array.from({ length: sizes[a] as number }, (_, o) => {
      const scale = scales[a] as number;
      if (scale === 1) return o; // onnxruntime maps an unscaled axis straight through, whatever the modes
      const x = nearestPixel(nearest, originalCoordinate(coordinate, o, scale, sizes[a] as number, inLen), scale < 1);
      return Math.min(Math.max(x, 0), inLen - 1);
    }));
    const src = ctx.readAny(node, xName);
    const out = outputWithQuant(ctx, node, src.perm, ctx.quant(node, xName));
    ctx.addOp(gatherOp(ctx, node, src, inShape, tables, out.write));
    out.finish();
    return;
  }
  if (mode !== 'linear' && mode !== 'bilinear') throw ctx.fail(node, `${node.opType} (opset ${ctx.graph.opset}) mode '${mode}' is not supported (nearest, linear)`);
  lowerBilinear(node, ctx, coordinate, sizes, scales);
}

/**
 * TFLite's 10-bit scale of one axis (ResizeBilinearInteger, from the sizes).
 * An ONNX scale that is not out / in (the size was floored) is what the
 * coordinates use instead: 1024 / scale, rounded like TFLite's.
 */
export function bilinearScale10(inLen: number, outLen: number, alignCorners: boolean, scale: number): number {
  if (alignCorners && outLen > 1) return Math.floor(((1 << 10) * (inLen - 1) + Math.floor((outLen - 1) / 2)) / (outLen - 1));
  if (Math.fround(outLen / inLen) !== scale && !alignCorners) return Math.floor((1 << 10) / scale + 0.5);
  return Math.floor(((1 << 10) * inLen + Math.floor(outLen / 2)) / outLen);
}

function lowerBilinear(node: Node, ctx: LoweringContext, coordinate: CoordinateMode, sizes: number[], scales: number[]): void {
  const xName = node.inputs[0];
  const [n, c, h, w] = ctx.tensor(xName).shape as [number, number, number, number];
  const where = `${node.opType} (opset ${ctx.graph.opset}) linear`;
  if (ctx.tensor(xName).shape.length !== 4 || sizes[0] !== n || sizes[1] !== c) throw ctx.fail(node, `${where} is supported on the H, W axes of a rank-4 NCHW tensor only`);
  const [outH, outW] = [sizes[2] as number, sizes[3] as number];
  let halfPixel: boolean;
  let alignCorners = false;
  if (coordinate === 'half_pixel' || (coordinate === 'pytorch_half_pixel' && outH > 1 && outW > 1)) halfPixel = true;
  else if (coordinate === 'align_corners') { halfPixel = false; alignCorners = true; } else if (coordinate === 'asymmetric') halfPixel = false;
  else throw ctx.fail(node, `${where} with coordinate_transformation_mode '${coordinate}' is not supported (half_pixel, align_corners, asymmetric)`);
  const nhwc = channelsLastPerm(4);
  const input = ctx.read(node, xName, nhwc);
  const out = outputWithQuant(ctx, node, nhwc, ctx.quant(node, xName));
  ctx.addOp({
    kind: 'resize_bilinear', name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [out.write],
    params: {
      batches: n, in_h: h, in_w: w, channels: c, out_h: outH, out_w: outW,
      h_scale_10: bilinearScale10(h, outH, alignCorners, scales[2] as number), w_scale_10: bilinearScale10(w, outW, alignCorners, scales[3] as number), half_pixel: halfPixel ? 1 : 0,
    },
    consts: {}, macs: n * c * outH * outW * 4,
  });
  out.finish();
}

export const resize: OpDefinition = {
  lowerings: [{ onnxOps: ['Resize', 'Upsample'], lower: lowerResize }],
  portable: {
    resize_bilinear: {
      sources: ['edgec_resize_bilinear_s8.c'], template: 'resize_bilinear',
      view: (op, env) => ({
        args: ['batches', 'in_h', 'in_w', 'channels', 'out_h', 'out_w', 'h_scale_10', 'w_scale_10', 'half_pixel'].map((k) => op.params[k]).join(', '),
        input: env.ptr(op.inputs[0] as string, 'const int8_t'), output: env.ptr(op.outputs[0] as string, 'int8_t'),
      }),
    },
  },
};
