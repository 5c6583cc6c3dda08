/**
 * Mixed int8 / float32 models (layers kept in float): compile with edgec,
 * build the C with strict gcc, run it on samples and compare every output
 * with onnxruntime running the same ONNX model (graph optimisations off, so
 * it computes the QDQ model's own float semantics). int8 outputs (or float
 * outputs behind a DequantizeLinear) are compared in LSB; float outputs of a
 * float layer in relative float error.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type CompileOptions, type Compiled } from '../../compiler/pipeline.js';
import { valueBytes, type Value } from '../../compiler/ir/program.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { openReference, runReference, type NamedTensor } from '../../compiler/verify/reference.js';
import { sampleBytes } from '../../compiler/verify/layers.js';
import { randomSamples } from '../../compiler/verify/samples.js';

export interface OutputDiff {
  name: string;
  type: Value['type'];
  /** int8 / dequantized outputs: max |diff| in LSB of the output's quantization; float layer outputs: NaN. */
  maxLsb: number;
  /** Share of values equal to the reference (within float tolerance for float layer outputs). */
  exactRate: number;
  /** Max |ours - reference| / max |reference| over the output. */
  maxRelError: number;
  elements: number;
}

/** Quantization of a float output that a dequantize op produces (its LSB), undefined for a float layer's own output. */
function outputLsb(c: Compiled, v: Value): number | undefined {
  if (v.type === 'int8' || v.type === 'uint8') return v.scale;
  const producer = c.program.ops.find((op) => op.outputs.includes(v.id));
  const dequantize = (kind: string | undefined): boolean => kind === 'dequantize' || kind === 'dequantize_s16';
  if (dequantize(producer?.kind)) return Number(producer!.params.scale);
  if (producer?.kind === 'transpose') {
    const src = c.program.ops.find((op) => op.outputs.includes(producer.inputs[0]));
    if (dequantize(src?.kind)) return Number(src!.params.scale);
  }
  return undefined;
}

function floatsOf(v: Value, bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes);
  if (v.type === 'float32') return new Float32Array(copy.buffer);
  const ints = v.type === 'int8' ? new Int8Array(copy.buffer) : new Uint8Array(copy.buffer);
  return Float32Array.from(ints, (q) => v.scale * (q - v.zeroPoint));
}

/** Compiles `model` (bytes), runs `count` random samples (or `samples`) in C and in onnxruntime, and returns the per-output differences. */
export async function runMixed(model: Uint8Array, opts: CompileOptions & { count?: number; seed?: number; samples?: NamedTensor[][]; reference?: Uint8Array } = {}): Promise<{ compiled: Compiled; outputs: OutputDiff[] }> {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-mixed-'));
  try {
    const name = opts.name ?? 'mixed';
    const compiled = compileModel('mixed.onnx', { ...opts, name, modelBytes: model });
    for (const f of compiled.emitted.files) writeFileSync(join(dir, f.path), f.contents);
    const exe = buildNativeRunner(dir, name);
    const samples = opts.samples ?? randomSamples(compiled.program, opts.count ?? 4, opts.seed ?? 7);
    const ours = runNative(exe, sampleBytes(samples), samples.length);
    const outValues = compiled.program.outputs.map((id) => compiled.program.values.get(id) as Value);
    const session = await openReference(opts.reference ?? model);
    const stats = outValues.map((v) => ({ v, lsb: outputLsb(compiled, v), maxDiff: 0, maxRef: 0, exact: 0, n: 0 }));
    const perSample = outValues.reduce((a, v) => a + valueBytes(v), 0);
    try {
      for (let s = 0; s < samples.length; s++) {
        const ref = await runReference(session, samples[s], outValues.map((v) => v.onnxName));
        let off = s * perSample;
        for (const st of stats) {
          const n = valueBytes(st.v);
          const mine = floatsOf(st.v, ours.subarray(off, off + n));
          off += n;
          const theirs = ref.get(st.v.onnxName) as ArrayLike<number>;
          const theirsFloat = st.v.type === 'float32' ? Float32Array.from(theirs as ArrayLike<number>) : floatsOf(st.v, new Uint8Array((theirs as Int8Array).buffer, (theirs as Int8Array).byteOffset, n));
          for (let i = 0; i < mine.length; i++) {
            const d = Math.abs(mine[i] - theirsFloat[i]);
            st.maxDiff = Math.max(st.maxDiff, d);
            st.maxRef = Math.max(st.maxRef, Math.abs(theirsFloat[i]));
            const tol = st.lsb === undefined ? 1e-5 * Math.max(1, Math.abs(theirsFloat[i])) : st.lsb / 2;
            if (d <= tol) st.exact++;
            st.n++;
          }
        }
      }
    } finally {
      await session.release();
    }
    return {
      compiled,
      outputs: stats.map((st) => ({
        name: st.v.onnxName, type: st.v.type, elements: st.n, exactRate: st.n ? st.exact / st.n : 0,
        maxLsb: st.lsb === undefined ? NaN : Math.round(st.maxDiff / st.lsb), maxRelError: st.maxRef > 0 ? st.maxDiff / st.maxRef : st.maxDiff,
      })),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
