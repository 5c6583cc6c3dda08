/**
 * ConvTranspose (ONNX) -> transpose_conv (TFLite Micro TRANSPOSE_CONV int8:
 * per-channel weights, int32 bias, per-channel requantization). NHWC
 * activations, OHWI filter; 1-D runs as 2-D with H = 1. Strides, dilations,
 * explicit pads, output_padding and output_shape (the output size comes from
 * the shape rule; the kernel bounds every tap by it). group 1 only, and
 * auto_pad NOTSET / VALID: anything else fails naming the attribute.
 */
import type { Node } from '../ir/graph.js';
import { channelsLastPerm } from '../ir/layout.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt, attrInts, attrString } from './attrs.js';
import { CONV_PARAM_FIELDS } from './conv.js';
import { accumulatorBias, quantizedWeights, requantization } from './weights.js';
import type { OpDefinition } from './types.js';
import { cmsisTransposeConv } from '../backends/cmsis-nn.js';

/** ONNX ConvTranspose weight [C_in, C_out, KH, KW] -> OHWI [C_out, KH, KW, C_in]. */
export function transposeWeightsToOhwi(w: Int8Array, cin: number, cout: number, kh: number, kw: number): Int8Array {
  const out = new Int8Array(w.length);
  for (let ic = 0; ic < cin; ic++)
    for (let oc = 0; oc < cout; oc++)
      for (let y = 0; y < kh; y++)
        for (let x = 0; x < kw; x++)
          out[((oc * kh + y) * kw + x) * cin + ic] = w[((ic * cout + oc) * kh + y) * kw + x];
  return out;
}

/**
 * Pads implied by an output_shape attribute without pads: the total is what
 * the full transposed output exceeds output_shape by; the odd one goes to the
 * head, as onnxruntime does.
 */
function outputShapePads(node: Node, inSizes: number[], outSizes: number[], kernel: number[]): number[] {
  const n = inSizes.length;
  if (node.attrs.output_shape === undefined) return new Array<number>(2 * n).fill(0);
  const strides = attrInts(node, 'strides', new Array<number>(n).fill(1));
  const dil = attrInts(node, 'dilations', new Array<number>(n).fill(1));
  const outPad = attrInts(node, 'output_padding', new Array<number>(n).fill(0));
  const total = inSizes.map((s, i) => Math.max(0, strides[i] * (s - 1) + outPad[i] + (kernel[i] - 1) * dil[i] + 1 - outSizes[i]));
  return [...total.map((t) => t - Math.floor(t / 2)), ...total.map((t) => Math.floor(t / 2))];
}

function lowerConvTranspose(node: Node, ctx: LoweringContext): void {
  const opset = ctx.graph.opset;
  const xName = node.inputs[0];
  const x = ctx.tensor(xName);
  const y = ctx.tensor(node.outputs[0]);
  const rank = x.shape.length;
  if (rank !== 3 && rank !== 4) throw ctx.fail(node, `ConvTranspose on a rank-${rank} input is not supported (opset ${opset}; 1-D and 2-D only)`);
  const group = attrInt(node, 'group', 1);
  if (group !== 1) throw ctx.fail(node, `ConvTranspose group=${group} is not supported (opset ${opset}); group 1 is`);
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && autoPad !== 'VALID') throw ctx.fail(node, `ConvTranspose auto_pad='${autoPad}' is not supported (opset ${opset}); give explicit pads`);
  const spatial = rank - 2;
  const [n, cin] = x.shape;
  const cout = y.shape[1];
  const w = ctx.tensor(node.inputs[1]);
  const kernel = w.shape.slice(2);
  const pads = autoPad === 'VALID' ? new Array<number>(2 * spatial).fill(0) : attrInts(node, 'pads', outputShapePads(node, x.shape.slice(2), y.shape.slice(2), kernel));
  if (pads.some((p) => p < 0)) throw ctx.fail(node, `ConvTranspose negative pads [${pads.join(',')}] are not supported (opset ${opset})`);
  const strides = attrInts(node, 'strides', new Array<number>(spatial).fill(1));
  const dil = attrInts(node, 'dilations', new Array<number>(spatial).fill(1));
  const to2d = (v: number[], fill: number): number[] => (rank === 4 ? v : [fill, v[0]]);
  const inHW = to2d(x.shape.slice(2), 1);
  const outHW = to2d(y.shape.slice(2), 1);
  const kHW = to2d(kernel, 1);
  const s2 = to2d(strides, 1);
  const d2 = to2d(dil, 1);
  const padBegin = to2d(pads.slice(0, spatial), 0);

  const inQ = ctx.quant(node, xName);
  const outQ = ctx.quant(node, node.outputs[0]);
  const weights = quantizedWeights(ctx, node, 1, 1, cout);
  const bias = accumulatorBias(ctx, node, 2, inQ.scale, weights.scales, weights.data.length / weights.scales.length);
  const rq = requantization(node, inQ, weights.scales, outQ);
  const perm = channelsLastPerm(rank);
  const input = ctx.read(node, xName, perm);
  const output = ctx.define(node.outputs[0], perm);
  const base = node.name;
  ctx.addOp({
    kind: 'transpose_conv', name: node.name, onnxOp: 'ConvTranspose', inputs: [input.value], outputs: [output],
    params: {
      batches: n, in_h: inHW[0], in_w: inHW[1], in_c: cin, out_h: outHW[0], out_w: outHW[1], out_c: cout,
      k_h: kHW[0], k_w: kHW[1], stride_h: s2[0], stride_w: s2[1], dil_h: d2[0], dil_w: d2[1],
      pad_top: padBegin[0], pad_left: padBegin[1], groups: 1,
      input_offset: -inQ.zeroPoint, output_offset: outQ.zeroPoint, act_min: rq.actMin, act_max: rq.actMax,
    },
    consts: {
      filter: ctx.addConst(`${base}_filter`, 'int8', transposeWeightsToOhwi(weights.data, cin, cout, kHW[0], kHW[1])),
      bias: ctx.addConst(`${base}_bias`, 'int32', bias),
      mult: ctx.addConst(`${base}_mult`, 'int32', rq.mult),
      shift: ctx.addConst(`${base}_shift`, 'int32', rq.shift),
    },
    macs: n * inHW[0] * inHW[1] * cin * cout * kHW[0] * kHW[1],
  });
}

export const convTranspose: OpDefinition = {
  lowerings: [{ onnxOps: ['ConvTranspose'], lower: lowerConvTranspose }],
  portable: {
    transpose_conv: {
      sources: ['edgec_transpose_conv_s8.c'], template: 'transpose_conv',
      view: (op, env) => ({
        params: CONV_PARAM_FIELDS.map((f) => op.params[f]).join(', '),
        input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
        filter: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
        mult: env.constName(op.consts.mult), shift: env.constName(op.consts.shift),
      }),
    },
  },
  cmsisNn: { transpose_conv: cmsisTransposeConv },
};
