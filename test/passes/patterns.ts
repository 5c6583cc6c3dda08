/**
 * Small ONNX graphs in the exact layouts real exporters write (PPQ / esp-ppq,
 * NNCF, tf2onnx --tflite, AMD Quark), for the canonicalisation passes' unit
 * tests and the end-to-end test against onnxruntime.
 */
import { OnnxBuilder, quantizeWeights, roundHalfEven, type QParams } from '../helpers/onnx-builder.js';
import { Rand } from '../ops/harness.js';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import type { Graph } from '../../compiler/ir/graph.js';

export { Rand };

/** Per-tensor int8 activation parameters. */
export function act(scale: number, zeroPoint: number): QParams {
  return { scale: Math.fround(scale), zeroPoint, dtype: 'int8' };
}

/** A graph builder with the Q/DQ vocabulary the exporters use. */
export class Pat {
  readonly b: OnnxBuilder;
  private k = 0;

  constructor(opset = 13) {
    this.b = new OnnxBuilder({ opset });
  }

  private params(base: string, scales: number[], zps: number[], zpType: 'int8' | 'int32' = 'int8'): [string, string] {
    const s = `${base}_s`;
    const z = `${base}_z`;
    const shape = scales.length > 1 ? [scales.length] : [];
    this.b.initializer(s, Float32Array.from(scales), shape);
    this.b.initializer(z, zpType === 'int8' ? Int8Array.from(zps) : Int32Array.from(zps), shape);
    return [s, z];
  }

  /** QuantizeLinear (per tensor, or per channel along `axis`). */
  q(x: string, p: QParams | { scales: number[]; zeroPoints: number[]; axis: number }): string {
    const base = `q${this.k++}`;
    const [s, z] = 'scale' in p ? this.params(base, [p.scale], [p.zeroPoint]) : this.params(base, p.scales, p.zeroPoints);
    return this.b.op('QuantizeLinear', [x, s, z], 'axis' in p ? { axis: p.axis } : {}, { output: `${base}_out` });
  }

  dq(x: string, p: QParams | { scales: number[]; zeroPoints: number[]; axis: number }): string {
    const base = `dq${this.k++}`;
    const [s, z] = 'scale' in p ? this.params(base, [p.scale], [p.zeroPoint]) : this.params(base, p.scales, p.zeroPoints);
    return this.b.op('DequantizeLinear', [x, s, z], 'axis' in p ? { axis: p.axis } : {}, { output: `${base}_out` });
  }

  /** Q then DQ with the same parameters (a QDQ island boundary). */
  qdq(x: string, p: QParams): string {
    return this.dq(this.q(x, p), p);
  }

  /** Symmetric int8 weights through DQ (per channel along `axis`, or per tensor with -1); returns the DQ output and the scales. */
  weights(w: Float32Array, shape: number[], axis: number): { name: string; scales: number[]; data: Int8Array } {
    const base = `w${this.k++}`;
    const qw = quantizeWeights(w, shape, axis);
    this.b.initializer(`${base}_q`, qw.data, shape);
    const scales = Array.from(qw.scales);
    const [s, z] = this.params(base, scales, scales.map(() => 0));
    const name = this.b.op('DequantizeLinear', [`${base}_q`, s, z], axis >= 0 ? { axis } : {}, { output: `${base}_dq` });
    return { name, scales, data: qw.data };
  }

  /** int32 bias through DQ with scale `scales` (per channel with `axis` when more than one), as TFLite / tf2onnx store it. */
  bias(values: Float32Array, scales: number[], axis?: number): string {
    const base = `b${this.k++}`;
    const q = Int32Array.from(values, (v, c) => roundHalfEven(v / scales[scales.length > 1 ? c : 0]!));
    this.b.initializer(`${base}_q`, q, [values.length]);
    const [s, z] = this.params(base, scales, scales.map(() => 0), 'int32');
    return this.b.op('DequantizeLinear', [`${base}_q`, s, z], axis !== undefined ? { axis } : {}, { output: `${base}_dq` });
  }

