/**
 * Data movement by constant index tables: Slice (steps, negative indices),
 * Split (and tf2onnx's Unstack = Split + Squeeze), Gather and GatherElements
 * with constant indices, Tile, Expand, and Pad in edge / reflect / wrap mode all become one
 * `gather` op: for every logical output axis a table gives the input index
 * along that axis, so output[o0, o1, ...] = input[t0[o0], t1[o1], ...]. The
 * op runs in whatever layout the input already has (tables are permuted into
 * physical order and pre-multiplied by the input strides); trailing physical
 * dims copied whole become one memcpy run. A part that is one contiguous
 * block of the input (Split / Slice / Gather along the outermost non-unit
 * physical dim) is a zero-copy view instead. No arithmetic: the output keeps the
 * input's quantization (a requantize follows when the model asks for another,
 * as TFLite's data-movement kernels require equal quantization).
 * DepthToSpace / SpaceToDepth are one 6-D transpose of the NHWC tensor.
 */
import type { Node } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { channelsLastPerm, physicalShape, rowMajorStrides, type Perm } from '../ir/layout.js';
import { ShapeContext, resolveSlice } from '../onnx/shapes/index.js';
import { elementBytes, type Lowered, type LoweringContext, type Quant } from '../passes/lower-context.js';
import { attrInt, attrString } from './attrs.js';
import { requantizeOp, sameQuant } from './quantize.js';
import { writeFloat } from './float-layer.js';
import type { OpDefinition } from './types.js';

/** Per logical axis of the (rank-preserving) output: the input index of each output index. */
export type AxisTables = number[][];

function isIdentity(table: readonly number[], size: number): boolean {
  return table.length === size && table.every((v, i) => v === i);
}

/**
 * The gather op reading `src` (logical shape `inShape`, same rank as
 * `tables`) into value `output`: tables permuted into the input's physical
 * order and multiplied by its strides; trailing whole dims merged into `run`.
 */
export function gatherOp(ctx: LoweringContext, node: Node, src: Lowered, inShape: readonly number[], tables: AxisTables, output: string, name = node.name): Op {
  const perm = src.perm;
  const physIn = physicalShape(inShape, perm);
  // the kernel moves bytes: offsets and run of wider elements (a float layer's float32 output) count their bytes
  const bytes = elementBytes(ctx.value(src.value).type);
  const strides = rowMajorStrides(physIn).map((s) => s * bytes);
  let lead = perm.length;
  let run = 1;
  while (lead > 0 && isIdentity(tables[perm[lead - 1] as number] as number[], physIn[lead - 1] as number)) {
    lead--;
    run *= physIn[lead] as number;
  }
  run *= bytes;
  const phys = perm.slice(0, lead).map((axis, i) => (tables[axis] as number[]).map((j) => j * (strides[i] as number)));
  const used = phys.length ? phys : [[0]];
  const offsets = ctx.addConst(`${name}_offsets`, 'int32', Int32Array.from(used.flat()));
  return {
    kind: 'gather', name, onnxOp: node.opType, inputs: [src.value], outputs: [output],
    params: { rank: used.length, out_dims: used.map((t) => t.length), run }, consts: { offsets }, macs: 0,
  };
}

/**
 * Byte offset of the output inside the input when the gather only cuts one
 * contiguous block out of memory (a Split or step-1 Slice along the outermost
 * non-unit physical dim, e.g. channels of NCHW with N = 1 or rows of NHWC),
 * so the output can be a zero-copy view; undefined otherwise.
 */
export function contiguousViewOffset(physIn: readonly number[], physTables: readonly (readonly number[])[]): number | undefined {
  const strides = rowMajorStrides(physIn);
  const cut = physTables.map((t, i) => !isIdentity(t as number[], physIn[i] as number));
  const k = cut.indexOf(true);
  if (k < 0) return 0;
  if (cut.lastIndexOf(true) !== k) return undefined;
  const table = physTables[k] as readonly number[];
  if (table.some((v, i) => v !== (table[0] as number) + i)) return undefined;
  if (physTables.slice(0, k).some((t) => t.length !== 1)) return undefined;
  return (table[0] as number) * (strides[k] as number);
}

/**
 * Gather `tables` from `src` into ONNX tensor `outName` (layout `perm`): a
 * zero-copy view when the part is one contiguous block of a 1-byte input and
 * nothing needs requantizing (not for graph outputs, which own their
 * storage), else a gather op (and a requantize when the model asks for one).
 */
