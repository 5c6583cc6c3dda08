/** loadModel: decoding, constants, naming, ordering, dynamic dims and every user-facing error. */
import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EdgecError } from '../../compiler/errors.js';
import { loadModel, loadModelBytes, uniqueNodeNames, type LoadOptions } from '../../compiler/onnx/load.js';
import { OnnxBuilder, Attr, type InitArray, type BuilderDType, type Storage } from '../helpers/onnx-builder.js';
import { runOrt } from '../helpers/ort.js';
import { expectFullyShaped, randomInputs } from './check.js';

/** The thrown EdgecError (fails the test if something else, or nothing, is thrown). */
function errorOf(fn: () => unknown): EdgecError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EdgecError);
    const err = e as EdgecError;
    expect(err.exitCode).toBe(2);
    expect(err.message).not.toContain('\n');
    return err;
  }
  throw new Error('expected an EdgecError');
}

const tmp = (): string => mkdtempSync(join(tmpdir(), 'edgec-onnx-'));

/** x + c, so the initializer `c` survives import as a constant. */
function addConst(data: InitArray, dims: number[], dtype: BuilderDType, storage: Storage, opset = 13): OnnxBuilder {
  return new OnnxBuilder({ opset }).input('x', dtype === 'int64' ? 'int64' : dtype, dims)
    .initializer('c', data, dims, { dtype, storage })
    .node('Add', ['x', 'c'], ['y']).output('y', dtype);
}

describe('initializers', () => {
  const cases: [BuilderDType, InitArray, ArrayLike<number>][] = [
    ['float32', Float32Array.of(1.5, -2.25, 3e-8), [1.5, -2.25, Math.fround(3e-8)]],
    ['float64', Float64Array.of(1.5, -2.25, 1e-300), [1.5, -2.25, 1e-300]],
    ['int8', Int8Array.of(-128, 0, 127), [-128, 0, 127]],
    ['uint8', Uint8Array.of(0, 128, 255), [0, 128, 255]],
    ['int16', Int16Array.of(-32768, 1, 32767), [-32768, 1, 32767]],
    ['int32', Int32Array.of(-2147483648, 7, 2147483647), [-2147483648, 7, 2147483647]],
    ['int64', BigInt64Array.of(-5n, 1n << 40n, 3n), [-5, 2 ** 40, 3]],
  ];
  for (const storage of ['raw', 'typed'] as const) {
    for (const [dtype, data, expected] of cases) {
      it(`${dtype} in ${storage === 'raw' ? 'raw_data' : 'typed fields'}`, () => {
        const g = loadModelBytes(addConst(data, [3], dtype, storage).toBytes());
        const c = g.tensors.get('c')!;
        expect(c.dtype).toBe(dtype);
        expect(c.shape).toEqual([3]);
        expect(Array.from(c.data!)).toEqual(Array.from(expected));
        if (dtype === 'int64') expect(c.data).toBeInstanceOf(Float64Array);
      });
    }
  }

  it('widens float16 constants to float32 and decodes scalars', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2])
      .initializer('h', Float32Array.of(0.5, -2), [2], { dtype: 'float16' })
      .node('Cast', ['h'], ['hf'], { to: 1 }).node('Add', ['x', 'hf'], ['y']).output('y', 'float32');
    const g = loadModelBytes(b.toBytes());
    // The Cast of a constant folds away; the value survives in the folded tensor.
    expect(Array.from(g.tensors.get('hf')!.data!)).toEqual([0.5, -2]);
  });

  it('loads external data relative to the model file, and the values reach onnxruntime identically', async () => {
    const dir = tmp();
    try {
      const w = Float32Array.from({ length: 24 }, (_, i) => i / 7);
      const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2, 3])
        .initializer('w', w, [3, 8], { storage: 'external' })
        .initializer('bias', Float32Array.from({ length: 8 }, (_, i) => 1 - i), [8], { storage: 'external' })
        .node('MatMul', ['x', 'w'], ['m']).node('Add', ['m', 'bias'], ['y']).output('y', 'float32');
      const path = b.save(join(dir, 'sub', 'model.onnx'));
      const g = loadModel(path);
      expect(Array.from(g.tensors.get('w')!.data!)).toEqual(Array.from(w));
      expect(Array.from(g.tensors.get('bias')!.data!)).toEqual([1, 0, -1, -2, -3, -4, -5, -6]);
      const out = await runOrt(path, randomInputs(g));
      expect(out.y!.dims).toEqual(g.tensors.get('y')!.shape);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports missing external data files', () => {
    const dir = tmp();
    try {
      const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2]).initializer('w', Float32Array.of(1, 2), [2], { storage: 'external' })
        .node('Add', ['x', 'w'], ['y']).output('y', 'float32');
      const path = b.save(join(dir, 'm.onnx'));
      rmSync(join(dir, 'm.onnx.data'));
      expect(errorOf(() => loadModel(path)).message).toBe(`${path}: initializer 'w': external data file 'm.onnx.data' not found next to the model`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects data whose size does not match the dims', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [3]).initializer('c', Float32Array.of(1, 2), [3]).node('Add', ['x', 'c'], ['y']).output('y', 'float32');
    expect(errorOf(() => loadModelBytes(b.toBytes())).message).toMatch(/tensor 'c' has 8 bytes of data, expected 12/);
  });

  it('treats graph inputs that are also initializers as constants (IR < 4 exporters)', () => {
    const b = new OnnxBuilder({ opset: 8 }).input('x', 'float32', [1, 2])
      .initializer('w', Float32Array.of(1, 2, 3, 4), [2, 2], { alsoInput: true })
      .node('MatMul', ['x', 'w'], ['y']).output('y', 'float32');
    const g = loadModelBytes(b.toBytes());
    expect(g.inputs).toEqual(['x']);
    expect(g.tensors.get('w')!.data).toBeDefined();
  });
});