  /** Q then a DQ writing graph output `name` (float). */
  out(x: string, p: QParams, name = 'out'): this {
    const base = `o${this.k++}`;
    const [s, z] = this.params(base, [p.scale], [p.zeroPoint]);
    const q = this.b.op('QuantizeLinear', [x, s, z], {}, { output: `${base}_q` });
    this.b.node('DequantizeLinear', [q, s, z], [name]);
    return this.floatOutput(name);
  }

  /** An int32 bias initializer quantized with per-channel `scales`, and its scale / zero point as 'bz_s' / 'bz_z'. */
  int32Bias(values: Float32Array, scales: number[]): string {
    const name = `bz${this.k++}`;
    this.b.initializer(name, Int32Array.from(values, (v, c) => roundHalfEven(v / scales[c]!)), [values.length]);
    this.b.initializer('bz_s', Float32Array.from(scales), [scales.length]);
    this.b.initializer('bz_z', new Int32Array(scales.length), [scales.length]);
    return name;
  }

  int64(values: number[]): string {
    const name = `c${this.k++}`;
    this.b.int64(name, values);
    return name;
  }

  floatInput(name: string, dims: number[]): string {
    this.b.input(name, 'float32', dims);
    return name;
  }

  floatOutput(name: string): this {
    this.b.output(name, 'float32');
    return this;
  }

  bytes(): Uint8Array {
    return this.b.toBytes();
  }

  graph(): Graph {
    return loadModelBytes(this.bytes(), { fileName: 'pattern.onnx' });
  }
}

/** Op types of a graph in order (for before/after assertions). */
export function opTypes(g: Graph): string[] {
  return g.nodes.map((n) => n.opType);
}

/** PPQ classifier head: DQ -> Transpose -> Reshape -> Gemm, no Q/DQ between. */
export function ppqHead(r: Rand, A: QParams, O: QParams): Pat {
  const p = new Pat();
  const x = p.floatInput('x', [1, 4, 3, 3]);
  const t = p.b.op('Transpose', [p.qdq(x, A)], { perm: [0, 2, 3, 1] });
  const f = p.b.op('Reshape', [t, p.int64([1, 36])]);
  const w = p.weights(r.floats(10 * 36), [10, 36], 0);
  const y = p.b.op('Gemm', [f, w.name, p.bias(r.floats(10), w.scales.map((s) => A.scale * s), 0)], { transB: 1 });
  p.out(y, O);
  return p;
}

export interface DenseOptions {
  inDims?: number[];
  n?: number;
  /** 'exact': bias DQ scale = input × weight scale (TFLite); 'rescaled': another scale; 'float': a float constant. */
  bias?: 'exact' | 'rescaled' | 'float';
  relu?: boolean;
  perChannel?: boolean;
}

/** tf2onnx 1.17 --tflite Dense: DQ(x) -> MatMul(DQ(W)) -> Add(DQ(int32 bias)) -> [Relu] -> Q -> DQ. */
export function tf2onnxDense(r: Rand, A: QParams, O: QParams, o: DenseOptions = {}): Pat {
  const inDims = o.inDims ?? [1, 8];
  const k = inDims[inDims.length - 1];
  const n = o.n ?? 5;
  const p = new Pat();
  const x = p.floatInput('x', inDims);
  const w = p.weights(r.floats(k * n), [k, n], o.perChannel === false ? -1 : 1);
  const mm = p.b.op('MatMul', [p.qdq(x, A), w.name], {}, { output: 'BiasAdd_prequant' });
  const values = r.floats(n, -0.5, 0.5);
  const accScales = w.scales.map((s) => Math.fround(A.scale * s));
  const bias = o.bias === 'float' ? (p.b.float('bias_f', Array.from(values)), 'bias_f')
    : p.bias(values, o.bias === 'rescaled' ? accScales.map((s) => s * 0.37) : accScales, accScales.length > 1 ? 0 : undefined);
  const added = p.b.op('Add', [mm, bias]);
  p.out(o.relu ? p.b.op('Relu', [added]) : added, O);
  return p;
}


