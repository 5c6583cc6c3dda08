/**
 * ONNX LSTM and GRU kept in float32 inside an int8 model (issue 14). This is
 * what onnxruntime's `quantize_static` leaves: every other layer quantized,
 * the recurrent layer float between the model's float input (or a
 * DequantizeLinear) and a QuantizeLinear. The layer runs as the float
 * fallback runs a Conv or Gemm (ops/float-layer.ts): an int8 input is
 * dequantized into a float temporary, the layer computes in float with the
 * model's own weights (const float32 in flash), and each output the model
 * quantizes gets its QuantizeLinear (its Q node, or the Q fold-qdq folded).
 * Kernels: runtime-c/edgec_lstm_f32.c and edgec_gru_f32.c.
 *
 * Its own family file, not ops/lstm.ts (TFLite Micro's integer
 * UNIDIRECTIONAL_SEQUENCE_LSTM, another op with another arithmetic) nor
 * ops/float-layer.ts (the boundary helpers every float layer shares, no op):
 * ONNX's recurrent semantics (directions, layouts, states, gate orders) live
 * here once, for both cells.
 *
 * Weights are arranged for the kernel at compile time: per direction, each
 * gate row is the W row followed by the R row, so one dot product over
 * [x | h] gives the row's pre-activation; LSTM biases are Wb + Rb, GRU's the
 * same for z and r and Wbh, Rbh apart (linear_before_reset needs Rbh inside
 * the reset product). Weights behind a DequantizeLinear of an int8 constant
 * are dequantized here, (q - zp) * scale as onnxruntime computes it.
 *
 * Activations: the defaults, and Relu / HardSigmoid / LeakyRelu (Keras'
 * activation='relu', recurrent_activation='hard_sigmoid'; recurrentActivations).
 * Refused in one line: other activations, clip, input_forget,
 * peepholes, sequence_lens shorter than the sequence or computed at run time.
 */
import type { Node, Tensor } from '../ir/graph.js';
import { elementCount } from '../ir/graph.js';
import type { Op } from '../ir/program.js';
import { identityPerm } from '../ir/layout.js';
import type { LoweringContext } from '../passes/lower-context.js';
import { attrInt, attrString } from './attrs.js';
import { FLOAT_LAYER_REASON, isQuantizedModel, readFloat, writeFloat } from './float-layer.js';
import { KEEP_FLOAT_ATTR } from '../passes/float-layers.js';
import type { EmitEnv, OpDefinition } from './types.js';
import { cFloat } from './quantize.js';

type Cell = 'LSTM' | 'GRU';

const GATES: Record<Cell, number> = { LSTM: 4, GRU: 3 };
const DEFAULT_ACTIVATIONS: Record<Cell, string[]> = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'] };
/** Input slots of the initial states, and of LSTM's peepholes. */
const INITIAL_STATES: Record<Cell, number[]> = { LSTM: [5, 6], GRU: [5] };
const SEQUENCE_LENS = 4;
const PEEPHOLES = 7;

/**
 * A recurrent layer's activation (ONNX `activations`, `activation_alpha`,
 * `activation_beta`): the ones Keras exports through tf2onnx (Sigmoid, Tanh,
 * Relu for activation='relu', HardSigmoid for recurrent_activation=
 * 'hard_sigmoid') and LeakyRelu.
 */
export type RecurrentActivationKind = 'Sigmoid' | 'Tanh' | 'Relu' | 'HardSigmoid' | 'LeakyRelu';
export interface RecurrentActivation { kind: RecurrentActivationKind; alpha: number; beta: number }

/** Each kind's C code (EDGEC_RNN_* in edgec_rnn_f32.h) and its ONNX default alpha / beta (undefined: takes none). */
const ACTIVATION_KINDS: Record<RecurrentActivationKind, { code: number; alpha?: number; beta?: number }> = {
  Sigmoid: { code: 0 }, Tanh: { code: 1 }, Relu: { code: 2 }, HardSigmoid: { code: 3, alpha: 0.2, beta: 0.5 }, LeakyRelu: { code: 4, alpha: 0.01 },
};

