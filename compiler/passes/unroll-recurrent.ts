/**
 * Float pass: ONNX LSTM and GRU become the ops of each time step (Gather of
 * x_t, Concat [x_t, h], one Gemm per gate, Sigmoid/Tanh, Mul/Add/Sub,
 * Reshape + Concat for Y, Y_h, Y_c), all of which edgec already runs in
 * int8. It runs before quantization so PTQ calibrates every intermediate.
 *
 * Why one Gemm per gate (not one for all gates, then Split): each gate's
 * pre-activation gets its own int8 range; the candidate (Tanh) gate is often
 * twice as wide as the sigmoid gates.
 *
 * The same tensor of every time step (gate pre-activations and outputs, the
 * [x_t, h] concat, GRU's state) is listed in `graph.tiedRanges`: the
 * quantizer gives the group one range (the union), so every step has the same
 * quantization, hence the same int8 bias, multipliers and LUT tables, which
 * the lowering keeps once in flash (passes/share-constants.ts). The LSTM cell
 * state and h keep per-step ranges (see lstmStep).
 *
 * With --stateful (graph.statePairs names the node's initial state), every
 * tensor of a step is tied across steps, and the state tensors h (and c)
 * with the state input: a build with T steps per invoke and one with 1 step
 * calibrated step by step (quantize/stream.ts) then quantize every step the
 * same way, so streaming frame by frame gives the whole-sequence bytes, and
 * the final state copies into the state input exactly.
 *
 * A zero (absent) initial state is not materialised: step 0 skips the
 * recurrent half (its Gemm reads x_t only, with both biases; no f·c term).
 *
 * Activations: the defaults, Relu, HardSigmoid, LeakyRelu (Keras' relu and
 * hard_sigmoid through tf2onnx; ops/recurrent-float.ts recurrentActivations),
 * each an int8 table once quantized.
 *
 * Refused with one line naming the node: other activations, clip,
 * input_forget, peepholes, sequence_lens other than the full length, W/R/B
 * computed at run time, constant non-zero initial states.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { modelError } from '../errors.js';
import { allZero, isRead, optionalInput, pruneTensors, uniqueNodeName, uniqueTensorName } from './graph-edit.js';
import { isDefaultActivations, recurrentActivations, type RecurrentActivation } from '../ops/recurrent-float.js';

type Kind = 'LSTM' | 'GRU';
type Direction = 'forward' | 'reverse';

const GATE_COUNT: Record<Kind, number> = { LSTM: 4, GRU: 3 };

interface RecurrentShape {
  kind: Kind;
  seq: number;
  batch: number;
  inputSize: number;
  hidden: number;
  layout: 0 | 1;
  directions: Direction[];
  linearBeforeReset: boolean;
  /** One direction's activations: LSTM f, g, h; GRU f, g. */
  activations: RecurrentActivation[];
}

/** Float weights of one direction: W [G·H, I], R [G·H, H], Wb and Rb [G·H], row-major. */
interface DirectionWeights { w: Float32Array; r: Float32Array; wb: Float32Array; rb: Float32Array }

function isRecurrent(node: Node): boolean {
  return (node.opType === 'LSTM' || node.opType === 'GRU') && (node.domain === '' || node.domain === 'ai.onnx');
}

