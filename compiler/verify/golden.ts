/**
 * Golden comparison: the generated C (run natively or as WebAssembly) against
 * onnxruntime on the original model, sample by sample (a .tflite: against
 * TensorFlow Lite Micro's interpreter, compiler/verify/tflm.ts).
 */
import { inBuildQuantization } from './int8-edges.js';
import { isTfliteFile } from '../model-file.js';
import { runTflmSamples } from './tflm.js';
import { valueBytes, type Program, type Value } from '../ir/program.js';
import { OutputComparison, type OutputStats } from './compare.js';
import { openReference, runReference, type NamedTensor, type TensorData } from './reference.js';

/** Runs the generated code on all samples at once: bytes in, bytes out. */
export type GeneratedRunner = (inputBytes: Uint8Array, samples: number) => Uint8Array | Promise<Uint8Array>;

function bytesOf(t: TensorData): Uint8Array {
  return new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
}

function typedView(v: Value, bytes: Uint8Array): TensorData {
  const copy = new Uint8Array(bytes); // a real copy: Buffer.slice() is a view into a shared pool
  switch (v.type) {
    case 'float32': return new Float32Array(copy.buffer);
    case 'int8': return new Int8Array(copy.buffer);
    case 'uint8': return new Uint8Array(copy.buffer);
    case 'int16': return new Int16Array(copy.buffer);
    case 'int32': return new Int32Array(copy.buffer);
  }
}

/** LSB of an output: 1 for integer data; the dequantize scale for float outputs (int8 or int16 dequantized). */
export function outputLsb(program: Program, v: Value): number {
  if (v.type !== 'float32') return 1;
  // an int16 model's float output has the int16 step: 1 (a whole real unit) would accept anything
  const dq = program.ops.find((op) => (op.kind === 'dequantize' || op.kind === 'dequantize_s16') && op.outputs[0] === v.id);
  return dq ? Number(dq.params.scale) : 1;
}

/** Classifier-like: one row of class scores per sample. */
export function classCount(v: Value): number | undefined {
  const dims = v.logicalShape.filter((d) => d > 1);
  return dims.length === 1 && dims[0] > 1 && dims[0] <= 1000 ? dims[0] : undefined;
}

export interface GoldenResult { outputs: OutputStats[]; samples: number }

/** Sees every (sample, output) pair: ours and the reference's data (e.g. for SQNR against a float model). */
export type SampleObserver = (sample: number, output: number, ours: TensorData, reference: TensorData) => void;

export async function compareWithReference(modelPath: string, program: Program, run: GeneratedRunner, samples: NamedTensor[][], opts: { observe?: SampleObserver; tieLsb?: (v: Value) => number; referenceInputs?: (sample: NamedTensor[]) => NamedTensor[] } = {}): Promise<GoldenResult> {
  const inputBytes = new Uint8Array(samples.reduce((a, s) => a + s.reduce((b, t) => b + t.data.byteLength, 0), 0));
  let pos = 0;
  for (const sample of samples) for (const t of sample) { inputBytes.set(bytesOf(t.data), pos); pos += t.data.byteLength; }
  const ours = await run(inputBytes, samples.length);
  const outValues = program.outputs.map((id) => program.values.get(id) as Value);
  const perSample = outValues.reduce((a, v) => a + valueBytes(v), 0);
  if (ours.length !== perSample * samples.length) throw new Error(`generated code wrote ${ours.length} bytes, expected ${perSample * samples.length}`);
  const tflm = isTfliteFile(modelPath) ? runTflmSamples(modelPath, program, samples) : undefined;
  const session = tflm ? undefined : await openReference(modelPath);
  const comparisons = outValues.map((v) => new OutputComparison(v.onnxName, outputLsb(program, v), classCount(v), opts.tieLsb?.(v) ?? 0));
  let off = 0;
  for (const [s, sample] of samples.entries()) {
    const ref = tflm ? undefined : await runReference(session!, opts.referenceInputs?.(sample) ?? sample, outValues.map((v) => v.onnxName));
    outValues.forEach((v, i) => {
      const n = valueBytes(v);
      const mine = typedView(v, ours.subarray(off, off + n));
      // an --int8-io build's int8 output against the model's float one: compared in the build's quantization
      const theirs = tflm ? tflm[s][i] : inBuildQuantization(v, ref!.get(v.onnxName) as TensorData);
      comparisons[i].add(mine, theirs);
      opts.observe?.(s, i, mine, theirs);
      off += n;
    });
  }
  await session?.release();
  return { outputs: comparisons.map((c) => c.stats()), samples: samples.length };
}
