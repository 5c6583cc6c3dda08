/**
 * Integer LSTM as TFLite Micro's UNIDIRECTIONAL_SEQUENCE_LSTM computes it
 * (int8 input, hidden state and output, int8 weights, int16 cell state,
 * int32 bias): the TFLite front end maps the op to one `edgec.TflLstm` node
 * (compiler/tflite/import.ts), lowered here to one `lstm` kernel call
 * (runtime-c/edgec_lstm_s8.c).
 *
 * Every fixed-point parameter is derived here the way TFLM's
 * lstm_eval_common.cc derives it from the tensors' float32 scales: gate
 * pre-activations in Q3.12 (scale 2^-12), gate outputs in Q0.15, the cell
 * state in its power-of-two scale, the products requantized with
 * QuantizeMultiplier of the double-precision scale ratio.
 */
import type { Graph, Node, StatePair } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { identityPerm } from '../ir/layout.js';
import { quantizeMultiplier, type FixedPointMultiplier } from '../ir/quant.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { uniqueTensorName } from '../passes/graph-edit.js';
import { attrFloat, attrInt, attrString } from './attrs.js';
import type { EmitEnv, OpDefinition } from './types.js';

/** The Graph op the TFLite importer emits for UNIDIRECTIONAL_SEQUENCE_LSTM. */
export const TFL_LSTM_OP = 'edgec.TflLstm';

/**
 * Input slots of an `edgec.TflLstm` node: x, then the input weights of the
 * input, forget, cell and output gates, their recurrent weights, their biases.
 */
export const TFL_LSTM_INPUTS = 13;
/**
 * `--stateful` (passes/state-pairs.ts, exposeTflLstmState): slots 13 and 14
 * read the hidden (int8) and cell (int16) state the invoke starts from;
 * outputs 1 and 2 are the final hidden and cell state.
 */
const HIDDEN_IN = 13;
const CELL_IN = 14;
const GATES = 4;
const INPUT_WEIGHTS = 1;
const RECURRENT_WEIGHTS = 5;
const BIASES = 9;

/** Scale of the gates' pre-activations (Q3.12) and of their activations (Q0.15) in TFLM's integer LSTM. */
const GATE_INPUT_SCALE = 2 ** -12;
const GATE_OUTPUT_SCALE = 2 ** -15;

/** Attributes the importer sets on the node. */
export interface TflLstmAttrs {
  timeMajor: boolean;
  /** Real cell clip (0: none). */
  cellClip: number;
  /** Cell state scale (a power of two). */
  cellScale: number;
  /** Quantization of the hidden state (its variable tensor). */
  hiddenScale: number;
  hiddenZeroPoint: number;
  /** The cell gate's activation. */
  cellActivation: 'tanh' | 'sigmoid';
  /** Names of the model's hidden and cell state variable tensors (the --stateful state inputs are named after them). */
  hiddenStateName: string;
  cellStateName: string;
  /** Steps run last to first (an ONNX LSTM's reverse direction, passes/integer-lstm.ts); TFLite's op never is. */
  reverse?: boolean;
}

export function tflLstmAttrs(a: TflLstmAttrs): Record<string, number | string> {
  return {
    time_major: a.timeMajor ? 1 : 0, cell_clip: a.cellClip, cell_scale: a.cellScale,
    hidden_scale: a.hiddenScale, hidden_zero_point: a.hiddenZeroPoint, cell_activation: a.cellActivation,
    hidden_state: a.hiddenStateName, cell_state: a.cellStateName, reverse: a.reverse ? 1 : 0,
  };
}

/**
 * `--stateful` on a .tflite LSTM: TFLM keeps the hidden and cell state in
 * variable tensors that persist from one Invoke() to the next until
 * Reset(). Here they become a graph input / output pair each (the input
 * named after the variable tensor, the output `<name>_next`), the node
 * reads the inputs and writes the outputs, and the state pairs let
 * passes/stateful-program.ts keep them in the arena between invokes.
 */
