/**
 * Add / Mul (int8, TFLite arithmetic) with numpy broadcasting. Broadcasting
 * is ours (the kernel libraries have none): each input is read through
 * strides in the output's physical order, so neither layout nor broadcast
 * needs a copy. Same-shape inputs in the same memory order use the flat
 * kernel, which may run in place.
 */
import type { Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { identityPerm, physicalShape, rowMajorStrides, type Perm } from '../ir/layout.js';
import { quantizeMultiplier, quantizeMultiplierSmallerThanOne } from '../ir/quant.js';
import type { LoweringContext, Quant } from '../passes/lower-context.js';
import { fusedActivationRange } from '../passes/fuse-activations.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { cmsisAdd, cmsisMul } from '../backends/cmsis-nn.js';
import { espAdd, espMul } from '../backends/esp-nn.js';

export interface Operand {
  /** Value id or constant id. */
  ref: string;
  isConst: boolean;
  quant: Quant;
  /** Stride (elements) of each logical output axis; 0 where broadcast. */
  logicalStrides: number[];
}

export function operand(ctx: LoweringContext, node: Node, index: number, outShape: number[]): Operand {
  const name = node.inputs[index];
  const t = ctx.tensor(name);
  const quant = ctx.quant(node, name);
  const pad = outShape.length - t.shape.length;
  const shape = [...new Array<number>(pad).fill(1), ...t.shape];
  if (t.data) {
    if (t.dtype !== 'int8') throw ctx.fail(node, `constant '${name}' has type ${t.dtype}; int8 is required`);
    const strides = rowMajorStrides(shape);
    const ref = ctx.addConst(`${node.name}_in${index}`, 'int8', Int8Array.from(t.data as Int8Array));
    return { ref, isConst: true, quant, logicalStrides: shape.map((d, a) => (d === 1 ? 0 : strides[a])) };
  }
  const l = ctx.readAny(node, name);
  const phys = ctx.value(l.value).shape;
  const physStrides = rowMajorStrides(phys);
  const logicalStrides = shape.map((d, a) => {
    if (a < pad || d === 1) return 0;
    return physStrides[l.perm.indexOf(a - pad)];
  });
  return { ref: l.value, isConst: false, quant, logicalStrides };
}

/** Output layout: the layout of a full-rank activation input, so that input is read contiguously. */
export function outputPerm(ctx: LoweringContext, node: Node, outShape: number[]): Perm {
  for (const name of node.inputs) {
    const t = ctx.tensor(name);
    if (!t.data && t.shape.length === outShape.length && t.shape.every((d, i) => d === outShape[i])) return ctx.readAny(node, name).perm;
  }
  return identityPerm(outShape.length);
}

/** Merge adjacent physical dims that every operand walks contiguously, to keep rank <= 6 and loops long. */
export function collapseDims(dims: number[], strides: number[][]): { dims: number[]; strides: number[][] } {
  const outDims: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let i = 0; i < dims.length; i++) {
    if (dims[i] === 1) continue;
    const last = outDims.length - 1;
    const mergeable = last >= 0 && strides.every((s, k) => outStrides[k][last] === s[i] * dims[i]);
    if (mergeable) {
      outDims[last] *= dims[i];
      strides.forEach((s, k) => { outStrides[k][last] = s[i]; });
    } else {
      outDims.push(dims[i]);
      strides.forEach((s, k) => outStrides[k].push(s[i]));
    }
  }
  if (outDims.length === 0) return { dims: [1], strides: strides.map(() => [1]) };
  return { dims: outDims, strides: outStrides };
}

/**
 * The output's physical dims with each operand's element strides, merged
 * where every operand walks on contiguously; `sameShape` when both operands
 * are read flat (no broadcast, same memory order), so the flat kernel fits.
 */
export function broadcastLayout(ctx: LoweringContext, node: Node, outShape: number[], perm: Perm, operands: Operand[]): { collapsed: { dims: number[]; strides: number[][] }; sameShape: boolean } {
  const physDims = physicalShape(outShape, perm);
  const contiguous = rowMajorStrides(physDims);
  const physStrides = operands.map((o) => perm.map((axis) => o.logicalStrides[axis]));
  const collapsed = collapseDims(physDims, physStrides);
  const flatStride = collapseDims(physDims, [perm.map((axis) => contiguous[perm.indexOf(axis)])]);
  const sameShape = collapsed.dims.length === 1 && collapsed.strides.every((s) => s[0] === 1) && flatStride.dims.length === 1;
  if (collapsed.dims.length > 6) throw ctx.fail(node, 'broadcast over more than 6 non-mergeable dimensions is not supported');
  return { collapsed, sameShape };
}

