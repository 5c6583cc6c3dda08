/**
 * unroll-recurrent alone: the unrolled float graph computes what onnxruntime's
 * own LSTM / GRU kernels compute (every direction, layout, initial-state and
 * linear_before_reset variant), to 1e-5; unsupported attributes are refused
 * with one line naming the node.
 */
import { describe, expect, it } from 'vitest';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { unrollRecurrent } from '../../compiler/passes/unroll-recurrent.js';
import { writeOnnx } from '../../compiler/quantize/onnx-writer.js';
import { EdgecError } from '../../compiler/errors.js';
import { OnnxBuilder, type AttrInput } from '../helpers/onnx-builder.js';
import { runOrt, type OrtInput } from '../helpers/ort.js';

const SEQ = 5;
const BATCH = 2;
const INPUT = 3;
const HIDDEN = 4;

/** Deterministic values in [-scale, scale). */
function pseudoRandom(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 * 2 - 1) * scale;
  });
}

interface Variant {
  kind: 'LSTM' | 'GRU';
  direction: 'forward' | 'reverse' | 'bidirectional';
  layout: 0 | 1;
  initialStates: boolean;
  linearBeforeReset?: 0 | 1;
}

/**
 * The recurrent model of variant v. `layout0Reference`: for layout 1, the same
 * computation as Transpose -> layout-0 op -> Transpose (onnxruntime's CPU
 * kernels refuse layout 1, so this is the reference for it).
 */
function recurrentModel(v: Variant, extraAttrs: Record<string, AttrInput> = {}, extraInputs: { seqLens?: number[] } = {}, layout0Reference = false): Uint8Array {
  const gates = v.kind === 'LSTM' ? 4 : 3;
  const dirs = v.direction === 'bidirectional' ? 2 : 1;
  const xDims = v.layout === 0 ? [SEQ, BATCH, INPUT] : [BATCH, SEQ, INPUT];
  const stateDims = v.layout === 0 ? [dirs, BATCH, HIDDEN] : [BATCH, dirs, HIDDEN];
  const b = new OnnxBuilder({ opset: 14 })
    .input('x', 'float32', xDims)
    .initializer('W', pseudoRandom(dirs * gates * HIDDEN * INPUT, 1, 0.8), [dirs, gates * HIDDEN, INPUT])
    .initializer('R', pseudoRandom(dirs * gates * HIDDEN * HIDDEN, 2, 0.8), [dirs, gates * HIDDEN, HIDDEN])
    .initializer('B', pseudoRandom(dirs * 2 * gates * HIDDEN, 3, 0.5), [dirs, 2 * gates * HIDDEN]);
  const transposed = layout0Reference && v.layout === 1;
  const inputs = [transposed ? b.op('Transpose', ['x'], { perm: [1, 0, 2] }) : 'x', 'W', 'R', 'B', '', '', ''];
  if (extraInputs.seqLens) { b.initializer('seq_lens', Int32Array.from(extraInputs.seqLens), [BATCH]); inputs[4] = 'seq_lens'; }
  const stateInput = (name: string): string => {
    b.input(name, 'float32', stateDims);
    return transposed ? b.op('Transpose', [name], { perm: [1, 0, 2] }) : name;
  };
  if (v.initialStates) {
    inputs[5] = stateInput('h0');
    if (v.kind === 'LSTM') inputs[6] = stateInput('c0');
  }
  const outputs = v.kind === 'LSTM' ? ['y', 'y_h', 'y_c'] : ['y', 'y_h'];
  const written = transposed ? outputs.map((o) => `${o}_layout0`) : outputs;
  if (transposed) outputs.forEach((o, i) => b.node('Transpose', [written[i]], [o], { perm: i === 0 ? [2, 0, 1, 3] : [1, 0, 2] }));
  b.node(v.kind, v.kind === 'LSTM' ? inputs : inputs.slice(0, 6), written, {
    hidden_size: HIDDEN, direction: v.direction, layout: transposed ? 0 : v.layout,
    ...(v.kind === 'GRU' ? { linear_before_reset: v.linearBeforeReset ?? 0 } : {}), ...extraAttrs,
  }, { name: 'rnn' });
  outputs.forEach((o) => b.output(o, 'float32'));
  return b.toBytes();
}