describe('Constant nodes and attributes', () => {
  it('turns value, value_float(s) and value_int(s) into constants', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2, 3])
      .node('Constant', [], ['t'], { value: Attr.tensor({ data: Float32Array.of(1, 2, 3), dims: [3] }) })
      .node('Constant', [], ['f'], { value_float: Attr.float(0.25) })
      .node('Constant', [], ['fs'], { value_floats: Attr.floats([1, 2, 3]) })
      .node('Constant', [], ['i'], { value_int: 3 })
      .node('Constant', [], ['is'], { value_ints: [2, 3] })
      .node('Add', ['x', 't'], ['a']).node('Mul', ['a', 'f'], ['m']).node('Add', ['m', 'fs'], ['n'])
      .node('Reshape', ['n', 'is'], ['y']).output('y', 'float32');
    const g = loadModelBytes(b.toBytes());
    expect(g.nodes.map((n) => n.opType)).toEqual(['Add', 'Mul', 'Add', 'Reshape']);
    expect(g.tensors.get('t')).toMatchObject({ dtype: 'float32', shape: [3] });
    expect(g.tensors.get('f')).toMatchObject({ dtype: 'float32', shape: [] });
    expect(Array.from(g.tensors.get('f')!.data!)).toEqual([0.25]);
    expect(Array.from(g.tensors.get('fs')!.data!)).toEqual([1, 2, 3]);
    expect(g.tensors.get('is')).toMatchObject({ dtype: 'int64', shape: [2] });
    expect(g.tensors.get('y')!.shape).toEqual([2, 3]);
    // value_int is unused and pruned.
    expect(g.tensors.has('i')).toBe(false);
  });

  it('decodes attributes: ints/floats as numbers, strings, tensors', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 1, 5, 5])
      .node('MaxPool', ['x'], ['y'], { kernel_shape: [3, 3], auto_pad: 'SAME_UPPER', strides: [1, 1] }, { name: 'pool' })
      .node('LeakyRelu', ['y'], ['z'], { alpha: Attr.float(0.1) }).output('z', 'float32');
    const g = loadModelBytes(b.toBytes());
    expect(g.nodes[0]!.attrs).toEqual({ kernel_shape: [3, 3], auto_pad: 'SAME_UPPER', strides: [1, 1] });
    expect(g.nodes[1]!.attrs.alpha).toBe(Math.fround(0.1));
  });
});

