/**
 * LogSoftmax (int8, TFLite Micro LOG_SOFTMAX arithmetic) over any axis (moved
 * to the innermost physical axis, as Softmax). TFLM fixes the output
 * quantization to scale 16/256, zero point 127 (bit-exact path); another
 * output quantization is written directly from the Q5.26 log value with one
 * rounding (see runtime-c/edgec_log_softmax_s8.c).
 */
import type { Node } from '../ir/graph.js';
import { quantizeMultiplier } from '../ir/quant.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { sameQuant } from './quantize.js';
import { softmaxParams, softmaxRows } from './softmax.js';
import type { OpDefinition } from './types.js';

/** TFLite PreprocessLogSoftmaxScalingExp (beta 1, 5 integer bits) and CalculateInputRadius. */
export function logSoftmaxParams(inputScale: number): { mult: number; shift: number; diffMin: number; reverseMult: number; reverseShift: number } {
  const p = softmaxParams(inputScale);
  const reverse = quantizeMultiplier(2 ** (31 - p.shift) / p.mult);
  if (reverse.shift > 0) throw new Error(`internal: log-softmax reverse scaling ${2 ** (31 - p.shift) / p.mult} is not below one`);
  return { ...p, reverseMult: reverse.mult, reverseShift: reverse.shift };
}

function lowerLogSoftmax(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const shape = ctx.tensor(xName).shape;
  const { perm, rowSize } = softmaxRows(node, ctx);
  const input = ctx.read(node, xName, perm);
  const p = logSoftmaxParams(ctx.quant(node, xName).scale);
  const outQ = ctx.quant(node, node.outputs[0]);
  const tflm = sameQuant(outQ, { scale: 16 / 256, zeroPoint: 127 });
  const o = tflm ? { mult: 0, shift: 0 } : quantizeMultiplier(2 ** -26 / outQ.scale);
  // TFLM's input radius (CalculateInputRadius) drops differences below about -31 / 2^shift * 2^26 input
  // units, which its [-16, 0] output range never shows. Another output range may reach lower: keep every
  // difference whose shifted value still fits int32 (the Q5.26 value is then above -32 as mult < 2^31).
  const diffMin = tflm ? p.diffMin : -Math.min(255, Math.floor((2 ** 31 - 1) / 2 ** p.shift));
  const out = ctx.define(node.outputs[0], perm);
  const size = shape.reduce((a, b) => a * b, 1);
  ctx.addOp({
    kind: 'log_softmax', name: node.name, onnxOp: 'LogSoftmax', inputs: [input.value], outputs: [out],
    params: {
      rows: size / rowSize, row_size: rowSize, mult: p.mult, shift: p.shift, diff_min: diffMin, reverse_mult: p.reverseMult, reverse_shift: p.reverseShift,
      out_mult: o.mult, out_shift: o.shift, out_zero_point: tflm ? 127 : outQ.zeroPoint,
    },
    consts: {}, macs: size,
  });
}

export const logSoftmax: OpDefinition = {
  lowerings: [{ onnxOps: ['LogSoftmax'], lower: lowerLogSoftmax }],
  portable: {
    log_softmax: {
      sources: ['edgec_log_softmax_s8.c'], template: 'log_softmax',
      view: (op, env) => ({
        input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
        args: ['rows', 'row_size', 'mult', 'shift', 'diff_min', 'reverse_mult', 'reverse_shift', 'out_mult', 'out_shift', 'out_zero_point'].map((f) => op.params[f]).join(', '),
      }),
    },
  },
};
