/**
 * A folder built with `--int8-io` takes and gives int8 where the model takes
 * and gives float (`edgec verify --from <folder>`): onnxruntime is fed the
 * inputs dequantized with the build's input parameters, and its float outputs
 * are quantized with the build's output parameters, so both sides compare in
 * the build's int8 (one LSB = one step of the build's scale).
 */
import type { Graph } from '../ir/graph.js';
import { dequantize, quantizeToInt8 } from '../ir/quant.js';
import type { Program, Value } from '../ir/program.js';
import type { NamedTensor, TensorData } from './reference.js';
import { EdgecError } from '../errors.js';

/** The model's float inputs the build takes as int8, by ONNX name. */
function int8EdgeInputs(program: Program, graph: Pick<Graph, 'tensors'>): Map<string, Value> {
  const edges = new Map<string, Value>();
  for (const id of program.inputs) {
    const v = program.values.get(id) as Value;
    if (v.type !== 'int8' || graph.tensors.get(v.onnxName)?.dtype !== 'float32') continue;
    if (v.perm && v.perm.some((p, i) => p !== i)) {
      throw new EdgecError(`verify: input '${v.onnxName}' of this build is int8 in another layout than the model's (--input-layout nhwc); verify such a folder by building without --from`, 2);
    }
    edges.set(v.onnxName, v);
  }
  return edges;
}

/** The reference's inputs for one sample: int8 edge inputs dequantized, the rest as given. */
export function referenceInputsFor(program: Program, graph: Pick<Graph, 'tensors'>): (sample: NamedTensor[]) => NamedTensor[] {
  const edges = int8EdgeInputs(program, graph);
  return (sample) => sample.map((t) => {
    const v = edges.get(t.name);
    if (!v) return t;
    return { ...t, type: 'float32', data: Float32Array.from(t.data as Int8Array, (q) => dequantize(q, v.scale, v.zeroPoint)) };
  });
}

/** A float reference tensor for an int8 value of the build, in the build's quantization. */
export function inBuildQuantization(v: Value, reference: TensorData): TensorData {
  if (v.type !== 'int8' || !(reference instanceof Float32Array)) return reference;
  return Int8Array.from(reference, (x) => quantizeToInt8(x, v.scale, v.zeroPoint));
}
