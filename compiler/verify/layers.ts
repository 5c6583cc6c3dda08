/**
 * Layer-by-layer comparison: every op's output in the generated C (traced
 * through EDGEC_TRACE) against the same tensor in onnxruntime (exposed as an
 * extra graph output), in our physical layout. Names the first layer whose
 * difference exceeds the tolerance.
 */
import { inBuildQuantization } from './int8-edges.js';
import type { Graph } from '../ir/graph.js';
import type { Program, Value } from '../ir/program.js';
import { physicalShape, rowMajorStrides } from '../ir/layout.js';
import { producedTensorNames, withExtraOutputs } from '../onnx/edit.js';
import { openReference, runReference, type NamedTensor, type TensorData } from './reference.js';

export interface LayerStats {
  index: number;
  op: string;
  onnxOp: string;
  kind: string;
  tensor: string;
  elements: number;
  exactRate: number;
  maxDiffLsb: number;
}

/** Logical (ONNX order) data -> physical order given perm. */
export function toPhysical(data: ArrayLike<number>, logicalShape: number[], perm: number[]): number[] {
  const phys = physicalShape(logicalShape, perm);
  const logicalStrides = rowMajorStrides(logicalShape);
  const n = phys.reduce((a, b) => a * b, 1);
  const out = new Array<number>(n);
  const idx = new Array<number>(phys.length).fill(0);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let d = 0; d < phys.length; d++) src += idx[d] * logicalStrides[perm[d]];
    out[i] = Number(data[src]);
    for (let d = phys.length - 1; d >= 0; d--) { if (++idx[d] < phys[d]) break; idx[d] = 0; }
  }
  return out;
}

/** Parses the harness trace: records (int32 layer, uint32 bytes, data) for every op of every sample. */
export function parseTrace(trace: Uint8Array): { layer: number; data: Uint8Array }[] {
  const view = new DataView(trace.buffer, trace.byteOffset, trace.byteLength);
  const records: { layer: number; data: Uint8Array }[] = [];
  for (let pos = 0; pos + 8 <= trace.length;) {
    const layer = view.getInt32(pos, true);
    const bytes = view.getUint32(pos + 4, true);
    records.push({ layer, data: trace.subarray(pos + 8, pos + 8 + bytes) });
    pos += 8 + bytes;
  }
  return records;
}

function comparable(program: Program, graph: Pick<Graph, 'tensors'>, v: Value): boolean {
  return !!v.perm && (v.type === 'int8' || v.type === 'uint8' || v.type === 'int16') && graph.tensors.has(v.onnxName) && !program.inputs.includes(v.id);
}

/** Runs the traced build: sample bytes in (and optional injection records), trace bytes out. */
export type TracedRunner = (inputBytes: Uint8Array, samples: number, inject?: Uint8Array) => Uint8Array | Promise<Uint8Array>;

function encodeRecords(records: { layer: number; data: Uint8Array }[]): Uint8Array {
  const out = new Uint8Array(records.reduce((a, r) => a + 8 + r.data.length, 0));
  const view = new DataView(out.buffer);
  let pos = 0;
  for (const r of records) {
    view.setInt32(pos, r.layer, true);
    view.setUint32(pos + 4, r.data.length, true);
    out.set(r.data, pos + 8);
    pos += 8 + r.data.length;
  }
  return out;
}

export function sampleBytes(samples: NamedTensor[][]): Uint8Array {
  const all = samples.flat();
  const out = new Uint8Array(all.reduce((a, t) => a + t.data.byteLength, 0));
  let pos = 0;
  for (const t of all) { out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos); pos += t.data.byteLength; }
  return out;
}

/**
 * Compares every layer's output with onnxruntime's. `isolated`: each layer
 * is fed the reference's input (the harness replaces every compared layer's
 * output with the reference data), so a layer's figures are its own error;
 * otherwise differences accumulate along the model as they do in deployment.
 */
export async function compareLayers(modelPath: string, graph: Pick<Graph, 'tensors'>, program: Program, run: TracedRunner, samples: NamedTensor[][], isolated = true, referenceInputs?: (sample: NamedTensor[]) => NamedTensor[]): Promise<LayerStats[]> {
  const inModel = producedTensorNames(modelPath);
  // a value written in parts (patch-based execution: one op per tile) is whole after its last writer only:
  // compared and, in isolation, replaced there (an earlier tile's injection would be overwritten by later tiles)
  const lastWriter = new Map(program.ops.map((op, index) => [op.outputs[0], index] as const));
  const layers = program.ops.map((op, index) => ({ op, index, value: program.values.get(op.outputs[0]) as Value }))
    .filter((l) => lastWriter.get(l.op.outputs[0]) === l.index && comparable(program, graph, l.value) && inModel.has(l.value.onnxName));
  const names = [...new Set(layers.map((l) => l.value.onnxName))];
  if (names.length === 0) return [];
  const session = await openReference(withExtraOutputs(modelPath, names));
  const expectedBySample: (Int8Array | Int16Array)[][] = [];
  for (const sample of samples) {
    const ref = await runReference(session, referenceInputs?.(sample) ?? sample, names);
    expectedBySample.push(layers.map((l) => {
      // a float model output that an --int8-io build gives as int8: in the build's quantization
      const refData = inBuildQuantization(l.value, ref.get(l.value.onnxName) as TensorData);
      // uint8 tensors of the model are int8 - 128 inside edgec
      const shift = refData instanceof Uint8Array && l.value.type === 'int8' ? -128 : 0;
      const physical = toPhysical(refData, l.value.logicalShape, l.value.perm as number[]);
      return l.value.type === 'int16' ? Int16Array.from(physical) : Int8Array.from(physical, (v) => v + shift);
    }));
  }
  await session.release();
  const inject = isolated
    ? encodeRecords(expectedBySample.flatMap((exp) => layers.map((l, k) => ({ layer: l.index, data: new Uint8Array(exp[k].buffer) }))))
    : undefined;
  const records = parseTrace(await run(sampleBytes(samples), samples.length, inject));
  const perSample = program.ops.length;
  const stats = layers.map((l) => ({ index: l.index, op: l.op.name, onnxOp: l.op.onnxOp, kind: l.op.kind, tensor: l.value.onnxName, elements: 0, exact: 0, maxDiffLsb: 0 }));
  for (let s = 0; s < samples.length; s++) {
    layers.forEach((l, k) => {
      const expected = expectedBySample[s][k];
      const shift = 0;
      const rec = records[s * perSample + l.index].data;
      // a copy (new Uint8Array, not Buffer.slice, which is a view): trace records start at any byte offset, an Int16Array view needs an even one
      const ours = l.value.type === 'int16' ? new Int16Array(new Uint8Array(rec).buffer) : new Int8Array(rec.buffer, rec.byteOffset, rec.byteLength);
      for (let i = 0; i < expected.length; i++) {
        const d = Math.abs(ours[i] - (expected[i] + shift));
        if (d === 0) stats[k].exact++;
        stats[k].maxDiffLsb = Math.max(stats[k].maxDiffLsb, d);
      }
      stats[k].elements += expected.length;
    });
  }
  return stats.map((s) => ({ index: s.index, op: s.op, onnxOp: s.onnxOp, kind: s.kind, tensor: s.tensor, elements: s.elements, exactRate: s.elements ? s.exact / s.elements : 1, maxDiffLsb: s.maxDiffLsb }));
}
