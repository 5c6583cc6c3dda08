/**
 * Relu / Clip (and Relu6-style Clip) after an op that requantizes its result
 * fold into that op's output clamp: the producer writes the activation's
 * output directly with act_min/act_max computed in the output's quantized
 * domain. Applies when the intermediate is an unquantized float (QDQ models
 * that keep Relu between the op and its Q) or carries the same quantization
 * as the activation's output (Q/DQ on both sides).
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { activationRange, INT8_RANGE } from '../ir/quant.js';
import { GraphIndex, pruneTensors, removeNodes } from './graph-edit.js';

/** Ops whose kernels end with requantize + clamp. */
export const CLAMPING_OPS = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul', 'edgec.MatMulAdd', 'Add', 'Sub', 'Mul', 'edgec.Requantize']);
export const ACT_ATTR = 'edgec.act';

export interface ClipBounds { min: number; max: number }

/** The real-valued bounds an activation node clamps to, or undefined if it is not a clamp. */
export function clampBounds(graph: Graph, node: Node): ClipBounds | undefined {
  if (node.opType === 'Relu') return { min: 0, max: Infinity };
  if (node.opType !== 'Clip') return undefined;
  if (graph.opset < 11) {
    return { min: num(node.attrs.min, -Infinity), max: num(node.attrs.max, Infinity) };
  }
  const bound = (idx: number, dflt: number): number | undefined => {
    const name = node.inputs[idx] ?? '';
    if (name === '') return dflt;
    const t = graph.tensors.get(name);
    if (!t?.data) return undefined;
    const v = Number(t.data[0]);
    // a quantized constant (Q/DQ around the bound) is stored as integers
    return t.quant ? t.quant.scale[0] * (v - t.quant.zeroPoint[0]) : v;
  };
  const min = bound(1, -Infinity);
  const max = bound(2, Infinity);
  if (min === undefined || max === undefined) return undefined;
  return { min, max };
}

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' ? v : dflt;
}

function sameQuant(a?: Tensor['quant'], b?: Tensor['quant']): boolean {
  return !!a && !!b && a.axis === -1 && b.axis === -1 && a.scale[0] === b.scale[0] && a.zeroPoint[0] === b.zeroPoint[0];
}

export function fuseActivations(graph: Graph): Graph {
  const dead = new Set<Node>();
  const index = new GraphIndex(graph);
  const outputs = new Set(graph.outputs);
  for (const act of graph.nodes) {
    const bounds = clampBounds(graph, act);
    if (!bounds) continue;
    const mid = act.inputs[0];
    const producer = index.producerOf(mid);
    if (!producer || !CLAMPING_OPS.has(producer.opType) || dead.has(producer)) continue;
    if (outputs.has(mid)) continue;
    const readers = index.readersOf(mid);
    if (readers.length !== 1) continue;
    const midT = graph.tensors.get(mid) as Tensor;
    const outT = graph.tensors.get(act.outputs[0]) as Tensor;
    // a layer kept in float (ops/float-layer.ts) clamps in float: its Relu / Clip fuses whether or not a Q follows
    if (!outT.quant && !(hasFloatWeights(graph, producer) && !midT.quant)) continue;
    if (midT.quant && !sameQuant(midT.quant, outT.quant)) continue;
    const prev = producer.attrs[ACT_ATTR];
    const prevBounds = Array.isArray(prev) ? { min: Number(prev[0]), max: Number(prev[1]) } : { min: -Infinity, max: Infinity };
    producer.attrs[ACT_ATTR] = [Math.max(prevBounds.min, bounds.min), Math.min(prevBounds.max, bounds.max)].map(finiteOrSentinel);
    index.setFirstOutput(producer, act.outputs[0]);
    dead.add(act);
  }
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}

/** A weighted op whose weights are a float constant: a layer kept in float32. */
function hasFloatWeights(graph: Graph, node: Node): boolean {
  const w = graph.tensors.get(node.inputs[1] ?? '');
  return !!w?.data && w.dtype === 'float32' && !w.quant && ['Conv', 'Gemm', 'MatMul'].includes(node.opType);
}

/** Attributes are numbers; +-1e30 stands for "no bound". */
function finiteOrSentinel(v: number): number {
  return Number.isFinite(v) ? v : v > 0 ? 1e30 : -1e30;
}

/** Read the fused clamp back (real-valued bounds). */
export function fusedClamp(node: Node): ClipBounds {
  const a = node.attrs[ACT_ATTR];
  if (!Array.isArray(a)) return { min: -Infinity, max: Infinity };
  const [min, max] = a.map(Number);
  return { min: min <= -1e30 ? -Infinity : min, max: max >= 1e30 ? Infinity : max };
}

/** act_min / act_max of a node's output clamp: its fused activation in the output's quantized domain (full int8 range without one). */
export function fusedActivationRange(node: Node, output: { scale: number; zeroPoint: number }, range: readonly [number, number] = INT8_RANGE): { min: number; max: number } {
  const clamp = fusedClamp(node);
  return activationRange('clip', output.scale, output.zeroPoint, clamp.min, clamp.max, range);
}
