/**
 * fold-qdq: a QuantizeLinear of a constant (onnxruntime's quantize_static
 * writes one for an LSTM's zero initial state, `Q(Expand(0))`) is computed at
 * compile time as onnxruntime computes it: x / scale in float32, round half
 * to even, plus the zero point, saturated. A non-finite constant is refused
 * in one line.
 */
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import { EdgecError } from '../../compiler/errors.js';

/** x (int8 via Q/DQ) + DQ(Q(c)) -> Q -> DQ -> y, c a float constant. */
function model(c: number[]): Uint8Array {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', 'float32', [1, c.length])
    .float('s', 0.5).initializer('z', Int8Array.of(3), [])
    .float('c', c, [1, c.length]);
  const x = b.op('DequantizeLinear', [b.op('QuantizeLinear', ['x', 's', 'z']), 's', 'z']);
  const k = b.op('DequantizeLinear', [b.op('QuantizeLinear', ['c', 's', 'z'], {}, { output: 'c_q' }), 's', 'z']);
  b.node('Add', [x, k], ['sum']);
  b.node('DequantizeLinear', [b.op('QuantizeLinear', ['sum', 's', 'z']), 's', 'z'], ['y']).output('y', 'float32');
  return b.toBytes();
}

describe('fold-qdq: QuantizeLinear of a constant', () => {
  it('becomes a quantized constant with onnxruntime\'s rounding and saturation', () => {
    const g = foldQdq(loadModelBytes(model([0, 1.25, 1.75, -0.25, 1000, -1000]), { fileName: 'q.onnx' }));
    expect(g.nodes.some((n) => n.opType === 'QuantizeLinear' && n.inputs[0] === 'c')).toBe(false);
    const q = g.tensors.get('c_q')!;
    // 1.25 / 0.5 = 2.5 -> 2 (half to even), 1.75 / 0.5 = 3.5 -> 4, -0.5 -> -0, then + 3; ±2000 saturate
    expect(Array.from(q.data as Int8Array)).toEqual([3, 5, 7, 3, 127, -128]);
    expect(q.quant).toEqual({ scale: [0.5], zeroPoint: [3], axis: -1 });
  });

  it('a non-finite constant is refused in one line', () => {
    const run = (): unknown => foldQdq(loadModelBytes(model([0, Number.NaN]), { fileName: 'q.onnx' }));
    expect(run).toThrow(EdgecError);
    expect(run).toThrow(/^q\.onnx: node '[^']+' \(QuantizeLinear\): constant 'c' element 1 is NaN; it cannot be quantized$/);
  });
});
