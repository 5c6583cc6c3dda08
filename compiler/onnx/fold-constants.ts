/**
 * Constant folding at import. Exporters compute Reshape targets at run time
 * (PyTorch: Shape → Gather → Unsqueeze → Concat → Reshape); with static shapes
 * all of that is known at compile time, so those small integer/shape ops are
 * evaluated here and their outputs become constants.
 *
 * Deliberately NOT folded: QuantizeLinear/DequantizeLinear (the QDQ pass needs
 * the int8 weights and their scales) and float arithmetic (folding would
 * change numerics relative to the model and hide ops from quantization).
 */
import type { ConstData, DType, Graph, Node, Tensor } from '../ir/graph.js';
import { elementCount } from '../ir/graph.js';
import { allocate } from './tensor-data.js';
import { ShapeContext, broadcastShapes, isIntegerDType, type OutputInfo } from './shapes/context.js';
import { constantNodeTensor, constantOfShapeValue, resolveSlice, shapeRange, transposePerm } from './shapes/tensor-ops.js';

/** Folded results larger than this stay as run-time ops: folding is for shape plumbing, not for materialising big tensors. */
const MAX_FOLDED_ELEMENTS = 1 << 20;

type Evaluator = (ctx: ShapeContext, outs: readonly OutputInfo[]) => ConstData[];

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** Map every output element to a source element through `source(outIndex) → flat input index`. */
function gatherElements(dtype: DType, outShape: readonly number[], input: ConstData, source: (idx: readonly number[]) => number): ConstData {
  const n = elementCount(outShape);
  const out = allocate(dtype, n);
  const idx = new Array<number>(outShape.length).fill(0);
  for (let flat = 0; flat < n; flat++) {
    out[flat] = input[source(idx)]!;
    for (let a = outShape.length - 1; a >= 0; a--) {
      if (++idx[a]! < outShape[a]!) break;
      idx[a] = 0;
    }
  }
  return out;
}

/** Flat input index of a broadcast operand for an output index. */
function broadcastSource(inShape: readonly number[], outShape: readonly number[]): (idx: readonly number[]) => number {
  const strides = stridesOf(inShape);
  const offset = outShape.length - inShape.length;
  return (idx) => {
    let f = 0;
    for (let a = 0; a < inShape.length; a++) if (inShape[a] !== 1) f += idx[a + offset]! * strides[a]!;
    return f;
  };
}

/** ONNX Cast: float → int truncates toward zero; narrow ints wrap like the C casts onnxruntime uses. */
function castInto(dtype: DType, values: ConstData): ConstData {
  const out = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (dtype === 'bool') out[i] = v !== 0 ? 1 : 0;
    else if (dtype === 'int64') out[i] = Math.trunc(v);
    else out[i] = v; // typed-array stores truncate and wrap (int*) or round to float32
  }
  return out;
}

function copyAs(dtype: DType, values: ConstData): ConstData {
  const out = allocate(dtype, values.length);
  out.set(values);
  return out;
}

const dataOf = (ctx: ShapeContext, slot: number): ConstData => ctx.input(slot).data!;

const reshaping: Evaluator = (ctx, outs) => [copyAs(outs[0]!.dtype, dataOf(ctx, 0))];

function arithmetic(op: (a: number, b: number) => number): Evaluator {
  return (ctx, outs) => {
    const a = ctx.input(0);
    const b = ctx.input(1);
    const shape = broadcastShapes(ctx, [a.shape, b.shape]);
    const sa = broadcastSource(a.shape, shape);
    const sb = broadcastSource(b.shape, shape);
    const out = allocate(outs[0]!.dtype, elementCount(shape));
    const idx = new Array<number>(shape.length).fill(0);
    for (let flat = 0; flat < out.length; flat++) {
      out[flat] = op(a.data![sa(idx)]!, b.data![sb(idx)]!);
      for (let ax = shape.length - 1; ax >= 0; ax--) {
        if (++idx[ax]! < shape[ax]!) break;
        idx[ax] = 0;
      }
    }
    return [out];
  };
}

