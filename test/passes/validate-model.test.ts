/**
 * A model file is untrusted: values that would make the generated C compute
 * garbage or hit undefined behaviour (scales whose multipliers the kernels
 * cannot represent, biases that overflow the int32 accumulator, parameters of
 * the wrong type) and structurally invalid graphs are refused before code
 * generation, with one line naming the file, the node or tensor and the value
 * (exit 2). Each case built (exit 0) before these checks.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { EdgecError } from '../../compiler/errors.js';
import { OnnxBuilder, QdqBuilder, type BuilderDType, type Dim } from '../helpers/onnx-builder.js';

/** The EdgecError a build of `bytes` raises (fails the test when it builds). */
function buildError(bytes: Uint8Array, shapes?: Record<string, number[]>): EdgecError {
  try {
    compileModel('hostile.onnx', { modelBytes: bytes, shapes });
  } catch (e) {
    if (!(e instanceof EdgecError)) throw e;
    expect(e.exitCode).toBe(2);
    expect(e.message).not.toMatch(/[\n\r\x00-\x1f]/);
    expect(e.message.startsWith('hostile.onnx: ')).toBe(true);
    return e;
  }
  throw new Error('the model built; expected a one-line error');
}

interface FcParams {
  inScale?: number;
  weightScale?: number;
  weightScaleType?: BuilderDType;
  biasScale?: number;
  bias?: number[];
  outScale?: number;
  zeroPointType?: BuilderDType;
  k?: number;
}

/** int8 x[1,k] -> DQ -> Gemm(DQ(w), DQ(b)) -> Q -> int8 y[1,3], every quantization parameter settable. */
function fcModel(p: FcParams = {}): Uint8Array {
  const k = p.k ?? 4;
  const inScale = p.inScale ?? 0.05;
  const ws = p.weightScale ?? 0.01;
  const b = new OnnxBuilder();
  b.input('x', 'int8', [1, k]).output('y', 'int8');
  b.float('x_s', inScale).initializer('x_z', Int8Array.of(0), [], { dtype: p.zeroPointType ?? 'int8' });
  b.initializer('w', Int8Array.from({ length: 3 * k }, (_, i) => (i * 37) % 127 - 63), [3, k]);
  b.initializer('w_s', Float32Array.of(ws), [], { dtype: p.weightScaleType ?? 'float32' }).initializer('w_z', Int8Array.of(0), []);
  b.initializer('b', Int32Array.from(p.bias ?? [100, -100, 7]), [3]);
  b.float('b_s', p.biasScale ?? Math.fround(inScale * ws)).initializer('b_z', Int32Array.of(0), []);
  b.float('y_s', p.outScale ?? 0.1).initializer('y_z', Int8Array.of(0), []);
  b.node('DequantizeLinear', ['x', 'x_s', 'x_z'], ['xf']);
  b.node('DequantizeLinear', ['w', 'w_s', 'w_z'], ['wf']);
  b.node('DequantizeLinear', ['b', 'b_s', 'b_z'], ['bf']);
  b.node('Gemm', ['xf', 'wf', 'bf'], ['yf'], { transB: 1 }, { name: 'fc' });
  b.node('QuantizeLinear', ['yf', 'y_s', 'y_z'], ['y']);
  return b.toBytes();
}