/** The edgec_broadcast_t initializer of a collapsed layout (padded to rank 6). */
export function broadcastInit(op: Op): string {
  const pad = (v: number[]): string => [...v, ...new Array<number>(6 - v.length).fill(0)].join(', ');
  return `${op.params.rank}, {${pad(op.params.dims as number[])}}, {${pad(op.params.stride1 as number[])}}, {${pad(op.params.stride2 as number[])}}`;
}

export function addQuantParams(a: Quant, b: Quant, out: Quant): Record<string, number> {
  const leftShift = 20;
  const twiceMax = 2 * Math.max(a.scale, b.scale);
  const m1 = quantizeMultiplierSmallerThanOne(a.scale / twiceMax);
  const m2 = quantizeMultiplierSmallerThanOne(b.scale / twiceMax);
  const mo = quantizeMultiplier(twiceMax / (2 ** leftShift * out.scale));
  return {
    in1_offset: -a.zeroPoint, in1_mult: m1.mult, in1_shift: m1.shift,
    in2_offset: -b.zeroPoint, in2_mult: m2.mult, in2_shift: m2.shift,
    left_shift: leftShift, out_offset: out.zeroPoint, out_mult: mo.mult, out_shift: mo.shift,
  };
}

export function mulQuantParams(a: Quant, b: Quant, out: Quant): Record<string, number> {
  const m = quantizeMultiplier((a.scale * b.scale) / out.scale);
  return { in1_offset: -a.zeroPoint, in2_offset: -b.zeroPoint, out_offset: out.zeroPoint, out_mult: m.mult, out_shift: m.shift };
}

export function lowerBinary(node: Node, ctx: LoweringContext, kind: 'add' | 'sub' | 'mul'): void {
  if (node.inputs.every((i) => ctx.tensor(i).data)) throw ctx.fail(node, `${node.opType} of two constants should have been folded`);
  const outName = node.outputs[0];
  const outShape = ctx.tensor(outName).shape;
  const outQ = ctx.quant(node, outName);
  const a = operand(ctx, node, 0, outShape);
  const b = operand(ctx, node, 1, outShape);
  const perm = outputPerm(ctx, node, outShape);
  const out = ctx.define(outName, perm);
  const act = fusedActivationRange(node, outQ);
  const { collapsed, sameShape } = broadcastLayout(ctx, node, outShape, perm, [a, b]);
  const quantParams = kind === 'mul' ? mulQuantParams(a.quant, b.quant, outQ) : addQuantParams(a.quant, b.quant, outQ);
  const size = outShape.reduce((x, y) => x * y, 1);
  const op: Op = {
    kind, name: node.name, onnxOp: node.opType,
    inputs: [a, b].filter((o) => !o.isConst).map((o) => o.ref), outputs: [out],
    params: {
      ...quantParams, act_min: act.min, act_max: act.max, size, broadcast: !sameShape,
      rank: collapsed.dims.length, dims: collapsed.dims, stride1: collapsed.strides[0], stride2: collapsed.strides[1],
      in1_const: a.isConst, in2_const: b.isConst,
    },
    consts: { ...(a.isConst ? { in1: a.ref } : {}), ...(b.isConst ? { in2: b.ref } : {}) },
    inPlace: sameShape && !a.isConst,
    macs: size,
  };
  ctx.addOp(op);
}

export const ADD_FIELDS = ['in1_offset', 'in1_mult', 'in1_shift', 'in2_offset', 'in2_mult', 'in2_shift', 'left_shift', 'out_offset', 'out_mult', 'out_shift', 'act_min', 'act_max'];
const MUL_FIELDS = ['in1_offset', 'in2_offset', 'out_offset', 'out_mult', 'out_shift', 'act_min', 'act_max'];

export function binaryView(fields: string[]) {
  return (op: Op, env: EmitEnv): Record<string, unknown> => {
    let next = 0;
    const operandPtr = (slot: 'in1' | 'in2'): string => (op.params[`${slot}_const`] ? env.constName(op.consts[slot]) : env.ptr(op.inputs[next++], 'const int8_t'));
    const in1 = operandPtr('in1');
    const in2 = operandPtr('in2');
    return {
      params: fields.map((f) => op.params[f]).join(', '),
      broadcast: op.params.broadcast,
      bcast: broadcastInit(op),
      in1, in2, output: env.ptr(op.outputs[0], 'int8_t'), size: op.params.size,
    };
  };
}

export const elementwise: OpDefinition = {
  lowerings: [
    { onnxOps: ['Add'], lower: (n, c) => lowerBinary(n, c, 'add') },
    { onnxOps: ['Mul'], lower: (n, c) => lowerBinary(n, c, 'mul') },
  ],
  portable: {
    add: { sources: ['edgec_add_s8.c'], template: 'add', view: binaryView(ADD_FIELDS) },
    mul: { sources: ['edgec_mul_s8.c'], template: 'mul', view: binaryView(MUL_FIELDS) },
  },
  cmsisNn: { add: cmsisAdd, mul: cmsisMul },
  espNn: { add: espAdd, mul: espMul },
};
