/**
 * qoperator-to-qdq on small QOperator graphs: each QLinear* node becomes
 * DequantizeLinear -> float op -> QuantizeLinear with the node's parameters;
 * int32 biases get the accumulator scale; QGemm's alpha moves into the weight
 * scale; uint8 data movement (MaxPool) is wrapped with its input's
 * parameters. Then through lowering: U8U8 weights fold to symmetric int8 when
 * every (w - zp) fits, otherwise keep their zero point as the conv2d_wzp /
 * fully_connected_wzp offsets, which the kernel libraries report as a
 * portable fallback.
 */
import { describe, expect, it } from 'vitest';
import type { Graph, Node } from '../../compiler/ir/graph.js';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { qoperatorToQdq } from '../../compiler/passes/qoperator-to-qdq.js';
import { compileModel } from '../../compiler/pipeline.js';
import { EdgecError } from '../../compiler/errors.js';
import { OnnxBuilder } from '../helpers/onnx-builder.js';

const MS = 'com.microsoft';

function builder(): OnnxBuilder {
  return new OnnxBuilder({ opset: 13, domains: { [MS]: 1 } });
}

function q(b: OnnxBuilder, base: string, scale: number | number[], zp: number | number[], dtype: 'uint8' | 'int8' = 'uint8'): [string, string] {
  const scales = Array.isArray(scale) ? scale : [scale];
  const zps = Array.isArray(zp) ? zp : [zp];
  const dims = Array.isArray(scale) ? [scales.length] : [];
  b.float(`${base}_s`, scales, dims);
  b.initializer(`${base}_z`, dtype === 'uint8' ? Uint8Array.from(zps) : Int8Array.from(zps), dims);
  return [`${base}_s`, `${base}_z`];
}

function load(b: OnnxBuilder): Graph {
  return loadModelBytes(b.toBytes(), { fileName: 'qop.onnx' });
}

function ops(g: Graph): string[] {
  return g.nodes.map((n) => n.opType);
}

function producer(g: Graph, tensor: string): Node {
  const n = g.nodes.find((x) => x.outputs.includes(tensor));
  if (!n) throw new Error(`no producer of ${tensor}`);
  return n;
}

function values(g: Graph, name: string): number[] {
  return Array.from(g.tensors.get(name)?.data ?? [], Number);
}

/** uint8 x [1,2,5,5] -> QLinearConv 3x3 pad 1 (weights given) -> y. */
function convModel(weights: Uint8Array | Int8Array, wZp: number[], dtype: 'uint8' | 'int8'): OnnxBuilder {
  const b = builder();
  b.input('x', 'uint8', [1, 2, 5, 5]);
  b.initializer('w', weights, [2, 2, 3, 3]);
  b.initializer('bias', Int32Array.from([100, -200]), [2]);
  b.node('QLinearConv', ['x', ...q(b, 'x', 0.02, 128), 'w', ...q(b, 'w', [0.01, 0.005], wZp, dtype), ...q(b, 'y', 0.05, 120), 'bias'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: 'conv' });
  b.output('y', 'uint8');
  return b;
}