export function exposeTflLstmState(graph: Graph, node: Node): StatePair[] {
  if (node.inputs.length !== TFL_LSTM_INPUTS) throw new Error(`internal: LSTM '${node.name}' already has state inputs`);
  const x = graph.tensors.get(node.inputs[0])!;
  const hidden = graph.tensors.get(node.inputs[RECURRENT_WEIGHTS])!.shape[0]!;
  const batches = attrInt(node, 'time_major', 0) === 1 ? x.shape[1]! : x.shape[0]!;
  const states = [
    { base: attrString(node, 'hidden_state', `${node.name}_hidden_state`), dtype: 'int8' as const, scale: attrFloat(node, 'hidden_scale', 0), zeroPoint: attrInt(node, 'hidden_zero_point', 0) },
    { base: attrString(node, 'cell_state', `${node.name}_cell_state`), dtype: 'int16' as const, scale: attrFloat(node, 'cell_scale', 0), zeroPoint: 0 },
  ];
  const pairs: StatePair[] = [];
  for (const st of states) {
    const quant = { scale: [st.scale], zeroPoint: [st.zeroPoint], axis: -1 };
    const input = uniqueTensorName(graph, st.base);
    graph.tensors.set(input, { name: input, dtype: st.dtype, shape: [batches, hidden], quant });
    const output = uniqueTensorName(graph, `${st.base}_next`);
    graph.tensors.set(output, { name: output, dtype: st.dtype, shape: [batches, hidden], quant: { ...quant } });
    node.inputs.push(input);
    node.outputs.push(output);
    graph.inputs.push(input);
    graph.outputs.push(output);
    pairs.push({ input, output });
  }
  return pairs;
}

/**
 * The cell state scale's exponent, as TFLM's CheckedLog2 requires: the
 * scale must be 2^k within 1e-3 in the exponent. Undefined otherwise.
 */
export function cellScalePower(scale: number): number | undefined {
  const log = Math.log2(scale);
  const power = Math.round(log);
  return Math.abs(log - power) < 1e-3 ? power : undefined;
}

/** The smallest power-of-two cell scale whose int16 range holds |c| up to `absMax` (2^-15 for a cell that stays 0). */
export function cellScaleHolding(absMax: number): number {
  return absMax > 0 ? 2 ** Math.ceil(Math.log2(absMax / 32767)) : 2 ** -15;
}

/**
 * TFLM's tanh of the cell state: the input is brought to the table's scale by
 * x * 3 << (12 + power) when that shift is not negative, else by
 * (x * 3 + round) >> -(12 + power) (lstm_eval.cc Tanh, integer_ops/tanh.h).
 */
export function cellTanhScaling(power: number): { mult: number; shift: number } {
  const leftShift = 15 + power - 3;
  return leftShift < 0 ? { mult: 3, shift: -leftShift } : { mult: 3 * 2 ** leftShift, shift: 0 };
}

/** TFLM's quantized cell clip: clip / scale clamped to int16, truncated toward zero. */
export function quantizedCellClip(clip: number, cellScale: number): number {
  if (!(clip > 0)) return 0;
  return Math.trunc(Math.min(Math.max(clip / cellScale, -32768), 32767));
}

/** QuantizeMultiplier of (a × b) / c in double, as TFLM's CreateInterGateMulParams and FC parameters compute it. */
function ratio(a: number, b: number, c: number): FixedPointMultiplier {
  return quantizeMultiplier((a * b) / c);
}

/** int8 weights with their (per-tensor) scale; the importer checked types, shapes and zero points. */
function weightData(ctx: LoweringContext, node: Node, slot: number): { data: Int8Array; scale: number } {
  const t = ctx.tensor(node.inputs[slot]);
  if (!t.data || !t.quant || t.dtype !== 'int8') throw ctx.fail(node, `weights '${t.name}' must be int8 quantized constants`);
  return { data: t.data as Int8Array, scale: t.quant.scale[0] };
}