function gatherInto(ctx: LoweringContext, node: Node, src: Lowered, inShape: readonly number[], tables: AxisTables, outName: string, perm: Perm, inQ: Quant, name = node.name): void {
  const v = ctx.value(src.value);
  const t = ctx.tensor(outName);
  const keepsQuant = !t.quant || sameQuant(ctx.quant(node, outName), inQ);
  if (keepsQuant && (v.type === 'int8' || v.type === 'uint8') && !ctx.graph.outputs.includes(outName)) {
    const offset = contiguousViewOffset(physicalShape(inShape, src.perm), src.perm.map((a) => tables[a] as number[]));
    if (offset !== undefined) {
      ctx.define(outName, perm, { type: v.type, quant: inQ, aliasOf: src.value, aliasOffset: offset });
      return;
    }
  }
  const out = definePassThrough(ctx, node, outName, perm, inQ);
  ctx.addOp(gatherOp(ctx, node, src, inShape, tables, out.write, name));
  out.finish();
}

/**
 * The quantization data movement keeps: the input tensor's, or, for the
 * int8 tensors tf2onnx leaves without Q/DQ around transparent ops, the
 * quantization of the value that holds it (zero when nothing says).
 */
export function sourceQuant(ctx: LoweringContext, node: Node, name: string, src: Lowered): Quant {
  if (ctx.tensor(name).quant) return ctx.quant(node, name);
  const v = ctx.value(src.value);
  return { scale: v.scale, zeroPoint: v.zeroPoint };
}

/**
 * Defines ONNX tensor `outName` in layout `perm` with the input's
 * quantization `inQ`; when the model quantizes the output otherwise, the op
 * writes a temporary and a requantize follows. Returns the value to write and
 * the finisher to call after adding the op.
 */
export function definePassThrough(ctx: LoweringContext, node: Node, outName: string, perm: Perm, inQ: Quant): { write: string; finish: () => void } {
  const t = ctx.tensor(outName);
  if (!t.quant) return { write: ctx.define(outName, perm, { quant: inQ }), finish: () => undefined };
  // float32 data (after a layer kept float) whose QuantizeLinear was folded into this op: moved in float, then quantized
  if (inQ.scale === 0) return writeFloat(ctx, node, perm, outName);
  const outQ = ctx.quant(node, outName);
  if (sameQuant(outQ, inQ)) return { write: ctx.define(outName, perm), finish: () => undefined };
  const tmp = ctx.newValue(`${outName}_pre_requant`, {
    type: 'int8', shape: physicalShape(t.shape, perm), scale: inQ.scale, zeroPoint: inQ.zeroPoint,
    role: 'activation', onnxName: outName, logicalShape: t.shape,
  });
  return {
    write: tmp,
    finish: () => {
      const out = ctx.define(outName, perm);
      ctx.addOp({ ...requantizeOp(`${node.name}_requant_${outName}`, tmp, inQ, out, outQ), onnxOp: node.opType });
    },
  };
}

/** definePassThrough of the node's first output, from its first input held in `src`. */
export function passThroughOutput(ctx: LoweringContext, node: Node, src: Lowered, perm: Perm): { write: string; finish: () => void } {
  return definePassThrough(ctx, node, node.outputs[0] as string, perm, sourceQuant(ctx, node, node.inputs[0] as string, src));
}

/** Gather `tables` from the node's first input into its first output (same rank, same layout). */
function lowerTables(node: Node, ctx: LoweringContext, tables: AxisTables): void {
  const xName = node.inputs[0];
  const src = ctx.readAny(node, xName);
  gatherInto(ctx, node, src, ctx.tensor(xName).shape, tables, node.outputs[0] as string, src.perm, sourceQuant(ctx, node, xName, src));
}

const range = (n: number, f: (i: number) => number = (i) => i): number[] => Array.from({ length: n }, (_, i) => f(i));

function lowerSlice(node: Node, ctx: LoweringContext): void {
  const shape = ctx.tensor(node.inputs[0]).shape;
  const axes = resolveSlice(ShapeContext.forGraph(ctx.graph, node), shape);
  lowerTables(node, ctx, axes.map((a) => range(a.length, (i) => a.start + i * a.step)));
}

function lowerSplit(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const shape = ctx.tensor(xName).shape;
  const axis = (attrInt(node, 'axis', 0) + shape.length) % shape.length;
  const src = ctx.readAny(node, xName);
  const inQ = sourceQuant(ctx, node, xName, src);
  let offset = 0;
  node.outputs.forEach((outName, k) => {
    const size = outName === '' ? 0 : ctx.tensor(outName).shape[axis] as number;
    if (outName !== '' && size > 0) {
      const tables = shape.map((d, a) => (a === axis ? range(size, (i) => offset + i) : range(d)));
      gatherInto(ctx, node, src, shape, tables, outName, src.perm, inQ, `${node.name}_${k}`);
    }
    offset += size;
  });
}

