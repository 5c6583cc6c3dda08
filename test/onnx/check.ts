/** Shared checks for the onnx import tests: shapes from loadModel, cross-checked with onnxruntime's actual outputs. */
import { expect } from 'vitest';
import type { Graph } from '../../compiler/ir/graph.js';
import { elementCount } from '../../compiler/ir/graph.js';
import { loadModelBytes, type LoadOptions } from '../../compiler/onnx/load.js';
import type { OnnxBuilder } from '../helpers/onnx-builder.js';
import { runOrt, type OrtInput } from '../helpers/ort.js';

/** Deterministic pseudo-random inputs for every graph input, typed as the loader sees it. */
export function randomInputs(graph: Graph, seed = 1): Record<string, OrtInput> {
  let s = seed;
  const next = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const inputs: Record<string, OrtInput> = {};
  for (const name of graph.inputs) {
    const t = graph.tensors.get(name)!;
    const n = elementCount(t.shape);
    switch (t.dtype) {
      case 'float32': inputs[name] = { data: Float32Array.from({ length: n }, () => next() * 4 - 2), dims: t.shape }; break;
      case 'int8': inputs[name] = { data: Int8Array.from({ length: n }, () => Math.floor(next() * 256) - 128), dims: t.shape }; break;
      case 'uint8': inputs[name] = { data: Uint8Array.from({ length: n }, () => Math.floor(next() * 256)), dims: t.shape }; break;
      case 'int32': inputs[name] = { data: Int32Array.from({ length: n }, () => Math.floor(next() * 3)), dims: t.shape }; break;
      case 'int64': inputs[name] = { data: Float64Array.from({ length: n }, () => Math.floor(next() * 3)), dims: t.shape, type: 'int64' }; break;
      default: throw new Error(`randomInputs: ${t.dtype} not handled`);
    }
  }
  return inputs;
}

/**
 * Load the model, check the expected shapes, then run onnxruntime and check
 * that every graph output has exactly the inferred shape.
 */
export async function expectShapes(b: OnnxBuilder, expected: Record<string, number[]>, options: LoadOptions = {}): Promise<Graph> {
  const bytes = b.toBytes();
  const graph = loadModelBytes(bytes, options);
  for (const [name, shape] of Object.entries(expected)) expect(graph.tensors.get(name)?.shape, name).toEqual(shape);
  expectFullyShaped(graph);
  const results = await runOrt(bytes, randomInputs(graph), { optimization: 'disabled' });
  for (const name of graph.outputs) {
    expect(results[name]?.dims, `onnxruntime shape of ${name}`).toEqual(graph.tensors.get(name)!.shape);
    expect(results[name]?.type, `onnxruntime type of ${name}`).toBe(graph.tensors.get(name)!.dtype);
  }
  return graph;
}

export function expectFullyShaped(graph: Graph): void {
  for (const node of graph.nodes) {
    for (const name of [...node.inputs, ...node.outputs]) {
      if (name === '') continue;
      const t = graph.tensors.get(name);
      expect(t, `tensor ${name}`).toBeDefined();
      expect(t!.shape.every((d) => Number.isInteger(d) && d >= 0), `${name} ${JSON.stringify(t!.shape)}`).toBe(true);
      expect(t!.dtype).toBeTruthy();
    }
  }
  for (const name of [...graph.inputs, ...graph.outputs]) expect(graph.tensors.has(name), name).toBe(true);
}
