/**
 * Sub, Max / Min and PRelu against onnxruntime: same shapes, broadcast in
 * both directions, constant operands, inputs held channels-last (after a
 * Transpose), per-tensor and per-channel PRelu slopes. Randomized shapes and
 * quantizations (seeded).
 */
import { describeOp, QdqBuilder, Rand, inputRms, type OpCase } from './harness.js';
import type { QTensor } from '../helpers/onnx-builder.js';

interface Operand { dims: number[]; constant?: boolean; nhwc?: boolean }
type BinaryOp = 'Sub' | 'Max' | 'Min';

function operand(q: QdqBuilder, r: Rand, o: Operand, name: string): QTensor {
  const p = r.qparams();
  if (o.constant) {
    const n = o.dims.reduce((x, y) => x * y, 1);
    q.b.initializer(name, Int8Array.from({ length: n }, () => r.int(-128, 127)), o.dims);
    return { ...p, q: name };
  }
  if (!o.nhwc) return q.input(name, o.dims, p, 'int8');
  const [n, ch, h, w] = o.dims as [number, number, number, number];
  const x = q.input(name, [n, h, w, ch], p, 'int8');
  return q.op('Transpose', [x], { perm: [0, 3, 1, 2] });
}

const label = (o: Operand): string => `${o.constant ? 'const' : o.nhwc ? 'nhwc' : ''}[${o.dims.join(',')}]`;

function binaryCase(r: Rand, op: BinaryOp, a: Operand, b: Operand, sameQuant = false): OpCase {
  const q = new QdqBuilder({ opset: 13 });
  const qa = operand(q, r, a, 'a');
  let qb = operand(q, r, b, 'b');
  if (sameQuant) qb = { ...qb, scale: qa.scale, zeroPoint: qa.zeroPoint };
  const out = op === 'Sub' ? r.outFor(Math.hypot(inputRms(qa), inputRms(qb))) : sameQuant ? { scale: qa.scale, zeroPoint: qa.zeroPoint, dtype: 'int8' as const } : r.outFor(inputRms(qa));
  q.output(q.op(op, [qa, qb], {}, { out, name: op.toLowerCase() }), 'y', 'int8');
  return { name: [op, label(a), label(b), sameQuant ? 'same quant' : ''].filter(Boolean).join(' '), model: q.toBytes() };
}

const FIXED: [Operand, Operand][] = [
  [{ dims: [1, 5, 6, 7] }, { dims: [1, 5, 6, 7] }],
  [{ dims: [1, 5, 6, 7] }, { dims: [1, 5, 1, 1], constant: true }],
  [{ dims: [1, 3, 1, 1] }, { dims: [1, 3, 4, 4] }],
  [{ dims: [1], constant: true }, { dims: [2, 7] }],
  [{ dims: [2, 1, 6] }, { dims: [3, 1] }],
  [{ dims: [1, 4, 5, 6], nhwc: true }, { dims: [1, 4, 5, 6] }],
  [{ dims: [1, 7, 3, 3], nhwc: true }, { dims: [1, 7, 1, 1], constant: true }],
];

function randomPair(r: Rand): [Operand, Operand] {
  const full = [1, r.int(1, 9), r.int(1, 6), r.int(1, 6)];
  const other = full.map((d) => (r.bool(0.5) ? 1 : d)).slice(r.int(0, 3));
  const a: Operand = { dims: full, nhwc: r.bool(0.3) };
  const b: Operand = { dims: other, constant: r.bool(0.3) };
  return r.bool() && !b.constant ? [b, a] : [a, b];
}

/** PRelu with an int8 constant slope of shape `slope` (through DequantizeLinear, per tensor). */
function preluCase(r: Rand, dims: number[], slope: number[], nhwc = false): OpCase {
  const q = new QdqBuilder({ opset: 13 });
  const x = operand(q, r, { dims, nhwc }, 'x');
  const n = slope.reduce((a, b) => a * b, 1);
  q.b.initializer('slope', Int8Array.from({ length: n }, () => r.int(-100, 127)), slope);
  const sq: QTensor = { scale: Math.fround(r.uniform(0.002, 0.01)), zeroPoint: r.int(-10, 10), dtype: 'int8', q: 'slope' };
  q.output(q.op('PRelu', [x, sq], {}, { out: r.outFor(inputRms(x) * 0.8), name: 'prelu' }), 'y', 'int8');
  return { name: `PRelu ${nhwc ? 'nhwc' : ''}[${dims.join(',')}] slope [${slope.join(',')}]`, model: q.toBytes() };
}

const r = new Rand(1212);
const cases: OpCase[] = [];
for (const op of ['Sub', 'Max', 'Min'] as const) {
  for (const [a, b] of FIXED) cases.push(binaryCase(r, op, a, b));
  for (let i = 0; i < 5; i++) { const [a, b] = randomPair(r); cases.push(binaryCase(r, op, a, b)); }
}
cases.push(binaryCase(r, 'Max', { dims: [1, 4, 5, 6] }, { dims: [1, 4, 5, 6] }, true));
cases.push(binaryCase(r, 'Min', { dims: [3, 8] }, { dims: [8] }, true));
cases.push(preluCase(r, [1, 6, 5, 4], [6, 1, 1]));
cases.push(preluCase(r, [1, 6, 5, 4], [6, 1, 1], true));
cases.push(preluCase(r, [1, 3, 4, 4], [1]));
cases.push(preluCase(r, [2, 10], [10]));
for (let i = 0; i < 4; i++) {
  const dims = [1, r.int(1, 8), r.int(1, 6), r.int(1, 6)];
  cases.push(preluCase(r, dims, r.bool() ? [dims[1], 1, 1] : [dims[3]], r.bool(0.4)));
}

describeOp('Sub/Max/Min/PRelu', cases, { maxLsb: 1 });
