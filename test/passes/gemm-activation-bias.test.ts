/** gemm-activation-bias alone: Gemm(A, B, C computed) becomes Gemm(A, B) + Add(C) (Mul by beta first) and computes the same. */
import { describe, expect, it } from 'vitest';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { gemmActivationBias } from '../../compiler/passes/gemm-activation-bias.js';
import { writeOnnx } from '../../compiler/quantize/onnx-writer.js';
import { Attr, OnnxBuilder } from '../helpers/onnx-builder.js';
import { runOrt } from '../helpers/ort.js';

function model(beta: number): Uint8Array {
  const b = new OnnxBuilder({ opset: 13 })
    .input('x', 'float32', [1, 3])
    .input('h', 'float32', [1, 4])
    .initializer('W', Float32Array.from({ length: 12 }, (_, i) => Math.sin(i + 1)), [3, 4])
    .initializer('R', Float32Array.from({ length: 16 }, (_, i) => Math.cos(i)), [4, 4]);
  const hr = b.op('MatMul', ['h', 'R']);
  b.node('Gemm', ['x', 'W', hr], ['y'], { beta: Attr.float(beta) }, { name: 'gemm' }).output('y', 'float32');
  return b.toBytes();
}

describe('gemm-activation-bias', () => {
  for (const beta of [1, 0.5]) {
    it(`beta ${beta}: the Gemm keeps A·B, the computed C is added after it, same outputs`, async () => {
      const bytes = model(beta);
      const g = gemmActivationBias(loadModelBytes(bytes, { fileName: 'm.onnx' }));
      const gemm = g.nodes.find((n) => n.opType === 'Gemm')!;
      expect(gemm.inputs).toHaveLength(2);
      expect(g.nodes.map((n) => n.opType)).toEqual(beta === 1 ? ['MatMul', 'Gemm', 'Add'] : ['MatMul', 'Gemm', 'Mul', 'Add']);
      const feeds = { x: { data: Float32Array.of(0.5, -1, 2), dims: [1, 3] }, h: { data: Float32Array.of(0.1, -0.7, 0.3, 0.9), dims: [1, 4] } };
      const want = (await runOrt(bytes, feeds)).y.data;
      const got = (await runOrt(writeOnnx(g), feeds)).y.data;
      want.forEach((v, i) => expect(Math.abs(Number(v) - Number(got[i]))).toBeLessThan(1e-6));
    });
  }
});
