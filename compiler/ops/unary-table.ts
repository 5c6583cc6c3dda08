/**
 * Unary elementwise ops as 256-entry lookup tables (the `lut` kernel of
 * lut.ts): an int8 unary op is a function of one int8 value, so a table
 * computed at compile time reproduces any kernel's arithmetic exactly.
 *
 * Rounding, per op:
 *  - Abs: TFLite Micro ABS int8 (integer |q - zp_in|, then
 *    MultiplyByQuantizedMultiplier(in_scale / out_scale) when the scales
 *    differ; no rescale when they are equal) — bit-exact with TFLM.
 *  - Elu, Gelu: TFLite Micro ELU / GELU int8 build their own table
 *    (LUTPopulate: float32 dequantize, float32 function, std::round, i.e.
 *    half away from zero); ours is built the same way — bit-exact with TFLM.
 *  - Neg, Sqrt, Reciprocal, Exp, Log, Erf, Softplus, Mish, Selu, Div by a
 *    scalar constant: TFLite Micro has no int8 kernel; the table is what
 *    onnxruntime computes for the QDQ model (float32 dequantize, float32
 *    function, QuantizeLinear with round half to even), exact by
 *    construction. A NaN result (Sqrt / Log of a negative value) becomes the
 *    output zero point; ±Infinity saturates.
 *  - Two such ops without quantization between them (passes/fuse-unary-chain.ts):
 *    one table of the float32 composition, as onnxruntime computes it; except
 *    Sqrt -> Reciprocal, tf2onnx's rendering of TFLite RSQRT, which takes TFLM's
 *    integer RSQRT (ops/tflm-tables.ts rsqrtTable) — bit-exact with TFLM.
 *  - edgec.Swish (x * Sigmoid(x), made by passes/fuse-swish.ts): the
 *    composition of the two kernels edgec runs without the pass — the
 *    Sigmoid table, then int8 Mul with TFLite arithmetic — so fusing changes
 *    no output bit.
 */
import type { Node } from '../ir/graph.js';
import { dequantize, quantizeMultiplier, quantizeToInt8, roundHalfAway } from '../ir/quant.js';
import { clampInt8, multiplyByQuantizedMultiplier } from '../ir/fixedpoint.js';
import type { LoweringContext, Quant } from '../passes/lower-context.js';
import { attrFloat, attrString } from './attrs.js';
import { buildTable, sigmoidReal } from './lut.js';
import { mulQuantParams } from './elementwise.js';
import type { OpDefinition } from './types.js';
import { PRE_ATTR } from '../passes/fuse-unary-chain.js';
import { rsqrtTable } from './tflm-tables.js';

type RealFunction = (x: number) => number;
const f = Math.fround;

/** erf in double (Abramowitz-Stegun 7.1.26 is too coarse): series / continued fraction, |error| < 1e-15. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1))
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz) for large |x|
  let fval = ax;
  let c = ax;
  let d = 0;
  for (let k = 1; k < 200; k++) {
    const a = k / 2;
    d = ax + a * d;
    d = 1 / d;
    c = ax + a / c;
    const delta = c * d;
    fval *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / (Math.sqrt(Math.PI) * fval);
  return Math.sign(x) * (1 - erfc);
}

/** Functions with onnxruntime semantics (float32 in, float32 out); a chained first op (passes/fuse-unary-chain.ts) runs before. */
function onnxFunction(node: Node, ctx: LoweringContext): RealFunction | undefined {
  const fn = onnxFunctionOf(node.opType, node, ctx);
  const pre = node.attrs[PRE_ATTR];
  if (typeof pre !== 'string' || !fn) return fn;
  const first = onnxFunctionOf(pre, node, ctx);
  if (!first) throw ctx.fail(node, `no lookup table for ${pre} before ${node.opType}`);
  return (x) => fn(first(x));
}

