/**
 * matmul-add-to-fc alone: tf2onnx --tflite Dense layers
 * (`DQ(x) -> MatMul(DQ(W)) -> Add(DQ(int32 bias)) -> [Relu] -> Q`) become one
 * edgec.MatMulAdd with an int32 bias in input × weight scale; the tf2onnx
 * depthwise bias DQ with axis=3 on a rank-1 tensor loads as per-channel.
 */
import { describe, expect, it } from 'vitest';
import { matmulAddToFc, tfliteBias } from '../../compiler/passes/matmul-add-to-fc.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { act, depthwiseBias, opTypes, Pat, Rand, tf2onnxDense } from './patterns.js';

const A = act(0.04, 7);
const O = act(0.08, -10);

describe('matmul-add-to-fc', () => {
  it('tf2onnx Dense with an exact int32 bias: one fused op, the bias kept bit for bit', () => {
    const pat = tf2onnxDense(new Rand(1), A, O, { relu: true });
    const g = matmulAddToFc(pat.graph());
    expect(opTypes(g).filter((o) => !o.endsWith('uantizeLinear'))).toEqual(['edgec.MatMulAdd', 'Relu']);
    const fused = g.nodes.find((n) => n.opType === 'edgec.MatMulAdd');
    const biasDq = g.nodes.find((n) => n.outputs[0] === fused?.inputs[2]);
    expect(biasDq?.inputs[0]).toBe('b3_q'); // the model's own int32 initializer
  });

  it('a bias in another scale is requantized into input × weight scale the way TFLite does', () => {
    const pat = tf2onnxDense(new Rand(2), A, O, { bias: 'rescaled' });
    const source = pat.graph();
    const srcBias = source.tensors.get('b3_q')?.data as Int32Array;
    const srcScales = Array.from(source.tensors.get('b3_s')?.data as Float32Array);
    const wScales = Array.from(source.tensors.get('w0_s')?.data as Float32Array);
    const g = foldQdq(matmulAddToFc(pat.graph()));
    const fused = g.nodes.find((n) => n.opType === 'edgec.MatMulAdd');
    const bias = g.tensors.get(fused?.inputs[2] ?? '');
    const expected = Array.from(srcBias, (q, c) => tfliteBias(Math.fround(srcScales[c] * q), Math.fround(A.scale * wScales[c])));
    expect(Array.from(bias?.data as Int32Array)).toEqual(expected);
    expect(bias?.quant?.scale).toEqual(wScales.map((s) => Math.fround(A.scale * s)));
  });

  it('a float bias constant and a rank-3 input are fused too', () => {
    const g = matmulAddToFc(tf2onnxDense(new Rand(3), A, O, { bias: 'float', inDims: [1, 4, 8], perChannel: false }).graph());
    expect(opTypes(g)).toContain('edgec.MatMulAdd');
    expect(opTypes(g)).not.toContain('MatMul');
  });

  it('a rank-4 input (tf2onnx keeps ExpandDims: a per-time-step Dense on [1, 1, T, C]) is fused, leading dims as batches', () => {
    const g = matmulAddToFc(tf2onnxDense(new Rand(4), A, O, { inDims: [1, 1, 6, 8] }).graph());
    expect(opTypes(g)).toContain('edgec.MatMulAdd');
    expect(opTypes(g)).not.toContain('MatMul');
  });

  it('leaves a MatMul whose output is quantized (onnxruntime QDQ) alone', () => {
    const r = new Rand(4);
    const p = new Pat();
    const w = p.weights(r.floats(40), [8, 5], 1);
    const mm = p.b.op('MatMul', [p.qdq(p.floatInput('x', [1, 8]), A), w.name]);
    const y = p.b.op('Add', [p.qdq(mm, O), p.qdq(p.floatInput('y', [1, 5]), O)]);
    p.out(y, O);
    expect(opTypes(matmulAddToFc(p.graph()))).toContain('MatMul');
  });

  it('TFLite rounds the bias half away from zero', () => {
    expect(tfliteBias(2.5 * 0.5, 0.5)).toBe(3);
    expect(tfliteBias(-2.5 * 0.5, 0.5)).toBe(-3);
  });

  it('accepts a depthwise bias DQ with axis=3 on a rank-1 tensor as per-channel: the same C as axis=0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-axis3-'));
    const build = (axis: number): string[] => {
      const path = depthwiseBias(new Rand(5), A, O, axis).b.save(join(dir, 'dw.onnx'));
      return compileModel(path, { name: 'dw' }).emitted.files.map((f) => f.contents);
    };
    expect(build(3)).toEqual(build(0));
  });
});
