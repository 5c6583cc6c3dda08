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
import { INT16_RANGE, INT8_RANGE, quantizeMultiplier, quantizeMultiplierSmallerThanOne } from '../ir/quant.js';
import { int16Quant, INT16_REASON, isInt16 } from './int16.js';
import type { LoweringContext, Quant } from '../passes/lower-context.js';
import { fusedActivationRange } from '../passes/fuse-activations.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { cmsisAdd, cmsisMul } from '../backends/cmsis-nn.js';
import { cmsisAddS16, cmsisMulS16 } from '../backends/cmsis-nn-s16.js';
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
    if (t.dtype !== 'int8' && t.dtype !== 'int16') throw ctx.fail(node, `constant '${name}' has type ${t.dtype}; int8 (or int16 in a 16x8 model) is required`);
    const strides = rowMajorStrides(shape);
    const ref = t.dtype === 'int16'
      ? ctx.addConst(`${node.name}_in${index}`, 'int16', Int16Array.from(t.data as Int16Array))
      : ctx.addConst(`${node.name}_in${index}`, 'int8', Int8Array.from(t.data as Int8Array));
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

/**
 * Whether the op may write over its first activation operand: the kernels
 * write output element e after reading element e of each operand, so it is
 * safe when that operand is walked exactly like the output (contiguous, not
 * broadcast), whatever the other operand does.
 */
export function firstActivationReadFlat(collapsed: { dims: number[]; strides: number[][] }, operands: Operand[]): boolean {
  const k = operands.findIndex((o) => !o.isConst);
  if (k < 0) return false;
  return collapsed.strides[k].every((s, d) => s === collapsed.dims.slice(d + 1).reduce((x, y) => x * y, 1));
}

/** The edgec_broadcast_t initializer of a collapsed layout (padded to rank 6). */
export function broadcastInit(op: Op): string {
  const pad = (v: number[]): string => [...v, ...new Array<number>(6 - v.length).fill(0)].join(', ');
  return `${op.params.rank}, {${pad(op.params.dims as number[])}}, {${pad(op.params.stride1 as number[])}}, {${pad(op.params.stride2 as number[])}}`;
}

/** `leftShift`: 20 for int8, 15 for int16 (TFLM's add.cc: the general-scale path, which its int16 Add always takes). */
export function addQuantParams(a: Quant, b: Quant, out: Quant, leftShift = 20): Record<string, number> {
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
  // 16x8 (ops/int16.ts): the same arithmetic on int16 with zero points 0, Add's left shift 15
  const int16 = isInt16(ctx, outName);
  if (int16 && kind === 'sub') throw ctx.fail(node, 'Sub on int16 activations is not supported (16x8 models: ADD, MUL)');
  const outQ = int16 ? int16Quant(ctx, node, outName) : ctx.quant(node, outName);
  if (int16) node.inputs.forEach((name) => int16Quant(ctx, node, name));
  const a = operand(ctx, node, 0, outShape);
  const b = operand(ctx, node, 1, outShape);
  const perm = outputPerm(ctx, node, outShape);
  const out = ctx.define(outName, perm);
  const act = fusedActivationRange(node, outQ, int16 ? INT16_RANGE : INT8_RANGE);
  const { collapsed, sameShape } = broadcastLayout(ctx, node, outShape, perm, [a, b]);
  const quantParams = kind === 'mul' ? mulQuantParams(a.quant, b.quant, outQ) : addQuantParams(a.quant, b.quant, outQ, int16 ? 15 : 20);
  const size = outShape.reduce((x, y) => x * y, 1);
  const op: Op = {
    kind: int16 ? (kind === 'mul' ? 'mul_s16' : 'add_s16') : kind, name: node.name, onnxOp: node.opType,
    inputs: [a, b].filter((o) => !o.isConst).map((o) => o.ref), outputs: [out],
    params: {
      ...quantParams, act_min: act.min, act_max: act.max, size, broadcast: !sameShape,
      rank: collapsed.dims.length, dims: collapsed.dims, stride1: collapsed.strides[0], stride2: collapsed.strides[1],
      in1_const: a.isConst, in2_const: b.isConst,
    },
    consts: { ...(a.isConst ? { in1: a.ref } : {}), ...(b.isConst ? { in2: b.ref } : {}) },
    inPlace: firstActivationReadFlat(collapsed, [a, b]),
    macs: size,
  };
  ctx.addOp(op);
}

export const ADD_FIELDS = ['in1_offset', 'in1_mult', 'in1_shift', 'in2_offset', 'in2_mult', 'in2_shift', 'left_shift', 'out_offset', 'out_mult', 'out_shift', 'act_min', 'act_max'];
const MUL_FIELDS = ['in1_offset', 'in2_offset', 'out_offset', 'out_mult', 'out_shift', 'act_min', 'act_max'];

/** `ctype`: int8_t, or int16_t for the 16x8 kernels. */
export function binaryView(fields: string[], ctype = 'int8_t') {
  return (op: Op, env: EmitEnv): Record<string, unknown> => {
    let next = 0;
    const operandPtr = (slot: 'in1' | 'in2'): string => (op.params[`${slot}_const`] ? env.constName(op.consts[slot]) : env.ptr(op.inputs[next++], `const ${ctype}`));
    const in1 = operandPtr('in1');
    const in2 = operandPtr('in2');
    return {
      params: fields.map((f) => op.params[f]).join(', '),
      broadcast: op.params.broadcast,
      bcast: broadcastInit(op),
      in1, in2, output: env.ptr(op.outputs[0], ctype), size: op.params.size,
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
    add_s16: { sources: ['edgec_add_s16.c'], template: 'add_s16', view: binaryView(ADD_FIELDS, 'int16_t') },
    mul_s16: { sources: ['edgec_mul_s16.c'], template: 'mul_s16', view: binaryView(MUL_FIELDS, 'int16_t') },
  },
  libraryMissing: { add_s16: INT16_REASON, mul_s16: INT16_REASON },
  cmsisNn: { add: cmsisAdd, mul: cmsisMul, add_s16: cmsisAddS16, mul_s16: cmsisMulS16 },
  espNn: { add: espAdd, mul: espMul },
};