function onnxFunctionOf(opType: string, node: Node, ctx: LoweringContext): RealFunction | undefined {
  switch (opType) {
    case 'Neg': return (x) => -x;
    case 'Sqrt': return (x) => f(Math.sqrt(x));
    case 'Reciprocal': return (x) => f(1 / x);
    case 'Exp': return (x) => f(Math.exp(x));
    case 'Log': return (x) => f(Math.log(x));
    case 'Erf': return (x) => f(erf(x));
    case 'Softplus': return (x) => f(Math.log1p(Math.exp(x)));
    case 'Mish': return (x) => f(x * f(Math.tanh(f(Math.log1p(Math.exp(x))))));
    case 'Selu': {
      const alpha = f(attrFloat(node, 'alpha', 1.67326319217681884765625));
      const gamma = f(attrFloat(node, 'gamma', 1.05070102214813232421875));
      return (x) => f(x > 0 ? f(gamma * x) : f(gamma * f(f(alpha * f(Math.exp(x))) - alpha)));
    }
    case 'Div': {
      const d = scalarConstant(node, ctx, 1);
      if (d === 0) throw ctx.fail(node, 'division by a constant zero');
      return (x) => f(x / d);
    }
    default: return undefined;
  }
}

/** The single real value of a constant input whose elements are all equal (a broadcast scalar). */
function scalarConstant(node: Node, ctx: LoweringContext, index: number): number {
  const name = node.inputs[index];
  const t = ctx.tensor(name);
  if (!t.data) throw ctx.fail(node, `${node.opType} by a non-constant '${name}' is not supported (only division by a constant)`);
  const values = Array.from(t.data, Number);
  if (values.some((v) => v !== values[0])) throw ctx.fail(node, `${node.opType} by constant '${name}' with differing elements is not supported (only a scalar divisor)`);
  if (t.dtype === 'float32') return values[0];
  if (!t.quant) throw ctx.fail(node, `constant '${name}' has type ${t.dtype} without quantization`);
  return dequantize(values[0], t.quant.scale[0], t.quant.zeroPoint[0]);
}

/** TFLite's LUTPopulate for int8: float32 dequantize, transform, std::round(y / out_scale) + zp, clamp. */
export function tflmPopulatedTable(fn: RealFunction, inQ: Quant, outQ: Quant): Int8Array {
  const table = new Int8Array(256);
  const inverseScale = f(1 / f(outQ.scale));
  for (let q = -128; q <= 127; q++) {
    const dequantized = f(f(inQ.scale) * (q - inQ.zeroPoint));
    const transformed = f(fn(dequantized));
    const rescaled = roundHalfAway(f(transformed * inverseScale));
    table[q + 128] = clampInt8(rescaled + outQ.zeroPoint);
  }
  return table;
}

/** TFLite Micro ABS int8 (elementwise.cc AbsEvalQuantized). */
export function tflmAbsTable(inQ: Quant, outQ: Quant): Int8Array {
  const needsRescale = f(inQ.scale) !== f(outQ.scale);
  const m = quantizeMultiplier(f(f(inQ.scale) / f(outQ.scale)));
  const table = new Int8Array(256);
  for (let q = -128; q <= 127; q++) {
    const value = Math.abs(q - inQ.zeroPoint);
    const out = needsRescale ? multiplyByQuantizedMultiplier(value, m.mult, m.shift) + outQ.zeroPoint : value + outQ.zeroPoint;
    table[q + 128] = clampInt8(out);
  }
  return table;
}

/** TFLite's float32 ELU / GELU transforms (elu.cc, gelu.cc). */
function eluTransform(alpha: number): RealFunction {
  return (x) => (x < 0 ? f(alpha * f(f(Math.exp(x)) - 1)) : x);
}
function geluTransform(approximate: boolean): RealFunction {
  if (approximate) {
    const k = f(Math.sqrt(2 / Math.PI));
    return (x) => f(f(0.5 * x) * f(1 + f(Math.tanh(f(k * f(x + f(f(0.044715 * x) * f(x * x))))))));
  }
  return (x) => f(f(0.5 * x) * f(1 + f(erf(f(x * f(Math.SQRT1_2))))));
}