describe('nodes', () => {
  it('names anonymous nodes <OpType>_<index> and makes duplicates unique', () => {
    expect(uniqueNodeNames([{ opType: 'Relu' }, { name: 'a', opType: 'Add' }, { name: 'a', opType: 'Add' }, { name: '', opType: 'Relu' }])).toEqual(['Relu_0', 'a', 'a_1', 'Relu_3']);
    // An anonymous node never steals an explicit name used later in the file.
    expect(uniqueNodeNames([{ opType: 'Relu' }, { name: 'Relu_0', opType: 'Relu' }])).toEqual(['Relu_0_anon', 'Relu_0']);
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2]).node('Relu', ['x'], ['a']).node('Relu', ['a'], ['b'], {}, { name: 'r' })
      .node('Relu', ['b'], ['y'], {}, { name: 'r' }).output('y', 'float32');
    expect(loadModelBytes(b.toBytes()).nodes.map((n) => n.name)).toEqual(['Relu_0', 'r', 'r_1']);
  });

  it('sorts nodes topologically when the file is not', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 4])
      .node('Relu', ['x'], ['a'], {}, { name: 'first' }).node('Sigmoid', ['a'], ['b'], {}, { name: 'second' })
      .node('Add', ['a', 'b'], ['y'], {}, { name: 'third' }).output('y', 'float32').reverseNodes();
    const g = loadModelBytes(b.toBytes());
    expect(g.nodes.map((n) => n.name)).toEqual(['first', 'second', 'third']);
    expectFullyShaped(g);
  });

  it('reports a cycle', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2]).node('Add', ['x', 'b'], ['a'], {}, { name: 'n1' })
      .node('Relu', ['a'], ['b'], {}, { name: 'n2' }).output('b', 'float32');
    expect(errorOf(() => loadModelBytes(b.toBytes())).message).toMatch(/graph has a cycle/);
  });
});

describe('dynamic dimensions', () => {
  const dyn = (dims: (number | string | null)[], opts?: LoadOptions): number[] => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', dims).node('Relu', ['x'], ['y']).output('y', 'float32', dims);
    return loadModelBytes(b.toBytes(), opts).tensors.get('y')!.shape;
  };
  it('resolves a symbolic or unknown leading dim to 1', () => {
    expect(dyn(['N', 49, 10, 1])).toEqual([1, 49, 10, 1]);
    expect(dyn(['batch', 3])).toEqual([1, 3]);
    expect(dyn(['unk__12', 3])).toEqual([1, 3]);
    expect(dyn([null, 3])).toEqual([1, 3]);
  });
  it('takes other dynamic dims from --shape', () => {
    expect(dyn(['N', 'seq', 10], { shapes: { x: [1, 49, 10] } })).toEqual([1, 49, 10]);
    expect(dyn(['N', 3], { shapes: { x: [4, 3] } })).toEqual([4, 3]);
  });
  it('errors on an unresolved non-leading dim, naming the tensor and suggesting --shape', () => {
    const err = errorOf(() => dyn(['N', 'seq', 10]));
    expect(err.message).toBe("model.onnx: input 'x' has unresolved dimension 'seq' at axis 1 of [N, seq, 10]");
    expect(err.hint).toBe('pass --shape x=1,<seq>,10');
    expect(errorOf(() => dyn([1, null])).message).toMatch(/input 'x' has unresolved dimension \(unknown\) at axis 1/);
  });
  it('rejects --shape that conflicts with the model or names no input', () => {
    expect(errorOf(() => dyn(['N', 3], { shapes: { x: [1, 4] } })).message).toMatch(/--shape x=1,4 conflicts with the model's declared shape \[N, 3\] at axis 1/);
    expect(errorOf(() => dyn(['N', 3], { shapes: { x: [1, 3, 1] } })).message).toMatch(/has rank 3 but the model declares \[N, 3\]/);
    expect(errorOf(() => dyn(['N', 3], { shapes: { nope: [1] } })).message).toMatch(/the model has no graph input 'nope' \(inputs: x\)/);
  });
  it('propagates the resolved batch through shape plumbing', async () => {
    // PyTorch-style flatten: Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])).
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', ['N', 2, 3, 4])
      .int64('zero', [0], []).int64('ax0', [0]).int64('minus1', [-1])
      .node('Shape', ['x'], ['s']).node('Gather', ['s', 'zero'], ['n'], { axis: 0 }).node('Unsqueeze', ['n', 'ax0'], ['nu'])
      .node('Concat', ['nu', 'minus1'], ['target'], { axis: 0 }).node('Reshape', ['x', 'target'], ['y']).output('y', 'float32');
    const g = loadModelBytes(b.toBytes(), { shapes: { x: [2, 2, 3, 4] } });
    expect(g.tensors.get('y')!.shape).toEqual([2, 24]);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Reshape']);
    expect(Array.from(g.tensors.get('target')!.data!)).toEqual([2, -1]);
  });
});

