/**
 * What quantization cost: float vs int8 model size, and the generated int8 C
 * (built with the host compiler, run on the calibration samples) against the
 * float model in onnxruntime — SQNR per output, top-1 agreement, and with
 * `layers` the SQNR of every int8 layer output (traced, errors accumulating
 * as on the device) against the same float tensor.
 */
import { libraryUsed } from '../backends/index.js';
import { compileModel, type Compiled } from '../pipeline.js';
import type { Graph } from '../ir/graph.js';
import { bytesPerElement, elementCount } from '../ir/graph.js';
import type { Value } from '../ir/program.js';
import { ACCURACY_SAMPLES, outputsPerSample, runHostBuild, Sqnr } from './native-run.js';
import { openReference, runReference, type NamedTensor } from '../verify/reference.js';
import { parseTrace, toPhysical } from '../verify/layers.js';
import { argmax } from '../verify/compare.js';
import { classCount } from '../verify/golden.js';
import type { Quantized } from './index.js';
import { writeOnnx } from './onnx-writer.js';

/** int8Bytes: every constant array of the build (float32 ones of layers kept float included, floatLayerBytes of them). */
export interface SizeReport { floatBytes: number; int8Bytes: number; ratio: number; floatLayerBytes?: number }
export interface OutputAccuracy { name: string; sqnrDb: number; top1Agree?: number }
export interface LayerAccuracy { index: number; op: string; onnxOp: string; tensor: string; sqnrDb: number }
/** activations: the quantized model's activation type (int16 / mixed from --activations / --int16-layers). */
export interface AccuracyReport { samples: number; size: SizeReport; outputs: OutputAccuracy[]; layers?: LayerAccuracy[]; activations?: 'int8' | 'int16' | 'mixed' }

/** Bytes of the float model's constants (its weights) vs the int8 program's constant arrays. */
export function sizeReport(floatGraph: Graph, c: Compiled): SizeReport {
  let floatBytes = 0;
  for (const t of floatGraph.tensors.values()) if (t.data && t.dtype === 'float32') floatBytes += elementCount(t.shape) * bytesPerElement(t.dtype);
  let int8Bytes = 0;
  let floatLayerBytes = 0;
  for (const k of c.program.consts.values()) {
    int8Bytes += k.data.byteLength;
    if (k.type === 'float32') floatLayerBytes += k.data.byteLength;
  }
  return { floatBytes, int8Bytes, ratio: floatBytes > 0 ? int8Bytes / floatBytes : 1, ...(floatLayerBytes ? { floatLayerBytes } : {}) };
}

export { Sqnr } from './native-run.js';

/** The float tensor a quantized layer output stands for (fold-qdq names it after its QuantizeLinear). */
export function floatTensorFor(floatGraph: Graph, onnxName: string): string | undefined {
  const base = onnxName.replace(/_QuantizeLinear(_\d+)?$/, '');
  for (const name of [base, base.replace(/_float(_\d+)?$/, '')]) if (floatGraph.tensors.has(name) && !floatGraph.tensors.get(name)?.data && !floatGraph.inputs.includes(name)) return name;
  return undefined;
}

/**
 * The host run needs the portable kernels: a build for a library backend
 * (CMSIS-NN, ESP-NN) is recompiled portable, which is bit-exact with them;
 * so is a `--weights blob` build (same graph, const weights: nothing to bind).
 */
