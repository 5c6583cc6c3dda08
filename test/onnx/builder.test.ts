/** The test model builder itself: protos it writes, and QDQ models that onnxruntime runs with the expected numerics. */
import { describe, it, expect } from 'vitest';
import onnxProto from 'onnx-proto';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { OnnxBuilder, QdqBuilder, Attr, qparamsFromRange, quantizeWeights, quantizeValues, roundHalfEven } from '../helpers/onnx-builder.js';
import { runOrt } from '../helpers/ort.js';

const { onnx } = onnxProto;

describe('OnnxBuilder', () => {
  it('writes inputs with symbolic/unknown dims, typed attributes and the chosen opset', () => {
    const bytes = new OnnxBuilder({ opset: 11, name: 'g' }).input('x', 'float32', ['N', 3, null])
      .node('LeakyRelu', ['x'], ['y'], { alpha: Attr.float(1), ints: [1, 2], floats: [0.5, 1], s: 'abc', k: 3, t: Attr.tensor({ data: Int8Array.of(1, -1), dims: [2] }) })
      .output('y', 'float32').toBytes();
    const m = onnx.ModelProto.decode(bytes);
    expect(m.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 11]]);
    expect(Number(m.irVersion)).toBe(6);
    const graph = m.graph!;
    const dims = (graph.input ?? [])[0]!.type!.tensorType!.shape!.dim ?? [];
    // `value` is protobufjs's oneof discriminator: which of dim_value / dim_param is set.
    expect(dims.map((d) => (d as InstanceType<typeof onnx.TensorShapeProto.Dimension>).value)).toEqual(['dimParam', 'dimValue', undefined]);
    const attrs = Object.fromEntries(((graph.node ?? [])[0]!.attribute ?? []).map((a) => [a.name, a.type]));
    expect(attrs).toEqual({ alpha: 1, ints: 7, floats: 6, s: 3, k: 2, t: 4 });
  });

  it('int64 helper saturates values beyond the double range instead of wrapping', () => {
    const g = loadModelBytes(new OnnxBuilder({ opset: 13 }).input('x', 'float32', [4]).int64('e', [9223372036854775807]).int64('s', [1])
      .node('Slice', ['x', 's', 'e'], ['y']).output('y', 'float32').toBytes());
    expect(g.tensors.get('y')!.shape).toEqual([3]);
  });
});

