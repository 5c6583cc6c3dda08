/** Edits of a serialized model that verification needs (intermediate tensors as outputs). */
import { readFileSync } from 'node:fs';
import { onnx } from './proto.js';

/** The model with `names` appended to the graph outputs, so onnxruntime returns them too. */
export function withExtraOutputs(modelPath: string, names: string[]): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(modelPath));
  const graph = model.graph;
  if (!graph) throw new Error(`internal: ${modelPath} has no graph`);
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  for (const name of names) {
    if (!existing.has(name)) (graph.output ??= []).push(onnx.ValueInfoProto.create({ name }));
  }
  return onnx.ModelProto.encode(model).finish();
}

/** Names of the tensors a model file computes or takes (node outputs and graph inputs). */
export function modelTensorNames(modelPath: string): Set<string> {
  const graph = onnx.ModelProto.decode(readFileSync(modelPath)).graph;
  const names = new Set<string>((graph?.input ?? []).map((i) => i.name ?? ''));
  for (const n of graph?.node ?? []) for (const o of n.output ?? []) names.add(o);
  return names;
}
