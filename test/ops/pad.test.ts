/**
 * Pad (constant) against onnxruntime: opset 11+ inputs (pads, constant_value
 * as a quantized constant, opset 18 axes), opset 10 attributes (the last
 * opset with them that has QuantizeLinear),
 * asymmetric pads on every axis, feature maps held channels-last.
 */
import { describeOp, QdqBuilder, Rand, type OpCase, type QType } from './harness.js';
import { Attr, type QTensor } from '../helpers/onnx-builder.js';

interface PadConfig {
  dims: number[];
  pads: number[];
  opset: number;
  /** Real pad value (default 0). */
  value?: number;
  /** opset 18: pads only these axes. */
  axes?: number[];
  nhwc?: boolean;
  dtype?: QType;
  io?: 'int8' | 'float';
}

function padCase(r: Rand, c: PadConfig): OpCase {
  const dtype = c.dtype ?? 'int8';
  const q = new QdqBuilder({ opset: c.opset });
  const p = r.qparams(dtype);
  let x: QTensor;
  if (c.nhwc) {
    const [n, ch, h, w] = c.dims as [number, number, number, number];
    x = q.op('Transpose', [q.input('x', [n, h, w, ch], p, c.io ?? 'int8')], { perm: [0, 3, 1, 2] });
  } else {
    x = q.input('x', c.dims, p, c.io ?? 'int8');
  }
  let y: QTensor;
  if (c.opset < 11) {
    // opset 10 is the last with attributes and the first with QuantizeLinear
    y = q.op('Pad', [x], { mode: 'constant', pads: c.pads, ...(c.value !== undefined ? { value: Attr.float(c.value) } : {}) }, { name: 'pad' });
  } else {
    q.b.int64('pads', c.pads);
    const extra = ['pads'];
    if (c.value !== undefined || c.axes) {
      // quantize_static stores the pad value quantized with the input's parameters
      q.b.initializer('value_q', dtype === 'int8' ? Int8Array.of(Math.max(-128, Math.min(127, Math.round((c.value ?? 0) / p.scale) + p.zeroPoint))) : Uint8Array.of(Math.max(0, Math.min(255, Math.round((c.value ?? 0) / p.scale) + p.zeroPoint))), []);
      extra.push(q.b.op('DequantizeLinear', ['value_q', `${x.q}_scale`, `${x.q}_zero_point`]));
    }
    if (c.axes) { q.b.int64('axes', c.axes); extra.push('axes'); }
    q.dq(x); // make sure the shared scale / zero-point initializers exist before the value's DQ reads them
    y = q.op('Pad', [x], {}, { extraInputs: extra, name: 'pad' });
  }
  q.output(y, 'y', c.io ?? 'int8');
  const name = [`[${c.dims.join(',')}]`, `pads[${c.pads.join(',')}]`, `opset ${c.opset}`, c.value !== undefined ? `value ${c.value}` : '',
    c.axes ? `axes[${c.axes.join(',')}]` : '', c.nhwc ? 'nhwc' : '', dtype === 'uint8' ? 'uint8' : '', c.io === 'float' ? 'float I/O' : ''].filter(Boolean).join(' ');
  return { name, model: q.toBytes() };
}

const cases: PadConfig[] = [
  { dims: [1, 3, 5, 5], pads: [0, 0, 1, 1, 0, 0, 1, 1], opset: 13 },
  { dims: [1, 3, 5, 4], pads: [0, 0, 2, 0, 0, 0, 1, 3], opset: 13, value: 0.5 },
  { dims: [1, 3, 5, 4], pads: [0, 1, 2, 0, 0, 2, 1, 3], opset: 11, nhwc: true },
  { dims: [1, 4, 3, 3], pads: [0, 0, 0, 2, 0, 0, 3, 0], opset: 13, nhwc: true, value: -1 },
  { dims: [2, 7], pads: [1, 2, 0, 3], opset: 13 },
  { dims: [1, 2, 6], pads: [0, 0, 3, 0, 0, 1], opset: 10 },
  { dims: [1, 3, 4, 4], pads: [0, 0, 1, 2, 0, 0, 2, 1], opset: 10, value: 0.25 },
  { dims: [1, 3, 4, 4], pads: [0, 0, 1, 1, 0, 0, 1, 1], opset: 10, nhwc: true },
  { dims: [1, 3, 4, 5], pads: [1, 2, 0, 3], opset: 18, axes: [2, 3] },
  { dims: [1, 3, 4, 5], pads: [0, 0, 1, 1, 0, 0, 1, 1], opset: 13, dtype: 'uint8' },
  { dims: [1, 3, 4, 5], pads: [0, 0, 1, 1, 0, 0, 1, 1], opset: 13, io: 'float' },
  { dims: [1, 1, 1, 1], pads: [0, 0, 3, 2, 0, 0, 1, 4], opset: 13 },
];

const r = new Rand(808);
describeOp('Pad', cases.map((c) => padCase(r, c)), { maxLsb: 1 });
