/**
 * Activations as 256-entry lookup tables: Sigmoid, Tanh, HardSwish,
 * HardSigmoid, LeakyRelu, and Relu / Clip that could not fuse into their
 * producer. Each table entry is what onnxruntime computes for that input
 * (dequantize, float32 function, quantize with round-half-to-even), so the
 * table is exact by construction.
 */
import type { Node } from '../ir/graph.js';
import { dequantize, quantizeToInt8 } from '../ir/quant.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { clampBounds } from '../passes/fuse-activations.js';
import { attrFloat } from './attrs.js';
import type { OpDefinition } from './types.js';

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

function lowerLut(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const inQ = ctx.quant(node, xName);
  const outQ = ctx.quant(node, node.outputs[0]);
  const table = givenTable(node, ctx) ?? buildTable(activationFunction(node, ctx), inQ.scale, inQ.zeroPoint, outQ.scale, outQ.zeroPoint);
  const input = ctx.readAny(node, xName);
  const out = ctx.define(node.outputs[0], input.perm);
  ctx.addOp({
    kind: 'lut', name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [out],
    params: { size: ctx.tensor(xName).shape.reduce((a, b) => a * b, 1) },
    consts: { table: ctx.addConst(`${node.name}_table`, 'int8', table) }, inPlace: true, macs: 0,
  });
}

export const lut: OpDefinition = {
  lowerings: [{ onnxOps: ['Sigmoid', 'Tanh', 'HardSigmoid', 'HardSwish', 'LeakyRelu', 'Relu', 'Clip', 'edgec.Lut'], lower: lowerLut }],
  portable: {
    lut: {
      sources: ['edgec_lut_s8.c'], template: 'lut',
      view: (op, env) => ({ input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'), table: env.constName(op.consts.table), size: op.params.size }),
    },
  },
};