/** tf2onnx --tflite depthwise conv; its int32 bias DQ has `biasAxis` (tf2onnx writes 3 on this rank-1 tensor). */
export function depthwiseBias(r: Rand, A: QParams, O: QParams, biasAxis: number): Pat {
  const p = new Pat();
  const w = p.weights(r.floats(4 * 9), [4, 1, 3, 3], 0);
  const b = p.bias(r.floats(4), w.scales.map((s) => Math.fround(A.scale * s)), biasAxis);
  const c = p.b.op('Conv', [p.qdq(p.floatInput('x', [1, 4, 5, 5]), A), w.name, b], { group: 4, pads: [1, 1, 1, 1] });
  return p.out(c, O);
}

/** AMD Quark: Conv -> activation (LeakyRelu / HardSwish / Relu / Clip) -> Q, no Q between conv and activation. */
export function quarkConvActivation(r: Rand, A: QParams, O: QParams, activation: 'LeakyRelu' | 'HardSwish' | 'Relu' | 'Clip', alpha = 0.1): Pat {
  const p = new Pat(activation === 'HardSwish' ? 14 : 13);
  const w = p.weights(r.floats(4 * 3 * 9), [4, 3, 3, 3], 0);
  const b = p.bias(r.floats(4, -0.3, 0.3), w.scales.map((s) => Math.fround(A.scale * s)), 0);
  const c = p.b.op('Conv', [p.qdq(p.floatInput('x', [1, 3, 6, 6]), A), w.name, b], { pads: [1, 1, 1, 1] });
  const extra = activation === 'Clip' ? [(p.b.float('clip_lo', 0), 'clip_lo'), (p.b.float('clip_hi', 6), 'clip_hi')] : [];
  const y = p.b.op(activation, [c, ...extra], activation === 'LeakyRelu' ? { alpha } : {});
  return p.out(y, O);
}

/** NNCF / PyTorch below opset 14: Conv -> HardSigmoid(1/6, 1/2) and Mul(conv, gate) -> Q, HardSwish written out. */
export function decomposedHardSwish(r: Rand, A: QParams, O: QParams): Pat {
  const p = new Pat();
  const w = p.weights(r.floats(4 * 3 * 9), [4, 3, 3, 3], 0);
  const c = p.b.op('Conv', [p.qdq(p.floatInput('x', [1, 3, 6, 6]), A), w.name], { pads: [1, 1, 1, 1] });
  const gate = p.b.op('HardSigmoid', [c], { alpha: 1 / 6, beta: 0.5 });
  return p.out(p.b.op('Mul', [c, gate]), O);
}

/** Quark XINT8: DQ -> GlobalAveragePool (or ReduceMean) -> Mul(constant) -> Q, the pooled value left float. */
export function quarkPoolScale(A: QParams, O: QParams, c: number, pool: 'GlobalAveragePool' | 'ReduceMean' = 'GlobalAveragePool'): Pat {
  const p = new Pat();
  const x = p.qdq(p.floatInput('x', [1, 5, 4, 4]), A);
  const pooled = pool === 'ReduceMean' ? p.b.op('ReduceMean', [x], { axes: [2, 3], keepdims: 1 }) : p.b.op('GlobalAveragePool', [x]);
  p.b.float('pool_scale', c);
  return p.out(p.b.op('Mul', [pooled, 'pool_scale']), O);
}

export interface TailOptions {
  /** Weights left float (NNCF ignored scope) instead of int8 behind a DQ. */
  floatWeights?: boolean;
  /** What follows the float Gemm: Softmax (NNCF / PPQ classifiers), Relu, or nothing. */
  after?: 'Softmax' | 'Relu' | 'none';
  /** Q/DQ the Gemm output with these parameters (the canonical twin of the float tail). */
  logitsQ?: QParams;
}

