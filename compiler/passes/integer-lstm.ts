/**
 * A quantized ONNX LSTM becomes TFLite Micro's integer LSTM (issue 14): one
 * `edgec.TflLstm` node per direction (compiler/ops/lstm.ts, the kernel the
 * TFLite front end uses for UNIDIRECTIONAL_SEQUENCE_LSTM), with int16 gates
 * and cell state, plus int8 layout ops that give Y and Y_h their ONNX shapes.
 *
 * Runs after fold-qdq. The LSTM qualifies when, as our PTQ writes it
 * (quantize/quantize.ts, quantizeLstm) or an exporter that quantized it:
 *  - X is a per-tensor int8 activation;
 *  - W and R are symmetric int8 constants with one scale per gate and
 *    direction (per tensor, or per channel along the gate rows with the same
 *    scale on every row of a gate): TFLM's kernel takes one scale per gate;
 *  - B is absent, a float constant, or int32 at scale X × W (the TFLite
 *    converter's bias quantization); Wb and Rb are summed, as TFLM has one
 *    bias per gate;
 *  - Y and Y_h, where read, are per-tensor int8 with one quantization (the
 *    hidden state's);
 *  - default activations, no clip, no coupled input-forget gate, no
 *    peepholes, full-length sequences;
 *  - initial states zero (or absent), or, one direction, both given at run
 *    time: initial_h int8 in the hidden state's quantization, initial_c
 *    int16 in the cell state's (a --stateful pair, as our PTQ writes it).
 *    The kernel then starts from them and writes the final h and c, which
 *    give Y_h and Y_c;
 *  - Y_c, where read, int16 at the cell scale: each direction's kernel
 *    writes its final cell state.
 * Anything else keeps the ONNX LSTM, which then runs on the float recurrent
 * kernels (ops/recurrent-float.ts), as before.
 *
 * The cell state scale is the int16 QuantizeLinear our PTQ puts on Y_c (a
 * power of two from the calibrated cell range; nothing reads it). Without
 * one (an exporter's QDQ model) it is the smallest power of two that holds
 * |c| < T for T steps from a zero state: |c_t| <= f·|c_{t-1}| + |i·g| < |c_{t-1}| + 1.
 */
import type { Graph, Node, QuantInfo, Tensor } from '../ir/graph.js';
import { TFL_LSTM_OP, cellScaleHolding, cellScalePower, tflLstmAttrs } from '../ops/lstm.js';
import { KEEP_FLOAT_ATTR } from './float-layers.js';
import { allZero, isRead, optionalInput, pruneTensors, uniqueNodeName, uniqueTensorName } from './graph-edit.js';
import { sameQuant } from './fold-qdq.js';
import { isDefaultActivations, recurrentActivations } from '../ops/recurrent-float.js';

/** ONNX gate order i, o, f, c; TFLM's input, forget, cell, output: the ONNX gate index of each TFLM gate. */
const ONNX_GATE_OF_TFLM = [0, 2, 3, 1];
const GATES = 4;

/** What one qualifying LSTM needs for the rewrite. */
interface IntegerLstm {
  node: Node;
  seq: number;
  batch: number;
  inputSize: number;
  hidden: number;
  layout: 0 | 1;
  reverse: boolean[];
  x: QuantInfo;
  hiddenQuant: QuantInfo;
  cellScale: number;
  /** [direction][tflm gate] */
  wScale: number[][];
  rScale: number[][];
  /** initial_h (int8) and initial_c (int16) given at run time (one direction). */
  state?: { h: string; c: string };
  /** Y_c is read: each direction's kernel writes its final cell state (int16). */
  cellOut: boolean;
  /** int32 gate biases, [direction][tflm gate]. */
  biases: Int32Array[][];
}

function perTensorInt8(t: Tensor | undefined): t is Tensor & { quant: QuantInfo } {
  return !!t && !t.data && t.dtype === 'int8' && !!t.quant && t.quant.axis === -1;
}

/**
 * One scale per (direction, TFLM gate) of a [dirs, 4H, K] int8 weight, or
 * undefined when the weight is not symmetric with a scale per gate.
 */