/** The Swish table: Sigmoid table into the sigmoid's quantization, then TFLite int8 Mul of x and it. */
export function swishTable(inQ: Quant, sigQ: Quant, outQ: Quant): Int8Array {
  const sig = buildTable(sigmoidReal, inQ.scale, inQ.zeroPoint, sigQ.scale, sigQ.zeroPoint);
  const p = mulQuantParams(inQ, sigQ, outQ);
  const table = new Int8Array(256);
  for (let q = -128; q <= 127; q++) {
    const prod = (q + p.in1_offset) * (sig[q + 128] + p.in2_offset);
    table[q + 128] = clampInt8(multiplyByQuantizedMultiplier(prod, p.out_mult, p.out_shift) + p.out_offset);
  }
  return table;
}

function tableFor(node: Node, ctx: LoweringContext, inQ: Quant, outQ: Quant): Int8Array {
  switch (node.opType) {
    case 'Abs': return tflmAbsTable(inQ, outQ);
    // tf2onnx writes TFLite's RSQRT as Sqrt -> Reciprocal: TFLM's integer RSQRT is the reference
    case 'Reciprocal': if (node.attrs[PRE_ATTR] === 'Sqrt') return rsqrtTable(inQ, outQ); break;
    case 'Elu': return tflmPopulatedTable(eluTransform(f(attrFloat(node, 'alpha', 1))), inQ, outQ);
    case 'Gelu': {
      const approx = attrString(node, 'approximate', 'none');
      if (approx !== 'none' && approx !== 'tanh') throw ctx.fail(node, `Gelu approximate='${approx}' is not supported (opset ${ctx.graph.opset}); 'none' or 'tanh'`);
      return tflmPopulatedTable(geluTransform(approx === 'tanh'), inQ, outQ);
    }
    case 'edgec.Swish': {
      const sigQ = { scale: attrFloat(node, 'sigmoid_scale', 0), zeroPoint: attrFloat(node, 'sigmoid_zero_point', 0) };
      return swishTable(inQ, sigQ, outQ);
    }
  }
  return onnxRoundedTable(node, ctx, inQ, outQ);
}

/** What onnxruntime computes for the QDQ op: float32 dequantize, float32 function, QuantizeLinear. */
function onnxRoundedTable(node: Node, ctx: LoweringContext, inQ: Quant, outQ: Quant): Int8Array {
  const fn = onnxFunction(node, ctx);
  if (!fn) throw ctx.fail(node, `no lookup table for ${node.opType}`);
  const safe: RealFunction = (x) => { const y = fn(x); return Number.isNaN(y) ? 0 : y; };
  const table = new Int8Array(256);
  for (let q = -128; q <= 127; q++) table[q + 128] = quantizeToInt8(safe(dequantize(q, inQ.scale, inQ.zeroPoint)), outQ.scale, outQ.zeroPoint);
  return table;
}

function lowerUnaryTable(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  if (ctx.tensor(xName).data) throw ctx.fail(node, `${node.opType} of a constant should have been folded`);
  const inQ = ctx.quant(node, xName);
  const outQ = ctx.quant(node, node.outputs[0]);
  const table = tableFor(node, ctx, inQ, outQ);
  const input = ctx.readAny(node, xName);
  const out = ctx.define(node.outputs[0], input.perm);
  ctx.addOp({
    kind: 'lut', name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [out],
    params: { size: ctx.tensor(xName).shape.reduce((a, b) => a * b, 1) },
    consts: { table: ctx.addConst(`${node.name}_table`, 'int8', table) }, inPlace: true, macs: 0,
  });
}

export const UNARY_TABLE_OPS = ['Neg', 'Abs', 'Sqrt', 'Reciprocal', 'Exp', 'Log', 'Erf', 'Softplus', 'Mish', 'Selu', 'Elu', 'Gelu', 'Div', 'edgec.Swish'];

/** The `lut` kernel itself is declared in lut.ts. */
export const unaryTable: OpDefinition = {
  lowerings: [{ onnxOps: UNARY_TABLE_OPS, lower: lowerUnaryTable }],
  portable: {},
};