/** Checks every attribute and input the unrolled form does not implement; refuses with one line. */
function recurrentShape(graph: Graph, node: Node): RecurrentShape {
  const kind = node.opType as Kind;
  const fail = (reason: string, hint?: string): never => { throw modelError(graph.fileName, node, reason, hint); };
  const x = graph.tensors.get(node.inputs[0]) as Tensor;
  const r = graph.tensors.get(node.inputs[2]) as Tensor;
  const layout = Number(node.attrs.layout ?? 0) as 0 | 1;
  const direction = String(node.attrs.direction ?? 'forward');
  const directions: Direction[] = direction === 'bidirectional' ? ['forward', 'reverse'] : [direction as Direction];
  const [seq, batch] = layout === 0 ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]];
  const activations = recurrentActivations(kind, node.attrs, directions.length);
  if ('reason' in activations) fail(activations.reason);
  if (node.attrs.clip !== undefined) fail(`attribute 'clip' is ${String(node.attrs.clip)}; cell clipping is not supported`, 're-export the model without clip');
  if (kind === 'LSTM' && Number(node.attrs.input_forget ?? 0) !== 0) fail(`attribute 'input_forget' is ${String(node.attrs.input_forget)}; coupled input-forget gates are not supported`);
  for (const [slot, what] of [[1, 'W'], [2, 'R'], [3, 'B']] as const) {
    const t = optionalInput(graph, node, slot);
    if (t && (!t.data || t.dtype !== 'float32')) fail(`${what} '${t.name}' must be a float32 constant (it is computed at run time or ${t.dtype})`);
  }
  const seqLens = optionalInput(graph, node, 4);
  if (seqLens) {
    if (!seqLens.data) fail(`sequence_lens '${seqLens.name}' is computed at run time; edgec supports only sequences of the full length ${seq}`, 'drop sequence_lens from the export');
    const bad = Array.from(seqLens.data!).find((v) => Number(v) !== seq);
    if (bad !== undefined) fail(`sequence_lens holds ${bad}; edgec supports only sequences of the full length ${seq}`);
  }
  const peepholes = kind === 'LSTM' ? optionalInput(graph, node, 7) : undefined;
  if (peepholes && !allZero(peepholes)) fail(`peephole weights P '${peepholes.name}' are not supported`);
  for (const slot of kind === 'LSTM' ? [5, 6] : [5]) {
    const s = optionalInput(graph, node, slot);
    if (s?.data && !allZero(s)) fail(`constant non-zero initial state '${s.name}' is not supported`, 'make it a model input or zero');
  }
  return {
    kind, seq, batch, inputSize: x.shape[2], hidden: r.shape[2], layout, directions,
    linearBeforeReset: kind === 'GRU' && Number(node.attrs.linear_before_reset ?? 0) !== 0,
    activations: activations as RecurrentActivation[],
  };
}

function directionWeights(graph: Graph, node: Node, shape: RecurrentShape, d: number): DirectionWeights {
  const gh = GATE_COUNT[shape.kind] * shape.hidden;
  const slice = (t: Tensor, len: number, offset: number): Float32Array => Float32Array.from((t.data as Float32Array).subarray(offset, offset + len));
  const w = graph.tensors.get(node.inputs[1]) as Tensor;
  const r = graph.tensors.get(node.inputs[2]) as Tensor;
  const b = optionalInput(graph, node, 3);
  return {
    w: slice(w, gh * shape.inputSize, d * gh * shape.inputSize),
    r: slice(r, gh * shape.hidden, d * gh * shape.hidden),
    wb: b ? slice(b, gh, d * 2 * gh) : new Float32Array(gh),
    rb: b ? slice(b, gh, d * 2 * gh + gh) : new Float32Array(gh),
  };
}

/** Appends the nodes and tensors of one unrolled cell; records the tied-range groups. */
class Unroller {
  readonly nodes: Node[] = [];
  readonly groups = new Map<string, string[]>();
  private readonly weightCache = new Map<string, string>();

  /** `tieSteps`: a stateful node; every per-step tensor joins its group across steps (`d<d>_t<t>_<what>` -> `d<d>/<what>`). */
  constructor(private readonly graph: Graph, private readonly node: Node, readonly shape: RecurrentShape, private readonly tieSteps = false) {}

  /** Adds `name` to a tie group (a state input or output joining its per-step tensors). */
  tie(group: string, name: string): void {
    const members = this.groups.get(group) ?? [];
    members.push(name);
    this.groups.set(group, members);
  }

  constant(base: string, dtype: 'float32' | 'int64', shape: number[], data: Float32Array | Float64Array): string {
    const name = uniqueTensorName(this.graph, `${this.node.name}_${base}`);
    this.graph.tensors.set(name, { name, dtype, shape, data });
    return name;
  }

