/**
 * Run models with onnxruntime-node for reference outputs. Inputs and outputs
 * are plain typed arrays with dims; int64 is exchanged as Float64Array, like
 * the IR's constant data.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { onnxTypeCode, type BuilderDType } from './onnx-builder.js';

const { onnx } = onnxProto;

export type OrtData = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

export interface OrtInput {
  data: OrtData;
  dims: number[];
  /** Needed only to pass int64 as Float64Array (otherwise Float64Array means double) or bool as Uint8Array. */
  type?: 'int64' | 'bool';
}

export interface OrtOutput {
  dims: number[];
  /** onnxruntime's type name: float32, int8, uint8, int32, int64, bool... */
  type: string;
  data: Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array;
}

export interface RunOptions {
  /** Intermediate tensors to expose as extra outputs (added to a copy of the graph). */
  extraOutputs?: string[];
  /** onnxruntime graph optimisation level; default 'all' as onnxruntime itself. */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

function toOrtTensor(input: OrtInput): ort.Tensor {
  if (input.type === 'int64') {
    const big = input.data instanceof BigInt64Array ? input.data : BigInt64Array.from(input.data as ArrayLike<number>, (v) => BigInt(Math.trunc(v)));
    return new ort.Tensor('int64', big, input.dims);
  }
  if (input.type === 'bool') return new ort.Tensor('bool', input.data as Uint8Array, input.dims);
  return new ort.Tensor(input.data, input.dims);
}

function fromOrtTensor(t: ort.Tensor): OrtOutput {
  const dims = [...t.dims];
  const data = t.data;
  if (data instanceof BigInt64Array) return { dims, type: t.type, data: Float64Array.from(data, (v) => Number(v)) };
  if (data instanceof Float32Array || data instanceof Float64Array || data instanceof Int8Array || data instanceof Uint8Array
    || data instanceof Int16Array || data instanceof Int32Array) {
    return { dims, type: t.type, data };
  }
  throw new Error(`onnxruntime output of type ${t.type} is not supported by the test helper`);
}

/**
 * A copy of the model with extra graph outputs. Their element types come from
 * value_info when present, otherwise from edgec's own import (onnxruntime
 * needs a typed output).
 */
export function withExtraOutputs(model: Uint8Array, names: readonly string[]): Uint8Array {
  const proto = onnx.ModelProto.decode(model);
  const graph = proto.graph!;
  const outputs = (graph.output ??= []);
  const known = new Map((graph.valueInfo ?? []).map((v) => [v.name, v]));
  let imported: ReturnType<typeof loadModelBytes> | undefined;
  for (const name of names) {
    if (outputs.some((o) => o.name === name)) continue;
    const vi = known.get(name);
    if (vi?.type?.tensorType?.elemType) {
      outputs.push(vi);
      continue;
    }
    imported ??= loadModelBytes(model, { fold: false });
    const t = imported.tensors.get(name);
    if (!t) throw new Error(`no tensor '${name}' in the model`);
    outputs.push(onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnxTypeCode(t.dtype as BuilderDType) } },
    }));
  }
  return onnx.ModelProto.encode(proto).finish();
}

/** Run `model` (bytes or path) on `inputs`; returns every graph output (plus extraOutputs) by name. */
export async function runOrt(model: Uint8Array | string, inputs: Record<string, OrtInput>, opts: RunOptions = {}): Promise<Record<string, OrtOutput>> {
  let bytes = typeof model === 'string' ? new Uint8Array(readFileSync(model)) : model;
  if (opts.extraOutputs?.length) bytes = withExtraOutputs(bytes, opts.extraOutputs);
  // A path keeps external data resolvable; rewritten bytes must be passed in memory.
  const session = typeof model === 'string' && !opts.extraOutputs?.length
    ? await ort.InferenceSession.create(model, { graphOptimizationLevel: opts.optimization ?? 'all' })
    : await ort.InferenceSession.create(bytes, { graphOptimizationLevel: opts.optimization ?? 'all' });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, input] of Object.entries(inputs)) feeds[name] = toOrtTensor(input);
    const results = await session.run(feeds);
    const out: Record<string, OrtOutput> = {};
    for (const [name, t] of Object.entries(results)) out[name] = fromOrtTensor(t);
    return out;
  } finally {
    await session.release();
  }
}
