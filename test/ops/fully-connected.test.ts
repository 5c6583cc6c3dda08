/**
 * Gemm (transB 0 and 1, bias or not, fused Relu) and MatMul (2-D and 3-D
 * batched inputs) with constant weights, against onnxruntime.
 */
import { describeOp, QdqBuilder, Rand, inputRms, type OpCase, type QType } from './harness.js';
import { quantizeWeights, roundHalfEven, type QTensor } from '../helpers/onnx-builder.js';

interface FcConfig {
  op: 'Gemm' | 'MatMul';
  /** Input dims; the last is K. */
  inDims: number[];
  n: number;
  transB?: boolean;
  bias?: boolean;
  perChannel?: boolean;
  relu?: boolean;
  io?: 'int8' | 'float';
  dtype?: QType;
}

/**
 * Weights laid out as the op reads them (Gemm transB=1: [N, K]; otherwise
 * [K, N]) and quantized per channel along the output axis, as quantize_static does.
 */
function weightedFc(q: QdqBuilder, r: Rand, x: QTensor, c: FcConfig): { y: string; std: number } {
  const k = c.inDims[c.inDims.length - 1] as number;
  const transB = c.op === 'Gemm' && !!c.transB;
  const shape = transB ? [c.n, k] : [k, c.n];
  const axis = transB ? 0 : 1;
  const perChannel = c.perChannel !== false;
  const w = r.floats(k * c.n);
  const qw = quantizeWeights(w, shape, perChannel ? axis : -1);
  const b = q.b;
  b.initializer('w_q', qw.data, shape);
  b.initializer('w_scale', qw.scales, perChannel ? [c.n] : []);
  b.initializer('w_zp', new Int8Array(perChannel ? c.n : 1), perChannel ? [c.n] : []);
  const wDq = b.op('DequantizeLinear', ['w_q', 'w_scale', 'w_zp'], perChannel ? { axis } : {});
  const std = Math.sqrt(k / 3) * inputRms(x);
  const inputs = [q.dq(x), wDq];
  if (c.op === 'Gemm' && c.bias !== false) {
    const bScales = Float32Array.from({ length: perChannel ? c.n : 1 }, (_, i) => Math.fround(x.scale * (qw.scales[i] as number)));
    const bias = r.floats(c.n, -std / 2, std / 2);
    b.initializer('b_q', Int32Array.from(bias, (v, i) => roundHalfEven(v / (bScales[perChannel ? i : 0] as number))), [c.n]);
    b.initializer('b_scale', bScales, perChannel ? [c.n] : []);
    b.initializer('b_zp', new Int32Array(perChannel ? c.n : 1), perChannel ? [c.n] : []);
    inputs.push(b.op('DequantizeLinear', ['b_q', 'b_scale', 'b_zp'], perChannel ? { axis: 0 } : {}));
  }
  const y = c.op === 'Gemm' ? b.op('Gemm', inputs, { transB: transB ? 1 : 0 }, { name: 'fc' }) : b.op('MatMul', inputs, {}, { name: 'fc' });
  return { y, std };
}

function fcCase(r: Rand, c: FcConfig): OpCase {
  const dtype = c.dtype ?? 'int8';
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', c.inDims, r.qparams(dtype), c.io ?? 'int8');
  const { y, std } = weightedFc(q, r, x, c);
  let out: QTensor;
  if (c.relu) {
    const yq = q.quantize(y, r.outFor(std, dtype));
    out = q.op('Relu', [yq]);
  } else {
    out = q.quantize(y, r.outFor(std, dtype));
  }
  q.output(out, 'y', c.io ?? 'int8');
  const name = [`${c.op}${c.op === 'Gemm' ? ` transB=${c.transB ? 1 : 0}` : ''}`, `[${c.inDims.join(',')}]x${c.n}`,
    c.bias === false ? 'no bias' : '', c.perChannel === false ? 'per-tensor w' : '', c.relu ? 'relu' : '',
    c.io === 'float' ? 'float I/O' : '', dtype === 'uint8' ? 'uint8' : ''].filter(Boolean).join(' ');
  return { name, model: q.toBytes() };
}

const r = new Rand(202);
const fixed: FcConfig[] = [
  { op: 'Gemm', inDims: [1, 16], n: 10, transB: true },
  { op: 'Gemm', inDims: [1, 13], n: 7, transB: false },
  { op: 'Gemm', inDims: [3, 9], n: 5, transB: true, bias: false },
  { op: 'Gemm', inDims: [2, 33], n: 3, transB: false, relu: true },
  { op: 'Gemm', inDims: [1, 64], n: 1, transB: true, perChannel: false },
  { op: 'Gemm', inDims: [1, 20], n: 6, transB: true, io: 'float' },
  { op: 'Gemm', inDims: [1, 12], n: 9, transB: true, dtype: 'uint8' },
  { op: 'MatMul', inDims: [1, 24], n: 8 },
  { op: 'MatMul', inDims: [4, 7], n: 5 },
  { op: 'MatMul', inDims: [2, 5, 6], n: 3 },
  { op: 'MatMul', inDims: [3, 1, 17], n: 4, relu: true },
  { op: 'MatMul', inDims: [1, 1], n: 1 },
];
const random: FcConfig[] = Array.from({ length: 8 }, () => {
  const op = r.pick(['Gemm', 'MatMul'] as const);
  const k = r.int(1, 70);
  const inDims = op === 'Gemm' ? [r.int(1, 4), k] : r.bool() ? [r.int(1, 5), k] : [r.int(1, 3), r.int(1, 4), k];
  return { op, inDims, n: r.int(1, 20), transB: r.bool(), bias: r.bool(0.8), relu: r.bool(0.3) };
});

describeOp('Gemm/MatMul', [...fixed, ...random].map((c) => fcCase(r, c)), { maxLsb: 1 });