function gateScales(t: Tensor | undefined, dirs: number, hidden: number): number[][] | undefined {
  if (!t?.data || t.dtype !== 'int8' || !t.quant || t.quant.zeroPoint.some((z) => z !== 0)) return undefined;
  const { scale, axis } = t.quant;
  const rowScale = (row: number): number | undefined => (axis === -1 ? scale[0] : axis === 1 ? scale[row] : undefined);
  const out: number[][] = [];
  for (let d = 0; d < dirs; d++) {
    const perGate: number[] = [];
    for (const g of ONNX_GATE_OF_TFLM) {
      const first = rowScale(g * hidden);
      if (first === undefined) return undefined;
      for (let j = 1; j < hidden; j++) if (rowScale(g * hidden + j) !== first) return undefined;
      perGate.push(first);
    }
    out.push(perGate);
  }
  return out;
}

/** Smallest power-of-two cell scale that holds |c| < steps (zero initial state). */
export function boundedCellScale(steps: number): number {
  return cellScaleHolding(Math.max(steps, 1));
}

/** From Y_c's (or initial_c's) int16 quantization, else (no state given at run time) the bound of the length. */
function cellScaleOf(graph: Graph, node: Node, seq: number, stateful: boolean): number | undefined {
  const cell = [node.outputs[2], node.inputs[6]].map((name) => graph.tensors.get(name ?? '')).find((t) => t?.dtype === 'int16' && !t.data && t.quant);
  if (!cell?.quant) return stateful ? undefined : boundedCellScale(seq);
  const q = cell.quant;
  return q.axis === -1 && q.zeroPoint[0] === 0 && cellScalePower(q.scale[0]) !== undefined ? q.scale[0] : undefined;
}

/** The LSTM's integer form, or undefined when it does not qualify (it then runs float). */
function integerLstm(graph: Graph, node: Node): IntegerLstm | undefined {
  if (node.opType !== 'LSTM' || (node.domain !== '' && node.domain !== 'ai.onnx') || node.attrs[KEEP_FLOAT_ATTR] !== undefined) return undefined;
  const x = graph.tensors.get(node.inputs[0]);
  const r = optionalInput(graph, node, 2);
  if (!perTensorInt8(x) || x.shape.length !== 3 || !r || r.shape.length !== 3) return undefined;
  if (node.attrs.clip !== undefined || Number(node.attrs.input_forget ?? 0) !== 0) return undefined;
  const layout = Number(node.attrs.layout ?? 0) === 1 ? 1 : 0;
  const direction = String(node.attrs.direction ?? 'forward');
  const reverse = direction === 'bidirectional' ? [false, true] : [direction === 'reverse'];
  // TFLM's kernel computes sigmoid gates and tanh
  const activations = recurrentActivations('LSTM', node.attrs, reverse.length);
  if ('reason' in activations || !isDefaultActivations('LSTM', activations)) return undefined;
  const [seq, batch] = layout === 0 ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]];
  const hidden = r.shape[2];
  // shapes as ONNX defines them (else the float kernel's lowering refuses the model in one line)
  const w = optionalInput(graph, node, 1);
  const b = optionalInput(graph, node, 3);
  const dirs = reverse.length;
  const is = (t: Tensor | undefined, dims: number[]): boolean => !!t && t.shape.length === dims.length && t.shape.every((d, i) => d === dims[i]);
  if (!is(w, [dirs, 4 * hidden, x.shape[2]]) || !is(r, [dirs, 4 * hidden, hidden]) || (b && !is(b, [dirs, 8 * hidden]))) return undefined;
  if (node.attrs.hidden_size !== undefined && Number(node.attrs.hidden_size) !== hidden) return undefined;
  const seqLens = optionalInput(graph, node, 4);
  if (seqLens && (!seqLens.data || Array.from(seqLens.data).some((v) => Number(v) !== seq))) return undefined;
  const peepholes = optionalInput(graph, node, 7);
  if (peepholes && !allZero(peepholes)) return undefined;
  const [h0, c0] = [5, 6].map((slot) => optionalInput(graph, node, slot));
  const given = [h0, c0].map((t) => t !== undefined && !t.data);
  if ([h0, c0].some((t, i) => t !== undefined && !given[i] && !allZero(t))) return undefined;
  if (given.some(Boolean) && (!given.every(Boolean) || reverse.length !== 1)) return undefined;
  const wScale = gateScales(w, reverse.length, hidden);
  const rScale = gateScales(r, reverse.length, hidden);
  if (!wScale || !rScale) return undefined;
  const [y, yh, yc] = [0, 1, 2].map((k) => node.outputs[k]);
  const stateful = given[0];
  const cellOut = isRead(graph, yc);
  const hiddens = [y, yh].filter((name) => isRead(graph, name)).map((name) => graph.tensors.get(name!));
  if (stateful) hiddens.push(h0);
  if (hiddens.length === 0 || !hiddens.every(perTensorInt8)) return undefined;
  const hiddenQuant = (hiddens[0] as Tensor).quant as QuantInfo;
  if (!hiddens.every((t) => sameQuant((t as Tensor).quant as QuantInfo, hiddenQuant))) return undefined;
  const cellScale = cellScaleOf(graph, node, seq, stateful);
  if (cellScale === undefined) return undefined;
  if (stateful || cellOut) {
    // the cell state the kernel reads and writes: int16 at the cell scale, on both sides
    const cells = [stateful ? c0 : undefined, cellOut ? graph.tensors.get(yc!) : undefined].filter((t): t is Tensor => t !== undefined);
    if (!cells.every((t) => t.dtype === 'int16' && t.quant?.axis === -1 && t.quant.zeroPoint[0] === 0 && t.quant.scale[0] === cellScale)) return undefined;
  }
  const state = stateful ? { h: (h0 as Tensor).name, c: (c0 as Tensor).name } : undefined;
  const lstm: Omit<IntegerLstm, 'biases'> = { node, seq, batch, inputSize: x.shape[2], hidden, layout, reverse, x: x.quant, hiddenQuant, cellScale, wScale, rScale, state, cellOut };
  // every direction's (an int32 B may overflow in one direction only)
  const biases = reverse.map((_, d) => Array.from({ length: GATES }, (__, g) => gateBias(graph, lstm, d, g)));
  return biases.every((perGate) => perGate.every((b) => b !== undefined)) ? { ...lstm, biases: biases as Int32Array[][] } : undefined;
}

