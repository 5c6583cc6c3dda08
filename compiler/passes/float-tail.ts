/**
 * A float tail after the model's last Q runs in int8, as TFLite would run it.
 *
 * NNCF and PPQ often leave the last Gemm or the Softmax unquantized:
 * `... -> Q -> DQ -> Gemm -> Softmax -> output`, float from the Gemm on.
 * TFLite has no float ops in an int8 model; its converter gives each of
 * those tensors an int8 quantization. Here, without calibration data:
 *  - Softmax and Sigmoid outputs take TFLite's fixed 1/256, zero point -128;
 *    Tanh 1/128, 0;
 *  - a Gemm / MatMul / Conv output takes the range its constant weights and
 *    bias can produce from the whole int8 range of its input: a bound that
 *    holds for every input (no output ever saturates) and is attained by
 *    some input, computed exactly from the int8 weights (float weights are
 *    quantized first, symmetric per output channel as TFLite's converter
 *    does); a Relu / Clip after it clamps that range and folds into it;
 *  - Relu / Clip on a quantized tensor and value-preserving ops keep their
 *    input's quantization;
 *  - anything else has no derivable range: refused, naming the tensor.
 * The tail's last tensor is dequantized at the model's output, so the model
 * keeps its float outputs; a note on the graph tells the build report.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { elementCount } from '../ir/graph.js';
import { modelError } from '../errors.js';
import { attrInt } from '../ops/attrs.js';
import { CLAMPING_OPS, clampBounds } from './fuse-activations.js';
import { uniqueTensorName } from './graph-edit.js';
import { KEEP_FLOAT_ATTR } from './float-layers.js';
import { VALUE_PRESERVING_OPS, dataInputs } from './propagate-quant.js';
import { addQuantInitializers, dequantizedConstant, dequantizerOf, insertQdq, nodeActQuant, quantForRange, representableRange, sameActQuant, uniqueNodeName, type ActQuant } from './qdq-edit.js';

interface Range { lo: number; hi: number }

/** TFLite's fixed output quantizations. */
const FIXED_OUTPUT: Record<string, ActQuant> = {
  Softmax: { scale: 1 / 256, zeroPoint: -128 },
  Sigmoid: { scale: 1 / 256, zeroPoint: -128 },
  Tanh: { scale: 1 / 128, zeroPoint: 0 },
};

const LINEAR_OPS = new Set(['Gemm', 'MatMul', 'edgec.MatMulAdd', 'Conv']);

export function addNote(graph: Graph, note: string): void {
  graph.notes = [...(graph.notes ?? []), note];
}

/** Real values of a constant operand (a DQ of an initializer, or a float initializer). */
function realValues(graph: Graph, name: string): number[] | undefined {
  if (name === '') return undefined;
  const direct = graph.tensors.get(name);
  if (direct?.data) return Array.from(direct.data, Number);
  const c = dequantizedConstant(graph, name);
  if (!c) return undefined;
  const shape = c.data.shape;
  const inner = c.quant.axis === -1 ? 1 : elementCount(shape.slice(c.quant.axis + 1));
  const channels = c.quant.axis === -1 ? 1 : shape[c.quant.axis];
  return Array.from(c.data.data as ArrayLike<number>, (v, i) => {
    const k = c.quant.axis === -1 ? 0 : Math.floor(i / inner) % channels;
    return c.quant.scale[k] * (Number(v) - c.quant.zeroPoint[k]);
  });
}

/** Output-channel axis of the weights of a linear op (Gemm transB=1 and Conv: 0; otherwise 1). */
function channelAxis(node: Node): number {
  if (node.opType === 'Conv') return 0;
  return node.opType === 'Gemm' && attrInt(node, 'transB', 0) === 1 ? 0 : 1;
}

/**
 * Float weights of a tail layer -> int8 symmetric per output channel
 * (scale max|w| / 127, TFLite's converter), behind a DQ.
 */
