/**
 * An integer model input cast to float at the edge becomes one table.
 *
 * PyTorch models that take camera bytes export `x.float() / 255` (or
 * `(x.float() - 128) * s`) as: uint8 input -> Cast(to float) -> Div / Mul /
 * Add / Sub by scalar constants -> QuantizeLinear. The float chain is a
 * function of one 8-bit value, so it runs as a 256-entry table (the lut
 * kernel), computed as onnxruntime computes the chain: the cast is exact,
 * each op is one float32 operation, QuantizeLinear rounds half to even and
 * saturates. The input keeps the type the user feeds (uint8 or int8); it is
 * given scale 1 and zero point 0, which is what its values mean.
 *
 * Not folded (the graph stays as it is, and lowering names the Cast): a chain
 * with a per-channel constant (e.g. a [1, 3, 1, 1] mean), an input of
 * another integer type, a tensor of the chain that is also read elsewhere or
 * is a model output.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { elementCount } from '../ir/graph.js';
import { quantizeToInt8 } from '../ir/quant.js';
import { pruneTensors, removeNodes } from './graph-edit.js';
import { readQuantParams } from './fold-qdq.js';
import { readersOf } from './qdq-edit.js';

/** ONNX TensorProto.DataType FLOAT. */
const ONNX_FLOAT = 1;
const ARITHMETIC = new Set(['Mul', 'Div', 'Add', 'Sub']);

type Step = (x: number) => number;

/** The scalar value of a float constant operand, or undefined. */
function scalarConstant(graph: Graph, name: string): number | undefined {
  const t = graph.tensors.get(name);
  if (!t?.data || (t.dtype !== 'float32' && t.dtype !== 'float64') || elementCount(t.shape) !== 1) return undefined;
  return Number(t.data[0]);
}

/** One float32 operation of the chain with its constant, or undefined when the node is not `x op c` / `c op x` with a scalar c. */
function stepOf(graph: Graph, node: Node, x: string): Step | undefined {
  if (!ARITHMETIC.has(node.opType) || node.inputs.length !== 2) return undefined;
  const xFirst = node.inputs[0] === x;
  const other = xFirst ? node.inputs[1] : node.inputs[0];
  if (other === undefined || other === x) return undefined;
  const c = scalarConstant(graph, other);
  if (c === undefined) return undefined;
  const f = Math.fround;
  const k = f(c);
  switch (node.opType) {
    case 'Mul': return (v) => f(v * k);
    case 'Add': return (v) => f(v + k);
    case 'Sub': return xFirst ? (v) => f(v - k) : (v) => f(k - v);
    case 'Div': return xFirst ? (v) => f(v / k) : (v) => f(k / v);
    default: return undefined;
  }
}

interface CastChain { cast: Node; steps: Step[]; chain: Node[]; quantize: Node }

/** Cast -> [scalar arithmetic]* -> QuantizeLinear from graph input `input`, each link read once and not a model output. */
function findChain(graph: Graph, input: string): CastChain | undefined {
  const only = (name: string): Node | undefined => {
    const readers = readersOf(graph, name);
    return readers.length === 1 && !graph.outputs.includes(name) ? readers[0] : undefined;
  };
  const cast = only(input);
  if (!cast || cast.opType !== 'Cast' || cast.attrs.to !== ONNX_FLOAT) return undefined;
  const steps: Step[] = [];
  const chain: Node[] = [];
  let t = cast.outputs[0] as string;
  for (let node = only(t); node; node = only(t)) {
    if (node.opType === 'QuantizeLinear') return node.inputs[0] === t ? { cast, steps, chain, quantize: node } : undefined;
    const step = stepOf(graph, node, t);
    if (!step) return undefined;
    steps.push(step);
    chain.push(node);
    t = node.outputs[0] as string;
  }
  return undefined;
}

/**
 * The table the lut kernel reads with the input's bytes as int8 (index v + 128):
 * a uint8 input reaches it through the edge's sign flip (passes/uint8-to-int8.ts),
 * so index i holds x = i; an int8 input's index i holds x = i - 128. A uint8
 * output is written as int8 with zero point - 128, as that pass stores it.
 */
function chainTable(inputType: 'uint8' | 'int8', steps: Step[], scale: number, zeroPoint: number, outputType: string): Int8Array {
  const zp = outputType === 'uint8' ? zeroPoint - 128 : zeroPoint;
  return Int8Array.from({ length: 256 }, (_, i) => {
    const x = inputType === 'uint8' ? i : i - 128;
    return quantizeToInt8(steps.reduce((v, step) => step(v), x), scale, zp);
  });
}

export function foldInputCast(graph: Graph): Graph {
  const dead = new Set<Node>();
  const added: Node[] = [];
  for (const input of graph.inputs) {
    const t = graph.tensors.get(input);
    if (!t || (t.dtype !== 'uint8' && t.dtype !== 'int8') || t.quant) continue;
    const found = findChain(graph, input);
    if (!found) continue;
    const q = readQuantParams(graph, found.quantize);
    const out = found.quantize.outputs[0] as string;
    const outT = graph.tensors.get(out) as Tensor;
    if (q.scale.length !== 1 || (outT.dtype !== 'int8' && outT.dtype !== 'uint8')) continue;
    const table: Tensor = {
      name: `${input}_cast_table`, dtype: 'int8', shape: [256],
      data: chainTable(t.dtype, found.steps, q.scale[0] as number, q.zeroPoint[0] as number, outT.dtype),
    };
    t.quant = { scale: [1], zeroPoint: [0], axis: -1 };
    outT.quant = q;
    for (const n of [found.cast, ...found.chain, found.quantize]) dead.add(n);
    added.push({ name: `${found.cast.name}_table`, opType: 'edgec.Lut', domain: 'edgec', inputs: [input], outputs: [out], attrs: { table } });
  }
  if (dead.size === 0) return graph;
  removeNodes(graph, dead);
  graph.nodes.unshift(...added);
  pruneTensors(graph);
  return graph;
}
