/**
 * "Retrains" only the classifier of a QDQ model: new int8 weights and int32
 * bias for the last Gemm/MatMul, same scales, so the compiled code (and the
 * blob fingerprint) stays the same and only that layer's arrays change.
 */
import { readFileSync } from 'node:fs';
import { onnx, type TensorProto } from '../../compiler/onnx/proto.js';
import { prng } from '../../compiler/verify/samples.js';

function perturbTensor(t: TensorProto, rand: () => number, amplitude: number): void {
  const isInt8 = t.dataType === 3;
  const width = isInt8 ? 1 : 4;
  if (t.rawData && t.rawData.length) {
    const raw = Buffer.from(t.rawData);
    for (let i = 0; i < raw.length / width; i++) {
      const delta = Math.round((rand() * 2 - 1) * amplitude);
      if (isInt8) raw.writeInt8(Math.max(-127, Math.min(127, raw.readInt8(i) + delta)), i);
      else raw.writeInt32LE(raw.readInt32LE(i * 4) + delta, i * 4);
    }
    t.rawData = raw;
  } else {
    t.int32Data = (t.int32Data ?? []).map((v) => (isInt8 ? Math.max(-127, Math.min(127, v + Math.round((rand() * 2 - 1) * amplitude))) : v + Math.round((rand() * 2 - 1) * amplitude)));
  }
}

export function retrainClassifier(modelPath: string, seed: number): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(modelPath));
  const graph = model.graph;
  if (!graph) throw new Error(`${modelPath}: no graph`);
  const nodes = graph.node ?? [];
  const last = [...nodes].reverse().find((n) => n.opType === 'Gemm' || n.opType === 'MatMul');
  if (!last) throw new Error(`${modelPath}: no Gemm/MatMul`);
  const rand = prng(seed);
  const inits = new Map((graph.initializer ?? []).map((t) => [t.name ?? '', t]));
  for (const [slot, amplitude] of [[1, 24], [2, 400]] as const) {
    const input = last.input?.[slot];
    if (!input) continue;
    const dq = nodes.find((n) => n.opType === 'DequantizeLinear' && n.output?.[0] === input);
    const t = inits.get(dq?.input?.[0] ?? input);
    if (t) perturbTensor(t, rand, amplitude);
  }
  return onnx.ModelProto.encode(model).finish();
}
