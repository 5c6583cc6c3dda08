/**
 * passes/integer-lstm.ts: a quantized ONNX LSTM runs as TFLite Micro's
 * integer LSTM. The QDQ twins (test/fixtures/recurrent/make_qdq_lstm_twins.py)
 * carry the int8 weights, int32 biases, activation quantization and cell
 * scale of the converter's fused LSTMs; edgec's build of each twin must give
 * TFLM's bytes on the .tflite, for every direction, layout and output:
 * a reverse direction equals TFLM on the time-reversed input, reversed back.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { outputsPerSample, runHostBuild } from '../../compiler/quantize/native-run.js';
import type { NamedTensor } from '../../compiler/verify/reference.js';
import type { Value } from '../../compiler/ir/program.js';
import { boundedCellScale } from '../../compiler/passes/integer-lstm.js';
import { runTflm, tflmPython } from '../helpers/tflm.js';
import { prng } from '../../compiler/verify/samples.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { valueBytes } from '../../compiler/ir/program.js';
import onnxProto from 'onnx-proto';
import { EdgecError } from '../../compiler/errors.js';

const { onnx } = onnxProto;

const FX = 'test/fixtures/recurrent';

interface Twin { onnx: string; tflite: string; directions: ('forward' | 'reverse')[]; outputs: ('y' | 'y_h')[]; timeMajor: boolean }

const TWINS: Twin[] = [
  { onnx: 'lstm_h8_seq_twin.onnx', tflite: 'lstm_h8_seq.tflite', directions: ['forward'], outputs: ['y', 'y_h'], timeMajor: false },
  { onnx: 'lstm_h8_seq_bidir_twin.onnx', tflite: 'lstm_h8_seq.tflite', directions: ['forward', 'reverse'], outputs: ['y', 'y_h'], timeMajor: false },
  { onnx: 'lstm_batch2_reverse_twin.onnx', tflite: 'lstm_batch2.tflite', directions: ['reverse'], outputs: ['y_h'], timeMajor: false },
  { onnx: 'lstm_time_major_twin.onnx', tflite: 'lstm_time_major.tflite', directions: ['forward'], outputs: ['y'], timeMajor: true },
];

const SAMPLES = 24;

/** [d0, d1, k] int8 sequence with its time axis reversed (axis 0 time-major, else axis 1). */
function reverseTime(q: Int8Array, [d0, d1, k]: number[], timeMajor: boolean): Int8Array {
  const out = new Int8Array(q.length);
  for (let a = 0; a < d0; a++) {
    for (let b = 0; b < d1; b++) {
      const [ra, rb] = timeMajor ? [d0 - 1 - a, b] : [a, d1 - 1 - b];
      out.set(q.subarray((a * d1 + b) * k, (a * d1 + b + 1) * k), (ra * d1 + rb) * k);
    }
  }
  return out;
}

/**
 * The ONNX outputs the twin must give, from the per-direction TFLM outputs
 * ([d0, d1, H] in the .tflite's layout): Y interleaves the directions on its
 * direction axis, Y_h is each direction's last step (the first, reversed).
 */
function expectedOnnx(twin: Twin, perDir: Int8Array[], [d0, d1, h]: number[]): Map<string, Int8Array> {
  const dirs = perDir.length;
  const [seq, batch] = twin.timeMajor ? [d0, d1] : [d1, d0];
  const at = (t: number, b: number): number => (twin.timeMajor ? t * batch + b : b * seq + t) * h;
  const y = new Int8Array(seq * batch * dirs * h);
  const yh = new Int8Array(batch * dirs * h);
  perDir.forEach((out, d) => {
    for (let t = 0; t < seq; t++) {
      for (let b = 0; b < batch; b++) {
        // layout 0: [seq, dirs, batch, H]; layout 1: [batch, seq, dirs, H]
        const dst = twin.timeMajor ? ((t * dirs + d) * batch + b) * h : ((b * seq + t) * dirs + d) * h;
        y.set(out.subarray(at(t, b), at(t, b) + h), dst);
      }
    }
    const last = twin.directions[d] === 'reverse' ? 0 : seq - 1;
    for (let b = 0; b < batch; b++) {
      const dst = twin.timeMajor ? (d * batch + b) * h : (b * dirs + d) * h;
      yh.set(out.subarray(at(last, b), at(last, b) + h), dst);
    }
  });
  return new Map([['y', y], ['y_h', yh]]);
}