  /** A node writing a new float tensor (or `into`, an existing output name); `group` ties its range across steps. */
  op(opType: string, inputs: string[], shape: number[], tag: string, group?: string, attrs: Node['attrs'] = {}, into?: string): string {
    const out = into ?? uniqueTensorName(this.graph, `${this.node.name}_${tag}`);
    this.graph.tensors.set(out, { name: out, dtype: 'float32', shape });
    this.nodes.push({ name: uniqueNodeName(this.graph, this.nodes, `${this.node.name}_${tag}`), opType, domain: '', inputs, outputs: [out], attrs });
    const stepGroup = this.tieSteps ? /^(d\d+)_t\d+_(.+)$/.exec(tag) : null;
    const tiedGroup = group ?? (stepGroup ? `${stepGroup[1]}/${stepGroup[2]}` : undefined);
    if (tiedGroup !== undefined) this.tie(tiedGroup, out);
    return out;
  }

  /** Activation `a` (an int8 table once quantized) of `input`. */
  act(a: RecurrentActivation, input: string, tag: string, group?: string): string {
    const attrs: Node['attrs'] = a.kind === 'HardSigmoid' ? { alpha: a.alpha, beta: a.beta } : a.kind === 'LeakyRelu' ? { alpha: a.alpha } : {};
    return this.op(a.kind, [input], [this.shape.batch, this.shape.hidden], tag, group, attrs);
  }

  reshape(input: string, shape: number[], tag: string, into?: string): string {
    const target = this.constant(`${tag}_shape`, 'int64', [shape.length], Float64Array.from(shape));
    return this.op('Reshape', [input, target], shape, tag, undefined, {}, into);
  }

  /** x_t [batch, input] of sequence X (either layout). */
  step(x: string, t: number): string {
    const index = this.constant(`t${t}_index`, 'int64', [], Float64Array.of(t));
    return this.op('Gather', [x, index], [this.shape.batch, this.shape.inputSize], `x_t${t}`, undefined, { axis: this.shape.layout === 0 ? 0 : 1 });
  }

  /** Initial state of direction d, [batch, hidden], or undefined when absent or zero. */
  initialState(name: string | undefined, d: number, tag: string): string | undefined {
    if (name === undefined || name === '') return undefined;
    const t = this.graph.tensors.get(name) as Tensor;
    if (t.data) return undefined; // zero (non-zero constants are refused)
    // one direction: [1, batch, H] / [batch, 1, H] holds the state's bytes as they are (a Reshape keeps an int16 state int16)
    if (this.shape.directions.length === 1) return this.reshape(name, [this.shape.batch, this.shape.hidden], tag);
    const index = this.constant(`${tag}_index`, 'int64', [], Float64Array.of(d));
    return this.op('Gather', [name, index], [this.shape.batch, this.shape.hidden], tag, undefined, { axis: this.shape.layout === 0 ? 0 : 1 });
  }

  /**
   * Gemm weight [hidden, K] of gate g: W's rows, followed by R's rows when the
   * step reads [x_t, h] (withR); one constant per (direction, gate, form).
   */
  gateWeight(dw: DirectionWeights, d: number, g: number, parts: { w: boolean; r: boolean }): string {
    const key = `${d}/${g}/${parts.w}/${parts.r}`;
    const cached = this.weightCache.get(key);
    if (cached) return cached;
    const { hidden, inputSize } = this.shape;
    const k = (parts.w ? inputSize : 0) + (parts.r ? hidden : 0);
    const data = new Float32Array(hidden * k);
    for (let row = 0; row < hidden; row++) {
      const gr = g * hidden + row;
      let col = 0;
      if (parts.w) { data.set(dw.w.subarray(gr * inputSize, (gr + 1) * inputSize), row * k); col = inputSize; }
      if (parts.r) data.set(dw.r.subarray(gr * hidden, (gr + 1) * hidden), row * k + col);
    }
    const name = this.constant(`d${d}_g${g}_${parts.w ? 'W' : ''}${parts.r ? 'R' : ''}`, 'float32', [hidden, k], data);
    this.weightCache.set(key, name);
    return name;
  }

  gateBias(dw: DirectionWeights, d: number, g: number, parts: { wb: boolean; rb: boolean }): string {
    const key = `bias/${d}/${g}/${parts.wb}/${parts.rb}`;
    const cached = this.weightCache.get(key);
    if (cached) return cached;
    const { hidden } = this.shape;
    const data = Float32Array.from({ length: hidden }, (_, i) => (parts.wb ? dw.wb[g * hidden + i] : 0) + (parts.rb ? dw.rb[g * hidden + i] : 0));
    const name = this.constant(`d${d}_g${g}_bias`, 'float32', [hidden], data);
    this.weightCache.set(key, name);
    return name;
  }