describe('quantization parameters the kernels cannot run are refused', () => {
  it('the reference model builds', () => {
    expect(compileModel('ok.onnx', { modelBytes: fcModel() }).program.ops.length).toBe(1);
  });

  it('a huge output scale (multiplier below 2^-32) names the node, the output and the value', () => {
    const e = buildError(fcModel({ outScale: 1e38 }));
    expect(e.message).toMatch(/node 'fc' \(Gemm\): output 'y.*requantization multiplier 5\.00000e-42 is outside/);
  });

  it('a huge input scale (multiplier above 2^31) is refused', () => {
    expect(buildError(fcModel({ inScale: 1e30, biasScale: 1e28 })).message).toMatch(/node 'fc'.*multiplier 1\.00000e\+29/);
  });

  it('a subnormal scale (1e-45) is refused with the tensor and value', () => {
    expect(buildError(fcModel({ outScale: 1e-45 })).message).toMatch(/scale 'y_s' must be a positive, finite, normal float32 \(got 1\.4\d*e-45\)/);
  });

  it('an int32 bias at the int32 limit (the accumulator would overflow at run time) names the bias and the value', () => {
    const e = buildError(fcModel({ bias: [2147483647, 0, 0] }));
    expect(e.message).toMatch(/node 'fc' \(Gemm\): bias 'bf' channel 0 is 2147483647 .*can overflow/);
  });

  it('a bias that saturates when rescaled to the accumulator scale is refused (it used to clamp to INT32_MAX)', () => {
    expect(buildError(fcModel({ biasScale: 1, bias: [0, 2_000_000, 0] })).message).toMatch(/bias 'bf' channel 1 is 40000000\d\d in the accumulator/);
  });

  it('a weight scale stored as BOOL (it used to decode as 1.0) is refused', () => {
    expect(buildError(fcModel({ weightScaleType: 'bool', weightScale: 1 })).message).toMatch(/scale 'w_s' has type bool; float32 is required/);
  });

  it('a zero point of the wrong type is refused', () => {
    expect(buildError(fcModel({ zeroPointType: 'uint8' })).message).toMatch(/zero point 'x_z' has type uint8 but the quantized tensor 'x' is int8/);
  });

  it('a softmax input scale below 2^-27 (negative left shift in the kernel) is refused', () => {
    const q = new QdqBuilder();
    const x = q.input('x', [1, 8], { scale: 1e-12, zeroPoint: 0, dtype: 'int8' }, 'int8');
    q.output(q.op('Softmax', [x], { axis: -1 }, { out: { scale: 1 / 256, zeroPoint: -128, dtype: 'int8' }, name: 'sm' }), 'y', 'int8');
    expect(buildError(q.b.toBytes()).message).toMatch(/node 'sm' \(Softmax\).*multiplier 0\.0000671089 /);
  });
});

describe('structurally invalid graphs are refused', () => {
  /** int8 x -> DQ -> Relu -> Q -> y: builds as is; `edit` breaks it. */
  const int8Model = (edit: { dims?: Dim[]; inputs?: number; outputs?: number; between?: (b: OnnxBuilder) => string } = {}): Uint8Array => {
    const b = new OnnxBuilder();
    for (let i = 0; i < (edit.inputs ?? 1); i++) b.input('x', 'int8', edit.dims ?? [1, 4]);
    b.float('s', 0.1).initializer('z', Int8Array.of(0), []);
    b.node('DequantizeLinear', ['x', 's', 'z'], ['xf']);
    const last = edit.between ? edit.between(b) : 'xf';
    b.node('Relu', [last], ['yf'], {}, { name: 'relu' }).node('QuantizeLinear', ['yf', 's', 'z'], ['y']);
    for (let i = 0; i < (edit.outputs ?? 1); i++) b.output('y', 'int8');
    return b.toBytes();
  };

  it('the int8 reference model builds', () => {
    expect(compileModel('ok.onnx', { modelBytes: int8Model() }).program.ops.length).toBeGreaterThan(0);
  });

  it('a graph with no outputs (it built a zero-size array)', () => {
    expect(buildError(int8Model({ outputs: 0 })).message).toBe('hostile.onnx: graph has no outputs');
  });

  it('an initializer defined twice with different values; twice with the same value is harmless', () => {
    const model = (second: number): Uint8Array => int8Model({ between: (b) => { b.float('s', second); return 'xf'; } });
    expect(buildError(model(0.2)).message).toBe("hostile.onnx: initializer 's' is defined twice with different values");
    expect(compileModel('dup.onnx', { modelBytes: model(Math.fround(0.1)) }).program.ops.length).toBeGreaterThan(0);
  });

  it('a graph input or output listed twice', () => {
    expect(buildError(int8Model({ inputs: 2 })).message).toBe("hostile.onnx: graph input 'x' is declared twice");
    expect(buildError(int8Model({ outputs: 2 })).message).toBe("hostile.onnx: graph output 'y' is listed twice");
  });

  it('a dangling node input (produced by nothing)', () => {
    const bytes = int8Model({ between: (b) => { b.node('Add', ['xf', 'ghost'], ['sum'], {}, { name: 'add' }); return 'sum'; } });
    expect(buildError(bytes).message).toBe("hostile.onnx: node 'add' (Add): input 'ghost' is not a graph input, an initializer or the output of any node");
  });

  it('a cycle', () => {
    const bytes = int8Model({ between: (b) => { b.node('Add', ['xf', 'loop'], ['sum'], {}, { name: 'n1' }).node('Relu', ['sum'], ['loop'], {}, { name: 'n2' }); return 'loop'; } });
    expect(buildError(bytes).message).toBe("hostile.onnx: node 'n1' (Add): graph has a cycle through this node");
  });

  it('an input, an initializer or an inferred tensor larger than the largest board', () => {
    expect(buildError(int8Model({ dims: [1, 100_000, 100_000] })).message)
      .toMatch(/^hostile\.onnx: input 'x' of shape \[1, 100000, 100000\] \(int8\) is 10000000000 bytes, more than the largest board's memory \(\d+ bytes\)$/);
    const viaShape = int8Model({ dims: ['n', 4] });
    expect(buildError(viaShape, { x: [2 ** 40, 4] }).message).toMatch(/input 'x' of shape \[1099511627776, 4\]/);
    const expanded = int8Model({ between: (b) => { b.int64('shape', [1e6, 1e6, 4]).node('Expand', ['xf', 'shape'], ['big'], {}, { name: 'expand' }); return 'big'; } });
    expect(buildError(expanded).message).toMatch(/node 'expand' \(Expand\): output 'big' of shape \[1000000, 1000000, 4\]/);
  });
});