describe('QdqBuilder', () => {
  it('quantizes weights symmetric per channel and rounds half to even', () => {
    const q = quantizeWeights(Float32Array.of(1, -0.5, 0.25, 2, 4, -8), [2, 3], 0);
    expect(Array.from(q.scales)).toEqual([Math.fround(1 / 127), Math.fround(8 / 127)]);
    expect(Array.from(q.data)).toEqual([127, -64, 32, 32, 64, -127]);
    expect([roundHalfEven(0.5), roundHalfEven(1.5), roundHalfEven(-2.5), roundHalfEven(2.6)]).toEqual([0, 2, -2, 3]);
    expect(qparamsFromRange(-1, 3, 'uint8')).toEqual({ scale: Math.fround(4 / 255), zeroPoint: 64, dtype: 'uint8' });
  });

  it('builds a float-I/O QDQ conv that onnxruntime runs close to the float conv', async () => {
    const w = Float32Array.from({ length: 4 * 3 * 9 }, (_, i) => Math.sin(i) * 0.5);
    const bias = Float32Array.of(0.1, -0.2, 0.3, 0);
    const inQ = qparamsFromRange(-1, 1, 'uint8');
    const outQ = qparamsFromRange(-4, 4, 'uint8');
    const q = new QdqBuilder({ opset: 13 });
    const x = q.input('x', ['N', 3, 6, 6], inQ);
    const y = q.conv(x, { weight: w, weightShape: [4, 3, 3, 3], bias, out: outQ, attrs: { pads: [1, 1, 1, 1] }, name: 'conv1' });
    q.output(y, 'out');
    const bytes = q.toBytes();

    const g = loadModelBytes(bytes);
    const ops = g.nodes.map((n) => n.opType);
    expect(ops.filter((o) => o === 'DequantizeLinear')).toHaveLength(4); // input, weight, bias, output
    expect(ops.filter((o) => o === 'QuantizeLinear')).toHaveLength(2);
    expect(g.tensors.get('conv1_weight_quantized')).toMatchObject({ dtype: 'int8', shape: [4, 3, 3, 3] });
    expect(g.tensors.get('conv1_bias_quantized')).toMatchObject({ dtype: 'int32', shape: [4] });
    const wdq = g.nodes.find((n) => n.outputs[0] === 'conv1_weight_dequantized')!;
    expect(wdq.attrs.axis).toBe(0);
    expect(Array.from(g.tensors.get('conv1_bias_scale')!.data!)).toEqual(Array.from(quantizeWeights(w, [4, 3, 3, 3], 0).scales, (s) => Math.fround(inQ.scale * s)));

    const input = Float32Array.from({ length: 108 }, (_, i) => Math.cos(i) * 0.9);
    const qdq = await runOrt(bytes, { x: { data: input, dims: [1, 3, 6, 6] } });
    const float = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 3, 6, 6]).initializer('w', w, [4, 3, 3, 3]).initializer('b', bias, [4])
      .node('Conv', ['x', 'w', 'b'], ['out'], { pads: [1, 1, 1, 1] }).output('out', 'float32');
    const ref = await runOrt(float.toBytes(), { x: { data: input, dims: [1, 3, 6, 6] } });
    expect(qdq.out!.dims).toEqual([1, 4, 6, 6]);
    const maxDiff = Math.max(...Array.from(ref.out!.data, (v, i) => Math.abs(v - qdq.out!.data[i]!)));
    expect(maxDiff).toBeGreaterThan(0); // it really is quantized
    expect(maxDiff).toBeLessThan(6 * outQ.scale);
  });

  it('builds int8-I/O models (int8 input → DQ → Gemm → Q → int8 output) with exact integer results', async () => {
    const q = new QdqBuilder({ opset: 13 });
    const inQ = { scale: 0.1, zeroPoint: 0, dtype: 'int8' as const };
    const outQ = { scale: 0.5, zeroPoint: 3, dtype: 'int8' as const };
    const x = q.input('x', ['N', 4], inQ, 'int8');
    const weight = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    const y = q.gemm(x, { weight, weightShape: [2, 4], bias: Float32Array.of(1, 2), out: outQ, perChannel: false });
    const r = q.op('Relu', [y]);
    q.output(r, 'y', 'int8');
    const bytes = q.toBytes();
    const g = loadModelBytes(bytes);
    expect(g.inputs).toEqual(['x']);
    expect(g.tensors.get('x')).toMatchObject({ dtype: 'int8', shape: [1, 4] });
    expect(g.tensors.get('y')).toMatchObject({ dtype: 'int8', shape: [1, 2] });

    const xs = Int8Array.of(10, -20, 30, 5);
    const out = await runOrt(bytes, { x: { data: xs, dims: [1, 4] } });
    // Reference with the same quantized weights/bias in float, then requantize.
    const qw = quantizeWeights(weight, [2, 4], -1);
    const ws = qw.scales[0]!;
    const expected = [0, 1].map((n) => {
      let acc = roundHalfEven(Array.of(1, 2)[n]! / Math.fround(inQ.scale * ws)) * Math.fround(inQ.scale * ws);
      for (let k = 0; k < 4; k++) acc += xs[k]! * inQ.scale * qw.data[n * 4 + k]! * ws;
      return Math.max(0, acc);
    });
    const requantized = Array.from(quantizeValues(expected, outQ));
    // onnxruntime requantizes in float: allow one LSB.
    Array.from(out.y!.data).forEach((v, i) => expect(Math.abs(v - requantized[i]!)).toBeLessThanOrEqual(1));
    expect(out.y!.type).toBe('int8');
  });

  it('exposes intermediates through extraOutputs', async () => {
    const q = new QdqBuilder({ opset: 13 });
    const x = q.input('x', [1, 2, 4, 4], qparamsFromRange(-1, 1, 'int8'));
    const p = q.op('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }, { name: 'pool' });
    q.output(p, 'y');
    const out = await runOrt(q.toBytes(), { x: { data: new Float32Array(32).fill(0.5), dims: [1, 2, 4, 4] } }, { extraOutputs: ['pool_output', 'x_quantized'] });
    expect(out.pool_output!.dims).toEqual([1, 2, 2, 2]);
    expect(out.x_quantized!.type).toBe('int8');
    expect(Array.from(out.x_quantized!.data).every((v) => v === quantizeValues([0.5], qparamsFromRange(-1, 1, 'int8'))[0])).toBe(true);
  });
});