/**
 * int32 bias of TFLM gate `g` of direction d at scale X × W_g: an int32 B
 * at that scale is used as is (Wb + Rb), a float B is quantized (round half
 * away from zero, as the TFLite converter does). Undefined: an int32 B at
 * another scale.
 */
function gateBias(graph: Graph, l: Omit<IntegerLstm, 'biases'>, d: number, g: number): Int32Array | undefined {
  const b = optionalInput(graph, l.node, 3);
  const h = l.hidden;
  const out = new Int32Array(h);
  if (!b) return out;
  if (!b.data) return undefined;
  const gate = ONNX_GATE_OF_TFLM[g];
  const scale = l.x.scale[0] * l.wScale[d][g];
  const base = d * 2 * GATES * h;
  const at = (k: number, j: number): number => base + k * GATES * h + gate * h + j;
  if (b.dtype === 'float32') {
    for (let j = 0; j < h; j++) {
      const real = Number(b.data[at(0, j)]) + Number(b.data[at(1, j)]);
      out[j] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.sign(real) * Math.round(Math.abs(real) / scale)));
    }
    return out;
  }
  if (b.dtype !== 'int32' || !b.quant || b.quant.zeroPoint.some((z) => z !== 0)) return undefined;
  const q = b.quant;
  const scaleAt = (k: number, j: number): number => (q.axis === -1 ? q.scale[0] : q.scale[k * GATES * h + gate * h + j]);
  for (let j = 0; j < h; j++) {
    for (const k of [0, 1]) if (Math.abs(scaleAt(k, j) - scale) > scale * 1e-6) return undefined;
    const sum = Number(b.data[at(0, j)]) + Number(b.data[at(1, j)]);
    if (sum < -(2 ** 31) || sum > 2 ** 31 - 1) return undefined;
    out[j] = sum;
  }
  return out;
}

/** Builds the replacement nodes of one LSTM. */
class Rewriter {
  readonly nodes: Node[] = [];
  constructor(private readonly graph: Graph, private readonly l: IntegerLstm) {}

