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
 * Names of the values the model file itself computes (node outputs): the only
 * intermediate tensors onnxruntime can be asked for. Graph passes add tensors
 * of their own (e.g. `<name>_q` when they quantize a float tensor), which the
 * reference does not have.
 */
export function computedValueNames(modelPath: string): Set<string> {
  const graph = onnx.ModelProto.decode(readFileSync(modelPath)).graph;
  return new Set((graph?.node ?? []).flatMap((n) => n.output ?? []));
}
