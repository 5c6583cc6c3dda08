/**
 * Unary ops as lookup tables against onnxruntime: Neg, Abs, Sqrt,
 * Reciprocal, Exp, Log, Erf, Softplus, Mish, Selu, Elu, Gelu (both
 * approximations), Div by a scalar constant, Swish (x * Sigmoid(x), fused
 * into one table) and Sqrt -> Reciprocal without quantization between (one
 * table). Tables with onnxruntime rounding are exact by
 * construction; Abs / Elu / Gelu follow TFLite Micro's arithmetic (TFLM's
 * rounding, half away from zero, or its integer Abs), so they may differ by
 * 1 LSB on ties; Swish's second step is edgec's int8 Mul (TFLite
 * fixed-point arithmetic), also within 1 LSB.
 */
import { QdqBuilder, Rand, type OpCase } from './harness.js';
import { describeOpGroups } from './grouped.js';
import { qparamsFromRange, type AttrInput, type QParams, type QTensor } from '../helpers/onnx-builder.js';

type Fn = (x: number) => number;

interface UnaryConfig {
  op: string;
  attrs?: Record<string, AttrInput>;
  dims: number[];
  /** Real input range [lo, hi]. */
  range: [number, number];
  fn: Fn;
  opset?: number;
  nhwc?: boolean;
}

const erfApprox: Fn = (x) => { // only for choosing the output range
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return Math.sign(x) * y;
};
const softplus: Fn = (x) => Math.log1p(Math.exp(x));

function outRangeOf(c: UnaryConfig): [number, number] {
  let lo = Infinity; let hi = -Infinity;
  for (let i = 0; i <= 200; i++) {
    const y = c.fn(c.range[0] + ((c.range[1] - c.range[0]) * i) / 200);
    if (Number.isFinite(y)) { lo = Math.min(lo, y); hi = Math.max(hi, y); }
  }
  return [Math.min(lo, 0), Math.max(hi, 1e-3)];
}

function unaryCase(r: Rand, c: UnaryConfig): OpCase {
  const q = new QdqBuilder({ opset: c.opset ?? 13 });
  const inQ: QParams = qparamsFromRange(c.range[0], c.range[1], 'int8');
  let x: QTensor;
  if (c.nhwc) {
    const [n, ch, h, w] = c.dims as [number, number, number, number];
    x = q.op('Transpose', [q.input('x', [n, h, w, ch], inQ, 'int8')], { perm: [0, 3, 1, 2] });
  } else {
    x = q.input('x', c.dims, inQ, 'int8');
  }
  const [lo, hi] = outRangeOf(c);
  const out = qparamsFromRange(lo * r.uniform(0.9, 1.1), hi * r.uniform(0.9, 1.1), 'int8');
  let y: QTensor;
  if (c.op === 'Div') {
    q.b.float('divisor', Number(c.attrs?.divisor ?? 1));
    y = q.op('Div', [x], {}, { out, extraInputs: ['divisor'], name: 'div' });
  } else if (c.op === 'Rsqrt') { // tf2onnx's RSQRT: two float ops inside one DQ/Q pair
    const r1 = q.b.op('Sqrt', [q.dq(x)]);
    y = q.quantize(q.b.op('Reciprocal', [r1], {}, { name: 'rsqrt' }), out);
  } else if (c.op === 'Swish') {
    const s = q.op('Sigmoid', [x], {}, { out: { scale: 1 / 256, zeroPoint: -128, dtype: 'int8' } });
    y = q.op('Mul', [x, s], {}, { out, name: 'mul' });
  } else {
    y = q.op(c.op, [x], c.attrs ?? {}, { out, name: 'unary' });
  }
  q.output(y, 'y', 'int8');
  const name = [c.op, c.attrs ? JSON.stringify(c.attrs) : '', `${c.nhwc ? 'nhwc' : ''}[${c.dims.join(',')}]`, `x in [${c.range.map((v) => v.toFixed(2)).join(', ')}]`].filter(Boolean).join(' ');
  return { name, model: q.toBytes() };
}

