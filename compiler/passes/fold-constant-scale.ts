/**
 * A float Mul by a positive scalar constant between an op and its Q: AMD
 * Quark's XINT8 (power-of-two) configuration writes
 * `GlobalAveragePool / AveragePool / ReduceMean -> Mul(c) -> Q(s, z)`, the
 * constant correcting the pooled value for its power-of-two scales.
 *
 * Q(c·x; s, z) = round(x / (s / c)) + z: the int8 values are those of x
 * quantized with scale s / c. So the producer writes x with (s / c, z) and
 * the Mul becomes an edgec.Requantize whose `edgec.factor` = c says the real
 * value is multiplied on the way (lowered with the input scale times c: a
 * multiplier of 1, the bytes pass unchanged). No extra rounding: exactly
 * what the QDQ model computes up to the one rounding of its Q.
 */
import type { Graph, Node } from '../ir/graph.js';
import { producerOf } from '../ir/graph.js';
import { insertQdq, nodeActQuant, readersOf, sameActQuant, type ActQuant } from './qdq-edit.js';

export const FACTOR_ATTR = 'edgec.factor';

/** The value of a positive, finite scalar constant, else undefined. */
function positiveScalar(graph: Graph, name: string): number | undefined {
  const t = graph.tensors.get(name);
  if (!t?.data || t.data.length !== 1 || (t.dtype !== 'float32' && t.dtype !== 'float64')) return undefined;
  const v = Number(t.data[0]);
  return v > 0 && Number.isFinite(v) ? v : undefined;
}

/** The per-tensor quantization every reader of `name` (all QuantizeLinear) applies, else undefined. */
function commonQuantize(graph: Graph, name: string): ActQuant | undefined {
  const readers = readersOf(graph, name);
  if (readers.length === 0 || graph.outputs.includes(name) || readers.some((r) => r.opType !== 'QuantizeLinear')) return undefined;
  const qs = readers.map((r) => nodeActQuant(graph, r));
  const first = qs[0];
  return first && qs.every((q) => q && sameActQuant(q, first)) ? first : undefined;
}

function rewrite(graph: Graph, mul: Node): boolean {
  const [a, b] = mul.inputs;
  const c = positiveScalar(graph, b) ?? positiveScalar(graph, a);
  const x = positiveScalar(graph, b) !== undefined ? a : b;
  if (c === undefined || graph.tensors.get(x)?.dtype !== 'float32' || graph.tensors.get(x)?.data) return false;
  const producer = producerOf(graph, x);
  if (!producer || producer.opType === 'DequantizeLinear' || readersOf(graph, x).length !== 1 || graph.outputs.includes(x)) return false;
  const out = commonQuantize(graph, mul.outputs[0]);
  if (!out) return false;
  insertQdq(graph, x, { scale: out.scale / c, zeroPoint: out.zeroPoint });
  mul.opType = 'edgec.Requantize';
  mul.domain = 'edgec';
  mul.inputs = [x];
  mul.attrs = { [FACTOR_ATTR]: c };
  return true;
}

export function foldConstantScale(graph: Graph): Graph {
  for (const node of [...graph.nodes]) if (node.opType === 'Mul') rewrite(graph, node);
  return graph;
}
