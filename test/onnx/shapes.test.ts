/**
 * Shape rules, op by op, with attribute variants. Each model is also run in
 * onnxruntime, whose actual output shapes must equal the inferred ones.
 */
import { describe, it, expect } from 'vitest';
import { OnnxBuilder, Attr, type AttrInput, type Dim, type BuilderDType } from '../helpers/onnx-builder.js';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { expectShapes } from './check.js';

const rand = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 1.7));

/** x (float) → op(x, extra...) → y. */
function unary(opType: string, shape: Dim[], attrs: Record<string, AttrInput> = {}, opset = 13, extra: (b: OnnxBuilder) => string[] = () => []): OnnxBuilder {
  const b = new OnnxBuilder({ opset }).input('x', 'float32', shape);
  b.node(opType, ['x', ...extra(b)], ['y'], attrs).output('y', 'float32');
  return b;
}

function conv(x: number[], w: number[], attrs: Record<string, AttrInput>, bias = false): OnnxBuilder {
  const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', x).initializer('w', rand(w.reduce((a, c) => a * c, 1)), w);
  if (bias) b.initializer('b', rand(w[0]!), [w[0]!]);
  return b.node('Conv', bias ? ['x', 'w', 'b'] : ['x', 'w'], ['y'], attrs).output('y', 'float32');
}

describe('Conv', () => {
  it('same padding 3x3', () => expectShapes(conv([1, 3, 8, 8], [4, 3, 3, 3], { pads: [1, 1, 1, 1] }, true), { y: [1, 4, 8, 8] }));
  it('stride 2 with asymmetric pads', () => expectShapes(conv([1, 3, 7, 7], [4, 3, 3, 3], { strides: [2, 2], pads: [0, 0, 1, 1] }), { y: [1, 4, 3, 3] }));
  it('asymmetric pads per axis', () => expectShapes(conv([1, 3, 7, 9], [2, 3, 3, 3], { pads: [2, 0, 0, 1] }), { y: [1, 2, 7, 8] }));
  it('auto_pad SAME_UPPER stride 2', () => expectShapes(conv([1, 3, 7, 7], [4, 3, 3, 3], { strides: [2, 2], auto_pad: 'SAME_UPPER' }), { y: [1, 4, 4, 4] }));
  it('auto_pad SAME_LOWER stride 2, 4x4 kernel', () => expectShapes(conv([1, 3, 9, 10], [4, 3, 4, 4], { strides: [2, 2], auto_pad: 'SAME_LOWER' }), { y: [1, 4, 5, 5] }));
  it('auto_pad VALID', () => expectShapes(conv([1, 3, 7, 8], [4, 3, 3, 3], { strides: [2, 2], auto_pad: 'VALID' }), { y: [1, 4, 3, 3] }));
  it('dilations', () => expectShapes(conv([1, 3, 8, 8], [4, 3, 3, 3], { dilations: [2, 2] }), { y: [1, 4, 4, 4] }));
  it('depthwise (group = channels)', () => expectShapes(conv([1, 6, 5, 5], [6, 1, 3, 3], { group: 6, pads: [1, 1, 1, 1] }), { y: [1, 6, 5, 5] }));
  it('grouped with channel multiplier', () => expectShapes(conv([1, 4, 5, 5], [8, 2, 1, 1], { group: 2 }), { y: [1, 8, 5, 5] }));
  it('1-D conv with explicit kernel_shape', () => expectShapes(conv([1, 2, 10], [4, 2, 3], { kernel_shape: [3], strides: [3] }), { y: [1, 4, 3] }));
  it('rejects a channel mismatch', () => {
    expect(() => loadModelBytes(conv([1, 3, 8, 8], [4, 2, 3, 3], {}).toBytes())).toThrow(/input has 3 channels but weight \[4, 2, 3, 3\] with group=1 expects 2/);
  });
});