  private tensor(base: string, t: Omit<Tensor, 'name'>): string {
    const name = uniqueTensorName(this.graph, `${this.l.node.name}_${base}`);
    this.graph.tensors.set(name, { name, ...t });
    return name;
  }

  private int64(base: string, values: number[]): string {
    return this.tensor(base, { dtype: 'int64', shape: [values.length], data: Float64Array.from(values) });
  }

  private activation(base: string, shape: number[], into?: string): string {
    if (into !== undefined) return into;
    return this.tensor(base, { dtype: 'int8', shape, quant: { ...this.l.hiddenQuant } });
  }

  /** An int16 cell state tensor [batch, H]. */
  cell(base: string): string {
    return this.tensor(base, { dtype: 'int16', shape: [this.l.batch, this.l.hidden], quant: { scale: [this.l.cellScale], zeroPoint: [0], axis: -1 } });
  }

  /** [batch, H] int8 hidden state. */
  hiddenState(base: string): string {
    return this.activation(base, [this.l.batch, this.l.hidden]);
  }

  /** A node named after its output (which already carries the LSTM's name). */
  private add(opType: string, inputs: string[], outputs: string[], attrs: Node['attrs'] = {}): void {
    this.nodes.push({ name: uniqueNodeName(this.graph, this.nodes, outputs[0]), opType, domain: opType.startsWith('edgec.') ? 'edgec' : '', inputs, outputs, attrs });
  }

  /** Gate g's [H, K] rows of direction d of a [dirs, 4H, K] int8 weight, as a per-tensor constant. */
  private gateWeight(slot: number, d: number, g: number, scale: number, tag: string): string {
    const w = this.graph.tensors.get(this.l.node.inputs[slot]) as Tensor;
    const [k, h] = [w.shape[2], this.l.hidden];
    const start = (d * GATES + ONNX_GATE_OF_TFLM[g]) * h * k;
    const data = Int8Array.from((w.data as Int8Array).subarray(start, start + h * k));
    return this.tensor(`d${d}_${tag}${g}`, { dtype: 'int8', shape: [h, k], data, quant: { scale: [scale], zeroPoint: [0], axis: -1 } });
  }

  /** The kernel's output for direction d: [seq, batch, H] (layout 0) or [batch, seq, H]; with a given state, also its final h and c [batch, H]. */
  direction(d: number): { y: string; finalState?: { h: string; c: string } } {
    const l = this.l;
    const wIn = [0, 1, 2, 3].map((g) => this.gateWeight(1, d, g, l.wScale[d][g], 'w'));
    const wRec = [0, 1, 2, 3].map((g) => this.gateWeight(2, d, g, l.rScale[d][g], 'r'));
    const biases = l.biases[d].map((data, g) => this.tensor(`d${d}_b${g}`, { dtype: 'int32', shape: [l.hidden], data }));
    const shape = l.layout === 0 ? [l.seq, l.batch, l.hidden] : [l.batch, l.seq, l.hidden];
    const out = this.activation(`d${d}_y`, shape);
    // a given state: [1, batch, H] / [batch, 1, H] as the kernel's [batch, H] in, the final state out
    const stateIn = l.state ? [this.reshape(l.state.h, [l.batch, l.hidden], 'h0'), this.reshapeCell(l.state.c, 'c0')] : [];
    const finalState = l.state || l.cellOut ? { h: this.hiddenState(`d${d}_h_final`), c: this.cell(`d${d}_c_final`) } : undefined;
    this.add(TFL_LSTM_OP, [l.node.inputs[0], ...wIn, ...wRec, ...biases, ...stateIn], [out, ...(finalState ? [finalState.h, finalState.c] : [])], tflLstmAttrs({
      timeMajor: l.layout === 0, cellClip: 0, cellScale: l.cellScale, hiddenScale: l.hiddenQuant.scale[0], hiddenZeroPoint: l.hiddenQuant.zeroPoint[0],
      cellActivation: 'tanh', hiddenStateName: `${l.node.name}_d${d}_h`, cellStateName: `${l.node.name}_d${d}_c`, reverse: l.reverse[d],
    }));
    return { y: out, finalState };
  }

