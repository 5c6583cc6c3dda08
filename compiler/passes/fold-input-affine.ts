/**
 * A float model input normalised in the graph becomes one quantize op.
 *
 * A model that normalises its own input, `(x - mean) / std` per feature or
 * per channel, is quantized by onnxruntime's `quantize_static` (and by our
 * PTQ, quantize/index.ts) with the normalisation left in float: float input
 * -> Sub / Add / Mul / Div by constants -> QuantizeLinear. Those constants
 * are per feature (`[20]` on `[N, 20]`) or per channel (`[1, 3, 1, 1]` on
 * NCHW), so the chain cannot be one scale: it runs at the quantize edge,
 * each step one float32 operation per element, in the model's order, as
 * onnxruntime computes it; then QuantizeLinear's divide, round half to even
 * and saturate (runtime-c/edgec_quantize_affine_f32_s8.c).
 *
 * Folded when every constant broadcasts along at most one axis of the input
 * (or is a scalar) and each link is read only by the next and is not a model
 * output; otherwise the graph stays as it is and lowering names the float op.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { elementCount } from '../ir/graph.js';
import { pruneTensors, removeNodes } from './graph-edit.js';
import { readQuantParams } from './fold-qdq.js';
import { readersOf } from './qdq-edit.js';

/** The float32 operation of one step: `x op c` or, for Sub / Div, `c op x`. */
export const AFFINE_STEPS = ['add', 'sub', 'rsub', 'mul', 'div', 'rdiv'] as const;
export type AffineStep = (typeof AFFINE_STEPS)[number];

const STEP_OF: Record<string, [AffineStep, AffineStep]> = {
  Add: ['add', 'add'], Sub: ['sub', 'rsub'], Mul: ['mul', 'mul'], Div: ['div', 'rdiv'],
};

/** A float constant's values, and the one input axis they vary along (-1: a scalar), or undefined when it broadcasts otherwise. */
function perAxisConstant(graph: Graph, name: string, inputShape: readonly number[]): { values: Float32Array; axis: number } | undefined {
  const t = graph.tensors.get(name);
  if (!t?.data || (t.dtype !== 'float32' && t.dtype !== 'float64')) return undefined;
  const values = Float32Array.from(t.data as ArrayLike<number>, (v) => Math.fround(Number(v)));
  if (elementCount(t.shape) === 1) return { values: values.subarray(0, 1), axis: -1 };
  if (t.shape.length > inputShape.length) return undefined;
  // numpy broadcasting: align the constant's dims to the input's last dims
  const offset = inputShape.length - t.shape.length;
  const varying = t.shape.map((d, i) => (d === 1 ? -1 : i + offset)).filter((a) => a >= 0);
  if (varying.length !== 1) return undefined;
  const axis = varying[0]!;
  return t.shape[axis - offset] === inputShape[axis] ? { values, axis } : undefined;
}

interface Link { node: Node; step: AffineStep; values: Float32Array; axis: number }

/** Input -> [Add/Sub/Mul/Div by a per-axis constant]+, each link read once and not a model output: the links and the last one's output. */
export function findAffineChain(graph: Graph, input: string): { links: Link[]; end: string } | undefined {
  const shape = graph.tensors.get(input)?.shape ?? [];
  const only = (name: string): Node | undefined => {
    const readers = readersOf(graph, name);
    return readers.length === 1 && !graph.outputs.includes(name) ? readers[0] : undefined;
  };
  const links: Link[] = [];
  let t = input;
  for (let node = only(t); node; node = only(t)) {
    const kinds = STEP_OF[node.opType];
    if (!kinds || node.inputs.length !== 2 || node.inputs[0] === node.inputs[1]) break;
    const xFirst = node.inputs[0] === t;
    const c = perAxisConstant(graph, (xFirst ? node.inputs[1] : node.inputs[0]) as string, shape);
    const out = graph.tensors.get(node.outputs[0] as string);
    if (!c || !out || out.shape.join(',') !== shape.join(',')) break;
    links.push({ node, step: xFirst ? kinds[0] : kinds[1], ...c });
    t = node.outputs[0] as string;
  }
  return links.length > 0 ? { links, end: t } : undefined;
}

/** The QuantizeLinear that is the only reader of the chain's output, if it is one. */
function quantizeAfter(graph: Graph, end: string): Node | undefined {
  const readers = readersOf(graph, end);
  const q = readers.length === 1 && !graph.outputs.includes(end) ? readers[0] : undefined;
  return q?.opType === 'QuantizeLinear' && q.inputs[0] === end ? q : undefined;
}

/** One axis for every step (scalars fit any), or undefined when two steps vary along different axes. */
export function commonAxis(links: readonly Link[]): number | undefined {
  const axes = new Set(links.map((l) => l.axis).filter((a) => a >= 0));
  if (axes.size > 1) return undefined;
  return axes.size === 0 ? -1 : [...axes][0];
}

export function foldInputAffine(graph: Graph): Graph {
  const dead = new Set<Node>();
  const added: Node[] = [];
  for (const input of graph.inputs) {
    const t = graph.tensors.get(input);
    if (!t || t.dtype !== 'float32' || t.quant) continue;
    const chain = findAffineChain(graph, input);
    const quantize = chain && quantizeAfter(graph, chain.end);
    if (!chain || !quantize) continue;
    const { links } = chain;
    const axis = commonAxis(links);
    const q = readQuantParams(graph, quantize);
    const out = quantize.outputs[0] as string;
    const outT = graph.tensors.get(out) as Tensor;
    if (axis === undefined || q.scale.length !== 1 || (outT.dtype !== 'int8' && outT.dtype !== 'uint8')) continue;
    const channels = axis < 0 ? 1 : (t.shape[axis] as number);
    // one row of `channels` values per step (a scalar repeated)
    const constants = new Float32Array(links.length * channels);
    links.forEach((l, s) => { for (let c = 0; c < channels; c++) constants[s * channels + c] = l.values[l.values.length === 1 ? 0 : c]!; });
    outT.quant = q;
    for (const n of [...links.map((l) => l.node), quantize]) dead.add(n);
    added.push({
      name: quantize.name, opType: 'edgec.QuantizeAffine', domain: 'edgec', inputs: [input], outputs: [out],
      attrs: {
        steps: links.map((l) => l.step), axis,
        constants: { name: `${input}_affine_constants`, dtype: 'float32', shape: [links.length, channels], data: constants },
        'edgec.chain': links.map((l) => l.node.name).join(' -> '),
      },
    });
  }
  if (dead.size === 0) return graph;
  removeNodes(graph, dead);
  graph.nodes.unshift(...added);
  pruneTensors(graph);
  return graph;
}