describe('pooling', () => {
  const pool = (op: string, shape: number[], attrs: Record<string, AttrInput>, opset = 13): OnnxBuilder => unary(op, shape, attrs, opset);
  it('MaxPool 2x2 stride 2 on odd size, floor', () => expectShapes(pool('MaxPool', [1, 2, 7, 7], { kernel_shape: [2, 2], strides: [2, 2] }), { y: [1, 2, 3, 3] }));
  it('MaxPool ceil_mode', () => expectShapes(pool('MaxPool', [1, 2, 7, 7], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }), { y: [1, 2, 4, 4] }));
  it('MaxPool ceil_mode with pads keeps the last window inside', () => expectShapes(pool('MaxPool', [1, 2, 8, 8], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }), { y: [1, 2, 5, 5] }));
  it('MaxPool ceil_mode drops a window starting in the end padding', () => expectShapes(pool('MaxPool', [1, 1, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }), { y: [1, 1, 3, 3] }));
  it('MaxPool SAME_UPPER', () => expectShapes(pool('MaxPool', [1, 2, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }), { y: [1, 2, 4, 3] }));
  it('MaxPool SAME_LOWER', () => expectShapes(pool('MaxPool', [1, 2, 7, 6], { kernel_shape: [2, 2], strides: [1, 1], auto_pad: 'SAME_LOWER' }), { y: [1, 2, 7, 6] }));
  it('MaxPool VALID', () => expectShapes(pool('MaxPool', [1, 2, 7, 6], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'VALID' }), { y: [1, 2, 3, 2] }));
  it('MaxPool dilations (opset 12)', () => expectShapes(pool('MaxPool', [1, 1, 9, 9], { kernel_shape: [2, 2], dilations: [3, 3] }, 12), { y: [1, 1, 6, 6] }));
  it('MaxPool opset 8 without ceil_mode', () => expectShapes(pool('MaxPool', [1, 1, 9, 9], { kernel_shape: [3, 3], strides: [3, 3] }, 8), { y: [1, 1, 3, 3] }));
  it('AveragePool asymmetric pads', () => expectShapes(pool('AveragePool', [1, 3, 6, 6], { kernel_shape: [3, 3], pads: [0, 1, 2, 0], strides: [2, 2] }), { y: [1, 3, 3, 3] }));
  it('AveragePool ceil_mode count_include_pad', () => expectShapes(pool('AveragePool', [1, 3, 10, 10], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1, count_include_pad: 1 }), { y: [1, 3, 5, 5] }));
  it('GlobalAveragePool', () => expectShapes(unary('GlobalAveragePool', [1, 5, 3, 4]), { y: [1, 5, 1, 1] }));
  it('MaxPool needs kernel_shape', () => {
    expect(() => loadModelBytes(unary('MaxPool', [1, 1, 4, 4], {}).toBytes())).toThrow(/node 'MaxPool_0' \(MaxPool\): missing kernel_shape/);
  });
});

describe('Gemm and MatMul', () => {
  const gemm = (a: number[], bShape: number[], attrs: Record<string, AttrInput>, c?: number[]): OnnxBuilder => {
    const b = new OnnxBuilder({ opset: 13 }).input('a', 'float32', a).initializer('b', rand(bShape[0]! * bShape[1]!), bShape);
    if (c) b.initializer('c', rand(c.reduce((x, y) => x * y, 1)), c);
    return b.node('Gemm', c ? ['a', 'b', 'c'] : ['a', 'b'], ['y'], attrs).output('y', 'float32');
  };
  it('transB with vector bias', () => expectShapes(gemm([2, 8], [5, 8], { transB: 1 }, [5]), { y: [2, 5] }));
  it('transA with [M,1] bias', () => expectShapes(gemm([8, 3], [8, 4], { transA: 1, alpha: Attr.float(1), beta: 0.5 }, [3, 1]), { y: [3, 4] }));
  it('MatMul batched broadcast', async () => {
    const b = new OnnxBuilder({ opset: 13 }).input('a', 'float32', [2, 1, 3, 4]).input('b', 'float32', [5, 4, 6]).node('MatMul', ['a', 'b'], ['y']).output('y', 'float32');
    await expectShapes(b, { y: [2, 5, 3, 6] });
  });
  it('MatMul 1-D operands', async () => {
    const b = new OnnxBuilder({ opset: 13 }).input('a', 'float32', [4]).input('b', 'float32', [3, 4, 6]).node('MatMul', ['a', 'b'], ['y']).output('y', 'float32');
    await expectShapes(b, { y: [3, 6] });
    const c = new OnnxBuilder({ opset: 13 }).input('a', 'float32', [2, 3, 4]).input('b', 'float32', [4]).node('MatMul', ['a', 'b'], ['y']).output('y', 'float32');
    await expectShapes(c, { y: [2, 3] });
  });
  it('rejects mismatched inner dims', () => {
    expect(() => loadModelBytes(gemm([2, 8], [5, 8], {}).toBytes())).toThrow(/inner dimensions differ/);
  });
});