const r = new Rand(2121);
const dims = (): number[] => [1, r.int(1, 6), r.int(2, 7), r.int(2, 7)];
const sym = (a: number): [number, number] => [-a * r.uniform(0.8, 1.2), a * r.uniform(0.8, 1.2)];
const pos = (a: number): [number, number] => [0, a * r.uniform(0.8, 1.2)];
const selu = (x: number): number => 1.0507 * (x > 0 ? x : 1.67326 * (Math.exp(x) - 1));
const gelu = (x: number): number => 0.5 * x * (1 + erfApprox(x / Math.SQRT2));

/** Every op twice: fresh random shapes, ranges and quantizations each time. */
const makeConfigs = (): UnaryConfig[] => [
  { op: 'Neg', dims: dims(), range: sym(3), fn: (x) => -x },
  { op: 'Neg', dims: dims(), range: [-1, 4], fn: (x) => -x, nhwc: true },
  { op: 'Abs', dims: dims(), range: sym(3), fn: Math.abs },
  { op: 'Abs', dims: [3, 40], range: [-0.5, 5], fn: Math.abs },
  { op: 'Sqrt', dims: dims(), range: pos(9), fn: Math.sqrt },
  { op: 'Reciprocal', dims: dims(), range: [0.25, 4], fn: (x) => 1 / x },
  { op: 'Exp', dims: dims(), range: sym(2), fn: Math.exp },
  { op: 'Log', dims: dims(), range: [0.05, 6], fn: Math.log },
  { op: 'Erf', dims: dims(), range: sym(2.5), fn: erfApprox },
  { op: 'Softplus', dims: dims(), range: sym(5), fn: softplus },
  { op: 'Mish', dims: dims(), range: sym(5), fn: (x) => x * Math.tanh(softplus(x)), opset: 18 },
  { op: 'Selu', dims: dims(), range: sym(3), fn: selu },
  { op: 'Elu', dims: dims(), range: sym(4), fn: (x) => (x < 0 ? Math.exp(x) - 1 : x) },
  { op: 'Elu', attrs: { alpha: 0.5 }, dims: dims(), range: sym(4), fn: (x) => (x < 0 ? 0.5 * (Math.exp(x) - 1) : x) },
  { op: 'Gelu', dims: dims(), range: sym(4), fn: gelu, opset: 20 },
  { op: 'Gelu', attrs: { approximate: 'tanh' }, dims: dims(), range: sym(4), fn: gelu, opset: 20 },
  { op: 'Div', attrs: { divisor: 3 }, dims: dims(), range: sym(3), fn: (x) => x / 3 },
  { op: 'Div', attrs: { divisor: -0.37 }, dims: dims(), range: sym(1), fn: (x) => x / -0.37 },
  { op: 'Swish', dims: dims(), range: sym(6), fn: (x) => x / (1 + Math.exp(-x)) },
  { op: 'Rsqrt', dims: dims(), range: [0.1, 4 * r.uniform(0.8, 1.2)], fn: (x) => 1 / Math.sqrt(x) },
  { op: 'Swish', dims: [2, 50], range: [-2, 8], fn: (x) => x / (1 + Math.exp(-x)) },
];
const configs = [...makeConfigs(), ...makeConfigs()];

/** Tables with TFLite Micro's own rounding (Swish: the int8 Mul's fixed-point requantization): ±1 LSB on onnxruntime's ties. */
const TFLM_ROUNDING = new Set(['Abs', 'Elu', 'Gelu', 'Swish', 'Rsqrt']);

const byOp = new Map<string, OpCase[]>();
for (const c of configs) {
  byOp.set(c.op, [...(byOp.get(c.op) ?? []), unaryCase(r, c)]);
}
// onnxruntime-rounded tables must be exact; TFLM-rounded ones differ only on ties
describeOpGroups('Unary tables', Object.fromEntries([...byOp].map(([op, cases]) => [op, { cases, req: { maxLsb: 1, minExact: TFLM_ROUNDING.has(op) ? 0.99 : 1 } }])));