const EVALUATORS: Record<string, Evaluator> = {
  Identity: reshaping,
  Reshape: reshaping,
  Flatten: reshaping,
  Squeeze: reshaping,
  Unsqueeze: reshaping,
  Cast: (ctx, outs) => [castInto(outs[0]!.dtype, dataOf(ctx, 0))],
  Shape: (ctx) => {
    const shape = ctx.input(0).shape;
    const [start, end] = shapeRange(ctx, shape.length);
    return [Float64Array.from(shape.slice(start, end))];
  },
  Constant: (ctx) => [constantNodeTensor(ctx, ctx.node.outputs[0] ?? '').data!],
  ConstantOfShape: (ctx, outs) => {
    const out = allocate(outs[0]!.dtype, elementCount(outs[0]!.shape));
    out.fill(constantOfShapeValue(ctx).value);
    return [out];
  },
  Gather: (ctx, outs) => {
    const data = ctx.input(0);
    const indices = dataOf(ctx, 1);
    const axis = ctx.axis(ctx.int('axis', 0), data.shape.length);
    const dim = data.shape[axis]!;
    const strides = stridesOf(data.shape);
    const indexRank = ctx.input(1).shape.length;
    const indexStrides = stridesOf(ctx.input(1).shape);
    return [gatherElements(outs[0]!.dtype, outs[0]!.shape, data.data!, (idx) => {
      let flatIndex = 0;
      for (let k = 0; k < indexRank; k++) flatIndex += idx[axis + k]! * indexStrides[k]!;
      let i = indices[flatIndex]!;
      if (i < -dim || i >= dim) ctx.fail(`index ${i} is out of range for axis ${axis} of size ${dim}`);
      if (i < 0) i += dim;
      let f = i * strides[axis]!;
      for (let a = 0; a < axis; a++) f += idx[a]! * strides[a]!;
      for (let a = axis + 1; a < data.shape.length; a++) f += idx[a - 1 + indexRank]! * strides[a]!;
      return f;
    })];
  },
  Concat: (ctx, outs) => {
    const inputs = ctx.node.inputs.map((_, i) => ctx.input(i));
    const axis = ctx.axis(ctx.int('axis', 0), outs[0]!.shape.length);
    const out = allocate(outs[0]!.dtype, elementCount(outs[0]!.shape));
    // Copy each input's contiguous blocks of `inner` elements for every outer index.
    const outer = elementCount(outs[0]!.shape.slice(0, axis));
    let pos = 0;
    for (let o = 0; o < outer; o++) {
      for (const t of inputs) {
        const block = elementCount(t.shape.slice(axis));
        out.set(t.data!.subarray(o * block, (o + 1) * block), pos);
        pos += block;
      }
    }
    return [out];
  },
  Slice: (ctx, outs) => {
    const x = ctx.input(0);
    const axes = resolveSlice(ctx, x.shape);
    const strides = stridesOf(x.shape);
    return [gatherElements(outs[0]!.dtype, outs[0]!.shape, x.data!, (idx) =>
      axes.reduce((f, s, a) => f + (s.start + idx[a]! * s.step) * strides[a]!, 0))];
  },
  Transpose: (ctx, outs) => {
    const x = ctx.input(0);
    const perm = transposePerm(ctx, x.shape.length);
    const strides = stridesOf(x.shape);
    return [gatherElements(outs[0]!.dtype, outs[0]!.shape, x.data!, (idx) =>
      perm.reduce((f, p, a) => f + idx[a]! * strides[p]!, 0))];
  },
  Expand: (ctx, outs) => {
    const x = ctx.input(0);
    return [gatherElements(outs[0]!.dtype, outs[0]!.shape, x.data!, broadcastSource(x.shape, outs[0]!.shape))];
  },
  Add: arithmetic((a, b) => a + b),
  Sub: arithmetic((a, b) => a - b),
  Mul: arithmetic((a, b) => a * b),
  // Integer division truncates toward zero as in C (onnxruntime).
  Div: arithmetic((a, b) => Math.trunc(a / b)),
};

const INTEGER_ONLY = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** Whether `node` can be evaluated now: a foldable op whose inputs are all constants (Shape only needs a static shape). */
export function isFoldable(ctx: ShapeContext, outs: readonly OutputInfo[]): boolean {
  const node = ctx.node;
  if (node.domain !== '' && node.domain !== 'ai.onnx') return false;
  if (!(node.opType in EVALUATORS)) return false;
  if (outs.some((o) => elementCount(o.shape) > MAX_FOLDED_ELEMENTS)) return false;
  if (INTEGER_ONLY.has(node.opType) && !outs.every((o) => isIntegerDType(o.dtype))) return false;
  if (node.opType === 'Shape') return ctx.optional(0) !== undefined;
  if (node.opType === 'Div' && Array.from(ctx.value(1) ?? [], (v) => v).includes(0)) return false;
  return node.inputs.every((_, slot) => node.inputs[slot] === '' || ctx.value(slot) !== undefined);
}

/** Evaluate a foldable node; undefined when it must stay a run-time op. Outputs follow `outs` (from the shape rule). */
export function evaluateNode(ctx: ShapeContext, outs: readonly OutputInfo[]): ConstData[] | undefined {
  if (!isFoldable(ctx, outs)) return undefined;
  // Only the primary output of multi-output ops is evaluated; none of the foldable ops has more.
  if (ctx.node.outputs.length !== 1) return undefined;
  return EVALUATORS[ctx.node.opType]!(ctx, outs);
}

/** Tensors still referenced by a node or as graph input/output. */
function referencedTensors(graph: Pick<Graph, 'nodes' | 'inputs' | 'outputs'>): Set<string> {
  const used = new Set<string>([...graph.inputs, ...graph.outputs]);
  for (const n of graph.nodes) for (const name of [...n.inputs, ...n.outputs]) if (name !== '') used.add(name);
  return used;
}

/**
 * Graph → Graph: evaluate foldable nodes (in order, so chains fold), replace
 * their outputs by constants, drop the nodes and any tensor no longer used.
 * Nodes producing graph outputs are kept so every output stays computed.
 * Expects a topologically sorted, fully shaped graph (as loadModel produces).
 */
export function foldConstants(graph: Graph): Graph {
  const tensors = new Map<string, Tensor>(graph.tensors);
  const nodes: Node[] = [];
  for (const node of graph.nodes) {
    const outs = node.outputs.map((o) => tensors.get(o));
    const known = outs.every((t): t is Tensor => t !== undefined);
    if (!known || node.outputs.some((o) => graph.outputs.includes(o))) {
      nodes.push(node);
      continue;
    }
    const ctx = new ShapeContext(graph.fileName, graph.opset, node, (n) => tensors.get(n));
    const values = outs.every((t) => t.data !== undefined) && isFoldable(ctx, outs) ? outs.map((t) => t.data!) : evaluateNode(ctx, outs);
    if (!values) {
      nodes.push(node);
      continue;
    }
    outs.forEach((t, i) => tensors.set(t.name, { ...t, data: values[i]! }));
  }
  const used = referencedTensors({ nodes, inputs: graph.inputs, outputs: graph.outputs });
  for (const name of [...tensors.keys()]) if (!used.has(name)) tensors.delete(name);
  return { ...graph, tensors, nodes };
}