describe('elementwise and activations', () => {
  it('Add/Sub/Mul/Div broadcast', async () => {
    for (const op of ['Add', 'Sub', 'Mul', 'Div']) {
      const b = new OnnxBuilder({ opset: 13 }).input('a', 'float32', [1, 3, 1, 1]).input('b', 'float32', [4, 5]).node(op, ['a', 'b'], ['y']).output('y', 'float32');
      await expectShapes(b, { y: [1, 3, 4, 5] });
    }
  });
  it('rejects incompatible broadcast', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('a', 'float32', [1, 3]).input('b', 'float32', [4]).node('Add', ['a', 'b'], ['y']).output('y', 'float32');
    expect(() => loadModelBytes(b.toBytes())).toThrow(/cannot broadcast shapes \[1, 3\] and \[4\]/);
  });
  it('activations keep the shape', async () => {
    for (const [op, attrs] of [['Relu', {}], ['LeakyRelu', { alpha: 0.1 }], ['Sigmoid', {}], ['Tanh', {}], ['HardSigmoid', { alpha: 0.2, beta: 0.5 }], ['Identity', {}]] as const) {
      await expectShapes(unary(op, [1, 2, 3], attrs), { y: [1, 2, 3] });
    }
    await expectShapes(unary('HardSwish', [2, 3], {}, 14), { y: [2, 3] });
  });
  it('Clip opset 7 (attributes) and opset 13 (inputs)', async () => {
    await expectShapes(unary('Clip', [1, 4], { min: Attr.float(0), max: Attr.float(6) }, 7), { y: [1, 4] });
    await expectShapes(unary('Clip', [1, 4], {}, 13, (b) => { b.float('lo', 0).float('hi', 6); return ['lo', 'hi']; }), { y: [1, 4] });
    await expectShapes(unary('Clip', [1, 4], {}, 13, (b) => { b.float('hi', 6); return ['', 'hi']; }), { y: [1, 4] });
  });
  it('Softmax default axis by opset', async () => {
    await expectShapes(unary('Softmax', [2, 3, 4], {}, 11), { y: [2, 3, 4] });
    await expectShapes(unary('Softmax', [2, 3, 4], {}, 13), { y: [2, 3, 4] });
    await expectShapes(unary('Softmax', [2, 3, 4], { axis: -2 }, 13), { y: [2, 3, 4] });
    expect(() => loadModelBytes(unary('Softmax', [2, 3], { axis: 2 }).toBytes())).toThrow(/axis 2 is out of range for rank 2/);
  });
  it('BatchNormalization', async () => {
    const b = unary('BatchNormalization', [1, 3, 4, 4], {}, 13, (m) => {
      for (const p of ['s', 'bias', 'mean']) m.initializer(p, rand(3), [3]);
      m.initializer('var', Float32Array.of(1, 2, 3), [3]);
      return ['s', 'bias', 'mean', 'var'];
    });
    await expectShapes(b, { y: [1, 3, 4, 4] });
  });
  it('Dropout with mask output', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2, 3]).node('Dropout', ['x'], ['y', 'mask']).output('y', 'float32').output('mask', 'bool');
    const g = loadModelBytes(b.toBytes());
    expect(g.tensors.get('y')).toMatchObject({ dtype: 'float32', shape: [2, 3] });
    expect(g.tensors.get('mask')).toMatchObject({ dtype: 'bool', shape: [2, 3] });
  });
  it('Cast', async () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2, 3]).node('Cast', ['x'], ['y'], { to: 6 }).output('y', 'int32');
    const g = await expectShapes(b, { y: [2, 3] });
    expect(g.tensors.get('y')!.dtype).toBe('int32');
  });
});