describe('errors', () => {
  const good = (): OnnxBuilder => new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 4])
    .initializer('w', Float32Array.from({ length: 4096 }, (_, i) => i), [4, 1024]).node('MatMul', ['x', 'w'], ['y'], {}, { name: 'mm' }).output('y', 'float32');

  it('file not found', () => {
    expect(errorOf(() => loadModel('/nonexistent/model.onnx')).message).toBe('/nonexistent/model.onnx: file not found');
  });
  it('truncated file', () => {
    const bytes = good().toBytes();
    const dir = tmp();
    try {
      const path = join(dir, 'cut.onnx');
      // Cut inside the 16 KiB raw_data of 'w': the length-delimited field overruns the end.
      writeFileSync(path, bytes.subarray(0, Math.floor(bytes.length / 2)));
      expect(errorOf(() => loadModel(path)).message).toMatch(new RegExp(`^${path}: corrupt or truncated ONNX protobuf`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('random bytes', () => {
    let s = 42;
    const bytes = Uint8Array.from({ length: 4000 }, () => (s = (s * 1103515245 + 12345) % 2147483648) & 0xff);
    expect(errorOf(() => loadModelBytes(bytes)).message).toMatch(/^model\.onnx: (corrupt or truncated ONNX protobuf|not an ONNX model)/);
  });
  it('a text file', () => {
    expect(errorOf(() => loadModelBytes(new TextEncoder().encode('hello, this is not a model'))).message).toMatch(/^model\.onnx: (corrupt or truncated ONNX protobuf|not an ONNX model)/);
  });
  it('empty file and empty graph', () => {
    expect(errorOf(() => loadModelBytes(new Uint8Array(0))).message).toBe('model.onnx: file is empty, not an ONNX model');
    expect(errorOf(() => loadModelBytes(new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1]).output('x', 'float32').toBytes())).message).toBe('model.onnx: graph is empty (no nodes)');
  });
  it('unsupported opset', () => {
    const b = (opset: number): Uint8Array => new OnnxBuilder({ opset }).input('x', 'float32', [1]).node('Relu', ['x'], ['y']).output('y', 'float32').toBytes();
    expect(errorOf(() => loadModelBytes(b(6))).message).toBe('model.onnx: unsupported opset 6 (edgec accepts opsets 7-21)');
    expect(errorOf(() => loadModelBytes(b(22))).message).toBe('model.onnx: unsupported opset 22 (edgec accepts opsets 7-21)');
    expect(loadModelBytes(b(7)).opset).toBe(7);
    expect(loadModelBytes(b(21)).opset).toBe(21);
  });
  it('unsupported op names the op, node and opset', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 5, 4]).node('Einsum', ['x'], ['y'], { equation: 'bij->bji' }, { name: 'einsum_1' }).output('y', 'float32');
    expect(errorOf(() => loadModelBytes(b.toBytes())).message).toBe("model.onnx: node 'einsum_1' (Einsum): unsupported op Einsum (opset 13)");
    const ms = new OnnxBuilder({ opset: 13, domains: { 'com.microsoft': 1 } }).input('x', 'float32', [1]).node('Gelu', ['x'], ['y'], {}, { domain: 'com.microsoft' }).output('y', 'float32');
    expect(errorOf(() => loadModelBytes(ms.toBytes())).message).toBe("model.onnx: node 'Gelu_0' (Gelu): unsupported op com.microsoft.Gelu (domain 'com.microsoft')");
  });
  it('missing initializer', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 3, 4, 4]).node('Conv', ['x', 'conv1.weight'], ['y'], {}, { name: 'conv1' }).output('y', 'float32');
    expect(errorOf(() => loadModelBytes(b.toBytes())).message).toBe("model.onnx: node 'conv1' (Conv): input 'conv1.weight' is not a graph input, an initializer or the output of any node");
  });
  it('graph output nobody produces', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1]).node('Relu', ['x'], ['y']).output('z', 'float32');
    expect(errorOf(() => loadModelBytes(b.toBytes())).message).toBe("model.onnx: graph output 'z' is not produced by any node");
  });
  it('declared output shape that disagrees with inference', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 4]).node('Relu', ['x'], ['y']).output('y', 'float32', [1, 5]);
    expect(errorOf(() => loadModelBytes(b.toBytes())).message).toBe("model.onnx: tensor 'y' is declared [1, 5] but infers to [1, 4]");
  });
  it('unsupported input element type', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float16', [1, 4]).node('Relu', ['x'], ['y']).output('y', 'float16');
    expect(errorOf(() => loadModelBytes(b.toBytes())).message).toBe("model.onnx: input 'x' has unsupported element type FLOAT16");
  });
  it('shape that cannot be resolved: Reshape target computed at run time', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2, 3]).input('s', 'int64', [2]).node('Reshape', ['x', 's'], ['y'], {}, { name: 'r' }).output('y', 'float32');
    expect(errorOf(() => loadModelBytes(b.toBytes())).message).toBe("model.onnx: node 'r' (Reshape): shape input 's' must be a constant (it is computed at run time)");
  });
});