  gemm(input: string, weight: string, bias: string, tag: string, group: string): string {
    return this.op('Gemm', [input, weight, bias], [this.shape.batch, this.shape.hidden], tag, group, { alpha: 1, beta: 1, transA: 0, transB: 1 });
  }

  concatFeatures(a: string, b: string, width: number, tag: string, group: string): string {
    return this.op('Concat', [a, b], [this.shape.batch, width], tag, group, { axis: 1 });
  }

  /** Stacks pieces along `axis` into `into` (Reshape when there is one piece). */
  join(pieces: string[], axis: number, shape: number[], tag: string, into?: string): string {
    if (pieces.length === 1) return this.reshape(pieces[0], shape, tag, into);
    return this.op('Concat', pieces, shape, tag, undefined, { axis }, into);
  }
}

interface StepState { h?: string; c?: string }

/** One LSTM step (gates i, o, f, c as in ONNX). */
function lstmStep(u: Unroller, dw: DirectionWeights, d: number, t: number, x: string, prev: StepState): Required<StepState> {
  const { inputSize, hidden } = u.shape;
  const tag = (what: string): string => `d${d}_t${t}_${what}`;
  const input = prev.h ? u.concatFeatures(x, prev.h, inputSize + hidden, tag('xh'), `d${d}/xh`) : x;
  const parts = { w: true, r: prev.h !== undefined };
  // without h, the recurrent product is zero but its bias Rb still applies
  const gate = (g: number, name: string): string => u.gemm(input, u.gateWeight(dw, d, g, parts), u.gateBias(dw, d, g, { wb: true, rb: true }), tag(`pre_${name}`), `d${d}/pre_${name}`);
  const [actF, actG, actH] = u.shape.activations;
  const i = u.act(actF, gate(0, 'i'), tag('i'), `d${d}/i`);
  const o = u.act(actF, gate(1, 'o'), tag('o'), `d${d}/o`);
  const f = prev.c ? u.act(actF, gate(2, 'f'), tag('f'), `d${d}/f`) : undefined;
  const cand = u.act(actG, gate(3, 'g'), tag('g'), `d${d}/g`);
  const s = [u.shape.batch, hidden];
  // The cell state (and h) keep a range per step: c grows along the sequence (why TFLM
  // keeps it int16), and one range for all steps cost 1.5-7 dB of output SQNR on the
  // fixtures (Keras LSTM 28.3 -> 35.3 dB). Their Mul/Add take scalar parameters; the
  // price is one 256-byte tanh(c) table per step.
  let c: string;
  if (prev.c && f) {
    const ig = u.op('Mul', [i, cand], s, tag('ig'));
    const fc = u.op('Mul', [f, prev.c], s, tag('fc'));
    c = u.op('Add', [fc, ig], s, tag('c'));
  } else {
    c = u.op('Mul', [i, cand], s, tag('c')); // c_0 = i ⊙ g: the cell state itself
  }
  const tc = u.act(actH, c, tag('tanh_c'), `d${d}/tanh_c`);
  const h = u.op('Mul', [o, tc], s, tag('h'));
  return { h, c };
}

