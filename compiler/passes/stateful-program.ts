/**
 * `--stateful` on the lowered program: each state pair (graph.statePairs,
 * passes/state-pairs.ts) becomes a StateBuffer of the program.
 *
 *  - The state input stops being a user input: its int8 value (after the
 *    edge's QuantizeLinear, which is dropped as with --int8-io) keeps the
 *    state; the planner keeps it live to the end (plan/program.ts), so no
 *    value ever reuses its bytes and it survives between invokes.
 *  - The state output stays a readable output (float or int8 as built); the
 *    int8 value it comes from is the new state, copied into the state input
 *    after the last op. A copy, not ping-pong buffers: the states are small
 *    (an LSTM(24): 48 bytes), a copy keeps every op's arena offsets literal,
 *    and it is safe whatever the new state reads (a ring buffer's output is
 *    a shifted view of its input).
 *
 * A float state (an LSTM / GRU a QDQ model left float, read and written in
 * float32 by the float recurrent kernels) is kept as its float bytes: no
 * quantize on the way in, none on the way out.
 *
 * Copying bytes is only right when both sides are the same int8 values:
 * same element count, layout and quantization. PTQ ties each pair's ranges
 * (so they always agree); a QDQ or .tflite model whose pair has different
 * scales is refused with one line rather than requantized at the copy: a
 * requantize would round the state a little differently at every invoke, so
 * the streamed run would drift from the whole-sequence run the model was
 * exported from.
 */
import type { StatePair } from '../ir/graph.js';
import { valueBytes, type Op, type Program, type StateBuffer, type Value } from '../ir/program.js';
import { displayName, EdgecError } from '../errors.js';
import { EDGE_DEQUANTIZE_KINDS, EDGE_QUANTIZE_KINDS } from '../ops/quantize.js';

function refuse(file: string, pair: StatePair, reason: string): never {
  throw new EdgecError(`${file}: --state ${displayName(pair.input)}=${displayName(pair.output)}: ${reason}`, 2);
}

const quantText = (v: Value): string => `${v.type}, scale ${v.scale}, zero point ${v.zeroPoint}`;

export function statefulProgram(program: Program, pairs: readonly StatePair[], file: string): Program {
  let ops: Op[] = program.ops.slice();
  const values = new Map(program.values);
  let inputs = program.inputs.slice();
  const state: StateBuffer[] = [];
  for (const pair of pairs) {
    const edge = inputs.find((id) => values.get(id)?.onnxName === pair.input);
    if (edge === undefined) refuse(file, pair, `'${displayName(pair.input)}' is not an input of the compiled model`);
    let stateIn = edge;
    const edgeValue = values.get(edge)!;
    // quantize_s16: an integer LSTM's int16 cell state (passes/integer-lstm.ts)
    const isQuantize = (op: Op): boolean => EDGE_QUANTIZE_KINDS.has(op.kind);
    const edgeReaders = ops.filter((op) => op.inputs.includes(edge));
    // a float state: only float layers read it (an LSTM / GRU left float, ops/recurrent-float.ts); kept as float bytes
    const floatState = edgeValue.type === 'float32' && edgeReaders.length > 0 && !edgeReaders.some(isQuantize);
    if (edgeValue.type === 'float32' && !floatState) {
      const q = edgeReaders.find(isQuantize);
      if (!q || edgeReaders.length !== 1) refuse(file, pair, 'the state input is read both as float and through a QuantizeLinear; a state must have one type');
      ops = ops.filter((op) => op !== q);
      values.delete(edge);
      const inner = values.get(q.outputs[0])!;
      values.set(inner.id, { ...inner, role: 'input', onnxName: edgeValue.onnxName, logicalShape: edgeValue.logicalShape });
      stateIn = inner.id;
    }
    inputs = inputs.filter((id) => id !== edge);
    const out = program.outputs.find((id) => values.get(id)?.onnxName === pair.output);
    if (out === undefined) refuse(file, pair, `'${displayName(pair.output)}' is not an output of the compiled model`);
    const outValue = values.get(out)!;
    const dq = outValue.type === 'float32' && !floatState ? ops.find((op) => EDGE_DEQUANTIZE_KINDS.has(op.kind) && op.outputs[0] === out) : undefined;
    if (outValue.type === 'float32' && !floatState && !dq) refuse(file, pair, 'the state output is computed in float but the state input is quantized; a state must have one type');
    const source = dq ? dq.inputs[0] : out;
    const a = values.get(stateIn)!;
    const b = values.get(source)!;
    // int16: a .tflite LSTM's cell state (zero point 0, so reset()'s byte-wise fill is exact)
    // float32: a float recurrent layer's state (reset()'s zero bytes are 0.0f)
    const copyable = (v: Value): boolean => v.type === 'int8' || (v.type === 'int16' && v.zeroPoint === 0) || v.type === 'float32';
    if (a.type !== b.type || !copyable(a)) refuse(file, pair, `the state is ${a.type} -> ${b.type}; only int8, int16 with zero point 0 or float32 state, the same on both sides, is supported`);
    if (valueBytes(a) !== valueBytes(b) || a.shape.join(',') !== b.shape.join(',') || (a.perm ?? []).join(',') !== (b.perm ?? []).join(',')) {
      refuse(file, pair, `input and output are laid out differently in memory ([${a.shape.join(', ')}] and [${b.shape.join(', ')}])`);
    }
    if (a.scale !== b.scale || a.zeroPoint !== b.zeroPoint) {
      refuse(file, pair, `input and output are quantized differently (${quantText(a)} vs ${quantText(b)}); a copied state must keep its quantization (re-quantize the model with one scale for both, or build the float model with --calibration, which ties them)`);
    }
    state.push({ input: stateIn, output: source, bytes: valueBytes(a), zeroPoint: a.zeroPoint, onnxInput: pair.input, onnxOutput: pair.output });
  }
  return { ...program, ops, values, inputs, state };
}