export function isDefaultActivations(cell: Cell, acts: readonly RecurrentActivation[]): boolean {
  return acts.every((a, i) => a.kind === DEFAULT_ACTIVATIONS[cell][i]);
}

/**
 * The activations of one direction (LSTM: f, g, h; GRU: f, g), or why they
 * are refused. The alpha and beta lists are consumed in order by the
 * activations that take them, as onnxruntime reads them; the directions of
 * a bidirectional layer must use the same ones.
 */
export function recurrentActivations(cell: Cell, attrs: Node['attrs'], directions: number): RecurrentActivation[] | { reason: string } {
  const perDirection = DEFAULT_ACTIVATIONS[cell].length;
  const names = attrs.activations === undefined ? [] : (attrs.activations as unknown[]).map(String);
  if (names.length === 0) return DEFAULT_ACTIVATIONS[cell].map((kind) => ({ kind: kind as RecurrentActivationKind, alpha: 0, beta: 0 }));
  if (names.length !== perDirection * directions) return { reason: `attribute 'activations' has ${names.length} entries; ${perDirection} per direction (${perDirection * directions}) expected` };
  const alphas = attrs.activation_alpha === undefined ? [] : (attrs.activation_alpha as number[]).map(Number);
  const betas = attrs.activation_beta === undefined ? [] : (attrs.activation_beta as number[]).map(Number);
  let [ai, bi] = [0, 0];
  const acts: RecurrentActivation[] = [];
  for (const [i, name] of names.entries()) {
    const kind = (Object.keys(ACTIVATION_KINDS) as RecurrentActivationKind[]).find((k) => k.toLowerCase() === name.toLowerCase());
    if (!kind) return { reason: `attribute 'activations' [${i}] is '${name}'; edgec supports ${Object.keys(ACTIVATION_KINDS).join(', ')}` };
    const spec = ACTIVATION_KINDS[kind];
    const alpha = spec.alpha === undefined ? 0 : alphas[ai++] ?? spec.alpha;
    const beta = spec.beta === undefined ? 0 : betas[bi++] ?? spec.beta;
    if (!Number.isFinite(alpha) || !Number.isFinite(beta)) return { reason: `attribute 'activations' [${i}] ('${name}') has a non-finite alpha or beta` };
    acts.push({ kind, alpha, beta });
  }
  const first = acts.slice(0, perDirection);
  const same = (a: RecurrentActivation, b: RecurrentActivation): boolean => a.kind === b.kind && a.alpha === b.alpha && a.beta === b.beta;
  if (acts.slice(perDirection).some((a, i) => !same(a, first[i]))) return { reason: `attribute 'activations': the two directions use different activations (${names.join(', ')}); edgec needs the same ones` };
  return first;
}

/** Sizes of one recurrent layer, from its input and recurrence weights. */
export interface RecurrentGeometry {
  cell: Cell;
  seqLen: number;
  batch: number;
  inputSize: number;
  hidden: number;
  directions: number;
  reverseFirst: boolean;
  batchMajor: boolean;
  /** One direction's activations (f, g, h; GRU f, g). */
  activations: RecurrentActivation[];
}

function optionalInput(ctx: LoweringContext, node: Node, slot: number): Tensor | undefined {
  const name = node.inputs[slot] ?? '';
  return name === '' ? undefined : ctx.tensor(name);
}

/** The float values of a constant input: float32 as is, a quantized (int8 / uint8) constant dequantized per tensor or per axis. */
function constantFloats(ctx: LoweringContext, node: Node, slot: number, what: string): Float32Array {
  const t = optionalInput(ctx, node, slot);
  if (!t?.data) throw ctx.fail(node, `${what} '${node.inputs[slot] ?? ''}' must be a constant initializer (a float ${node.opType} needs its weights at compile time)`);
  const q = t.quant;
  const values = q
    ? Float32Array.from(t.data as ArrayLike<number>, (v, i) => {
      const inner = q.axis === -1 ? 1 : elementCount(t.shape.slice(q.axis + 1));
      const c = q.axis === -1 ? 0 : Math.floor(i / inner) % t.shape[q.axis];
      return Math.fround((Number(v) - q.zeroPoint[c]) * Math.fround(q.scale[c]));
    })
    : Float32Array.from(t.data as ArrayLike<number>, Number);
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw ctx.fail(node, `${what} '${t.name}' element ${bad} is ${values[bad]}; float weights must be finite`);
  return values;
}