/** One GRU step (gates z, r, h as in ONNX; linear_before_reset both ways). */
function gruStep(u: Unroller, dw: DirectionWeights, d: number, t: number, x: string, prev: StepState): { h: string } {
  const { inputSize, hidden, batch, linearBeforeReset } = u.shape;
  const s = [batch, hidden];
  const tag = (what: string): string => `d${d}_t${t}_${what}`;
  const h = prev.h;
  const xh = h ? u.concatFeatures(x, h, inputSize + hidden, tag('xh'), `d${d}/xh`) : x;
  const both = { w: true, r: h !== undefined };
  const [actF, actG] = u.shape.activations;
  const sig = (g: number, name: string): string =>
    u.act(actF, u.gemm(xh, u.gateWeight(dw, d, g, both), u.gateBias(dw, d, g, { wb: true, rb: true }), tag(`pre_${name}`), `d${d}/pre_${name}`), tag(name), `d${d}/${name}`);
  const z = sig(0, 'z');
  let pre: string;
  if (!linearBeforeReset) {
    // (r ⊙ h) Rh: r only matters when there is a previous h
    const input = h ? u.concatFeatures(x, u.op('Mul', [sig(1, 'r'), h], s, tag('rh'), `d${d}/rh`), inputSize + hidden, tag('xrh'), `d${d}/xrh`) : x;
    pre = u.gemm(input, u.gateWeight(dw, d, 2, both), u.gateBias(dw, d, 2, { wb: true, rb: true }), tag('pre_h'), `d${d}/pre_h`);
  } else {
    // r ⊙ (h Rh + Rbh): with h = 0 the bracket is the constant Rbh
    const xPart = u.gemm(x, u.gateWeight(dw, d, 2, { w: true, r: false }), u.gateBias(dw, d, 2, { wb: true, rb: false }), tag('x_h'), `d${d}/x_h`);
    const rbh = dw.rb.subarray(2 * hidden, 3 * hidden);
    const hPart = h
      ? u.gemm(h, u.gateWeight(dw, d, 2, { w: false, r: true }), u.gateBias(dw, d, 2, { wb: false, rb: true }), tag('h_h'), `d${d}/h_h`)
      : rbh.some((v) => v !== 0) ? u.constant(`d${d}_Rbh`, 'float32', [hidden], Float32Array.from(rbh)) : undefined;
    pre = hPart ? u.op('Add', [xPart, u.op('Mul', [sig(1, 'r'), hPart], s, tag('r_hh'), `d${d}/r_hh`)], s, tag('pre_h'), `d${d}/pre_h`) : xPart;
  }
  const cand = u.act(actG, pre, tag('hh'), `d${d}/hh`);
  // h' = (1 − z) ⊙ ĥ + z ⊙ h = ĥ + z ⊙ (h − ĥ); with h = 0: ĥ − z ⊙ ĥ
  if (!h) return { h: u.op('Sub', [cand, u.op('Mul', [z, cand], s, tag('zh'), `d${d}/zh0`)], s, tag('h'), `d${d}/h`) };
  const diff = u.op('Sub', [h, cand], s, tag('diff'), `d${d}/diff`);
  return { h: u.op('Add', [cand, u.op('Mul', [z, diff], s, tag('zd'), `d${d}/zd`)], s, tag('h'), `d${d}/h`) };
}

function unrollNode(graph: Graph, node: Node): { nodes: Node[]; groups: string[][] } {
  const shape = recurrentShape(graph, node);
  const stateful = (graph.statePairs ?? []).some((p) => p.input !== '' && (p.input === node.inputs[5] || p.input === node.inputs[6]));
  const u = new Unroller(graph, node, shape, stateful);
  const { seq, batch, hidden, layout, directions } = shape;
  const dirs = directions.length;
  const x = node.inputs[0];
  const steps = Array.from({ length: seq }, (_, t) => u.step(x, t));
  const hs: string[][] = [];
  const finals: Required<StepState>[] = [];
  directions.forEach((direction, d) => {
    const dw = directionWeights(graph, node, shape, d);
    let state: StepState = { h: u.initialState(node.inputs[5], d, `d${d}_h0`), c: shape.kind === 'LSTM' ? u.initialState(node.inputs[6], d, `d${d}_c0`) : undefined };
    const perStep: string[] = new Array<string>(seq);
    const order = direction === 'forward' ? [...steps.keys()] : [...steps.keys()].reverse();
    for (const t of order) {
      state = shape.kind === 'LSTM' ? lstmStep(u, dw, d, t, steps[t], state) : gruStep(u, dw, d, t, steps[t], state);
      perStep[t] = state.h as string;
    }
    hs.push(perStep);
    finals.push({ h: state.h as string, c: state.c ?? '' });
  });
  const [yName, yhName, ycName] = node.outputs;
  if (stateful) {
    // the state inputs share the per-step state's quantization (state-pairs.ts ties them with Y_h / Y_c)
    if (node.inputs[5]) u.tie('d0/h', node.inputs[5]);
    if (node.inputs[6]) u.tie('d0/c', node.inputs[6]);
    if (yName && seq > 1) u.tie('d0/h', yName);
  }
  if (isRead(graph, yName)) {
    // Y: [seq, dirs, batch, hidden] (layout 0) or [batch, seq, dirs, hidden] (layout 1)
    const piece = layout === 0 ? [1, 1, batch, hidden] : [batch, 1, 1, hidden];
    const perDir = hs.map((perStep, d) => u.join(
      perStep.map((h, t) => u.reshape(h, piece, `d${d}_t${t}_y`)), layout === 0 ? 0 : 1,
      layout === 0 ? [seq, 1, batch, hidden] : [batch, seq, 1, hidden], `d${d}_y`, dirs === 1 ? yName : undefined));
    if (dirs > 1) u.join(perDir, layout === 0 ? 1 : 2, layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden], 'y', yName);
  }
  const finalState = (pick: (f: Required<StepState>) => string, out: string, tag: string): void => {
    const piece = layout === 0 ? [1, batch, hidden] : [batch, 1, hidden];
    const pieces = finals.map((f, d) => (dirs === 1 ? pick(f) : u.reshape(pick(f), piece, `d${d}_${tag}`)));
    u.join(pieces, layout === 0 ? 0 : 1, layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden], tag, out);
  };
  if (isRead(graph, yhName)) finalState((f) => f.h, yhName, 'y_h');
  if (isRead(graph, ycName)) finalState((f) => f.c, ycName, 'y_c');
  return { nodes: u.nodes, groups: [...u.groups.values()].filter((g) => g.length > 1) };
}

