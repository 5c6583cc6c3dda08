/**
 * Runs a host build of a quantized model natively (the generated C with the
 * host compiler) on float samples and returns its outputs as floats. The
 * PTQ accuracy report uses it, and so does `--calibration-method auto`,
 * which must score each candidate by the arithmetic the device runs: on
 * VWW, onnxruntime's float requantization (±1 LSB per layer) drifts up to
 * 14 LSB at the output, enough to rank the methods wrongly on few samples.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Program, Value } from '../ir/program.js';
import { valueBytes } from '../ir/program.js';
import type { EmitResult } from '../emit/c-emitter.js';
import { QUANTIZED_RANGE, quantizeToInt8, quantizeValue } from '../ir/quant.js';
import { buildNativeRunner, runNativeTraced, type NativeRun } from '../verify/native.js';
import { toPhysical } from '../verify/layers.js';
import type { NamedTensor, TensorData } from '../verify/reference.js';

/** Calibration samples the accuracy report and --calibration-method auto's trials run: the first 100. */
export const ACCURACY_SAMPLES = 100;

/** What the native run needs of a build (a Compiled has both). */
export interface HostBuild { program: Program; emitted: Pick<EmitResult, 'files'> }

/**
 * What the generated code reads for one float calibration sample: each input
 * in its physical layout (--input-layout nhwc), quantized with the input's
 * parameters where the build takes int8 (--int8-io).
 */
export function runnerInputBytes(program: Program, sample: readonly NamedTensor[]): Uint8Array[] {
  return program.inputs.map((id) => {
    const v = program.values.get(id) as Value;
    const t = sample.find((s) => s.name === v.onnxName);
    if (!t) throw new Error(`internal: no calibration data for input '${v.onnxName}'`);
    // the sample is in the model's declared layout (its dims); an --input-layout nhwc input's logicalShape is already NHWC
    const physical = v.perm ? toPhysical(t.data as Float32Array, t.dims, v.perm) : Array.from(t.data as Float32Array);
    if (v.type === 'int8') return new Uint8Array(Int8Array.from(physical, (x) => quantizeToInt8(x, v.scale, v.zeroPoint)).buffer);
    // an int16 model built --int8-io takes int16
    if (v.type === 'int16') return new Uint8Array(Int16Array.from(physical, (x) => quantizeValue(x, v.scale, v.zeroPoint, QUANTIZED_RANGE.int16)).buffer);
    // uint8 quantization is int8 quantization with the zero point 128 lower, shifted up by 128
    if (v.type === 'uint8') return Uint8Array.from(physical, (x) => quantizeToInt8(x, v.scale, v.zeroPoint - 128) + 128);
    return new Uint8Array(Float32Array.from(physical).buffer);
  });
}

const concatBytes = (parts: readonly Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

/** An output's bytes as the floats they stand for (int8/uint8/int16/int32 dequantized with the value's parameters). */
export function outputFloats(v: Value, bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes);
  if (v.type === 'float32') return new Float32Array(copy.buffer);
  const ints = v.type === 'int8' ? new Int8Array(copy.buffer) : v.type === 'uint8' ? new Uint8Array(copy.buffer)
    : v.type === 'int16' ? new Int16Array(copy.buffer) : new Int32Array(copy.buffer);
  return Float32Array.from(ints, (q) => v.scale * (q - v.zeroPoint));
}

/** Compiles the build's files with the host compiler and runs every sample; `flags` e.g. -DEDGEC_TRACING. */
export function runHostBuild(build: HostBuild, samples: readonly (readonly NamedTensor[])[], flags: string[] = []): NativeRun {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-ptq-'));
  try {
    for (const f of build.emitted.files) writeFileSync(join(dir, f.path), f.contents);
    const exe = buildNativeRunner(dir, build.program.name, flags.length > 0 ? { flags } : {});
    return runNativeTraced(exe, concatBytes(samples.flatMap((sample) => runnerInputBytes(build.program, sample))), samples.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The run's outputs per sample, as floats by ONNX name. */
export function outputsPerSample(program: Program, run: NativeRun, samples: number): Map<string, Float32Array>[] {
  const outValues = program.outputs.map((id) => program.values.get(id) as Value);
  const perSample = outValues.reduce((a, v) => a + valueBytes(v), 0);
  const result: Map<string, Float32Array>[] = [];
  for (let s = 0; s < samples; s++) {
    let off = s * perSample;
    const outputs = new Map<string, Float32Array>();
    for (const v of outValues) {
      const n = valueBytes(v);
      outputs.set(v.onnxName, outputFloats(v, run.outputs.subarray(off, off + n)));
      off += n;
    }
    result.push(outputs);
  }
  return result;
}

/** Signal-to-quantization-noise ratio in dB (Infinity when exact). */
export class Sqnr {
  private signal = 0;
  private noise = 0;
  add(reference: ArrayLike<number>, ours: ArrayLike<number>): void {
    for (let i = 0; i < reference.length; i++) {
      const r = Number(reference[i]);
      this.signal += r * r;
      this.noise += (r - Number(ours[i])) ** 2;
    }
  }
  db(): number {
    if (this.noise === 0) return Infinity;
    return 10 * Math.log10(this.signal / this.noise);
  }
}

/** One SQNR over every output of every sample: `ours` (the C's, or onnxruntime's QDQ run's) against the float `reference`. */
export function pooledSqnr(reference: readonly Map<string, TensorData>[], ours: readonly Map<string, ArrayLike<number>>[]): number {
  const sqnr = new Sqnr();
  reference.forEach((ref, s) => {
    for (const [name, r] of ref) {
      const q = ours[s]?.get(name);
      if (!q) throw new Error(`internal: no output '${name}' to compare`);
      sqnr.add(r, q);
    }
  });
  return sqnr.db();
}

/** The host build's output SQNR against the float outputs of the same samples. */
export function hostBuildSqnr(build: HostBuild, samples: readonly (readonly NamedTensor[])[], reference: readonly Map<string, TensorData>[]): number {
  const run = runHostBuild(build, samples);
  return pooledSqnr(reference, outputsPerSample(build.program, run, samples.length));
}