function quantizeFloatWeights(graph: Graph, node: Node): void {
  const name = node.inputs[1];
  const t = graph.tensors.get(name) as Tensor;
  if (!t.data || t.dtype !== 'float32') return;
  const axis = channelAxis(node);
  const channels = t.shape[axis];
  const inner = elementCount(t.shape.slice(axis + 1));
  const channelOf = (i: number): number => Math.floor(i / inner) % channels;
  const maxAbs = new Array<number>(channels).fill(0);
  t.data.forEach((v, i) => { maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)], Math.abs(Number(v))); });
  const scales = maxAbs.map((m) => (m === 0 ? 1 : Math.fround(m / 127)));
  const q = Int8Array.from(t.data, (v, i) => Math.max(-127, Math.min(127, Math.round(Number(v) / scales[channelOf(i)]))));
  const qName = uniqueTensorName(graph, `${name}_int8`);
  graph.tensors.set(qName, { name: qName, dtype: 'int8', shape: t.shape.slice(), data: q });
  const [s, z] = addQuantInitializers(graph, qName, { scale: scales, zeroPoint: scales.map(() => 0) });
  const out = uniqueTensorName(graph, `${qName}_dequantized`);
  graph.tensors.set(out, { name: out, dtype: 'float32', shape: t.shape.slice() });
  graph.nodes.splice(graph.nodes.indexOf(node), 0, {
    name: uniqueNodeName(graph, `${qName}_DequantizeLinear`), opType: 'DequantizeLinear', domain: '', inputs: [qName, s, z], outputs: [out], attrs: { axis },
  });
  node.inputs[1] = out;
}

/** The output range of a linear layer over every input in `x` (per output channel, then the union). */
function linearRange(graph: Graph, node: Node, x: Range): Range | undefined {
  const wT = graph.tensors.get(node.inputs[1]);
  const w = realValues(graph, node.inputs[1]);
  if (!wT || !w) return undefined;
  const shape = (dequantizedConstant(graph, node.inputs[1])?.data ?? wT).shape;
  const axis = channelAxis(node);
  const channels = shape[axis];
  const inner = elementCount(shape.slice(axis + 1));
  const biasIndex = node.opType === 'MatMul' ? -1 : 2;
  const bias = biasIndex < 0 ? undefined : realValues(graph, node.inputs[biasIndex] ?? '');
  const lo = new Array<number>(channels).fill(0);
  const hi = new Array<number>(channels).fill(0);
  w.forEach((v, i) => {
    const c = Math.floor(i / inner) % channels;
    lo[c] += Math.min(v * x.lo, v * x.hi);
    hi[c] += Math.max(v * x.lo, v * x.hi);
  });
  const b = (c: number): number => (bias ? bias[bias.length === 1 ? 0 : c] : 0);
  return { lo: Math.min(...lo.map((v, c) => v + b(c))), hi: Math.max(...hi.map((v, c) => v + b(c))) };
}

/** Whether `name` is already canonical QDQ (read only by Q nodes, not a graph output). */
function quantizedByReaders(graph: Graph, readers: Node[], name: string): boolean {
  return readers.length > 0 && !graph.outputs.includes(name) && readers.every((r) => r.opType === 'QuantizeLinear');
}

class FloatTail {
  private readonly quant = new Map<string, ActQuant>();
  /** Float results of clamping ops read only by a Relu / Clip: their range, waiting for the clamp. */
  private readonly pending = new Map<string, Range>();
  readonly tail: Node[] = [];

  /** Readers per tensor, rebuilt when the pass has added nodes (insertQdq): one scan per edit, not per query. */
  private readerIndex?: { nodes: number; readers: Map<string, Node[]> };

  constructor(private readonly graph: Graph) {}

  private readersOf(name: string): Node[] {
    if (this.readerIndex?.nodes !== this.graph.nodes.length) {
      const readers = new Map<string, Node[]>();
      for (const n of this.graph.nodes) {
        for (const i of new Set(n.inputs)) {
          const list = readers.get(i);
          if (list) list.push(n); else readers.set(i, [n]);
        }
      }
      this.readerIndex = { nodes: this.graph.nodes.length, readers };
    }
    return this.readerIndex.readers.get(name) ?? [];
  }

  quantOf(name: string): ActQuant | undefined {
    const known = this.quant.get(name);
    if (known) return known;
    const dq = dequantizerOf(this.graph, name);
    return dq && !this.graph.tensors.get(dq.inputs[0])?.data ? nodeActQuant(this.graph, dq) : undefined;
  }

  private refuse(node: Node, out: string, why: string): never {
    throw modelError(this.graph.fileName, node, `float tail: tensor '${out}' is computed in float after the model's last QuantizeLinear and ${why}; calibration ranges for it are missing`,
      'quantize the whole model (a QuantizeLinear after every op), or give edgec the float model with --calibration <samples.npy>');
  }

  /** Output range of a clamping op's float result, when only a Relu / Clip reads it. */
  private deferToClamp(node: Node, out: string, range: Range): boolean {
    const readers = this.readersOf(out);
    if (!CLAMPING_OPS.has(node.opType) || readers.length !== 1 || this.graph.outputs.includes(out) || !clampBounds(this.graph, readers[0])) return false;
    this.pending.set(out, range);
    return true;
  }

