/** onnxruntime (the reference) on the original ONNX model. */
import * as ort from 'onnxruntime-node';
import type { Value } from '../ir/program.js';

export type TensorData = Float32Array | Int8Array | Uint8Array | Int16Array | Int32Array;

export interface NamedTensor {
  name: string;
  type: Value['type'];
  dims: number[];
  data: TensorData;
}

const ORT_TYPES: Record<Value['type'], ort.Tensor.Type> = { float32: 'float32', int8: 'int8', uint8: 'uint8', int16: 'int16', int32: 'int32' };

/** Runs one sample; returns the requested outputs (default: the model's) by name. */
export async function runReference(session: ort.InferenceSession, inputs: NamedTensor[], outputNames?: string[]): Promise<Map<string, TensorData>> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) feeds[t.name] = new ort.Tensor(ORT_TYPES[t.type], t.data, t.dims);
  const results = await session.run(feeds, outputNames ?? session.outputNames);
  const out = new Map<string, TensorData>();
  for (const [name, tensor] of Object.entries(results)) out.set(name, tensor.data as TensorData);
  return out;
}

export async function openReference(model: string | Uint8Array): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, logSeverityLevel: 3 };
  return typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options);
}
