/**
 * Window geometry of conv / pool ops as the kernel libraries see it. The
 * libraries take only the top/left padding; bottom/right follow from the
 * output size, so they are derived here (negative when the window stops
 * short of the input's end, e.g. VALID with (W - K) % stride != 0).
 */
import type { Op } from '../ir/program.js';

export interface WindowGeometry {
  batches: number;
  inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kH: number; kW: number;
  strideH: number; strideW: number;
  dilH: number; dilW: number;
  padTop: number; padLeft: number; padBottom: number; padRight: number;
  groups: number;
}

const num = (op: Op, key: string, dflt?: number): number => {
  const v = op.params[key];
  if (typeof v === 'number') return v;
  if (dflt !== undefined) return dflt;
  throw new Error(`internal: op ${op.name} has no numeric param '${key}'`);
};

/** Geometry of conv2d / depthwise_conv2d (params named as in lowerConv) and max_pool / avg_pool (lowerPool), int8 or 16x8. */
export function windowGeometry(op: Op): WindowGeometry {
  const pool = op.kind === 'max_pool' || op.kind === 'avg_pool' || op.kind === 'max_pool_s16' || op.kind === 'avg_pool_s16';
  const inC = pool ? num(op, 'channels') : num(op, 'in_c');
  const g = {
    batches: num(op, 'batches'), inH: num(op, 'in_h'), inW: num(op, 'in_w'), inC,
    outH: num(op, 'out_h'), outW: num(op, 'out_w'), outC: pool ? inC : num(op, 'out_c'),
    kH: num(op, 'k_h'), kW: num(op, 'k_w'), strideH: num(op, 'stride_h'), strideW: num(op, 'stride_w'),
    dilH: num(op, 'dil_h', 1), dilW: num(op, 'dil_w', 1), padTop: num(op, 'pad_top'), padLeft: num(op, 'pad_left'),
    groups: num(op, 'groups', 1),
  };
  const effH = g.dilH * (g.kH - 1) + 1;
  const effW = g.dilW * (g.kW - 1) + 1;
  return {
    ...g,
    padBottom: (g.outH - 1) * g.strideH + effH - g.inH - g.padTop,
    padRight: (g.outW - 1) * g.strideW + effW - g.inW - g.padLeft,
  };
}

/**
 * Padding as TFLite SAME / VALID produce it: each pad smaller than the
 * (dilated) kernel, bottom/right at most one more than top/left. CMSIS-NN's
 * wrapper fast paths (1x1, 1xN, 3x3 depthwise) assume this; other shapes
 * must go to the generic kernels (checked in test/runtime-c/cmsis_compare.c).
 */
export function tfliteLikePads(g: WindowGeometry): boolean {
  const effH = g.dilH * (g.kH - 1) + 1;
  const effW = g.dilW * (g.kW - 1) + 1;
  return g.padBottom <= g.padTop + 1 && g.padRight <= g.padLeft + 1 && g.padBottom < effH && g.padRight < effW
    && g.padTop < effH && g.padLeft < effW;
}

/** Some pad reaches a whole kernel: windows with no input element exist (average of nothing). */
export function padReachesKernel(g: WindowGeometry): boolean {
  return g.padTop >= g.kH || g.padBottom >= g.kH || g.padLeft >= g.kW || g.padRight >= g.kW;
}

export const align = (n: number, a: number): number => Math.ceil(n / a) * a;

export const numParam = num;

/** Some window reaches into padding. */
export const hasPadding = (g: WindowGeometry): boolean => g.padTop > 0 || g.padLeft > 0 || g.padBottom > 0 || g.padRight > 0;