/**
 * An LSTM PTQ quantizes whole for TFLite Micro's integer kernel
 * (quantize/lstm-cell.ts, passes/integer-lstm.ts) instead of unrolling: int8
 * builds, the default activations, initial states absent, zero, or both given
 * at run time for one direction (a --stateful pair or model inputs). Its Y
 * and Y_c get names if the model left them out (Y gives the hidden state's
 * range, Y_c carries the cell scale); the caller ties Y, Y_h and a given
 * initial_h into one range (the kernel writes and reads one hidden state).
 */
function keepWholeForInteger(graph: Graph, node: Node): boolean {
  if (node.opType !== 'LSTM') return false;
  const shape = recurrentShape(graph, node); // refuses what neither form runs, in one line
  const { seq, batch, hidden, layout, directions } = shape;
  // TFLM's integer LSTM computes sigmoid gates and tanh; Relu / HardSigmoid LSTMs unroll into int8 tables
  if (!isDefaultActivations('LSTM', shape.activations)) return false;
  // initial states given at run time (a --stateful pair, or inputs): both h and c, one direction (the kernel's state in/out)
  const given = [5, 6].map((slot) => { const t = optionalInput(graph, node, slot); return t !== undefined && !t.data; });
  if (given.some(Boolean) && (!given.every(Boolean) || directions.length !== 1)) return false;
  const outShapes = [
    layout === 0 ? [seq, directions.length, batch, hidden] : [batch, seq, directions.length, hidden],
    layout === 0 ? [directions.length, batch, hidden] : [batch, directions.length, hidden],
  ];
  node.outputs = [0, 1, 2].map((k) => {
    const name = node.outputs[k] ?? '';
    if (name !== '' || k === 1) return name;
    const named = uniqueTensorName(graph, `${node.name}_${k === 0 ? 'Y' : 'Y_c'}`);
    graph.tensors.set(named, { name: named, dtype: 'float32', shape: outShapes[k === 0 ? 0 : 1] });
    return named;
  });
  return true;
}

/**
 * A recurrent node kept whole, as layout 0 (onnxruntime, which calibrates
 * it, runs no batch-major recurrent layer): with layout 1, X and the
 * initial states are transposed in, Y, Y_h and Y_c out, around the node.
 */