/** NNCF / PPQ float tail: ... -> Q -> DQ -> Flatten -> Gemm -> [Softmax | Relu] -> float output, no Q after the Gemm. */
export function nncfTail(r: Rand, A: QParams, o: TailOptions = {}): Pat {
  const p = new Pat();
  const f = p.b.op('Flatten', [p.qdq(p.floatInput('x', [1, 4, 2, 2]), A)]);
  const wf = r.floats(6 * 16);
  const bias = r.floats(6, -0.2, 0.2);
  let w: string;
  let b: string;
  if (o.floatWeights) {
    p.b.initializer('fc_w', wf, [6, 16]);
    p.b.initializer('fc_b', bias, [6]);
    [w, b] = ['fc_w', 'fc_b'];
  } else {
    const qw = p.weights(wf, [6, 16], 0);
    [w, b] = [qw.name, p.bias(bias, qw.scales.map((s) => Math.fround(A.scale * s)), 0)];
  }
  const y = p.b.op('Gemm', [f, w, b], { transB: 1 }, { name: 'fc', output: o.after === 'none' ? 'out' : 'logits' });
  if (o.after !== 'none') p.b.op(o.after ?? 'Softmax', [o.logitsQ ? p.qdq(y, o.logitsQ) : y], {}, { output: 'out' });
  return p.floatOutput('out');
}

/**
 * NNCF MobileNet block: pointwise Conv -> Clip(0, 6) -> per-channel Q (axis 1) -> DQ -> depthwise Conv -> Q.
 * `consumer: 'conv'` makes the per-channel tensor feed a regular conv instead (not foldable).
 */
export function nncfPerChannel(r: Rand, A: QParams, O: QParams, consumer: 'depthwise' | 'conv' = 'depthwise'): Pat {
  const p = new Pat();
  const w1 = p.weights(r.floats(4 * 3), [4, 3, 1, 1], 0);
  const b1 = p.bias(r.floats(4, 0, 0.5), w1.scales.map((s) => Math.fround(A.scale * s)), 0);
  const c1 = p.b.op('Conv', [p.qdq(p.floatInput('x', [1, 3, 5, 5]), A), w1.name, b1]);
  p.b.float('lo', 0);
  p.b.float('hi', 6);
  const relu6 = p.b.op('Clip', [c1, 'lo', 'hi']);
  const scales = [0.004, 0.011, 0.02, 0.0075].map(Math.fround); // channel maxima 127 * s[c] - well below 6
  const pc = { scales, zeroPoints: [-128, -128, -128, -128], axis: 1 };
  const dq = p.dq(p.q(relu6, pc), pc);
  const w2 = consumer === 'depthwise' ? p.weights(r.floats(4 * 9), [4, 1, 3, 3], 0) : p.weights(r.floats(4 * 4 * 9), [4, 4, 3, 3], 0);
  const c2 = p.b.op('Conv', [dq, w2.name, p.b.op('DequantizeLinear', [p.int32Bias(r.floats(4, -0.1, 0.1), scales.map((s, c) => Math.fround(s * w2.scales[c]))), 'bz_s', 'bz_z'], { axis: 0 })],
    { pads: [1, 1, 1, 1], ...(consumer === 'depthwise' ? { group: 4 } : {}) });
  return p.out(c2, O);
}

/** NNCF without BN folding: DQ(x) -> Conv(DQ(W), no bias) -> BatchNormalization -> Relu -> Q. `gammaSign` -1 makes one channel's scale negative. */
export function nncfConvBn(r: Rand, A: QParams, O: QParams, gammaSign = 1): Pat {
  const p = new Pat();
  const w = p.weights(r.floats(4 * 3 * 9), [4, 3, 3, 3], 0);
  const c = p.b.op('Conv', [p.qdq(p.floatInput('x', [1, 3, 6, 6]), A), w.name], { pads: [1, 1, 1, 1] });
  p.b.float('bn_gamma', [0.8, 1.3, gammaSign * 0.6, 1.1]);
  p.b.float('bn_beta', [0.1, -0.2, 0.05, 0.3]);
  p.b.float('bn_mean', [0.05, -0.1, 0.2, 0]);
  p.b.float('bn_var', [0.5, 1.2, 0.8, 2]);
  const bn = p.b.op('BatchNormalization', [c, 'bn_gamma', 'bn_beta', 'bn_mean', 'bn_var'], { epsilon: 1e-5 });
  return p.out(p.b.op('Relu', [bn]), O);
}
