/**
 * propagate-quant alone: the PPQ / esp-ppq / NNCF layouts with data-movement
 * ops outside the QDQ islands get Q/DQ (or an int8 label) with the
 * parameters of the DQ before or the Q after, and nothing else changes.
 */
import { describe, expect, it } from 'vitest';
import { propagateQuant } from '../../compiler/passes/propagate-quant.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { act, opTypes, Pat, ppqHead, Rand } from './patterns.js';

const A = act(0.05, -3);
const O = act(0.1, 5);

/** The quantization fold-qdq gives tensor `name` after this pass (int8 parameters of the tensor the op reads). */
function quantAfterFold(g: Graph, reader: string, slot = 0): { scale: number; zeroPoint: number } | undefined {
  foldQdq(g);
  const node = g.nodes.find((n) => n.opType === reader);
  const t = node ? g.tensors.get(node.inputs[slot]) : undefined;
  return t?.quant ? { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] } : undefined;
}

describe('propagate-quant', () => {
  it('PPQ head: the Transpose and Reshape outputs take the DQ parameters', () => {
    const g = propagateQuant(ppqHead(new Rand(1), A, O).graph());
    expect(opTypes(g).filter((o) => o === 'QuantizeLinear')).toHaveLength(4); // input, Transpose, Reshape, Gemm
    expect(quantAfterFold(g, 'Gemm')).toEqual({ scale: A.scale, zeroPoint: A.zeroPoint });
  });

  it('NNCF fire: a Concat of different quantizations no reader quantizes gets the union of its inputs\' ranges', () => {
    const p = new Pat();
    const B = act(0.02, -128); // [0, 5.1] next to A's [-6.25, 6.5]
    const c = p.b.op('Concat', [p.qdq(p.floatInput('a', [1, 2, 4, 4]), A), p.qdq(p.floatInput('b', [1, 3, 4, 4]), B)], { axis: 1 });
    const m = p.b.op('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] });
    p.out(p.b.op('GlobalAveragePool', [m]), O);
    const g = propagateQuant(p.graph());
    const q = quantAfterFold(g, 'GlobalAveragePool');
    expect(q).toBeDefined();
    const lo = q!.scale * (-128 - q!.zeroPoint);
    const hi = q!.scale * (127 - q!.zeroPoint);
    expect(lo).toBeLessThanOrEqual(A.scale * (-128 - A.zeroPoint) + 1e-6);
    expect(hi).toBeGreaterThanOrEqual(Math.max(A.scale * (127 - A.zeroPoint), B.scale * (127 - B.zeroPoint)) - q!.scale);
  });

  it('Q -> MaxPool -> DQ on int8 labels the int8 tensor', () => {
    const p = new Pat();
    const x = p.floatInput('x', [1, 2, 4, 4]);
    const m = p.b.op('MaxPool', [p.q(x, A)], { kernel_shape: [2, 2], strides: [2, 2] });
    p.b.op('DequantizeLinear', [m, 'q0_s', 'q0_z'], {}, { output: 'out' });
    const g = propagateQuant(p.floatOutput('out').graph());
    expect(g.tensors.get(m)?.quant).toEqual({ scale: [A.scale], zeroPoint: [A.zeroPoint], axis: -1 });
  });

  it('backward: Conv -> MaxPool -> Q quantizes the conv output with the Q parameters', () => {
    const r = new Rand(2);
    const p = new Pat();
    const x = p.floatInput('x', [1, 2, 4, 4]);
    const w = p.weights(r.floats(3 * 2 * 9), [3, 2, 3, 3], 0);
    const c = p.b.op('Conv', [p.qdq(x, A), w.name], { pads: [1, 1, 1, 1] });
    const m = p.b.op('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] });
    p.out(m, O);
    const g = propagateQuant(p.graph());
    expect(quantAfterFold(g, 'MaxPool')).toEqual({ scale: O.scale, zeroPoint: O.zeroPoint });
    // the Q after the MaxPool stays the op's own output quantization: no requantize copy
    expect(opTypes(g)).not.toContain('edgec.Requantize');
  });

  it('constant Pad with the zero point, and Concat of equal scales, are value-preserving', () => {
    const p = new Pat();
    const x = p.floatInput('x', [1, 2, 4, 4]);
    const d = p.qdq(x, A);
    const padded = p.b.op('Pad', [d, p.int64([0, 0, 1, 1, 0, 0, 1, 1])]);
    const d2 = p.dq(p.q(x, A), A);
    const cat = p.b.op('Concat', [padded, p.b.op('Pad', [d2, p.int64([0, 0, 1, 1, 0, 0, 1, 1])])], { axis: 1 });
    p.b.op('Relu', [cat], {}, { output: 'out' });
    const g = propagateQuant(p.floatOutput('out').graph());
    expect(quantAfterFold(g, 'Relu')).toEqual({ scale: A.scale, zeroPoint: A.zeroPoint });
  });

  it('leaves a Pad value off the grid and a Concat of different scales alone', () => {
    const p = new Pat();
    const x = p.floatInput('x', [1, 2, 4, 4]);
    p.b.float('v', 0.013);
    const padded = p.b.op('Pad', [p.qdq(x, A), p.int64([0, 0, 1, 1, 0, 0, 1, 1]), 'v']);
    const cat = p.b.op('Concat', [padded, p.b.op('Pad', [p.qdq(x, O), p.int64([0, 0, 1, 1, 0, 0, 1, 1])])], { axis: 1 });
    p.b.op('Relu', [cat], {}, { output: 'out' });
    const g = propagateQuant(p.floatOutput('out').graph());
    // the zero-padded input gets Q/DQ; the off-grid Pad and the Concat stay float
    const quantized = g.nodes.filter((n) => n.opType === 'QuantizeLinear').map((n) => n.inputs[0]);
    expect(quantized).not.toContain(`${padded}_float`);
    expect(quantized).not.toContain(`${cat}_float`);
    expect(quantized.filter((i) => i.endsWith('_float'))).toHaveLength(1);
  });

  it('Slice outputs take their input quantization', () => {
    const p = new Pat();
    const x = p.floatInput('x', [1, 4, 4, 4]);
    const d = p.qdq(x, A);
    const s0 = p.b.op('Slice', [d, p.int64([0]), p.int64([2]), p.int64([1])]);
    const sl = p.b.op('Slice', [d, p.int64([2]), p.int64([4]), p.int64([1])]);
    p.b.op('Add', [s0, sl], {}, { output: 'sum' });
    p.out('sum', O);
    const g = propagateQuant(p.graph());
    foldQdq(g);
    const add = g.nodes.find((n) => n.opType === 'Add');
    expect(add?.inputs.map((i) => g.tensors.get(i)?.quant?.scale[0])).toEqual([A.scale, A.scale]);
  });

  it('DQ(W) -> Transpose -> Gemm moves the int8 weights at compile time', () => {
    const r = new Rand(3);
    const p = new Pat();
    const x = p.floatInput('x', [1, 6]);
    const w = p.weights(r.floats(6 * 5), [6, 5], 1);
    const wt = p.b.op('Transpose', [w.name], { perm: [1, 0] });
    const y = p.b.op('Gemm', [p.qdq(x, A), wt], { transB: 1 });
    p.out(y, O);
    const g = propagateQuant(p.graph());
    expect(opTypes(g)).not.toContain('Transpose');
    foldQdq(g);
    const gemm = g.nodes.find((n) => n.opType === 'Gemm');
    const wq = g.tensors.get(gemm?.inputs[1] ?? '');
    expect(wq?.shape).toEqual([5, 6]);
    expect(wq?.quant?.axis).toBe(0);
    expect(wq?.data?.[1]).toBe(w.data[5]); // [0][1] of the transposed = [1][0] of the original
  });
});