  /** An int16 cell state to `shape` (the kernel's [batch, H], or into Y_c's ONNX shape). */
  reshapeCell(input: string, tag: string, into?: string, shape = [this.l.batch, this.l.hidden]): string {
    const out = into ?? this.tensor(tag, { dtype: 'int16', shape, quant: { scale: [this.l.cellScale], zeroPoint: [0], axis: -1 } });
    this.add('Reshape', [input, this.int64(`${tag}_shape`, shape)], [out]);
    return out;
  }

  /** int16 cell states joined along `axis` into `into`. */
  joinCells(pieces: string[], axis: number, into: string): void {
    this.add('Concat', pieces, [into], { axis });
  }

  reshape(input: string, shape: number[], tag: string, into?: string): string {
    const out = this.activation(tag, shape, into);
    this.add('Reshape', [input, this.int64(`${tag}_shape`, shape)], [out]);
    return out;
  }

  /** One piece per direction joined along `axis` into `into` (a reshape when there is one direction). */
  join(pieces: string[], axis: number, shape: number[], into: string): void {
    if (pieces.length === 1) { this.reshape(pieces[0], shape, 'joined', into); return; }
    this.add('Concat', pieces, [into], { axis });
  }

  /** Step t of a direction's output along the time axis, keeping the axis. */
  step(y: string, t: number, d: number): string {
    const l = this.l;
    const axis = l.layout === 0 ? 0 : 1;
    const shape = l.layout === 0 ? [1, l.batch, l.hidden] : [l.batch, 1, l.hidden];
    const out = this.activation(`d${d}_last`, shape);
    this.add('Slice', [y, this.int64(`d${d}_start`, [t]), this.int64(`d${d}_end`, [t + 1]), this.int64(`d${d}_axes`, [axis])], [out]);
    return out;
  }
}

function rewrite(graph: Graph, l: IntegerLstm): Node[] {
  const w = new Rewriter(graph, l);
  const outs = l.reverse.map((_, d) => w.direction(d));
  const ys = outs.map((o) => o.y);
  const dirs = ys.length;
  const { seq, batch, hidden, layout } = l;
  const [y, yh] = l.node.outputs;
  if (isRead(graph, y)) {
    // Y: [seq, dirs, batch, hidden] (layout 0) or [batch, seq, dirs, hidden] (layout 1)
    const piece = layout === 0 ? [seq, 1, batch, hidden] : [batch, seq, 1, hidden];
    const pieces = dirs === 1 ? ys : ys.map((yd, d) => w.reshape(yd, piece, `d${d}_y4`));
    w.join(pieces, layout === 0 ? 1 : 2, layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden], y);
  }
  const finalState = outs[0].finalState;
  const stateShape = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  if (isRead(graph, yh) && finalState && dirs === 1) w.reshape(finalState.h, stateShape, 'y_h', yh);
  else if (isRead(graph, yh)) {
    // Y_h: the last step of a forward direction, the first of a reverse one
    const lasts = ys.map((yd, d) => w.step(yd, l.reverse[d] ? 0 : seq - 1, d));
    w.join(lasts, layout === 0 ? 0 : 1, stateShape, yh);
  }
  const yc = l.node.outputs[2];
  if (l.cellOut) {
    // Y_c: each direction's final cell state, joined on the direction axis
    const cells = outs.map((o) => (o.finalState as { c: string }).c);
    if (dirs === 1) w.reshapeCell(cells[0], 'y_c', yc, stateShape);
    else w.joinCells(cells.map((c, d) => w.reshapeCell(c, `d${d}_c4`, undefined, layout === 0 ? [1, batch, hidden] : [batch, 1, hidden])), layout === 0 ? 0 : 1, yc);
  }
  return w.nodes;
}

/** Rewrites every qualifying LSTM (see the file comment); the others are left as they are. */
export function integerLstmPass(graph: Graph): Graph {
  const plans = graph.nodes.map((n) => integerLstm(graph, n));
  if (plans.every((p) => p === undefined)) return graph;
  const nodes: Node[] = [];
  graph.nodes.forEach((node, i) => {
    const plan = plans[i];
    if (plan === undefined) { nodes.push(node); return; }
    nodes.push(...rewrite(graph, plan));
  });
  graph.nodes = nodes;
  pruneTensors(graph);
  return graph;
}
