/**
 * Softmax (int8, TFLite fixed-point arithmetic) over any axis (moved to the
 * innermost physical axis). Output quantization is fixed to 1/256, -128; a model asking for
 * another gets a requantize after.
 */
import type { Node } from '../ir/graph.js';
import { frexp, MultiplierRangeError, quantizeMultiplier, roundHalfAway } from '../ir/quant.js';
import { int16Quant, INT16_REASON, isInt16 } from './int16.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt } from './attrs.js';
import { outputWithQuant } from './quantize.js';
import type { OpDefinition } from './types.js';
import { cmsisSoftmax } from '../backends/cmsis-nn.js';
import { cmsisSoftmaxS16 } from '../backends/cmsis-nn-s16.js';
import { espSoftmax } from '../backends/esp-nn.js';

const SCALED_DIFF_INTEGER_BITS = 5;

/** TFLite PreprocessSoftmaxScaling + CalculateInputRadius for beta = 1. */
export function softmaxParams(inputScale: number, beta = 1): { mult: number; shift: number; diffMin: number } {
  const real = Math.min(beta * inputScale * 2 ** (31 - SCALED_DIFF_INTEGER_BITS), 2 ** 31 - 1);
  // QuantizeMultiplierGreaterThanOne: shift >= 0
  const { q, exp } = frexp(real);
  let mult = roundHalfAway(q * 2 ** 31);
  let shift = exp;
  if (mult === 2 ** 31) { mult /= 2; shift += 1; }
  // The kernel shifts the input difference left by `shift` (edgec_softmax_s8.c): a negative
  // shift (an input scale below 2^-27) is undefined behaviour in C, and TFLite refuses it too.
  if (!Number.isFinite(real) || shift < 0 || shift > 31) throw new MultiplierRangeError(real);
  const maxInputRescaled = ((2 ** SCALED_DIFF_INTEGER_BITS - 1) * 2 ** (31 - SCALED_DIFF_INTEGER_BITS)) / 2 ** shift;
  return { mult, shift, diffMin: -Math.floor(maxInputRescaled) };
}

/**
 * Softmax / LogSoftmax rows: opset < 13 flattens [axis..] into one row; >= 13
 * normalises one axis, moved innermost (a layout copy when the value is not
 * already in that order).
 */
export function softmaxRows(node: Node, ctx: LoweringContext): { perm: number[]; rowSize: number } {
  const shape = ctx.tensor(node.inputs[0]).shape;
  const rank = shape.length;
  const legacy = ctx.graph.opset < 13;
  const axis = (attrInt(node, 'axis', legacy ? 1 : -1) + rank) % rank;
  if (legacy || axis === rank - 1) {
    return { perm: Array.from({ length: rank }, (_, i) => i), rowSize: shape.slice(legacy ? axis : rank - 1).reduce((a, b) => a * b, 1) };
  }
  return { perm: [...Array.from({ length: rank }, (_, i) => i).filter((a) => a !== axis), axis], rowSize: shape[axis] };
}

/**
 * TFLM's LUTPopulate<int16_t> in float32 (every operation rounded to float,
 * as the C++ computes it): 512 segments over the int16 input range, each
 * entry biased by half the interpolation error at its midpoint, plus the end
 * point. Output zero point 0.
 */
export function int16Lut(inputScale: number, inputZeroPoint: number, outputScale: number, fn: (x: number) => number): Int16Array {
  const f = Math.fround;
  const inMin = f(f(inputScale) * (-32768 - inputZeroPoint));
  const inMax = f(f(inputScale) * (32767 - inputZeroPoint));
  const outMin = f(f(outputScale) * -32768);
  const outMax = f(f(outputScale) * 32767);
  const steps = 512;
  const step = f(f(inMax - inMin) / steps);
  const halfStep = f(step / 2);
  const scalingInv = f(65536 / f(outMax - outMin));
  const at = (x: number): number => f(fn(f(x)));
  const clamp = (v: number): number => Math.min(Math.max(v, -32768), 32767);
  const lut = new Int16Array(steps + 1);
  for (let i = 0; i < steps; i++) {
    const x = f(inMin + f(i * step));
    const val = at(x);
    const mid = at(f(x + halfStep));
    const next = at(f(inMin + f((i + 1) * step)));
    const sample = roundHalfAway(f(val * scalingInv));
    const midInterp = roundHalfAway(f(f(f(next * scalingInv) + sample) / 2));
    const midVal = roundHalfAway(f(mid * scalingInv));
    const bias = roundHalfAway(f(f(midInterp - midVal) / 2));
    lut[i] = clamp(f(sample - bias));
  }
  lut[steps] = clamp(roundHalfAway(f(at(inMax) * scalingInv)));
  return lut;
}

