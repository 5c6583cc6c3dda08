/**
 * Ops that only relabel memory: Transpose changes the layout label (no copy;
 * a copy happens later only if a reader needs another memory order),
 * Reshape / Flatten / Squeeze / Unsqueeze / Identity become aliases of their
 * input. The physical `transpose` kernel is what those copies use.
 */
import { typeBytes } from '../ir/program.js';
import type { Node } from '../ir/graph.js';
import { identityPerm, permAfterTranspose, rowMajorStrides, type Perm } from '../ir/layout.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInts } from './attrs.js';
import { requantizeOp, sameQuant } from './quantize.js';
import type { OpDefinition } from './types.js';
import { cmsisTranspose } from '../backends/cmsis-nn.js';

/** Alias `node`'s output to `src` (or requantize when the model changes the quantization, which QDQ models never should). */
function aliasOrRequantize(node: Node, ctx: LoweringContext, src: { value: string; perm: number[] }, outPerm: number[]): void {
  const outName = node.outputs[0];
  const srcValue = ctx.value(src.value);
  const outT = ctx.tensor(outName);
  if (srcValue.type === 'int8' && outT.quant) {
    const inQ = { scale: srcValue.scale, zeroPoint: srcValue.zeroPoint };
    const outQ = ctx.quant(node, outName);
    if (!sameQuant(inQ, outQ)) {
      const base = ctx.define(`${outName}`, outPerm);
      ctx.addOp(requantizeOp(node.name, src.value, inQ, base, outQ));
      return;
    }
  }
  if (srcValue.type === 'float32' && outT.quant) {
    // float32 data (after a layer kept float) whose QuantizeLinear was folded here: the same bytes in the same order, quantized
    if (outT.dtype !== 'int8') throw ctx.fail(node, `output '${outName}' of float32 data is quantized to ${outT.dtype}; int8 is supported`);
    const q = ctx.quant(node, outName);
    const out = ctx.define(outName, outPerm, { type: 'int8', quant: q });
    ctx.addOp({ kind: 'quantize', name: `${node.name}_quantize_output`, onnxOp: 'QuantizeLinear', inputs: [src.value], outputs: [out], params: { scale: q.scale, zero_point: q.zeroPoint }, consts: {}, macs: 0 });
    return;
  }
  const quant = { scale: srcValue.scale, zeroPoint: srcValue.zeroPoint };
  ctx.define(outName, outPerm, { type: srcValue.type, quant, aliasOf: src.value }); // define() resolves a view of a view to its root
}

/**
 * Flatten of a channels-last feature map read only by fully connected layers
 * with constant weights: no copy, the FC permutes its weight columns instead.
 * Returns the memory order of the flattened features, or undefined.
 */
function flattenIntoWeights(node: Node, ctx: LoweringContext): number[] | undefined {
  const xName = node.inputs[0];
  const inShape = ctx.tensor(xName).shape;
  const outShape = ctx.tensor(node.outputs[0]).shape;
  const src = ctx.readAny(node, xName);
  if (outShape.length !== 2 || inShape.length < 3 || outShape[0] !== inShape[0] || src.perm[0] !== 0) return undefined;
  if (ctx.graph.outputs.includes(node.outputs[0])) return undefined;
  const readers = ctx.graph.nodes.filter((n) => n.inputs.includes(node.outputs[0]));
  const allFc = readers.length > 0 && readers.every((r) => (r.opType === 'Gemm' || r.opType === 'MatMul' || r.opType === 'edgec.MatMulAdd') && r.inputs[0] === node.outputs[0]
    && r.inputs.indexOf(node.outputs[0]) === 0 && !!ctx.graph.tensors.get(r.inputs[1])?.data);
  if (!allFc) return undefined;
  const logicalStrides = rowMajorStrides(inShape);
  const phys = src.perm.map((a) => inShape[a]);
  const features = inShape.slice(1).reduce((a, b) => a * b, 1);
  const order: number[] = [];
  const idx = new Array<number>(phys.length).fill(0);
  for (let j = 0; j < features; j++) {
    order.push(idx.reduce((acc, v, d) => (d === 0 ? acc : acc + v * logicalStrides[src.perm[d]]), 0));
    for (let d = phys.length - 1; d >= 1; d--) { if (++idx[d] < phys[d]) break; idx[d] = 0; }
  }
  return order.every((v, j) => v === j) ? undefined : order;
}

