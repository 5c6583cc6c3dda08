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

/**
 * Names of the tensors the model's own nodes write. Passes add tensors of
 * their own (a Q/DQ pair around a float island writes `<name>_q`); the
 * reference cannot return those, so layer checks skip them.
 */
export function producedTensorNames(modelPath: string): Set<string> {
  const model = onnx.ModelProto.decode(readFileSync(modelPath));
  return new Set((model.graph?.node ?? []).flatMap((n) => n.output ?? []));
}
