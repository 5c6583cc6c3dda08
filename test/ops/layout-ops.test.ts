/**
 * Transpose, Reshape, Flatten, Squeeze, Unsqueeze against onnxruntime,
 * alone and after a Conv (whose output edgec holds channels-last: a Flatten
 * of a conv with H, W > 1 must see NCHW order).
 */
import { describeOp, QdqBuilder, Rand, inputRms, type OpCase } from './harness.js';
import type { QTensor } from '../helpers/onnx-builder.js';

type Step =
  | { op: 'Transpose'; perm: number[] }
  | { op: 'Reshape'; shape: number[] }
  | { op: 'Flatten'; axis?: number }
  | { op: 'Squeeze'; axes: number[] }
  | { op: 'Unsqueeze'; axes: number[] }
  | { op: 'Conv'; cout: number };

interface LayoutConfig {
  dims: number[];
  steps: Step[];
  opset?: number;
}

function apply(q: QdqBuilder, r: Rand, x: QTensor, s: Step, dims: number[], opset: number): QTensor {
  switch (s.op) {
    case 'Transpose': return q.op('Transpose', [x], { perm: s.perm });
    case 'Reshape': {
      const name = q.b.fresh('shape');
      q.b.int64(name, s.shape);
      return q.op('Reshape', [x], {}, { extraInputs: [name] });
    }
    case 'Flatten': return q.op('Flatten', [x], s.axis === undefined ? {} : { axis: s.axis });
    case 'Squeeze': case 'Unsqueeze': {
      if (opset < 13) return q.op(s.op, [x], { axes: s.axes });
      const name = q.b.fresh('axes');
      q.b.int64(name, s.axes);
      return q.op(s.op, [x], {}, { extraInputs: [name] });
    }
    case 'Conv': {
      const cin = dims[1] as number;
      const std = Math.sqrt((cin * 9) / 3) * inputRms(x);
      return q.conv(x, { weight: r.floats(s.cout * cin * 9), weightShape: [s.cout, cin, 3, 3], bias: r.floats(s.cout, -std / 2, std / 2), out: r.outFor(std), attrs: { pads: [1, 1, 1, 1] } });
    }
  }
}

function outDims(dims: number[], s: Step): number[] {
  switch (s.op) {
    case 'Transpose': return s.perm.map((a) => dims[a] as number);
    case 'Reshape': {
      const known = s.shape.reduce((a, d, i) => a * (d === -1 ? 1 : d === 0 ? (dims[i] as number) : d), 1);
      const total = dims.reduce((a, b) => a * b, 1);
      return s.shape.map((d, i) => (d === -1 ? total / known : d === 0 ? (dims[i] as number) : d));
    }
    case 'Flatten': {
      const axis = s.axis ?? 1;
      return [dims.slice(0, axis).reduce((a, b) => a * b, 1), dims.slice(axis).reduce((a, b) => a * b, 1)];
    }
    case 'Squeeze': return dims.filter((_, i) => !s.axes.includes(i));
    case 'Unsqueeze': {
      const out = dims.slice();
      for (const a of [...s.axes].sort((x, y) => x - y)) out.splice(a, 0, 1);
      return out;
    }
    case 'Conv': return [dims[0] as number, s.cout, ...dims.slice(2)];
  }
}

function layoutCase(r: Rand, c: LayoutConfig): OpCase {
  const opset = c.opset ?? 13;
  const q = new QdqBuilder({ opset });
  let x = q.input('x', c.dims, r.qparams(), 'int8');
  let dims = c.dims;
  for (const s of c.steps) {
    x = apply(q, r, x, s, dims, opset);
    dims = outDims(dims, s);
  }
  q.output(x, 'y', 'int8');
  const name = `[${c.dims.join(',')}] ${c.steps.map((s) => `${s.op}${'perm' in s ? `(${s.perm.join(',')})` : 'shape' in s ? `(${s.shape.join(',')})` : 'axes' in s ? `(${s.axes.join(',')})` : 'axis' in s ? `(${s.axis})` : ''}`).join(' → ')}${c.opset ? ` opset ${c.opset}` : ''}`;
  return { name, model: q.toBytes() };
}

const cases: LayoutConfig[] = [
  { dims: [1, 3, 4, 5], steps: [{ op: 'Transpose', perm: [0, 2, 3, 1] }] },
  { dims: [2, 3, 4], steps: [{ op: 'Transpose', perm: [2, 0, 1] }] },
  { dims: [1, 4, 5, 3], steps: [{ op: 'Transpose', perm: [0, 3, 1, 2] }, { op: 'Transpose', perm: [0, 2, 3, 1] }] },
  { dims: [1, 3, 4, 5], steps: [{ op: 'Transpose', perm: [3, 1, 0, 2] }] },
  { dims: [1, 3, 4, 5], steps: [{ op: 'Reshape', shape: [1, 12, 5] }] },
  { dims: [1, 3, 4, 5], steps: [{ op: 'Reshape', shape: [0, -1] }] },
  { dims: [1, 3, 4, 5], steps: [{ op: 'Flatten' }] },
  { dims: [1, 3, 4, 5], steps: [{ op: 'Flatten', axis: 2 }] },
  { dims: [1, 3, 1, 5], steps: [{ op: 'Squeeze', axes: [2] }] },
  { dims: [1, 3, 1, 5], steps: [{ op: 'Squeeze', axes: [0, 2] }], opset: 11 },
  { dims: [3, 5], steps: [{ op: 'Unsqueeze', axes: [0, 2] }] },
  { dims: [3, 5], steps: [{ op: 'Unsqueeze', axes: [1] }], opset: 11 },
  { dims: [1, 3, 6, 5], steps: [{ op: 'Conv', cout: 4 }, { op: 'Flatten' }] },
  { dims: [1, 2, 4, 4], steps: [{ op: 'Conv', cout: 3 }, { op: 'Reshape', shape: [1, -1] }] },
  { dims: [1, 2, 4, 3], steps: [{ op: 'Conv', cout: 5 }, { op: 'Reshape', shape: [1, 5, 12] }, { op: 'Transpose', perm: [0, 2, 1] }] },
  { dims: [1, 3, 1, 1], steps: [{ op: 'Conv', cout: 6 }, { op: 'Flatten' }] },
  { dims: [1, 2, 5, 1], steps: [{ op: 'Conv', cout: 3 }, { op: 'Squeeze', axes: [3] }] },
  { dims: [1, 4, 5, 3], steps: [{ op: 'Transpose', perm: [0, 3, 1, 2] }, { op: 'Conv', cout: 2 }, { op: 'Transpose', perm: [0, 2, 3, 1] }] },
  { dims: [1, 2, 3, 3], steps: [{ op: 'Conv', cout: 4 }, { op: 'Unsqueeze', axes: [1] }] },
];

const r = new Rand(909);
describeOp('Transpose/Reshape family', cases.map((c) => layoutCase(r, c)), { maxLsb: 1 });