describe('tensor ops', () => {
  it('Concat on a negative axis', async () => {
    const b = new OnnxBuilder({ opset: 13 }).input('a', 'float32', [1, 2, 3]).input('b', 'float32', [1, 2, 5]).node('Concat', ['a', 'b'], ['y'], { axis: -1 }).output('y', 'float32');
    await expectShapes(b, { y: [1, 2, 8] });
  });
  it('Concat rejects mismatched dims', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('a', 'float32', [1, 2, 3]).input('b', 'float32', [1, 3, 5]).node('Concat', ['a', 'b'], ['y'], { axis: 2 }).output('y', 'float32');
    expect(() => loadModelBytes(b.toBytes())).toThrow(/cannot concatenate \[1, 2, 3\] and \[1, 3, 5\] on axis 2/);
  });
  it('Pad opset 7 attribute form', () => expectShapes(unary('Pad', [1, 3, 4, 4], { pads: [0, 0, 1, 2, 0, 0, 3, 0], value: Attr.float(0) }, 7), { y: [1, 3, 8, 6] }));
  it('Pad opset 11 input form with negative (cropping) pads', async () => {
    await expectShapes(unary('Pad', [1, 3, 4, 4], { mode: 'constant' }, 11, (b) => { b.int64('pads', [0, 0, 1, -1, 0, 0, 1, 0]).float('v', 0.5); return ['pads', 'v']; }), { y: [1, 3, 6, 3] });
  });
  it('Pad opset 18 with axes', () => expectShapes(unary('Pad', [1, 3, 4, 4], {}, 18, (b) => { b.int64('pads', [1, 2, 3, 4]).int64('axes', [2, -1]); return ['pads', '', 'axes']; }), { y: [1, 3, 8, 10] }));
  it('Pad needs constant pads', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 4]).input('p', 'int64', [4]).node('Pad', ['x', 'p'], ['y']).output('y', 'float32');
    expect(() => loadModelBytes(b.toBytes())).toThrow(/pads input 'p' must be a constant/);
  });
  it('Transpose with and without perm', async () => {
    await expectShapes(unary('Transpose', [1, 2, 3, 4], { perm: [0, 2, 3, 1] }), { y: [1, 3, 4, 2] });
    await expectShapes(unary('Transpose', [1, 2, 3, 4]), { y: [4, 3, 2, 1] });
  });
  it('Reshape with 0 and -1', async () => {
    await expectShapes(unary('Reshape', [2, 3, 4, 5], {}, 13, (b) => { b.int64('s', [0, -1, 5]); return ['s']; }), { y: [2, 12, 5] });
    await expectShapes(unary('Reshape', [2, 3, 4], {}, 7, (b) => { b.int64('s', [-1]); return ['s']; }), { y: [24] });
  });
  it('Reshape at opset 7 takes its target from input 1, not the pre-opset-5 attribute', () => {
    const b = new OnnxBuilder({ opset: 7 }).input('x', 'float32', [2, 3]).node('Reshape', ['x'], ['y'], { shape: [3, 2] }, { name: 'r' }).output('y', 'float32');
    expect(() => loadModelBytes(b.toBytes())).toThrow("model.onnx: node 'r' (Reshape): missing shape input (opset ≥ 5 takes the target shape as input 1)");
  });
  it('Reshape allowzero (opset 14) keeps a literal 0', () => {
    const b = unary('Reshape', [0, 3], { allowzero: 1 }, 14, (m) => { m.int64('s', [3, 0]); return ['s']; });
    expect(loadModelBytes(b.toBytes()).tensors.get('y')!.shape).toEqual([3, 0]);
  });
  it('Reshape rejects a wrong element count', () => {
    expect(() => loadModelBytes(unary('Reshape', [2, 3], {}, 13, (b) => { b.int64('s', [4, -1]); return ['s']; }).toBytes())).toThrow(/cannot reshape \[2, 3\] to \[4, -1\]/);
  });
  it('Flatten axes', async () => {
    await expectShapes(unary('Flatten', [2, 3, 4, 5]), { y: [2, 60] });
    await expectShapes(unary('Flatten', [2, 3, 4, 5], { axis: 0 }), { y: [1, 120] });
    await expectShapes(unary('Flatten', [2, 3, 4, 5], { axis: -1 }), { y: [24, 5] });
  });
  it('Squeeze and Unsqueeze, attribute form (opset 11)', async () => {
    await expectShapes(unary('Squeeze', [1, 3, 1, 2], { axes: [0, -2] }, 11), { y: [3, 2] });
    await expectShapes(unary('Squeeze', [1, 3, 1, 2], {}, 11), { y: [3, 2] });
    await expectShapes(unary('Unsqueeze', [3, 2], { axes: [0, 3] }, 11), { y: [1, 3, 2, 1] });
  });
  it('Squeeze and Unsqueeze, input form (opset 13)', async () => {
    await expectShapes(unary('Squeeze', [1, 3, 1, 2], {}, 13, (b) => { b.int64('ax', [2]); return ['ax']; }), { y: [1, 3, 2] });
    await expectShapes(unary('Unsqueeze', [3, 2], {}, 13, (b) => { b.int64('ax', [-1, 1]); return ['ax']; }), { y: [3, 1, 2, 1] });
    expect(() => loadModelBytes(unary('Squeeze', [1, 3], {}, 13, (b) => { b.int64('ax', [1]); return ['ax']; }).toBytes())).toThrow(/cannot squeeze axis 1 of \[1, 3\]/);
  });
  it('Slice, attribute form (opset 9)', () => expectShapes(unary('Slice', [4, 10], { starts: [1, 0], ends: [1000, -2], axes: [0, 1] }, 9), { y: [3, 8] }));
  it('Slice, input form with steps and sentinels', async () => {
    await expectShapes(unary('Slice', [4, 10, 6], {}, 13, (b) => {
      b.int64('st', [-1, 1]).int64('en', [-9223372036854775807, 9223372036854775807]).int64('ax', [1, 2]).int64('sp', [-3, 2]);
      return ['st', 'en', 'ax', 'sp'];
    }), { y: [4, 4, 3] });
  });
  it('Gather with scalar and vector indices', async () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [4, 5, 6]).int64('i', [2], []).int64('j', [0, 3, 1], [3])
      .node('Gather', ['x', 'i'], ['y'], { axis: 1 }).node('Gather', ['x', 'j'], ['z'], { axis: -1 }).output('y', 'float32').output('z', 'float32');
    await expectShapes(b, { y: [4, 6], z: [4, 5, 3] });
  });
  it('Expand', () => expectShapes(unary('Expand', [3, 1], {}, 13, (b) => { b.int64('s', [2, 1, 4]); return ['s']; }), { y: [2, 3, 4] }));
  it('Shape and ConstantOfShape', async () => {
    const b = new OnnxBuilder({ opset: 15 }).input('x', 'float32', [2, 3, 4])
      .node('Shape', ['x'], ['s'], { start: 1 }).node('ConstantOfShape', ['s'], ['y'], { value: Attr.tensor({ data: Int32Array.of(7), dims: [1] }) })
      .output('y', 'int32');
    const g = loadModelBytes(b.toBytes());
    expect(g.tensors.get('y')).toMatchObject({ dtype: 'int32', shape: [3, 4] });
  });
});