  /** The int8 quantization of `node`'s float output, from its inputs' (undefined: not a tail node). */
  visit(node: Node): void {
    const g = this.graph;
    if (node.opType === 'QuantizeLinear' || node.opType === 'DequantizeLinear' || node.outputs.length !== 1) return;
    if (node.attrs[KEEP_FLOAT_ATTR]) return; // --float-layers: the user wants this layer float (ops/float-layer.ts)
    const out = node.outputs[0];
    const outT = g.tensors.get(out);
    if (!outT || outT.dtype !== 'float32' || quantizedByReaders(g, this.readersOf(out), out)) return;
    // a Gather of constant indices selects values (NNCF's `Y -> Squeeze -> Gather(last step) -> Gemm` tail of an LSTM)
    const preserving = VALUE_PRESERVING_OPS.has(node.opType) || (node.opType === 'Gather' && !!g.tensors.get(node.inputs[1] ?? '')?.data);
    const ins = LINEAR_OPS.has(node.opType) ? [node.inputs[0]] : preserving ? dataInputs(g, node) : node.inputs.filter((i) => i !== '' && !g.tensors.get(i)?.data);
    if (ins.length === 0) return;
    const pendingIn = this.pending.get(ins[0]);
    const inQ = ins.map((i) => this.quantOf(i));
    if (!pendingIn && inQ.some((q) => !q)) return; // not after a Q: float edge or unquantized model, lowering reports it
    const q0 = inQ[0];
    let q: ActQuant | undefined;
    const fixed = FIXED_OUTPUT[node.opType];
    const bounds = clampBounds(g, node);
    if (fixed) q = fixed;
    else if (bounds && pendingIn) q = quantForRange(Math.max(bounds.min, pendingIn.lo), Math.min(bounds.max, pendingIn.hi));
    else if ((bounds || preserving) && q0) {
      if (!inQ.every((x) => x && sameActQuant(x, q0))) this.refuse(node, out, 'its inputs are quantized differently');
      q = q0;
    } else if (LINEAR_OPS.has(node.opType) && q0) {
      quantizeFloatWeights(g, node);
      const range = linearRange(g, node, representableRange(q0));
      if (!range) this.refuse(node, out, 'its weights are not constant');
      this.tail.push(node);
      if (this.deferToClamp(node, out, range)) return;
      q = quantForRange(range.lo, range.hi);
    }
    if (!q) this.refuse(node, out, `edgec cannot derive an int8 range for a ${node.opType} output`);
    if (!this.tail.includes(node)) this.tail.push(node);
    this.quant.set(out, q);
  }

  /** Q/DQ on every tail tensor; its last one is dequantized at the model output by the inserted DQ. */
  apply(): void {
    for (const [name, q] of this.quant) insertQdq(this.graph, name, q);
  }
}

/**
 * Float tensors that reach a float model output without passing a Q: the
 * tail. (A float tensor that a later Q quantizes, e.g. `Add -> Relu -> Q`,
 * is the canonical QDQ form, handled by fold-qdq and fuse-activations.)
 */
function tailTensors(graph: Graph): Set<string> {
  const tail = new Set(graph.outputs.filter((o) => graph.tensors.get(o)?.dtype === 'float32'));
  for (const node of [...graph.nodes].reverse()) {
    if (node.opType === 'QuantizeLinear' || node.opType === 'DequantizeLinear' || !node.outputs.some((o) => tail.has(o))) continue;
    node.inputs.forEach((i) => { if (i !== '' && graph.tensors.get(i)?.dtype === 'float32' && !graph.tensors.get(i)?.data) tail.add(i); });
  }
  return tail;
}

export function floatTail(graph: Graph): Graph {
  const tail = new FloatTail(graph);
  const reachesOutput = tailTensors(graph);
  for (const node of [...graph.nodes]) if (node.outputs.some((o) => reachesOutput.has(o))) tail.visit(node);
  if (tail.tail.length === 0) return graph;
  tail.apply();
  const names = tail.tail.map((n) => `'${n.name}' (${n.opType})`).join(', ');
  addNote(graph, `float tail ${names} after the model's last QuantizeLinear runs in int8 with TFLite's conventions (Softmax/Sigmoid output 1/256, zero point -128; linear layers over the range their weights give the whole int8 input range) and is dequantized at the model output`);
  return graph;
}