/**
 * A reshape that only adds or removes size-1 dims (Squeeze / Unsqueeze around
 * a 1-D convolution, [N,C,1,1] -> [N,C]) moves no data in any layout: the
 * output keeps the input's memory order, its k-th non-unit axis standing
 * where the input's k-th non-unit axis stands; unit axes go first (they can
 * sit anywhere). Undefined for a reshape that regroups non-unit dims.
 */
export function unitReshapePerm(inShape: readonly number[], outShape: readonly number[], inPerm: Perm): Perm | undefined {
  const inAxes = inShape.flatMap((d, i) => (d === 1 ? [] : [i]));
  const outAxes = outShape.flatMap((d, i) => (d === 1 ? [] : [i]));
  if (inAxes.length !== outAxes.length || inAxes.some((a, k) => inShape[a] !== outShape[outAxes[k]])) return undefined;
  const units = outShape.flatMap((d, i) => (d === 1 ? [i] : []));
  const moved = inPerm.filter((a) => inShape[a] !== 1).map((a) => outAxes[inAxes.indexOf(a)]);
  return [...units, ...moved];
}

function lowerReshape(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const src0 = ctx.readAny(node, xName);
  const unitPerm = unitReshapePerm(ctx.tensor(xName).shape, ctx.tensor(node.outputs[0]).shape, src0.perm);
  // an identity-layout input takes the plain path below, which keeps the same memory order
  if (unitPerm && !src0.perm.every((a, i) => a === i)) {
    aliasOrRequantize(node, ctx, src0, unitPerm);
    return;
  }
  const order = flattenIntoWeights(node, ctx);
  if (order) {
    const src = ctx.readAny(node, xName);
    ctx.featureOrder.set(node.outputs[0], order);
    aliasOrRequantize(node, ctx, { value: src.value, perm: src.perm }, identityPerm(2));
    return;
  }
  const src = ctx.read(node, xName, identityPerm(ctx.tensor(xName).shape.length));
  aliasOrRequantize(node, ctx, src, identityPerm(ctx.tensor(node.outputs[0]).shape.length));
}

function lowerTranspose(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const rank = ctx.tensor(xName).shape.length;
  const t = attrInts(node, 'perm', Array.from({ length: rank }, (_, i) => rank - 1 - i));
  const src = ctx.readAny(node, xName);
  aliasOrRequantize(node, ctx, src, permAfterTranspose(src.perm, t));
}

function lowerIdentity(node: Node, ctx: LoweringContext): void {
  const src = ctx.readAny(node, node.inputs[0]);
  aliasOrRequantize(node, ctx, src, src.perm);
}

export const layoutOps: OpDefinition = {
  lowerings: [
    { onnxOps: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'], lower: lowerReshape },
    { onnxOps: ['Transpose'], lower: lowerTranspose },
    { onnxOps: ['Identity', 'Dropout'], lower: lowerIdentity },
  ],
  portable: {
    transpose: {
      sources: ['edgec_transpose_s8.c'], template: 'transpose',
      view: (op, env) => {
        const elem = typeBytes(env.program.values.get(op.inputs[0])?.type ?? 'int8');
        const dims = (op.params.in_dims as number[]).slice();
        const perm = (op.params.perm as number[]).slice();
        if (elem > 1) { dims.push(elem); perm.push(perm.length); } // move 2- and 4-byte elements as groups of bytes
        return { rank: dims.length, dims: dims.join(', '), perm: perm.join(', '), input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t') };
      },
    },
  },
  cmsisNn: { transpose: cmsisTranspose },
};