/** Checks the attributes and inputs the float kernels implement; the layer's sizes. */
export function recurrentGeometry(ctx: LoweringContext, node: Node): RecurrentGeometry {
  const cell = node.opType as Cell;
  const x = ctx.tensor(node.inputs[0]);
  const w = ctx.tensor(node.inputs[1]);
  const layout = attrInt(node, 'layout', 0);
  if (layout !== 0 && layout !== 1) throw ctx.fail(node, `attribute 'layout' is ${layout}; ONNX defines 0 and 1`);
  const direction = attrString(node, 'direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) throw ctx.fail(node, `attribute 'direction' is '${direction}'; expected forward, reverse or bidirectional`);
  const directions = direction === 'bidirectional' ? 2 : 1;
  const hidden = attrInt(node, 'hidden_size', 0);
  if (x.shape.length !== 3) throw ctx.fail(node, `input X has rank ${x.shape.length}; ${cell} takes [seq, batch, input] (layout 0) or [batch, seq, input] (layout 1)`);
  const [seqLen, batch] = layout === 0 ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]];
  const inputSize = x.shape[2];
  const gh = GATES[cell] * hidden;
  if (hidden <= 0 || w.shape.length !== 3 || w.shape[0] !== directions || w.shape[1] !== gh || w.shape[2] !== inputSize) {
    throw ctx.fail(node, `W has shape [${w.shape.join(', ')}]; expected [${directions}, ${gh}, ${inputSize}] for hidden_size ${hidden}`);
  }
  const activations = recurrentActivations(cell, node.attrs, directions);
  if ('reason' in activations) throw ctx.fail(node, activations.reason);
  if (node.attrs.clip !== undefined) throw ctx.fail(node, `attribute 'clip' is ${String(node.attrs.clip)}; cell clipping is not supported`, 're-export the model without clip');
  if (cell === 'LSTM' && attrInt(node, 'input_forget', 0) !== 0) throw ctx.fail(node, `attribute 'input_forget' is ${attrInt(node, 'input_forget', 0)}; coupled input-forget gates are not supported`);
  if (cell === 'LSTM' && optionalInput(ctx, node, PEEPHOLES)) {
    const p = optionalInput(ctx, node, PEEPHOLES) as Tensor;
    if (!p.data || Array.from(p.data).some((v) => Number(v) !== 0)) throw ctx.fail(node, `peephole weights P '${p.name}' are not supported`);
  }
  const lens = optionalInput(ctx, node, SEQUENCE_LENS);
  if (lens) {
    if (!lens.data) throw ctx.fail(node, `sequence_lens '${lens.name}' is computed at run time; edgec supports only sequences of the full length ${seqLen}`, 'drop sequence_lens from the export');
    const short = Array.from(lens.data).map(Number).find((v) => v !== seqLen);
    if (short !== undefined) throw ctx.fail(node, `sequence_lens holds ${short}; edgec supports only sequences of the full length ${seqLen}`, 'drop sequence_lens from the export or pad the sequences');
  }
  return { cell, seqLen, batch, inputSize, hidden, directions, reverseFirst: direction === 'reverse', batchMajor: layout === 1, activations };
}

/**
 * W, R, B as the kernels read them: per direction and gate row, the W row
 * then the R row; biases Wb + Rb per gate (GRU: z and r summed, then Wbh
 * and Rbh apart).
 */