function feeds(v: Variant, seed: number): Record<string, OrtInput> {
  const dirs = v.direction === 'bidirectional' ? 2 : 1;
  const f: Record<string, OrtInput> = { x: { data: pseudoRandom(SEQ * BATCH * INPUT, seed, 2), dims: v.layout === 0 ? [SEQ, BATCH, INPUT] : [BATCH, SEQ, INPUT] } };
  const stateDims = v.layout === 0 ? [dirs, BATCH, HIDDEN] : [BATCH, dirs, HIDDEN];
  if (v.initialStates) {
    f.h0 = { data: pseudoRandom(dirs * BATCH * HIDDEN, seed + 1, 0.9), dims: stateDims };
    if (v.kind === 'LSTM') f.c0 = { data: pseudoRandom(dirs * BATCH * HIDDEN, seed + 2, 1.5), dims: stateDims };
  }
  return f;
}

function unrolled(bytes: Uint8Array, integerLstm = false): Uint8Array {
  return writeOnnx(unrollRecurrent(loadModelBytes(bytes, { fileName: 'rnn.onnx' }), new Set(), integerLstm));
}

async function expectSameAsOrt(v: Variant, attrs: Record<string, AttrInput> = {}, integerLstm = false): Promise<void> {
  const flat = unrolled(recurrentModel(v, attrs), integerLstm);
  const reference = recurrentModel(v, attrs, {}, true);
  for (const seed of [11, 12]) {
    const want = await runOrt(reference, feeds(v, seed));
    const got = await runOrt(flat, feeds(v, seed));
    for (const [name, w] of Object.entries(want)) {
      expect(got[name].dims, name).toEqual(w.dims);
      const maxErr = Math.max(...Array.from(w.data, (x, i) => Math.abs(Number(x) - Number(got[name].data[i]))));
      expect(maxErr, `${name}`).toBeLessThan(1e-5);
    }
  }
}

const DIRECTIONS = ['forward', 'reverse', 'bidirectional'] as const;