describe('qoperator-to-qdq', () => {
  it('imports QOperator ops with the output type of their zero point', () => {
    const g = load(convModel(new Uint8Array(36).fill(128), [128, 128], 'uint8'));
    expect(g.tensors.get('y')).toMatchObject({ dtype: 'uint8', shape: [1, 2, 5, 5] });
  });

  it('rewrites QLinearConv as DQ -> Conv -> Q with the bias in the accumulator scale', () => {
    const g = qoperatorToQdq(load(convModel(new Uint8Array(36).fill(128), [128, 128], 'uint8')));
    expect(ops(g)).toEqual(['DequantizeLinear', 'DequantizeLinear', 'DequantizeLinear', 'Conv', 'QuantizeLinear']);
    const quant = producer(g, 'y');
    expect(quant.opType).toBe('QuantizeLinear');
    expect(quant.inputs.slice(1)).toEqual(['y_s', 'y_z']);
    const conv = producer(g, quant.inputs[0]);
    expect(conv).toMatchObject({ name: 'conv', opType: 'Conv', domain: '' });
    expect(conv.attrs).toMatchObject({ kernel_shape: [3, 3], pads: [1, 1, 1, 1] });
    const [x, w, bias] = conv.inputs.map((i) => producer(g, i));
    expect(x.inputs).toEqual(['x', 'x_s', 'x_z']);
    expect(w.inputs).toEqual(['w', 'w_s', 'w_z']);
    expect(w.attrs.axis).toBe(0);
    expect(bias.inputs[0]).toBe('bias');
    expect(bias.inputs).toHaveLength(2); // zero point 0
    expect(values(g, bias.inputs[1])).toEqual([Math.fround(0.02 * Math.fround(0.01)), Math.fround(0.02 * Math.fround(0.005))].map(Math.fround));
  });

  it('folds QGemm alpha into the weight and bias scales', () => {
    const b = builder();
    b.input('x', 'uint8', [1, 4]);
    b.initializer('w', new Uint8Array(12).fill(130), [3, 4]);
    b.initializer('c', Int32Array.from([1, 2, 3]), [3]);
    b.node('QGemm', ['x', ...q(b, 'x', 0.1, 128), 'w', ...q(b, 'w', 0.25, 128), 'c', ...q(b, 'y', 0.2, 128)], ['y'], { transB: 1, alpha: 0.5 }, { domain: MS });
    b.output('y', 'uint8');
    const g = qoperatorToQdq(load(b));
    const gemm = g.nodes.find((n) => n.opType === 'Gemm') as Node;
    expect(gemm.attrs).toEqual({ transB: 1 });
    const [, w, c] = gemm.inputs.map((i) => producer(g, i));
    expect(values(g, w.inputs[1])).toEqual([Math.fround(0.125)]);
    expect(values(g, c.inputs[1])).toEqual([Math.fround(Math.fround(0.1) * 0.125)]);
  });

  it('wraps MaxPool on a uint8 activation with its producer parameters, and maps QLinearConcat', () => {
    const b = builder();
    b.input('a', 'uint8', [1, 2, 4, 4]);
    b.input('b', 'uint8', [1, 3, 2, 2]);
    // a's parameters are stated only by the QLinearAdd after this pool.
    b.node('MaxPool', ['a'], ['p'], { kernel_shape: [2, 2], strides: [2, 2] });
    b.node('QLinearAdd', ['a', ...q(b, 'a', 0.1, 120), 'a', 'a_s', 'a_z', ...q(b, 'a2', 0.2, 120)], ['a2'], {}, { domain: MS });
    b.node('MaxPool', ['a2'], ['p2'], { kernel_shape: [2, 2], strides: [2, 2] });
    b.node('QLinearConcat', [...q(b, 'y', 0.3, 100), 'p2', 'a2_s', 'a2_z', 'b', ...q(b, 'b', 0.05, 128)], ['y'], { axis: 1 }, { domain: MS });
    b.output('p', 'uint8');
    b.output('y', 'uint8');
    const g = qoperatorToQdq(load(b));
    expect(producer(g, 'p').opType).toBe('QuantizeLinear');
    expect(producer(g, 'p').inputs.slice(1)).toEqual(['a_s', 'a_z']);
    const q2 = producer(g, 'p2');
    expect(q2.opType).toBe('QuantizeLinear');
    expect(q2.inputs.slice(1)).toEqual(['a2_s', 'a2_z']);
    const pool = producer(g, q2.inputs[0]);
    expect(pool.opType).toBe('MaxPool');
    expect(producer(g, pool.inputs[0]).inputs).toEqual(['a2', 'a2_s', 'a2_z']);
    const concat = producer(g, producer(g, 'y').inputs[0]);
    expect(concat).toMatchObject({ opType: 'Concat', attrs: { axis: 1 } });
    expect(concat.inputs.map((i) => producer(g, i).inputs)).toEqual([['p2', 'a2_s', 'a2_z'], ['b', 'b_s', 'b_z']]);
  });

  it('names the op of an unknown com.microsoft node and refuses channels_last pooling', () => {
    const b = builder();
    b.input('x', 'uint8', [1, 4]);
    b.node('QLinearWhere', ['x'], ['y'], {}, { domain: MS });
    b.output('y', 'uint8');
    expect(() => load(b)).toThrow(/unsupported op com\.microsoft\.QLinearWhere \(domain 'com\.microsoft'\)/);
    const p = builder();
    p.input('x', 'uint8', [1, 4, 4, 3]);
    p.node('QLinearGlobalAveragePool', ['x', ...q(p, 'x', 0.1, 128), ...q(p, 'y', 0.1, 128)], ['y'], { channels_last: 1 }, { domain: MS, name: 'gap' });
    p.output('y', 'uint8');
    expect(() => qoperatorToQdq(load(p))).toThrow(EdgecError);
    expect(() => qoperatorToQdq(load(p))).toThrow(/node 'gap'.*channels_last=1/);
  });

  it('refuses a weight scale and zero point of different lengths, and a run-time scale, naming the node', () => {
    const b = builder();
    b.input('x', 'uint8', [1, 2, 5, 5]);
    b.initializer('w', new Uint8Array(36).fill(128), [2, 2, 3, 3]);
    b.float('w_s', [0.01, 0.02], [2]).initializer('w_z', Uint8Array.of(128), [1]);
    b.node('QLinearConv', ['x', ...q(b, 'x', 0.02, 128), 'w', 'w_s', 'w_z', ...q(b, 'y', 0.05, 120)], ['y'], { kernel_shape: [3, 3] }, { name: 'bad_conv' });
    b.output('y', 'uint8');
    expect(() => qoperatorToQdq(load(b))).toThrow(/node 'bad_conv'.*'w' has 2 scales but 1 zero points/);
    const r = builder();
    r.input('x', 'uint8', [1, 4]);
    r.input('s', 'float32', []);
    r.node('QLinearSigmoid', ['x', 's', ...q(r, 'x', 0.1, 128).slice(1), ...q(r, 'y', 1 / 256, 0)], ['y'], {}, { domain: MS, name: 'sig' });
    r.output('y', 'uint8');
    expect(() => qoperatorToQdq(load(r))).toThrow(/node 'sig'.*scale of 'x' 's' must be a constant/);
  });
});