/** The exp and 1 / (1 + x) tables of TFLM's int16 softmax (its InitializeLutForInt16). */
export function int16SoftmaxTables(): { exp: Int16Array; reciprocal: Int16Array } {
  const range = 65535;
  const f = Math.fround;
  return {
    exp: int16Lut(f(10 / range), 32767, f(2 / range), (x) => Math.exp(x)),
    reciprocal: int16Lut(f(1 / range), -32768, f(2 / range), (x) => f(1 / f(1 + x))),
  };
}

/** Softmax on int16 (16x8): TFLM's SoftmaxInt16 with its two tables; output scale 2^-15, zero point 0. */
function lowerSoftmaxS16(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const shape = ctx.tensor(xName).shape;
  const { perm, rowSize } = softmaxRows(node, ctx);
  const inQ = int16Quant(ctx, node, xName);
  const outQ = int16Quant(ctx, node, node.outputs[0]);
  if (Math.abs(outQ.scale - 1 / 32768) > 0.001 / 32768) throw ctx.fail(node, `int16 Softmax needs output scale 1/32768 (TFLM's), not ${outQ.scale}`);
  // [-65535, 0] of the scaled input difference stands for [-10, 0]
  const m = quantizeMultiplier((Math.fround(inQ.scale) * 1) / (10 / 65535));
  const input = ctx.read(node, xName, perm);
  const output = ctx.define(node.outputs[0], perm);
  const tables = int16SoftmaxTables();
  const size = shape.reduce((a, b) => a * b, 1);
  ctx.addOp({
    kind: 'softmax_s16', name: node.name, onnxOp: 'Softmax', inputs: [input.value], outputs: [output],
    params: { rows: size / rowSize, row_size: rowSize, mult: m.mult, shift: m.shift },
    consts: { exp_lut: ctx.addConst(`${node.name}_exp_lut`, 'int16', tables.exp), recip_lut: ctx.addConst(`${node.name}_recip_lut`, 'int16', tables.reciprocal) },
    macs: size,
  });
}

function lowerSoftmax(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  if (isInt16(ctx, xName)) return lowerSoftmaxS16(node, ctx);
  const shape = ctx.tensor(xName).shape;
  const { perm, rowSize } = softmaxRows(node, ctx);
  const input = ctx.read(node, xName, perm);
  const inQ = ctx.quant(node, xName);
  const p = softmaxParams(inQ.scale);
  const out = outputWithQuant(ctx, node, perm, { scale: 1 / 256, zeroPoint: -128 });
  const size = shape.reduce((a, b) => a * b, 1);
  ctx.addOp({
    kind: 'softmax', name: node.name, onnxOp: 'Softmax', inputs: [input.value], outputs: [out.write],
    params: { rows: size / rowSize, row_size: rowSize, mult: p.mult, shift: p.shift, diff_min: p.diffMin },
    consts: {}, macs: size,
  });
  out.finish();
}

export const softmax: OpDefinition = {
  lowerings: [{ onnxOps: ['Softmax'], lower: lowerSoftmax }],
  portable: {
    softmax: {
      sources: ['edgec_softmax_s8.c'], template: 'softmax',
      view: (op, env) => ({
        input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
        args: ['rows', 'row_size', 'mult', 'shift', 'diff_min'].map((f) => op.params[f]).join(', '),
      }),
    },
    softmax_s16: {
      sources: ['edgec_softmax_s16.c'], template: 'softmax_s16',
      view: (op, env) => ({
        input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'int16_t'),
        args: ['rows', 'row_size', 'mult', 'shift'].map((f) => op.params[f]).join(', '),
        exp_lut: env.constName(op.consts.exp_lut), recip_lut: env.constName(op.consts.recip_lut),
      }),
    },
  },
  libraryMissing: { softmax_s16: INT16_REASON },
  cmsisNn: { softmax: cmsisSoftmax, softmax_s16: cmsisSoftmaxS16 },
  espNn: { softmax: espSoftmax },
};