export function arrangeRecurrentWeights(g: RecurrentGeometry, w: Float32Array, r: Float32Array, b: Float32Array | undefined): { weights: Float32Array; bias: Float32Array } {
  const gh = GATES[g.cell] * g.hidden;
  const row = g.inputSize + g.hidden;
  const weights = new Float32Array(g.directions * gh * row);
  const biasPerDirection = g.cell === 'LSTM' ? gh : 4 * g.hidden;
  const bias = new Float32Array(g.directions * biasPerDirection);
  for (let d = 0; d < g.directions; d++) {
    for (let k = 0; k < gh; k++) {
      const dst = (d * gh + k) * row;
      weights.set(w.subarray((d * gh + k) * g.inputSize, (d * gh + k + 1) * g.inputSize), dst);
      weights.set(r.subarray((d * gh + k) * g.hidden, (d * gh + k + 1) * g.hidden), dst + g.inputSize);
    }
    const wb = (k: number): number => (b ? b[d * 2 * gh + k] : 0);
    const rb = (k: number): number => (b ? b[d * 2 * gh + gh + k] : 0);
    const summed = g.cell === 'LSTM' ? gh : 2 * g.hidden;
    for (let k = 0; k < summed; k++) bias[d * biasPerDirection + k] = Math.fround(wb(k) + rb(k));
    if (g.cell === 'GRU') {
      for (let k = 0; k < g.hidden; k++) {
        bias[d * biasPerDirection + 2 * g.hidden + k] = wb(2 * g.hidden + k);
        bias[d * biasPerDirection + 3 * g.hidden + k] = rb(2 * g.hidden + k);
      }
    }
  }
  return { weights, bias };
}

/** Whether an output of the node is used: a reader or a graph output (unused ones get NULL, no arena). */
function isUsed(ctx: LoweringContext, name: string | undefined): name is string {
  if (name === undefined || name === '') return false;
  return ctx.graph.outputs.includes(name) || ctx.graph.nodes.some((n) => n.inputs.includes(name));
}

function lowerRecurrentF32(node: Node, ctx: LoweringContext): void {
  // a wholly float model is not compiled to float silently: edgec's PTQ unrolls and quantizes the layer
  if (!isQuantizedModel(ctx.graph) && node.attrs[KEEP_FLOAT_ATTR] === undefined) {
    throw ctx.fail(node, `${node.opType} on float data: edgec compiles int8 models`, `build the float model with --calibration <samples.npy>: edgec unrolls and quantizes the ${node.opType} itself`);
  }
  const g = recurrentGeometry(ctx, node);
  const w = constantFloats(ctx, node, 1, 'W');
  const r = constantFloats(ctx, node, 2, 'R');
  const b = optionalInput(ctx, node, 3) ? constantFloats(ctx, node, 3, 'B') : undefined;
  const { weights, bias } = arrangeRecurrentWeights(g, w, r, b);
  const inputs = [readFloat(ctx, node, node.inputs[0], identityPerm(3))];
  const inputRoles = ['x'];
  const consts: Record<string, string> = {
    filter: ctx.addConst(`${node.name}_weights`, 'float32', weights),
    bias: ctx.addConst(`${node.name}_bias`, 'float32', bias),
  };
  INITIAL_STATES[g.cell].forEach((slot, i) => {
    const role = i === 0 ? 'h0' : 'c0';
    const t = optionalInput(ctx, node, slot);
    if (!t) return;
    if (t.data) {
      const values = constantFloats(ctx, node, slot, role === 'h0' ? 'initial_h' : 'initial_c');
      // zeros (PyTorch's exported Expand of 0) are the kernel's default: nothing in flash
      if (values.some((v) => v !== 0)) consts[role] = ctx.addConst(`${node.name}_${role}`, 'float32', values);
      return;
    }
    inputs.push(readFloat(ctx, node, t.name, identityPerm(t.shape.length)));
    inputRoles.push(role);
  });
  const outputs: string[] = [];
  const outputRoles: string[] = [];
  const finishers: (() => void)[] = [];
  ['y', 'y_h', 'y_c'].slice(0, g.cell === 'LSTM' ? 3 : 2).forEach((role, i) => {
    const name = node.outputs[i];
    if (!isUsed(ctx, name)) return;
    const out = writeFloat(ctx, node, identityPerm(ctx.tensor(name).shape.length), name);
    outputs.push(out.write);
    outputRoles.push(role);
    finishers.push(out.finish);
  });
  if (outputs.length === 0) return;
  const op: Op = {
    kind: g.cell === 'LSTM' ? 'lstm_f32' : 'gru_f32', name: node.name, onnxOp: node.opType, inputs, outputs,
    params: {
      seq_len: g.seqLen, batch: g.batch, input_size: g.inputSize, hidden_size: g.hidden, directions: g.directions,
      reverse_first: g.reverseFirst ? 1 : 0, batch_major: g.batchMajor ? 1 : 0,
      linear_before_reset: g.cell === 'GRU' ? attrInt(node, 'linear_before_reset', 0) !== 0 ? 1 : 0 : 0,
      input_roles: inputRoles.join(','), output_roles: outputRoles.join(','),
      // f, g, h (GRU: f, g, and an unused third)
      act: [0, 1, 2].map((k) => ACTIVATION_KINDS[(g.activations[k] ?? g.activations[1]).kind].code),
      act_alpha: [0, 1, 2].map((k) => (g.activations[k] ?? g.activations[1]).alpha),
      act_beta: [0, 1, 2].map((k) => (g.activations[k] ?? g.activations[1]).beta),
    },
    consts,
    macs: g.seqLen * g.batch * g.directions * GATES[g.cell] * g.hidden * (g.inputSize + g.hidden),
  };
  ctx.addOp(op);
  for (const finish of finishers) finish();
}