describe('uint8 weights with a zero point (U8U8) through lowering', () => {
  const path = (b: OnnxBuilder) => ({ path: 'qop.onnx', bytes: b.toBytes() });
  const compile = (b: OnnxBuilder, backend?: string) => compileModel(path(b).path, { name: 'm', modelBytes: path(b).bytes, backend });

  it('keeps weights that span the uint8 range with their zero point as filter offsets', () => {
    const w = Uint8Array.from({ length: 36 }, (_, i) => (i * 37) % 256);
    const c = compile(convModel(w, [20, 240], 'uint8'));
    const conv = c.program.ops.find((o) => o.kind === 'conv2d_wzp');
    expect(conv).toBeDefined();
    // int8 zero points are 20 - 128 and 240 - 128; the offset is minus that.
    expect(Array.from(c.program.consts.get(conv!.consts.filter_offset)!.data)).toEqual([108, -112]);
    expect(conv!.params.pad_top).toBe(1);
    const lib = compile(convModel(w, [20, 240], 'uint8'), 'cmsis-nn');
    expect(lib.backendNote).toMatch(/portable fallback: conv \(weights with a non-zero zero point/);
  });

  it('folds the zero point away when every (w - zp) fits int8', () => {
    const w = Uint8Array.from({ length: 36 }, (_, i) => 110 + ((i * 13) % 200) - 100);
    const c = compile(convModel(w, [110, 110], 'uint8'));
    const conv = c.program.ops.find((o) => o.kind === 'conv2d');
    expect(conv).toBeDefined();
    expect(conv!.consts.filter_offset).toBeUndefined();
    // (w - zp) exactly, as symmetric int8 (OHWI order, so compare as multisets).
    const filter = Array.from(c.program.consts.get(conv!.consts.filter)!.data).sort((a, b) => a - b);
    expect(filter).toEqual(Array.from(w, (v) => v - 110).sort((a, b) => a - b));
    expect(filter[0]).toBe(-100);
  });
});