export async function measureAccuracy(built: Compiled, q: Quantized, opts: { maxSamples?: number; layers?: boolean } = {}): Promise<AccuracyReport> {
  // a `--weights blob` build needs a bound blob to run: measure the same graph with const weights
  const c = !libraryUsed(built.backend, built.program.ops) && !built.emitted.weightsBlob ? built
    : compileModel(built.graph.fileName, { name: built.program.name, board: 'host', backend: 'portable', modelBytes: q.qdqBytes, floatLayers: q.floatLayers });
  const samples: NamedTensor[][] = q.samples.slice(0, opts.maxSamples ?? ACCURACY_SAMPLES);
  const { program } = c;
  const outValues = program.outputs.map((id) => program.values.get(id) as Value);
  const layerOps = opts.layers ? program.ops.map((op, index) => ({ op, index, value: program.values.get(op.outputs[0]) as Value }))
    .filter((l) => l.value.perm && (l.value.type === 'int8' || l.value.type === 'int16') && floatTensorFor(q.floatGraph, l.value.onnxName) !== undefined) : [];
  const floatNames = [...new Set(layerOps.map((l) => floatTensorFor(q.floatGraph, l.value.onnxName) as string))];
  const run = runHostBuild(c, samples, opts.layers ? ['-DEDGEC_TRACING'] : []);
  const oursPerSample = outputsPerSample(program, run, samples.length);
  const session = await openReference(floatNames.length > 0 ? writeOnnx(q.floatGraph, floatNames) : q.floatBytes);
  const outSqnr = outValues.map(() => new Sqnr());
  const top1 = outValues.map(() => 0);
  const layerSqnr = layerOps.map(() => new Sqnr());
  const records = run.trace ? parseTrace(run.trace) : [];
  try {
    for (let s = 0; s < samples.length; s++) {
      const ref = await runReference(session, samples[s], [...outValues.map((v) => v.onnxName), ...floatNames.filter((n) => !outValues.some((v) => v.onnxName === n))]);
      outValues.forEach((v, i) => {
        const ours = oursPerSample[s].get(v.onnxName) as Float32Array;
        const expected = ref.get(v.onnxName) as Float32Array;
        outSqnr[i].add(expected, ours);
        const k = classCount(v);
        if (k) for (let r = 0; r + k <= ours.length; r += k) if (argmax(ours, r, k) === argmax(expected, r, k)) top1[i]++;
      });
      layerOps.forEach((l, k) => {
        const rec = records[s * program.ops.length + l.index].data;
        // int16 layers (16x8) trace two bytes per value; a copy, as the record may sit at an odd offset
        const ints = l.value.type === 'int16' ? new Int16Array(new Uint8Array(rec).buffer) : new Int8Array(rec.buffer, rec.byteOffset, rec.byteLength);
        const ours = Array.from(ints, (x) => l.value.scale * (x - l.value.zeroPoint));
        const expected = toPhysical(ref.get(floatTensorFor(q.floatGraph, l.value.onnxName) as string) as Float32Array, l.value.logicalShape, l.value.perm as number[]);
        layerSqnr[k].add(expected, ours);
      });
    }
  } finally {
    await session.release();
  }
  const outputs = outValues.map((v, i): OutputAccuracy => {
    const k = classCount(v);
    const rows = k ? samples.length * Math.max(1, Math.floor(elementCount(v.shape) / k)) : 0;
    return { name: v.onnxName, sqnrDb: outSqnr[i].db(), top1Agree: k ? top1[i] / rows : undefined };
  });
  const layers = opts.layers ? layerOps.map((l, k): LayerAccuracy => ({ index: l.index, op: l.op.name, onnxOp: l.op.onnxOp, tensor: floatTensorFor(q.floatGraph, l.value.onnxName) as string, sqnrDb: layerSqnr[k].db() })) : undefined;
  return { samples: samples.length, size: sizeReport(q.floatGraph, built), outputs, layers, activations: q.activations };
}

const db = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)} dB` : 'exact');

export function formatAccuracy(r: AccuracyReport, method: string): string[] {
  const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
  const kept = r.size.floatLayerBytes ? ` (${r.size.floatLayerBytes} B of it float32 layers)` : '';
  const activations = r.activations && r.activations !== 'int8' ? `, ${r.activations === 'int16' ? 'int16' : 'int8 + int16'} activations` : '';
  const lines = [`quantized (${method} calibration${activations}): weights ${r.size.floatBytes} B float -> ${r.size.int8Bytes} B int8${kept} (${pct(r.size.ratio)}, ${pct(1 - r.size.ratio)} smaller)`];
  for (const o of r.outputs) {
    lines.push(`  output '${o.name}': SQNR ${db(o.sqnrDb)} vs float${o.top1Agree === undefined ? '' : `, top-1 agreement ${pct(o.top1Agree)}`} (${r.samples} calibration samples, ${r.activations === 'int16' ? 'int16' : r.activations === 'mixed' ? 'int8/int16' : 'int8'} C vs onnxruntime float)`);
  }
  if (r.layers) {
    lines.push('  per-layer SQNR (int8 C layer output vs the float tensor, errors accumulated):');
    for (const l of r.layers) lines.push(`    ${String(l.index).padStart(3)} ${l.onnxOp.padEnd(14)} ${db(l.sqnrDb).padStart(9)}  ${l.tensor}`);
  }
  return lines;
}