/** int32 gate bias, used bit for bit in the input fully connected layer's accumulator (as TFLM does). */
function biasData(ctx: LoweringContext, node: Node, slot: number): Int32Array {
  const t = ctx.tensor(node.inputs[slot]);
  if (!t.data || t.dtype !== 'int32') throw ctx.fail(node, `gate bias '${t.name}' must be an int32 constant`);
  return t.data as Int32Array;
}

function concatInt8(parts: Int8Array[]): Int8Array {
  const out = new Int8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

function lowerTflLstm(node: Node, ctx: LoweringContext): void {
  const xName = node.inputs[0];
  const x = ctx.tensor(xName);
  const timeMajor = attrInt(node, 'time_major', 0) === 1;
  const [d0, d1, inputSize] = x.shape;
  const [steps, batches] = timeMajor ? [d0, d1] : [d1, d0];
  const inQ = ctx.quant(node, xName);
  const hiddenScale = attrFloat(node, 'hidden_scale', 0);
  const hiddenZeroPoint = attrInt(node, 'hidden_zero_point', 0);
  const cellScale = attrFloat(node, 'cell_scale', 0);
  const power = cellScalePower(cellScale);
  if (power === undefined) throw ctx.fail(node, `cell state scale ${cellScale} is not a power of two (TFLite Micro's integer LSTM requires one)`);
  const gates = Array.from({ length: GATES }, (_, g) => ({
    input: weightData(ctx, node, INPUT_WEIGHTS + g),
    recurrent: weightData(ctx, node, RECURRENT_WEIGHTS + g),
    bias: biasData(ctx, node, BIASES + g),
  }));
  const hidden = ctx.tensor(node.inputs[RECURRENT_WEIGHTS]).shape[0];
  const inputFc = gates.map((g) => ratio(inQ.scale, g.input.scale, GATE_INPUT_SCALE));
  const recurrentFc = gates.map((g) => ratio(hiddenScale, g.recurrent.scale, GATE_INPUT_SCALE));
  const forget = ratio(GATE_OUTPUT_SCALE, cellScale, cellScale);
  const update = ratio(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, cellScale);
  const toHidden = ratio(GATE_OUTPUT_SCALE, GATE_OUTPUT_SCALE, hiddenScale);
  const tanh = cellTanhScaling(power);
  const input = ctx.read(node, xName, identityPerm(3));
  const output = ctx.define(node.outputs[0], identityPerm(3));
  // --stateful: the state the invoke starts from (slots 13, 14) and the state it ends with (outputs 1, 2);
  // an ONNX LSTM whose Y_c is read has the outputs without the inputs (passes/integer-lstm.ts)
  const stateIn = node.inputs.length > HIDDEN_IN ? [HIDDEN_IN, CELL_IN].map((slot) => ctx.read(node, node.inputs[slot], identityPerm(2)).value) : [];
  const stateOut = node.outputs.length > 1 ? [1, 2].map((slot) => ctx.define(node.outputs[slot], identityPerm(2))) : [];
  const op: Op = {
    kind: 'lstm', name: node.name, onnxOp: 'UNIDIRECTIONAL_SEQUENCE_LSTM', inputs: [input.value, ...stateIn], outputs: [output, ...stateOut],
    params: {
      batches, steps, input_size: inputSize, hidden, time_major: timeMajor ? 1 : 0,
      input_offset: -inQ.zeroPoint, hidden_zero_point: hiddenZeroPoint,
      in_mult: inputFc.map((m) => m.mult), in_shift: inputFc.map((m) => m.shift),
      rec_mult: recurrentFc.map((m) => m.mult), rec_shift: recurrentFc.map((m) => m.shift),
      cell_gate_sigmoid: attrString(node, 'cell_activation', 'tanh') === 'sigmoid' ? 1 : 0,
      forget_mult: forget.mult, forget_shift: forget.shift, update_mult: update.mult, update_shift: update.shift,
      hidden_mult: toHidden.mult, hidden_shift: toHidden.shift,
      cell_clip: quantizedCellClip(attrFloat(node, 'cell_clip', 0), cellScale),
      tanh_cell_mult: tanh.mult, tanh_cell_shift: tanh.shift,
      reverse: attrInt(node, 'reverse', 0) === 1 ? 1 : 0,
    },
    consts: {
      w_in: ctx.addConst(`${node.name}_w_in`, 'int8', concatInt8(gates.map((g) => g.input.data))),
      w_rec: ctx.addConst(`${node.name}_w_rec`, 'int8', concatInt8(gates.map((g) => g.recurrent.data))),
      bias: ctx.addConst(`${node.name}_bias`, 'int32', Int32Array.from(gates.flatMap((g) => Array.from(g.bias)))),
    },
    // the eight gate fully connected layers of every step; the element-wise work is a few ops per hidden unit
    macs: batches * steps * GATES * hidden * (inputSize + hidden),
  };
  ctx.addOp(op);
}

/** Bytes of the kernel's arena scratch (EDGEC_LSTM_SCRATCH_BYTES in runtime-c/edgec_lstm.h: int16 cell state and three gate rows, int8 hidden state). */
export function lstmScratchBytes(op: Op): number {
  const batches = Number(op.params.batches);
  const hidden = Number(op.params.hidden);
  return 2 * batches * hidden + 2 * 3 * hidden + batches * hidden;
}

/** The edgec_lstm_params_t initializer, fields in the header's order. */
const PARAM_FIELDS = [
  'batches', 'steps', 'input_size', 'hidden', 'time_major', 'input_offset', 'hidden_zero_point',
  'in_mult', 'in_shift', 'rec_mult', 'rec_shift', 'cell_gate_sigmoid', 'forget_mult', 'forget_shift',
  'update_mult', 'update_shift', 'hidden_mult', 'hidden_shift', 'cell_clip', 'tanh_cell_mult', 'tanh_cell_shift', 'reverse',
];

function paramInitializer(op: Op): string {
  return PARAM_FIELDS.map((f) => {
    const v = op.params[f];
    return Array.isArray(v) ? `{ ${v.join(', ')} }` : String(v);
  }).join(', ');
}

export const lstm: OpDefinition = {
  lowerings: [{ onnxOps: [TFL_LSTM_OP], lower: lowerTflLstm }],
  portable: {
    lstm: {
      sources: ['edgec_lstm_s8.c'], template: 'lstm', scratchBytes: lstmScratchBytes,
      view: (op: Op, env: EmitEnv) => ({
        params: paramInitializer(op), input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'),
        hiddenIn: op.inputs[1] ? env.ptr(op.inputs[1], 'const int8_t') : 'NULL', cellIn: op.inputs[2] ? env.ptr(op.inputs[2], 'const int16_t') : 'NULL',
        hiddenOut: op.outputs[1] ? env.ptr(op.outputs[1], 'int8_t') : 'NULL', cellOut: op.outputs[2] ? env.ptr(op.outputs[2], 'int16_t') : 'NULL',
        wIn: env.constName(op.consts.w_in), wRec: env.constName(op.consts.w_rec), bias: env.constName(op.consts.bias), scratch: env.scratch(op),
      }),
    },
  },
  // measured on the Cortex-M4 against TFLM with CMSIS-NN's LSTM (README "Coming from TFLM"): ours 0.75-0.90x its instructions
  libraryMissing: { lstm: 'edgec does not call a library LSTM: its TFLM-exact kernel takes 0.75-0.90x the instructions of CMSIS-NN arm_lstm_unidirectional_s8 on a Cortex-M4' },
};