describe('reductions and quantization', () => {
  it('ReduceMean axes attribute (opset 13) and input (opset 18)', async () => {
    await expectShapes(unary('ReduceMean', [1, 3, 4, 5], { axes: [2, 3] }), { y: [1, 3, 1, 1] });
    await expectShapes(unary('ReduceMean', [1, 3, 4, 5], { axes: [-1], keepdims: 0 }), { y: [1, 3, 4] });
    await expectShapes(unary('ReduceMean', [1, 3, 4, 5], { keepdims: 0 }), { y: [] });
    await expectShapes(unary('ReduceMean', [1, 3, 4, 5], { keepdims: 1 }, 18, (b) => { b.int64('ax', [1]); return ['ax']; }), { y: [1, 1, 4, 5] });
  });
  it('QuantizeLinear / DequantizeLinear dtypes and per-channel axis', async () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 3, 2, 2])
      .float('s', 0.1).initializer('zp', Int8Array.of(-3), [])
      .node('QuantizeLinear', ['x', 's', 'zp'], ['q']).node('DequantizeLinear', ['q', 's', 'zp'], ['d'])
      .node('QuantizeLinear', ['x', 's'], ['qu'])
      .initializer('w', Int8Array.from({ length: 12 }, (_, i) => i - 6), [3, 4]).float('ws', [0.1, 0.2, 0.3]).initializer('wz', new Int8Array(3), [3])
      .node('DequantizeLinear', ['w', 'ws', 'wz'], ['wd'], { axis: 0 })
      .output('q', 'int8').output('d', 'float32').output('qu', 'uint8').output('wd', 'float32');
    const g = await expectShapes(b, { q: [1, 3, 2, 2], d: [1, 3, 2, 2], qu: [1, 3, 2, 2], wd: [3, 4] });
    expect([g.tensors.get('q')!.dtype, g.tensors.get('qu')!.dtype]).toEqual(['int8', 'uint8']);
  });
  it('per-channel scale must match the axis', () => {
    const b = new OnnxBuilder({ opset: 13 }).initializer('w', new Int8Array(12), [3, 4]).float('ws', [0.1, 0.2, 0.3]).initializer('wz', new Int8Array(3), [3])
      .input('x', 'float32', [3, 4]).node('DequantizeLinear', ['w', 'ws', 'wz'], ['wd'], { axis: 1 }).node('Add', ['x', 'wd'], ['y']).output('y', 'float32');
    expect(() => loadModelBytes(b.toBytes())).toThrow(/per-channel scale has 3 values but axis 1 of \[3, 4\] has 4/);
  });
});

