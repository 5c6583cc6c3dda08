/**
 * Add and Mul with numpy broadcasting against onnxruntime: same shapes,
 * scalars, per-channel [1,C,1,1], rank mismatch in both directions,
 * constant operands, inputs held channels-last (after a Transpose), fused
 * Relu, float and uint8 I/O.
 */
import { describeOp, QdqBuilder, Rand, inputRms, type OpCase, type QType } from './harness.js';
import type { QTensor } from '../helpers/onnx-builder.js';

interface Operand {
  dims: number[];
  /** A constant initializer (int8 through DequantizeLinear) instead of a graph input. */
  constant?: boolean;
  /** Fed as NHWC and transposed to NCHW in the graph: the value lives channels-last in edgec. */
  nhwc?: boolean;
}

interface BinaryConfig {
  op: 'Add' | 'Mul';
  a: Operand;
  b: Operand;
  relu?: boolean;
  io?: 'int8' | 'float';
  dtype?: QType;
}

function operand(q: QdqBuilder, r: Rand, o: Operand, name: string, c: BinaryConfig): QTensor {
  const dtype = c.dtype ?? 'int8';
  const p = r.qparams(dtype);
  if (o.constant) {
    const n = o.dims.reduce((x, y) => x * y, 1);
    const data = dtype === 'int8' ? Int8Array.from({ length: n }, () => r.int(-128, 127)) : Uint8Array.from({ length: n }, () => r.int(0, 255));
    q.b.initializer(name, data, o.dims);
    return { ...p, q: name };
  }
  if (!o.nhwc) return q.input(name, o.dims, p, c.io ?? 'int8');
  const [n, ch, h, w] = o.dims as [number, number, number, number];
  const x = q.input(name, [n, h, w, ch], p, c.io ?? 'int8');
  return q.op('Transpose', [x], { perm: [0, 3, 1, 2] });
}

function label(o: Operand): string {
  return `${o.constant ? 'const' : o.nhwc ? 'nhwc' : ''}[${o.dims.join(',')}]`;
}

function binaryCase(r: Rand, c: BinaryConfig): OpCase {
  const dtype = c.dtype ?? 'int8';
  const q = new QdqBuilder({ opset: 13 });
  const a = operand(q, r, c.a, 'a', c);
  const b = operand(q, r, c.b, 'b', c);
  const std = c.op === 'Add' ? Math.hypot(inputRms(a), inputRms(b)) : inputRms(a) * inputRms(b);
  let y = q.op(c.op, [a, b], {}, { out: r.outFor(std, dtype), name: c.op.toLowerCase() });
  if (c.relu) y = q.op('Relu', [y]);
  q.output(y, 'y', c.io ?? 'int8');
  const name = [c.op, label(c.a), label(c.b), c.relu ? 'relu' : '', c.io === 'float' ? 'float I/O' : '', dtype === 'uint8' ? 'uint8' : ''].filter(Boolean).join(' ');
  return { name, model: q.toBytes() };
}

const FIXED: Omit<BinaryConfig, 'op'>[] = [
  { a: { dims: [1, 5, 6, 7] }, b: { dims: [1, 5, 6, 7] } },
  { a: { dims: [1, 5, 6, 7] }, b: { dims: [1, 5, 1, 1], constant: true } },
  { a: { dims: [1, 3, 4, 4] }, b: { dims: [1, 3, 1, 1] } },
  { a: { dims: [1, 3, 1, 1] }, b: { dims: [1, 3, 4, 4] } },
  { a: { dims: [1, 6, 5, 3] }, b: { dims: [], constant: true } },
  { a: { dims: [1], constant: true }, b: { dims: [2, 7] } },
  { a: { dims: [1, 4, 3, 5] }, b: { dims: [4, 1, 1], constant: true } },
  { a: { dims: [5] }, b: { dims: [1, 3, 4, 5] } },
  { a: { dims: [2, 1, 6] }, b: { dims: [3, 1] } },
  { a: { dims: [1, 4, 5, 6], nhwc: true }, b: { dims: [1, 4, 1, 1], constant: true } },
  { a: { dims: [1, 4, 5, 6], nhwc: true }, b: { dims: [1, 4, 5, 6] } },
  { a: { dims: [1, 3, 5, 6] }, b: { dims: [1, 3, 5, 6], nhwc: true } },
  { a: { dims: [1, 7, 3, 3], nhwc: true }, b: { dims: [1, 7, 3, 3], nhwc: true } },
  { a: { dims: [1, 8, 4, 4] }, b: { dims: [1, 8, 4, 4] }, relu: true },
  { a: { dims: [1, 3, 4, 4] }, b: { dims: [1, 3, 1, 1], constant: true }, io: 'float' },
  { a: { dims: [1, 3, 4, 4] }, b: { dims: [1, 3, 4, 4] }, dtype: 'uint8' },
];

function randomConfig(r: Rand): Omit<BinaryConfig, 'op'> {
  const full = [1, r.int(1, 9), r.int(1, 6), r.int(1, 6)];
  const other = full.map((d) => (r.bool(0.5) ? 1 : d));
  const dropped = other.slice(r.int(0, 3));
  const swap = r.bool();
  const a: Operand = { dims: full, nhwc: r.bool(0.3) };
  const b: Operand = { dims: dropped, constant: r.bool(0.4) };
  return { a: swap && !b.constant ? b : a, b: swap && !b.constant ? a : b, relu: r.bool(0.2) };
}

const r = new Rand(303);
const cases: OpCase[] = [];
for (const op of ['Add', 'Mul'] as const) {
  for (const c of FIXED) cases.push(binaryCase(r, { ...c, op }));
  for (let i = 0; i < 6; i++) cases.push(binaryCase(r, { ...randomConfig(r), op }));
}

describeOp('Add/Mul', cases, { maxLsb: 1 });
