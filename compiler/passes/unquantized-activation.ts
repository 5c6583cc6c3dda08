/**
 * An activation with no Q between it and its producer: AMD Quark writes
 * `Conv -> LeakyRelu -> Q` (also HardSwish). TFLite runs CONV_2D then
 * LEAKY_RELU / HARD_SWISH on int8, the conv output with its own calibrated
 * scale; here the activation stays the existing lookup-table op reading the
 * producer's int8 output, so that intermediate tensor needs a quantization.
 *
 * Chosen: the range the activation's output quantization implies for its
 * input, i.e. the calibration TFLite's converter would have recorded when the
 * output Q's range is the activation's observed range:
 *  - LeakyRelu(α in (0, 1]): [out_min / α, out_max] (x < 0 maps to αx);
 *  - HardSwish: [-3, h⁻¹(out_max)]: every x <= -3 gives 0, so clipping
 *    there changes no output, and x above h⁻¹(out_max) saturates the output.
 * Clipping the intermediate to that range therefore changes no output value
 * beyond the output's own saturation; the cost is one more rounding, of the
 * intermediate (for LeakyRelu on a coarser grid than the output's, by up to
 * 1/α on the negative side), measured against onnxruntime in
 * test/passes/canonicalise-e2e.test.ts.
 *
 * Relu / Clip need nothing here: fuse-activations already folds them into
 * the producer's clamp when the intermediate is float.
 */
import type { Graph, Node } from '../ir/graph.js';
import { producerOf } from '../ir/graph.js';
import { attrFloat } from '../ops/attrs.js';
import { dequantizerOf, insertQdq, nodeActQuant, quantForRange, readersOf, representableRange, sameActQuant, type ActQuant } from './qdq-edit.js';

/** Producers whose kernels requantize into any int8 output quantization. */
const REQUANTIZING_PRODUCERS = new Set(['Conv', 'Gemm', 'MatMul', 'edgec.MatMulAdd', 'Add', 'Mul', 'GlobalAveragePool', 'AveragePool', 'ReduceMean']);

/** The real input range of `act` that reaches every int8 output value of `out` (undefined when the activation is not handled). */
export function inputRangeFor(act: Node, out: ActQuant): { lo: number; hi: number } | undefined {
  const { lo, hi } = representableRange(out);
  if (hi <= 0) return undefined;
  if (act.opType === 'LeakyRelu') {
    const alpha = attrFloat(act, 'alpha', 0.01);
    if (!(alpha > 0 && alpha <= 1)) return undefined;
    return { lo: lo < 0 ? lo / alpha : 0, hi };
  }
  if (act.opType === 'HardSwish') {
    // h(x) = x(x + 3)/6 on [-3, 3], x above: the x with h(x) = hi
    const top = hi >= 3 ? hi : (-3 + Math.sqrt(9 + 24 * hi)) / 2;
    return { lo: -3, hi: top };
  }
  return undefined;
}

/** The common per-tensor quantization of all readers of `name` when every reader is a Q. */
function quantizedBy(graph: Graph, name: string): ActQuant | undefined {
  const readers = readersOf(graph, name);
  if (readers.length === 0 || graph.outputs.includes(name) || readers.some((r) => r.opType !== 'QuantizeLinear')) return undefined;
  const qs = readers.map((r) => nodeActQuant(graph, r));
  const first = qs[0];
  return first && qs.every((q) => q && sameActQuant(q, first)) ? first : undefined;
}

export function unquantizedActivation(graph: Graph): Graph {
  for (const act of [...graph.nodes]) {
    if (act.opType !== 'LeakyRelu' && act.opType !== 'HardSwish') continue;
    const mid = act.inputs[0];
    const producer = producerOf(graph, mid);
    if (!producer || !REQUANTIZING_PRODUCERS.has(producer.opType) || dequantizerOf(graph, mid)) continue;
    if (readersOf(graph, mid).length !== 1 || graph.outputs.includes(mid)) continue;
    const out = quantizedBy(graph, act.outputs[0]);
    const range = out && inputRangeFor(act, out);
    if (!range) continue;
    insertQdq(graph, mid, quantForRange(range.lo, range.hi));
  }
  return graph;
}