describe('dtype handling', () => {
  it('int8 graph inputs keep their type', async () => {
    const types: BuilderDType[] = ['int8', 'uint8', 'int32'];
    for (const t of types) {
      const b = new OnnxBuilder({ opset: 13 }).input('x', t, [2, 2]).node('Identity', ['x'], ['y']).output('y', t);
      const g = await expectShapes(b, { y: [2, 2] });
      expect(g.tensors.get('y')!.dtype).toBe(t);
    }
  });
});

describe('data movement (Split, Tile, Resize, Upsample, DepthToSpace, SpaceToDepth)', () => {
  it('Split with sizes, equal parts and num_outputs (opset 18, last part smaller)', async () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2, 7, 4]).int64('sp', [3, 4])
      .node('Split', ['x', 'sp'], ['a', 'b'], { axis: 1 }).node('Split', ['x'], ['c', 'd'], { axis: -1 })
      .output('a', 'float32').output('b', 'float32').output('c', 'float32').output('d', 'float32');
    await expectShapes(b, { a: [2, 3, 4], b: [2, 4, 4], c: [2, 7, 2], d: [2, 7, 2] });
    const b18 = new OnnxBuilder({ opset: 18 }).input('x', 'float32', [7, 2])
      .node('Split', ['x'], ['a', 'b', 'c'], { num_outputs: 3 }).output('a', 'float32').output('b', 'float32').output('c', 'float32');
    await expectShapes(b18, { a: [3, 2], b: [3, 2], c: [1, 2] });
    const bad = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [5]).node('Split', ['x'], ['a', 'b']).output('a', 'float32').output('b', 'float32');
    expect(() => loadModelBytes(bad.toBytes())).toThrow(/axis size 5 does not split into 2 equal parts/);
  });
  it('Tile', () => expectShapes(unary('Tile', [2, 3], {}, 13, (b) => { b.int64('r', [3, 2]); return ['r']; }), { y: [6, 6] }));
  it('Resize with scales (floored like onnxruntime) and with sizes', async () => {
    await expectShapes(unary('Resize', [1, 2, 5, 3], { mode: 'nearest' }, 13, (b) => { b.float('sc', [1, 1, 1.5, 0.7], [4]); return ['', 'sc']; }), { y: [1, 2, 7, 2] });
    await expectShapes(unary('Resize', [1, 2, 5, 3], { mode: 'linear' }, 13, (b) => { b.int64('sz', [1, 2, 9, 4]); return ['', '', 'sz']; }), { y: [1, 2, 9, 4] });
    await expectShapes(unary('Resize', [1, 2, 4, 4], { mode: 'nearest' }, 10, (b) => { b.float('sc', [1, 1, 2, 2], [4]); return ['sc']; }), { y: [1, 2, 8, 8] });
  });
  it('Upsample (opset 9 scales input)', () => expectShapes(unary('Upsample', [1, 1, 2, 3], { mode: 'nearest' }, 9, (b) => { b.float('sc', [1, 1, 2, 3], [4]); return ['sc']; }), { y: [1, 1, 4, 9] }));
  it('DepthToSpace and SpaceToDepth', async () => {
    await expectShapes(unary('DepthToSpace', [1, 8, 2, 3], { blocksize: 2, mode: 'CRD' }), { y: [1, 2, 4, 6] });
    await expectShapes(unary('SpaceToDepth', [1, 3, 4, 6], { blocksize: 2 }), { y: [1, 12, 2, 3] });
    expect(() => loadModelBytes(unary('SpaceToDepth', [1, 3, 5, 6], { blocksize: 2 }).toBytes())).toThrow(/spatial dims 5x6 are not multiples of blocksize 2/);
  });
});