describe('unroll-recurrent', () => {
  for (const direction of DIRECTIONS) {
    for (const layout of [0, 1] as const) {
      for (const initialStates of [false, true]) {
        it(`LSTM ${direction}, layout ${layout}, initial states ${initialStates ? 'as inputs' : 'absent'}: equals onnxruntime's LSTM`, async () => {
          await expectSameAsOrt({ kind: 'LSTM', direction, layout, initialStates });
        });
        for (const linearBeforeReset of [0, 1] as const) {
          it(`GRU ${direction}, layout ${layout}, initial state ${initialStates ? 'input' : 'absent'}, linear_before_reset ${linearBeforeReset}: equals onnxruntime's GRU`, async () => {
            await expectSameAsOrt({ kind: 'GRU', direction, layout, initialStates, linearBeforeReset });
          });
        }
      }
    }
  }

  // what tf2onnx writes for Keras' activation='relu' / recurrent_activation='hard_sigmoid', and LeakyRelu with its alpha
  for (const [kind, activations, extra] of [
    ['LSTM', ['HardSigmoid', 'Relu', 'Relu'], {}],
    ['LSTM', ['Sigmoid', 'LeakyRelu', 'Tanh', 'Sigmoid', 'LeakyRelu', 'Tanh'], { activation_alpha: [0.2, 0.2] }],
    ['GRU', ['HardSigmoid', 'Relu'], {}],
  ] as ['LSTM' | 'GRU', string[], Record<string, AttrInput>][]) {
    it(`${kind} with activations ${activations.join(', ')}: equals onnxruntime's`, async () => {
      const direction = activations.length > 3 ? 'bidirectional' : 'forward';
      await expectSameAsOrt({ kind, direction, layout: 0, initialStates: true }, { activations, ...extra });
    });
  }

  // an LSTM kept whole for the integer kernel: a batch-major one is transposed to layout 0 (onnxruntime runs no layout 1)
  for (const direction of DIRECTIONS) {
    it(`LSTM ${direction}, layout 1, kept whole for the integer kernel: as layout 0 between Transposes, equals onnxruntime's`, async () => {
      const g = unrollRecurrent(loadModelBytes(recurrentModel({ kind: 'LSTM', direction, layout: 1, initialStates: direction !== 'bidirectional' }), { fileName: 'rnn.onnx' }), new Set(), true);
      expect(g.nodes.filter((n) => n.opType === 'LSTM').map((n) => n.attrs.layout)).toEqual([0]);
      await expectSameAsOrt({ kind: 'LSTM', direction, layout: 1, initialStates: direction !== 'bidirectional' }, {}, true);
    });
  }

  it('leaves no LSTM node and ties the same gate tensor of every step into one range group', () => {
    const g = unrollRecurrent(loadModelBytes(recurrentModel({ kind: 'LSTM', direction: 'forward', layout: 0, initialStates: false }), { fileName: 'rnn.onnx' }));
    expect(g.nodes.some((n) => n.opType === 'LSTM')).toBe(false);
    expect(g.nodes.filter((n) => n.opType === 'Gemm')).toHaveLength(4 * SEQ - 1); // step 0 has no forget gate
    // steps 1.. read [x_t, h] through one shared quantization; the cell state keeps a range per step
    expect(g.tiedRanges?.find((grp) => grp.some((t) => /_t1_xh$/.test(t)))).toHaveLength(SEQ - 1);
    expect(g.tiedRanges?.find((grp) => grp.some((t) => /_t0_pre_i$/.test(t)))).toHaveLength(SEQ);
    expect(g.tiedRanges?.some((grp) => grp.some((t) => /_t1_c$/.test(t)))).toBe(false);
  });

  it('a node kept float (--float-layers in the PTQ) stays one node; others are unrolled', () => {
    const model = recurrentModel({ kind: 'GRU', direction: 'forward', layout: 0, initialStates: false });
    const kept = unrollRecurrent(loadModelBytes(model, { fileName: 'rnn.onnx' }), new Set(['rnn']));
    expect(kept.nodes.map((n) => n.opType)).toEqual(['GRU']);
    const other = unrollRecurrent(loadModelBytes(model, { fileName: 'rnn.onnx' }), new Set(['another']));
    expect(other.nodes.some((n) => n.opType === 'GRU')).toBe(false);
  });

  it('sequence_lens equal to the full length is accepted', async () => {
    const v: Variant = { kind: 'LSTM', direction: 'forward', layout: 0, initialStates: false };
    const model = recurrentModel(v, {}, { seqLens: [SEQ, SEQ] });
    const want = await runOrt(model, feeds(v, 3));
    const got = await runOrt(unrolled(model), feeds(v, 3));
    expect(Math.max(...Array.from(want.y.data, (x, i) => Math.abs(Number(x) - Number(got.y.data[i]))))).toBeLessThan(1e-5);
  });

  const refusals: [string, () => Uint8Array, RegExp][] = [
    ['an activation without an int8 table', () => recurrentModel({ kind: 'LSTM', direction: 'forward', layout: 0, initialStates: false }, { activations: ['Sigmoid', 'Softplus', 'Tanh'] }), /node 'rnn' \(LSTM\): attribute 'activations' \[1\] is 'Softplus'/],
    ['clip', () => recurrentModel({ kind: 'GRU', direction: 'forward', layout: 0, initialStates: false }, { clip: 3.5 }), /node 'rnn' \(GRU\): attribute 'clip' is 3.5/],
    ['input_forget', () => recurrentModel({ kind: 'LSTM', direction: 'forward', layout: 0, initialStates: false }, { input_forget: 1 }), /attribute 'input_forget' is 1/],
    ['a shorter sequence_lens', () => recurrentModel({ kind: 'LSTM', direction: 'forward', layout: 0, initialStates: false }, {}, { seqLens: [SEQ, 3] }), /sequence_lens holds 3; edgec supports only sequences of the full length 5/],
  ];
  for (const [what, model, message] of refusals) {
    it(`refuses ${what} with one line naming the node`, () => {
      const run = (): unknown => unrolled(model());
      expect(run).toThrow(EdgecError);
      expect(run).toThrow(message);
    });
  }
});