function asLayout0(graph: Graph, node: Node): Node[] {
  if (Number(node.attrs.layout ?? 0) !== 1) return [node];
  const before: Node[] = [];
  const after: Node[] = [];
  const transpose = (from: string, to: string, perm: number[], list: Node[]): void => {
    list.push({ name: uniqueNodeName(graph, [...before, ...after], `${node.name}_${to}_transpose`), opType: 'Transpose', domain: '', inputs: [from], outputs: [to], attrs: { perm } });
  };
  const permuted = (name: string, perm: number[]): string => {
    const t = graph.tensors.get(name) as Tensor;
    const out = uniqueTensorName(graph, `${name}_layout0`);
    graph.tensors.set(out, { name: out, dtype: t.dtype, shape: perm.map((p) => t.shape[p]) });
    return out;
  };
  node.inputs = node.inputs.map((name, slot) => {
    if (name === '' || !(slot === 0 || slot === 5 || slot === 6)) return name;
    const perm = [1, 0, 2]; // [batch, seq | dirs, ...] <-> [seq | dirs, batch, ...]
    const out = permuted(name, perm);
    transpose(name, out, perm, before);
    return out;
  });
  node.outputs = node.outputs.map((name, k) => {
    if (name === '') return name;
    // Y [batch, seq, dirs, H] <- [seq, dirs, batch, H]; Y_h, Y_c [batch, dirs, H] <- [dirs, batch, H]
    const [toLayout0, back] = k === 0 ? [[1, 2, 0, 3], [2, 0, 1, 3]] : [[1, 0, 2], [1, 0, 2]];
    if (!isRead(graph, name)) {
      // nothing reads it (keepWholeForInteger's Y / Y_c, for their quantization): the layout-0 tensor itself
      const t = graph.tensors.get(name) as Tensor;
      t.shape = toLayout0.map((p) => t.shape[p]);
      return name;
    }
    const inner = permuted(name, toLayout0);
    transpose(inner, name, back, after);
    return inner;
  });
  node.attrs = { ...node.attrs, layout: 0 };
  return [...before, node, ...after];
}

/**
 * `keepFloat`: LSTM / GRU nodes that stay float (--float-layers), one node
 * for the float recurrent kernel (ops/recurrent-float.ts). `integerLstm`:
 * LSTMs that qualify stay whole for the integer kernel (keepWholeForInteger);
 * the others (GRU, other activations, a state for two directions) unroll.
 * Nodes kept whole are written as layout 0 (asLayout0).
 */
export function unrollRecurrent(graph: Graph, keepFloat: ReadonlySet<string> = new Set(), integerLstm = false): Graph {
  if (!graph.nodes.some(isRecurrent)) return graph;
  const nodes: Node[] = [];
  const tied: string[][] = [...(graph.tiedRanges ?? [])];
  for (const node of graph.nodes) {
    if (!isRecurrent(node)) { nodes.push(node); continue; }
    if (keepFloat.has(node.name)) { nodes.push(...asLayout0(graph, node)); continue; }
    if (integerLstm && keepWholeForInteger(graph, node)) {
      nodes.push(...asLayout0(graph, node));
      // one hidden state quantization: every step's h (Y), the final one (Y_h), the one it starts from
      const hiddens = [node.outputs[0], node.outputs[1], node.inputs[5]].filter((name): name is string => (name ?? '') !== '' && !graph.tensors.get(name)?.data);
      if (hiddens.length > 1) tied.push(hiddens);
      continue;
    }
    const unrolled = unrollNode(graph, node);
    nodes.push(...unrolled.nodes);
    tied.push(...unrolled.groups);
  }
  graph.nodes = nodes;
  graph.tiedRanges = tied;
  pruneTensors(graph);
  return graph;
}

/**
 * LSTM / GRU nodes with an unbounded activation (Relu, LeakyRelu: Keras'
 * activation='relu'), which PTQ keeps float (quantize/index.ts): h grows
 * along the sequence (x250 over 16 steps in the Keras relu fixture). Unrolled
 * with the gates' ranges tied across steps it gave 5.6 dB of output SQNR on
 * its calibration samples; a variant with every step its own ranges and
 * constants (tried, not kept) 23.7 dB, at 3.7x the flash, where the float
 * layer gives 38.5.
 */
export function unboundedRecurrentLayers(graph: Graph): Node[] {
  return graph.nodes.filter((n) => {
    if (!isRecurrent(n)) return false;
    const acts = recurrentActivations(n.opType as Kind, n.attrs, String(n.attrs.direction ?? 'forward') === 'bidirectional' ? 2 : 1);
    return !('reason' in acts) && acts.some((a) => a.kind === 'Relu' || a.kind === 'LeakyRelu');
  });
}
