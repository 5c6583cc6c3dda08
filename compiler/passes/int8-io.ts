/**
 * `--int8-io`: expose the model's int8 tensors directly instead of float
 * inputs/outputs with QuantizeLinear/DequantizeLinear at the edges. Users
 * then feed int8 data (e.g. with edgec_quantize_f32()) and the float buffers
 * leave the arena: on vww_mobilenet the 96x96x3 float input alone is 108 KB.
 * An int16 model's edges are exposed the same way, as int16.
 */
import type { Program } from '../ir/program.js';
import { EDGE_DEQUANTIZE_KINDS, EDGE_QUANTIZE_KINDS } from '../ops/quantize.js';

export interface Int8Edges {
  inputs: boolean;
  outputs: boolean;
}

/** `edges`: which side to expose as int8 (a split head keeps float inputs and sends its int8 cut tensor). */
export function int8Io(program: Program, edges: Int8Edges = { inputs: true, outputs: true }): Program {
  const ops = program.ops.slice();
  const values = new Map(program.values);
  const inputs = program.inputs.map((id) => {
    if (!edges.inputs) return id;
    // quantize_s16 / dequantize_s16: an int16 model's edges, exposed as int16
    const q = ops.find((op) => EDGE_QUANTIZE_KINDS.has(op.kind) && op.inputs[0] === id);
    const readers = ops.filter((op) => op.inputs.includes(id));
    if (!q || readers.length !== 1) return id;
    ops.splice(ops.indexOf(q), 1);
    values.delete(id);
    const inner = values.get(q.outputs[0]);
    if (!inner) return id;
    const original = program.values.get(id);
    values.set(inner.id, { ...inner, role: 'input', onnxName: original?.onnxName ?? inner.onnxName, logicalShape: original?.logicalShape ?? inner.logicalShape });
    return inner.id;
  });
  const outputs = program.outputs.map((id) => {
    if (!edges.outputs) return id;
    const dq = ops.find((op) => EDGE_DEQUANTIZE_KINDS.has(op.kind) && op.outputs[0] === id);
    if (!dq) return id;
    const inner = values.get(dq.inputs[0]);
    if (!inner || inner.role === 'input') return id;
    ops.splice(ops.indexOf(dq), 1);
    values.delete(id);
    const original = program.values.get(id);
    values.set(inner.id, { ...inner, role: 'output', onnxName: original?.onnxName ?? inner.onnxName, logicalShape: original?.logicalShape ?? inner.logicalShape });
    return inner.id;
  });
  return { ...program, ops, values, inputs, outputs };
}