/** Gather with constant scalar or 1-D indices (negative ones count from the end). */
function lowerGather(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const shape = ctx.tensor(xName).shape;
  const rank = shape.length;
  const axis = (attrInt(node, 'axis', 0) + rank) % rank;
  const indicesT = ctx.tensor(node.inputs[1]);
  if (!indicesT.data) throw ctx.fail(node, `Gather (opset ${ctx.graph.opset}) indices '${indicesT.name}' computed at run time are not supported (constant indices only)`);
  if (indicesT.shape.length > 1) throw ctx.fail(node, `Gather (opset ${ctx.graph.opset}) with rank-${indicesT.shape.length} indices is not supported (scalar or 1-D only)`);
  const dim = shape[axis] as number;
  const indices = Array.from(indicesT.data, (v) => {
    const i = Number(v);
    if (i < -dim || i >= dim) throw ctx.fail(node, `Gather index ${i} is out of range for axis ${axis} of size ${dim}`);
    return i < 0 ? i + dim : i;
  });
  const src = ctx.readAny(node, xName);
  const tables = shape.map((d, a) => (a === axis ? indices : range(d)));
  // scalar indices drop the axis: same memory, the output layout just loses it
  const perm = indicesT.shape.length === 0 ? src.perm.filter((a) => a !== axis).map((a) => (a > axis ? a - 1 : a)) : src.perm;
  gatherInto(ctx, node, src, shape, tables, node.outputs[0] as string, perm, sourceQuant(ctx, node, xName, src));
}

/**
 * GatherElements with constant indices: no per-axis tables here, so the
 * gather gets one rank-1 table with an input offset per output element (in
 * the input's memory order; the output shares its layout).
 */
function lowerGatherElements(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const shape = ctx.tensor(xName).shape;
  const rank = shape.length;
  const axis = (attrInt(node, 'axis', 0) + rank) % rank;
  const indicesT = ctx.tensor(node.inputs[1]);
  if (!indicesT.data) throw ctx.fail(node, `GatherElements (opset ${ctx.graph.opset}) indices '${indicesT.name}' computed at run time are not supported (constant indices only)`);
  const idxShape = indicesT.shape;
  const src = ctx.readAny(node, xName);
  const perm = src.perm;
  const physIn = physicalShape(shape, perm);
  const physOut = physicalShape(idxShape, perm);
  const inStrides = rowMajorStrides(physIn);
  const idxStrides = rowMajorStrides(idxShape);
  const dim = shape[axis] as number;
  const count = idxShape.reduce((a, b) => a * b, 1);
  const offsets = new Int32Array(count);
  const at = new Array<number>(rank).fill(0); // physical output position
  for (let o = 0; o < count; o++) {
    const logical = new Array<number>(rank);
    perm.forEach((a, i) => { logical[a] = at[i] as number; });
    let j = Number(indicesT.data[logical.reduce((acc, v, a) => acc + v * (idxStrides[a] as number), 0)]);
    if (j < -dim || j >= dim) throw ctx.fail(node, `GatherElements index ${j} is out of range for axis ${axis} of size ${dim}`);
    if (j < 0) j += dim;
    logical[axis] = j;
    offsets[o] = perm.reduce((acc, a, i) => acc + (logical[a] as number) * (inStrides[i] as number), 0);
    for (let d = rank - 1; d >= 0; d--) { if (++at[d]! < (physOut[d] as number)) break; at[d] = 0; }
  }
  const out = passThroughOutput(ctx, node, src, perm);
  const bytes = elementBytes(ctx.value(src.value).type);
  const table = ctx.addConst(`${node.name}_offsets`, 'int32', offsets.map((o) => o * bytes));
  ctx.addOp({ kind: 'gather', name: node.name, onnxOp: node.opType, inputs: [src.value], outputs: [out.write], params: { rank: 1, out_dims: [count], run: bytes }, consts: { offsets: table }, macs: 0 });
  out.finish();
}

function lowerTile(node: Node, ctx: LoweringContext): void {
  const shape = ctx.tensor(node.inputs[0]).shape;
  const outShape = ctx.tensor(node.outputs[0]).shape;
  lowerTables(node, ctx, shape.map((d, a) => range(outShape[a] as number, (i) => i % d)));
}

