/**
 * Pad (constant mode) in the input's layout: pads are permuted into
 * physical order. The pad value is quantized with the input's parameters.
 * Edge / reflect / wrap modes are a gather (data-movement.ts).
 */
import type { Node } from '../ir/graph.js';
import { physicalShape } from '../ir/layout.js';
import type { Op } from '../ir/program.js';
import { quantizeToInt8, roundHalfAway } from '../ir/quant.js';
import { int16Quant, INT16_REASON, isInt16 } from './int16.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrFloat, attrInts, attrString, constInts } from './attrs.js';
import { lowerPadGather } from './data-movement.js';
import { outputWithQuant } from './quantize.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { cmsisPad } from '../backends/cmsis-nn.js';

function padValue(node: Node, ctx: LoweringContext, scale: number, zp: number): number {
  if (ctx.graph.opset < 11) return quantizeToInt8(attrFloat(node, 'value', 0), scale, zp);
  const name = node.inputs[2] ?? '';
  if (name === '') return zp;
  const t = ctx.tensor(name);
  if (!t.data) throw ctx.fail(node, 'Pad constant_value must be a constant');
  const v = Number(t.data[0]);
  if (t.quant) {
    // quantized constant: re-express in the input's quantization
    return quantizeToInt8(t.quant.scale[0] * (v - t.quant.zeroPoint[0]), scale, zp);
  }
  return quantizeToInt8(v, scale, zp);
}

/**
 * Constant Pad of int16 data (16x8; TFLM PAD / PADV2): the byte-copying pad
 * kernel on the int16 values seen as byte pairs (one more physical dim of 2,
 * never padded), so the pad value must have two equal bytes: 0 (the usual
 * zero padding, zero point 0) or -1. Other values are refused.
 */
function lowerPadS16(node: Node, ctx: LoweringContext, pads: number[]): void {
  const xName = node.inputs[0];
  const shape = ctx.tensor(xName).shape;
  const rank = shape.length;
  const inQ = int16Quant(ctx, node, xName);
  const outQ = int16Quant(ctx, node, node.outputs[0]);
  if (Math.fround(outQ.scale) !== Math.fround(inQ.scale)) throw ctx.fail(node, 'int16 Pad with an output scale different from its input\'s is not supported');
  if (rank + 1 > 6) throw ctx.fail(node, `int16 Pad of a rank-${rank} tensor is not supported (up to rank 5)`);
  const value = padValueS16(node, ctx, inQ.scale);
  if ((value & 0xff) !== ((value >> 8) & 0xff)) throw ctx.fail(node, `int16 Pad with pad value ${value} is not supported (0 or -1: the kernel pads bytes)`);
  const input = ctx.readAny(node, xName);
  const perm = input.perm;
  const output = ctx.define(node.outputs[0], perm);
  ctx.addOp({
    kind: 'pad_s16', name: node.name, onnxOp: 'Pad', inputs: [input.value], outputs: [output],
    params: {
      rank: rank + 1, in_dims: [...physicalShape(shape, perm), 2], pads_before: [...perm.map((a) => pads[a]), 0], pads_after: [...perm.map((a) => pads[a + rank]), 0],
      pad_value: (value << 24) >> 24, // the repeated byte, as the int8 the kernel takes
    },
    consts: {}, macs: 0,
  });
}

/** The int16 pad value: the constant re-expressed in the input's quantization (zero point 0), 0 when absent. */
function padValueS16(node: Node, ctx: LoweringContext, scale: number): number {
  const name = ctx.graph.opset < 11 ? '' : node.inputs[2] ?? '';
  const real = (): number => {
    if (ctx.graph.opset < 11) return attrFloat(node, 'value', 0);
    const t = ctx.tensor(name);
    if (!t.data) throw ctx.fail(node, 'Pad constant_value must be a constant');
    const v = Number(t.data[0]);
    return t.quant ? t.quant.scale[0] * (v - t.quant.zeroPoint[0]) : v;
  };
  if (ctx.graph.opset >= 11 && name === '') return 0;
  return Math.max(-32768, Math.min(32767, roundHalfAway(real() / scale)));
}

function lowerPad(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const shape = ctx.tensor(xName).shape;
  const rank = shape.length;
  const mode = attrString(node, 'mode', 'constant');
  if (mode !== 'constant' && mode !== 'edge' && mode !== 'reflect' && mode !== 'wrap') throw ctx.fail(node, `Pad (opset ${ctx.graph.opset}) mode '${mode}' is not supported (constant, edge, reflect, wrap)`);
  let pads = ctx.graph.opset < 11 ? attrInts(node, 'pads', []) : constInts(ctx.graph, node, 1) ?? [];
  const axes = ctx.graph.opset >= 18 ? constInts(ctx.graph, node, 3) : undefined;
  if (axes) {
    const full = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => { const ax = (a + rank) % rank; full[ax] = pads[i]; full[ax + rank] = pads[i + axes.length]; });
    pads = full;
  }
  if (pads.length !== 2 * rank) throw ctx.fail(node, `pads has ${pads.length} values for a rank-${rank} input`);
  if (pads.some((p) => p < 0)) throw ctx.fail(node, 'negative pads (cropping) are not supported');
  if (mode !== 'constant') {
    lowerPadGather(node, ctx, mode, pads);
    return;
  }
  if (isInt16(ctx, xName)) return lowerPadS16(node, ctx, pads);
  const inQ = ctx.quant(node, xName);
  const input = ctx.readAny(node, xName);
  const perm = input.perm;
  const out = outputWithQuant(ctx, node, perm, inQ);
  ctx.addOp({
    kind: 'pad', name: node.name, onnxOp: 'Pad', inputs: [input.value], outputs: [out.write],
    params: {
      rank, in_dims: physicalShape(shape, perm), pads_before: perm.map((a) => pads[a]), pads_after: perm.map((a) => pads[a + rank]),
      pad_value: padValue(node, ctx, inQ.scale, inQ.zeroPoint),
    },
    consts: {}, macs: 0,
  });
  out.finish();
}

function padView(op: Op, env: EmitEnv): Record<string, unknown> {
  return {
    rank: op.params.rank, dims: (op.params.in_dims as number[]).join(', '),
    before: (op.params.pads_before as number[]).join(', '), after: (op.params.pads_after as number[]).join(', '),
    value: op.params.pad_value, input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
  };
}

export const pad: OpDefinition = {
  lowerings: [{ onnxOps: ['Pad'], lower: lowerPad }],
  portable: {
    pad: { sources: ['edgec_pad_s8.c'], template: 'pad', view: padView },
    // int16 values as byte pairs (lowerPadS16)
    pad_s16: { sources: ['edgec_pad_s8.c'], template: 'pad', view: padView },
  },
  libraryMissing: { pad_s16: INT16_REASON },
  cmsisNn: { pad: cmsisPad },
};