/** Floats of scratch the kernels work in: [x | h], c and the gates (LSTM); [x | h], z, r, r*h, h' (GRU). */
export function recurrentScratchFloats(op: Op): number {
  const n = (k: string): number => Number(op.params[k]);
  return n('input_size') + (op.kind === 'lstm_f32' ? 6 : 5) * n('hidden_size');
}

/** The C pointer of role `role`: an arena value, a const array, or NULL. */
function rolePointer(op: Op, env: EmitEnv, role: string, ctype: string): string {
  const inputIndex = String(op.params.input_roles).split(',').indexOf(role);
  if (inputIndex >= 0) return env.ptr(op.inputs[inputIndex], `const ${ctype}`);
  const outputIndex = String(op.params.output_roles).split(',').indexOf(role);
  if (outputIndex >= 0) return env.ptr(op.outputs[outputIndex], ctype);
  return op.consts[role] ? env.constName(op.consts[role]) : 'NULL';
}

function recurrentView(op: Op, env: EmitEnv): Record<string, unknown> {
  const fields = ['seq_len', 'batch', 'input_size', 'hidden_size', 'directions', 'reverse_first', 'batch_major'];
  const floats = (k: string): string => `{ ${(op.params[k] as number[]).map((v) => cFloat(v)).join(', ')} }`;
  return {
    params: [...fields.map((f) => op.params[f]), `{ ${(op.params.act as number[]).join(', ')} }`, floats('act_alpha'), floats('act_beta')].join(', '),
    linear_before_reset: op.params.linear_before_reset,
    x: rolePointer(op, env, 'x', 'float'), h0: rolePointer(op, env, 'h0', 'float'), c0: rolePointer(op, env, 'c0', 'float'),
    y: rolePointer(op, env, 'y', 'float'), y_h: rolePointer(op, env, 'y_h', 'float'), y_c: rolePointer(op, env, 'y_c', 'float'),
    weights: env.constName(op.consts.filter), bias: env.constName(op.consts.bias),
    scratch: `(float *)${env.scratch(op)}`,
  };
}

export const recurrentFloat: OpDefinition = {
  lowerings: [{ onnxOps: ['LSTM', 'GRU'], lower: lowerRecurrentF32 }],
  portable: {
    lstm_f32: { sources: ['edgec_lstm_f32.c'], template: 'lstm_f32', view: recurrentView, scratchBytes: (op) => 4 * recurrentScratchFloats(op) },
    gru_f32: { sources: ['edgec_gru_f32.c'], template: 'gru_f32', view: recurrentView, scratchBytes: (op) => 4 * recurrentScratchFloats(op) },
  },
  libraryMissing: { lstm_f32: FLOAT_LAYER_REASON, gru_f32: FLOAT_LAYER_REASON },
};
