/**
 * Activations as 256-entry lookup tables: Sigmoid, Tanh, HardSwish,
 * HardSigmoid, LeakyRelu, and Relu / Clip that could not fuse into their
 * producer. LeakyRelu and HardSwish have int8 kernels in TFLite Micro, our
 * bit reference: their entries come from TFLM's own integer arithmetic
 * (ops/tflm-tables.ts: LEAKY_RELU's two multipliers, HARD_SWISH's int16
 * fixed-point path), so tf2onnx conversions of TFLite models give TFLM's
 * bytes (onnxruntime, which computes in float, differs by at most 1 LSB on
 * a few entries). The others' entries are what onnxruntime computes for that
 * input (dequantize, float32 function, quantize with round-half-to-even).
 */
import type { Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { dequantize, quantizeToInt8, roundHalfAway } from '../ir/quant.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { clampBounds } from '../passes/fuse-activations.js';
import { attrFloat } from './attrs.js';
import { hardSwishTable, leakyReluTable } from './tflm-tables.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { int16Quant, INT16_REASON, isInt16 } from './int16.js';
import { cmsisActivationS16 } from '../backends/cmsis-nn-s16.js';

type RealFunction = (x: number) => number;

/** Sigmoid in float32, as onnxruntime computes it. */
export const sigmoidReal: RealFunction = (x) => Math.fround(1 / (1 + Math.exp(-x)));

function activationFunction(node: Node, ctx: LoweringContext): RealFunction {
  const f = Math.fround;
  switch (node.opType) {
    case 'Sigmoid': return sigmoidReal;
    case 'Tanh': return (x) => f(Math.tanh(x));
    case 'HardSigmoid': {
      const alpha = f(attrFloat(node, 'alpha', 0.2));
      const beta = f(attrFloat(node, 'beta', 0.5));
      return (x) => f(Math.max(0, Math.min(1, f(f(alpha * x) + beta))));
    }
    case 'HardSwish': return (x) => f(x * f(Math.max(0, Math.min(1, f(f(x / 6) + 0.5)))));
    case 'LeakyRelu': {
      const alpha = f(attrFloat(node, 'alpha', 0.01));
      return (x) => (x >= 0 ? x : f(alpha * x));
    }
    case 'Relu': case 'Clip': {
      const b = clampBounds(ctx.graph, node);
      if (!b) throw ctx.fail(node, 'Clip bounds must be constants');
      return (x) => Math.max(b.min, Math.min(b.max, x));
    }
    default: throw ctx.fail(node, `no lookup table for ${node.opType}`);
  }
}

export function buildTable(fn: RealFunction, inScale: number, inZp: number, outScale: number, outZp: number): Int8Array {
  const table = new Int8Array(256);
  for (let q = -128; q <= 127; q++) table[q + 128] = quantizeToInt8(fn(dequantize(q, inScale, inZp)), outScale, outZp);
  return table;
}

/** edgec.Lut: a front end that knows its reference's integer arithmetic (compiler/tflite) supplies the table itself. */
function givenTable(node: Node, ctx: LoweringContext): Int8Array | undefined {
  if (node.opType !== 'edgec.Lut') return undefined;
  const t = node.attrs.table;
  if (typeof t !== 'object' || Array.isArray(t) || !(t.data instanceof Int8Array) || t.data.length !== 256) throw ctx.fail(node, 'internal: edgec.Lut needs a 256-entry int8 table');
  return t.data;
}

/** TFLM's table for the ops it has an int8 kernel for (LEAKY_RELU, HARD_SWISH), else undefined. */
function tflmTable(node: Node, inQ: { scale: number; zeroPoint: number }, outQ: { scale: number; zeroPoint: number }): Int8Array | undefined {
  if (node.opType === 'LeakyRelu') return leakyReluTable(inQ, outQ, attrFloat(node, 'alpha', 0.01));
  if (node.opType === 'HardSwish') return hardSwishTable(inQ, outQ);
  return undefined;
}

/**
 * TFLM's int16 LOGISTIC / TANH prepare: the input multiplier and shift that
 * put the input on the table's scale (3 × 4096 per unit), a plain 3 (after
 * a shift of 0) for the power-of-two scales TFLM treats exactly.
 */
export function int16SigmoidInput(kind: 'logistic_s16' | 'tanh_s16', inScale: number): { mult: number; shift: number } {
  const log2 = checkedLog2(inScale);
  const shift = 15 - 3 + log2.rounded;
  const pot = log2.exact && (shift === 0 || (kind === 'tanh_s16' && shift === 1));
  if (pot) return { mult: 3 << shift, shift: 0 };
  let multiplier = Math.fround(inScale) * 4096 * 3;
  let s = 0;
  while (multiplier <= 32767 / 2 && s <= 30) { s++; multiplier *= 2; }
  return { mult: Math.trunc(multiplier), shift: s };
}

/** TFLite's CheckedLog2 in float32: the rounded log2 and whether the value is a power of two (within 1e-3). */
function checkedLog2(x: number): { rounded: number; exact: boolean } {
  const log2 = Math.fround(Math.fround(Math.log(Math.fround(x))) * Math.fround(1 / Math.fround(Math.log(2))));
  const rounded = roundHalfAway(log2);
  return { rounded, exact: Math.abs(Math.fround(log2 - rounded)) < Math.fround(1e-3) };
}

/** Sigmoid / Tanh on int16 (16x8): TFLM's fixed-point routine (edgec_logistic_s16.c), output scale 2^-15. */
function lowerSigmoidS16(node: Node, ctx: LoweringContext): void {
  const kind = node.opType === 'Sigmoid' ? 'logistic_s16' : 'tanh_s16';
  const xName = node.inputs[0];
  const inQ = int16Quant(ctx, node, xName);
  const outQ = int16Quant(ctx, node, node.outputs[0]);
  const out = checkedLog2(outQ.scale);
  if (!out.exact || out.rounded !== -15) throw ctx.fail(node, `int16 ${node.opType} needs output scale 2^-15 (TFLM's), not ${outQ.scale}`);
  const { mult, shift } = int16SigmoidInput(kind, inQ.scale);
  const input = ctx.readAny(node, xName);
  const output = ctx.define(node.outputs[0], input.perm);
  ctx.addOp({
    kind, name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [output],
    params: { size: ctx.tensor(xName).shape.reduce((a, b) => a * b, 1), input_mult: mult, input_left_shift: shift },
    consts: {}, inPlace: true, macs: 0,
  });
}

function lowerLut(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  if (isInt16(ctx, xName) && (node.opType === 'Sigmoid' || node.opType === 'Tanh')) return lowerSigmoidS16(node, ctx);
  const inQ = ctx.quant(node, xName);
  const outQ = ctx.quant(node, node.outputs[0]);
  const table = givenTable(node, ctx) ?? tflmTable(node, inQ, outQ) ?? buildTable(activationFunction(node, ctx), inQ.scale, inQ.zeroPoint, outQ.scale, outQ.zeroPoint);
  const input = ctx.readAny(node, xName);
  const out = ctx.define(node.outputs[0], input.perm);
  ctx.addOp({
    kind: 'lut', name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [out],
    params: { size: ctx.tensor(xName).shape.reduce((a, b) => a * b, 1) },
    consts: { table: ctx.addConst(`${node.name}_table`, 'int8', table) }, inPlace: true, macs: 0,
  });
}

function sigmoidS16View(op: Op, env: EmitEnv): Record<string, unknown> {
  return { input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'int16_t'), size: op.params.size, mult: op.params.input_mult, shift: op.params.input_left_shift };
}

export const lut: OpDefinition = {
  lowerings: [{ onnxOps: ['Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Relu', 'Clip', 'edgec.Lut'], lower: lowerLut }],
  portable: {
    lut: {
      sources: ['edgec_lut_s8.c'], template: 'lut',
      view: (op, env) => ({ input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'), table: env.constName(op.consts.table), size: op.params.size }),
    },
    logistic_s16: { sources: ['edgec_logistic_s16.c'], template: 'logistic_s16', view: sigmoidS16View },
    tanh_s16: { sources: ['edgec_logistic_s16.c'], template: 'tanh_s16', view: sigmoidS16View },
  },
  libraryMissing: { logistic_s16: INT16_REASON, tanh_s16: INT16_REASON },
  cmsisNn: { logistic_s16: cmsisActivationS16, tanh_s16: cmsisActivationS16 },
};
