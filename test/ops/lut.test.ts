/**
 * Lookup-table activations against onnxruntime: Sigmoid, Tanh, HardSwish,
 * HardSigmoid, LeakyRelu, and Relu / Clip that cannot fuse into a producer
 * (they read a graph input). Up to 2 LSB (the task's bound for tables).
 */
import { describeOp, QdqBuilder, Rand, type OpCase, type QType } from './harness.js';
import { qparamsFromRange, type AttrInput, type QParams } from '../helpers/onnx-builder.js';

interface LutConfig {
  op: 'Sigmoid' | 'Tanh' | 'HardSwish' | 'HardSigmoid' | 'LeakyRelu' | 'Relu' | 'Clip';
  attrs?: Record<string, AttrInput>;
  dims: number[];
  dtype?: QType;
  io?: 'int8' | 'float';
  opset?: number;
}

function outRange(c: LutConfig, inQ: QParams): [number, number] {
  const lo = inQ.scale * ((inQ.dtype === 'int8' ? -128 : 0) - inQ.zeroPoint);
  const hi = inQ.scale * ((inQ.dtype === 'int8' ? 127 : 255) - inQ.zeroPoint);
  switch (c.op) {
    case 'Sigmoid': case 'HardSigmoid': return [0, 1];
    case 'Tanh': return [-1, 1];
    case 'HardSwish': return [-0.375, Math.max(hi, 0)];
    case 'LeakyRelu': return [lo * Number(c.attrs?.alpha ?? 0.01), hi];
    case 'Relu': return [0, hi];
    case 'Clip': return [0, Math.min(hi, 6)];
  }
}

function lutCase(r: Rand, c: LutConfig): OpCase {
  const dtype = c.dtype ?? 'int8';
  const q = new QdqBuilder({ opset: c.opset ?? 13 });
  const inQ: QParams = { ...r.qparams(dtype), scale: Math.fround(r.uniform(0.02, 0.08)) };
  const x = q.input('x', c.dims, inQ, c.io ?? 'int8');
  const [lo, hi] = outRange(c, inQ);
  const extraInputs: string[] = [];
  if (c.op === 'Clip') { q.b.float('clip_min', 0).float('clip_max', 6); extraInputs.push('clip_min', 'clip_max'); }
  const y = q.op(c.op, [x], c.attrs ?? {}, { out: qparamsFromRange(lo, hi, dtype), extraInputs, name: 'act' });
  q.output(y, 'y', c.io ?? 'int8');
  const name = [c.op, c.attrs ? JSON.stringify(c.attrs) : '', `[${c.dims.join(',')}]`, dtype === 'uint8' ? 'uint8' : '', c.io === 'float' ? 'float I/O' : ''].filter(Boolean).join(' ');
  // LeakyRelu / HardSwish use TFLite Micro's integer arithmetic (ops/tflm-tables.ts), onnxruntime float:
  // within 1 LSB, not 99% exact (their TFLM exactness: the exporter matrix's tf2onnx leaky_softmax / dilated_hswish cells)
  const tflmArithmetic = c.op === 'LeakyRelu' || c.op === 'HardSwish';
  return { name, model: q.toBytes(), ...(tflmArithmetic ? { knownDifference: { minExact: 0.85, why: 'TFLM LEAKY_RELU / HARD_SWISH integer arithmetic' } } : {}) };
}

const cases: LutConfig[] = [
  { op: 'Sigmoid', dims: [1, 4, 8, 8] },
  { op: 'Sigmoid', dims: [2, 33], dtype: 'uint8' },
  { op: 'Tanh', dims: [1, 3, 8, 8] },
  { op: 'Tanh', dims: [1, 50], io: 'float' },
  { op: 'HardSwish', dims: [1, 5, 6, 6], opset: 14 },
  { op: 'HardSigmoid', dims: [1, 64] },
  { op: 'HardSigmoid', dims: [1, 64], attrs: { alpha: 0.25, beta: 0.4 } },
  { op: 'LeakyRelu', dims: [1, 3, 7, 7] },
  { op: 'LeakyRelu', dims: [1, 3, 7, 7], attrs: { alpha: 0.2 } },
  { op: 'Relu', dims: [1, 2, 9, 9] },
  { op: 'Clip', dims: [1, 80] },
];

const r = new Rand(606);
describeOp('LUT activations', cases.map((c) => lutCase(r, c)), { maxLsb: 2 });
