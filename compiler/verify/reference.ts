/** onnxruntime (the reference) on the original ONNX model. */
import * as ort from 'onnxruntime-node';
import type { Value } from '../ir/program.js';
import { displayName, EdgecError } from '../errors.js';

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

/**
 * An onnxruntime session on `model`. A model onnxruntime cannot load (e.g. a
 * batch-major LSTM: it runs no `layout` 1 recurrent layer) is one line, exit
 * 2: onnxruntime is the reference `verify`, `--selftest` and calibration run.
 */
export async function openReference(model: string | Uint8Array): Promise<ort.InferenceSession> {
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1, logSeverityLevel: 4 };
  try {
    return await (typeof model === 'string' ? ort.InferenceSession.create(model, options) : ort.InferenceSession.create(model, options));
  } catch (e) {
    // onnxruntime's message: "... Exception during initialization: <source path>:<line> <function> <reason>"
    const text = String(e instanceof Error ? e.message : e).replace(/\s+/g, ' ').trim();
    const reason = text.replace(/^.*?(Exception during initialization|Load model from \S+ failed):\s*/, '').replace(/^\S+\.(h|cc|cpp):\d+ .*?\) /, '');
    const what = typeof model === 'string' ? `'${displayName(model)}'` : 'the model';
    throw new EdgecError(`onnxruntime, edgec's reference, cannot run ${what}: ${displayName(reason, 300)}`, 2);
  }
}