function lowerExpand(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const inShape = ctx.tensor(xName).shape;
  const outShape = ctx.tensor(node.outputs[0]).shape;
  const lead = outShape.length - inShape.length;
  const given = ctx.readAny(node, xName);
  // the input seen at the output's rank: leading unit axes (no data moves)
  const src = { value: given.value, perm: [...range(lead), ...given.perm.map((a) => a + lead)] };
  const shape = [...new Array<number>(lead).fill(1), ...inShape];
  const tables = shape.map((d, a) => range(outShape[a] as number, (i) => (d === 1 ? 0 : i)));
  const out = passThroughOutput(ctx, node, src, src.perm);
  ctx.addOp(gatherOp(ctx, node, src, shape, tables, out.write));
  out.finish();
}

/** Input index of padded position i (i in [-before, size + after)) for Pad's edge, reflect and wrap modes. */
export function padIndex(mode: string, i: number, size: number): number {
  if (mode === 'edge') return Math.min(Math.max(i, 0), size - 1);
  if (mode === 'wrap') return ((i % size) + size) % size;
  // reflect: mirror about the first / last element, which is not repeated
  if (size === 1) return 0;
  const period = 2 * (size - 1);
  const m = ((i % period) + period) % period;
  return m < size ? m : period - m;
}

/** Pad in edge / reflect / wrap mode (pads per logical axis: begins then ends). */
export function lowerPadGather(node: Node, ctx: LoweringContext, mode: string, pads: readonly number[]): void {
  const shape = ctx.tensor(node.inputs[0]).shape;
  const rank = shape.length;
  if (mode === 'reflect') {
    const bad = shape.findIndex((d, a) => (pads[a] as number) >= d || (pads[a + rank] as number) >= d);
    if (bad >= 0) throw ctx.fail(node, `Pad mode 'reflect' with pads larger than axis ${bad}'s size ${shape[bad]} minus 1 is not supported (opset ${ctx.graph.opset})`);
  }
  if (shape.some((d) => d === 0)) throw ctx.fail(node, `Pad (opset ${ctx.graph.opset}) mode '${mode}' of an empty tensor is not supported`);
  lowerTables(node, ctx, shape.map((d, a) => range(d + (pads[a] as number) + (pads[a + rank] as number), (i) => padIndex(mode, i - (pads[a] as number), d))));
}

/** DepthToSpace (DCR / CRD) and SpaceToDepth as one 6-D transpose of the NHWC tensor. */
function lowerDepthSpace(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const [n, c, h, w] = ctx.tensor(xName).shape as [number, number, number, number];
  const b = attrInt(node, 'blocksize', 0);
  const nhwc = channelsLastPerm(4);
  const input = ctx.read(node, xName, nhwc);
  let inDims: number[];
  let perm: number[];
  if (node.opType === 'SpaceToDepth') {
    inDims = [n, h / b, b, w / b, b, c];
    perm = [0, 1, 3, 2, 4, 5];
  } else {
    const mode = attrString(node, 'mode', 'DCR');
    if (mode === 'DCR') { inDims = [n, h, w, b, b, c / (b * b)]; perm = [0, 1, 3, 2, 4, 5]; } else if (mode === 'CRD') { inDims = [n, h, w, c / (b * b), b, b]; perm = [0, 1, 4, 2, 5, 3]; } else throw ctx.fail(node, `DepthToSpace (opset ${ctx.graph.opset}) mode '${mode}' is not supported (DCR, CRD)`);
  }
  const out = passThroughOutput(ctx, node, input, nhwc);
  ctx.addOp({ kind: 'transpose', name: node.name, onnxOp: node.opType, inputs: [input.value], outputs: [out.write], params: { rank: 6, in_dims: inDims, perm, elem_bytes: elementBytes(ctx.value(input.value).type) }, consts: {}, macs: 0 });
  out.finish();
}

export const dataMovement: OpDefinition = {
  lowerings: [
    { onnxOps: ['Slice'], lower: lowerSlice },
    { onnxOps: ['Split'], lower: lowerSplit },
    { onnxOps: ['Gather'], lower: lowerGather },
    { onnxOps: ['GatherElements'], lower: lowerGatherElements },
    { onnxOps: ['Tile'], lower: lowerTile },
    { onnxOps: ['Expand'], lower: lowerExpand },
    { onnxOps: ['DepthToSpace', 'SpaceToDepth'], lower: lowerDepthSpace },
  ],
  portable: {
    gather: {
      sources: ['edgec_gather_s8.c'], template: 'gather',
      view: (op, env) => ({
        rank: op.params.rank, dims: (op.params.out_dims as number[]).join(', '), run: op.params.run,
        offsets: env.constName(op.consts.offsets as string),
        input: env.ptr(op.inputs[0] as string, 'const int8_t'), output: env.ptr(op.outputs[0] as string, 'int8_t'),
      }),
    },
  },
};