describe('integer LSTM from a quantized ONNX LSTM: byte-equal to TFLite Micro', () => {
  for (const twin of TWINS) {
    it.skipIf(!tflmPython())(`${twin.onnx} (${twin.directions.join(' + ')}, layout ${twin.timeMajor ? 0 : 1}, ${twin.outputs.join(', ')})`, () => {
      const c = compileModel(`${FX}/${twin.onnx}`, { name: 'm' });
      // the ONNX LSTM became one TFLM integer LSTM per direction, nothing float
      expect(c.program.ops.filter((o) => o.kind === 'lstm').map((o) => o.params.reverse)).toEqual(twin.directions.map((d) => (d === 'reverse' ? 1 : 0)));
      expect(c.program.ops.some((o) => o.kind.includes('f32'))).toBe(false);
      const ref = compileModel(`${FX}/${twin.tflite}`, { name: 'r' }).program;
      const xv = ref.values.get(ref.inputs[0]) as Value;
      const yv = ref.values.get(ref.outputs[0]) as Value;
      const dims = xv.logicalShape;
      const n = dims.reduce((a, b) => a * b, 1);
      const rand = prng(5);
      const qs = Array.from({ length: SAMPLES }, () => Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128));
      // the twin's float input that its QuantizeLinear maps back to exactly these bytes
      const samples: NamedTensor[][] = qs.map((q) => [{ name: 'x', type: 'float32', dims, data: Float32Array.from(q, (v) => (v - xv.zeroPoint) * xv.scale) }]);
      const ours = outputsPerSample(c.program, runHostBuild(c, samples), SAMPLES);
      const stack = (arrays: Int8Array[]): Int8Array => { const s = new Int8Array(arrays.length * n); arrays.forEach((a, i) => s.set(a, i * n)); return s; };
      const perDirection = twin.directions.map((d) => {
        const inputs = d === 'forward' ? qs : qs.map((q) => reverseTime(q, dims, twin.timeMajor));
        const out = runTflm(`${FX}/${twin.tflite}`, [{ dtype: 'int8', shape: [SAMPLES, ...dims], data: stack(inputs) }])[0].data as Int8Array;
        const per = out.length / SAMPLES;
        return qs.map((_, s) => {
          const o = out.subarray(s * per, (s + 1) * per);
          return d === 'forward' ? Int8Array.from(o) : reverseTime(o, yv.logicalShape, twin.timeMajor);
        });
      });
      let compared = 0;
      for (let s = 0; s < SAMPLES; s++) {
        const expected = expectedOnnx(twin, perDirection.map((p) => p[s]), yv.logicalShape);
        for (const name of twin.outputs) {
          const got = Int8Array.from(ours[s].get(name)!, (v) => Math.round(v / yv.scale) + yv.zeroPoint);
          expect(Array.from(got)).toEqual(Array.from(expected.get(name)!));
          compared += got.length;
        }
      }
      expect(compared).toBeGreaterThan(SAMPLES * 16);
    }, 120_000);
  }

  it('takes the cell scale from the int16 QuantizeLinear on Y_c', () => {
    const c = compileModel(`${FX}/lstm_h8_seq_twin.onnx`, { name: 'm' });
    const lstm = c.graph.nodes.find((n) => n.opType === 'edgec.TflLstm')!;
    expect(lstm.attrs.cell_scale).toBe(2 ** -15);
  });

  it('without one, bounds |c| by the sequence length', () => {
    // the smallest 2^k with 32767 * 2^k >= T
    expect(boundedCellScale(15)).toBe(2 ** -11);
    expect(boundedCellScale(16)).toBe(2 ** -10);
    expect(boundedCellScale(1)).toBe(2 ** -14);
  });

  it('an int32 B whose Wb + Rb overflows in the second direction only: the LSTM runs float, no internal error', () => {
    const m = onnx.ModelProto.decode(readFileSync(`${FX}/lstm_h8_seq_bidir_twin.onnx`));
    const b = m.graph!.initializer!.find((t) => t.name === 'B_q')!;
    // B_q [2, 8H] int32, H 8: direction 1's first Wb and Rb entries at the int32 maximum
    const raw = new DataView(b.rawData!.buffer, b.rawData!.byteOffset, b.rawData!.byteLength);
    for (const at of [8 * 8, 8 * 8 + 4 * 8]) raw.setInt32(4 * at, 2 ** 31 - 1, true);
    const c = compileModel('bidir_overflow.onnx', { name: 'm', modelBytes: onnx.ModelProto.encode(m).finish() });
    expect(c.program.ops.map((o) => o.kind)).toContain('lstm_f32');
    expect(c.program.ops.some((o) => o.kind === 'lstm')).toBe(false);
  });

  it('a quantized LSTM whose hidden_size disagrees with R is refused in one line, not mis-sliced', () => {
    const m = onnx.ModelProto.decode(readFileSync(`${FX}/lstm_h8_seq_twin.onnx`));
    const lstm = m.graph!.node!.find((n) => n.opType === 'LSTM')!;
    lstm.attribute!.find((a) => a.name === 'hidden_size')!.i = 7;
    const build = (): unknown => compileModel('bad_lstm.onnx', { name: 'm', modelBytes: onnx.ModelProto.encode(m).finish() });
    expect(build).toThrow(EdgecError);
    expect(build).toThrow(/^bad_lstm\.onnx: node '[^']+' \(LSTM\): [^\n]+$/);
  });

  it.skipIf(!tflmPython())('Y_c read without a state input: each direction\'s final int16 cell state, as the .tflite kernel leaves it', () => {
    // the bidirectional twin with its (int16-quantized) Y_c made a graph output: [batch 1, 2 directions, 8]
    const m = onnx.ModelProto.decode(readFileSync(`${FX}/lstm_h8_seq_bidir_twin.onnx`));
    m.graph!.output!.push(onnx.ValueInfoProto.create({ name: 'Y_c_dq', type: { tensorType: { elemType: 1, shape: { dim: [1, 2, 8].map((d) => ({ dimValue: d })) } } } }));
    const c = compileModel('bidir_yc.onnx', { name: 'm', modelBytes: onnx.ModelProto.encode(m).finish() });
    expect(c.program.ops.filter((o) => o.kind === 'lstm')).toHaveLength(2);
    // the reference: the .tflite built --stateful, one invoke from reset; its cell state output is TFLM's
    // variable tensor after the invoke (test/tflite/lstm-stateful.test.ts proves the carried state TFLM-exact)
    const ref = compileModel(`${FX}/lstm_h8_seq.tflite`, { name: 'r', stateful: {} });
    const dir = mkdtempSync(join(tmpdir(), 'edgec-yc-'));
    try {
      for (const f of ref.emitted.files) writeFileSync(join(dir, f.path), f.contents);
      const exe = buildNativeRunner(dir, 'r');
      const xv = ref.program.values.get(ref.program.inputs[0])!;
      const outs = ref.program.outputs.map((id) => ref.program.values.get(id)!);
      const cellAt = outs.slice(0, outs.findIndex((v) => v.type === 'int16')).reduce((a, v) => a + valueBytes(v), 0);
      const finalCell = (q: Int8Array): number[] => {
        const bytes = runNative(exe, new Uint8Array(q.buffer, q.byteOffset, q.byteLength), 1);
        // an own copy: a Buffer's .buffer is Node's shared pool
        return Array.from(new Int16Array(Uint8Array.from(bytes.subarray(cellAt, cellAt + 16)).buffer));
      };
      const rand = prng(9);
      const n = xv.logicalShape.reduce((a, b) => a * b, 1);
      const qs = Array.from({ length: 8 }, () => Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128));
      const samples: NamedTensor[][] = qs.map((q) => [{ name: 'x', type: 'float32', dims: xv.logicalShape, data: Float32Array.from(q, (v) => (v - xv.zeroPoint) * xv.scale) }]);
      const ours = outputsPerSample(c.program, runHostBuild(c, samples), qs.length);
      qs.forEach((q, s) => {
        const got = Array.from(ours[s].get('Y_c_dq')!, (v) => Math.round(v / 2 ** -15));
        expect(got).toEqual([...finalCell(q), ...finalCell(reverseTime(q, xv.logicalShape, false))]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
