/**
 * ReduceMean / ReduceSum / ReduceMax / ReduceMin against onnxruntime:
 * random ranks 2..4, random axis subsets (negative too), keepdims 0/1,
 * axes as attribute (opset 13) and as input (opset 18), on a graph input
 * (identity layout) and after a Conv (channels-last in memory, so the ONNX
 * axes map to other physical dims).
 */
import { describeOp, QdqBuilder, Rand, inputRms, inputStd, type OpCase } from './harness.js';
import type { QTensor } from '../helpers/onnx-builder.js';

type Mode = 'ReduceMean' | 'ReduceSum' | 'ReduceMax' | 'ReduceMin';

interface ReduceConfig {
  op: Mode;
  dims: number[];
  /** undefined: no axes (reduce everything). */
  axes?: number[];
  keepdims: 0 | 1;
  opset: 13 | 18;
  /** A 3x3 Conv first: the reduced tensor lives channels-last. */
  afterConv?: boolean;
  /** Max/Min with an output quantization of its own (requantized after). */
  requant?: boolean;
}

function axesInputSince(op: Mode): number {
  return op === 'ReduceSum' ? 13 : 18;
}

function reduceCase(r: Rand, c: ReduceConfig): OpCase {
  const q = new QdqBuilder({ opset: c.opset });
  let x: QTensor = q.input('x', c.dims, r.qparams(), 'int8');
  if (c.afterConv) {
    const cin = c.dims[1] as number;
    const std = Math.sqrt((cin * 9) / 3) * inputRms(x);
    x = q.conv(x, { weight: r.floats(cin * cin * 9), weightShape: [cin, cin, 3, 3], bias: r.floats(cin, -std / 2, std / 2), out: r.outFor(std), attrs: { pads: [1, 1, 1, 1] } });
  }
  const attrs: Record<string, number | number[]> = { keepdims: c.keepdims };
  const extra: string[] = [];
  if (c.axes) {
    if (c.opset >= axesInputSince(c.op)) {
      const name = q.b.fresh('axes');
      q.b.int64(name, c.axes);
      extra.push(name);
    } else {
      attrs.axes = c.axes;
    }
  }
  const count = c.axes ? c.axes.reduce((a, ax) => a * (c.dims[(ax + c.dims.length) % c.dims.length] as number), 1) : c.dims.reduce((a, b) => a * b, 1);
  const std = inputStd(x);
  const out = c.op === 'ReduceMean' ? r.outFor(std / Math.sqrt(count))
    : c.op === 'ReduceSum' ? r.outFor(std * Math.sqrt(count))
      : c.requant ? r.outFor(std) : undefined;
  const y = q.op(c.op, [x], attrs, { out, extraInputs: extra, name: 'reduce' });
  q.output(y, 'y', 'int8');
  const name = [c.op, `[${c.dims.join(',')}]`, c.axes ? `axes[${c.axes.join(',')}]` : 'all axes', `keepdims=${c.keepdims}`, `opset ${c.opset}`,
    c.afterConv ? 'after Conv (NHWC)' : '', c.requant ? 'requant' : ''].filter(Boolean).join(' ');
  // Mean / Sum: TFLM's single MultiplyByQuantizedMultiplier rounds twice and
  // rounds the count into the multiplier; onnxruntime divides in float.
  const known = c.op === 'ReduceMean' || c.op === 'ReduceSum' || c.requant
    ? { samples: 16, knownDifference: { minExact: 0.5, why: 'TFLite double rounding (MultiplyByQuantizedMultiplier) vs float requantization' } } : {};
  return { name, model: q.toBytes(), ...known };
}

/** GlobalMaxPool after a Conv (tf2onnx's form of TFLite's spatial REDUCE_MAX). */
function globalMaxPoolCase(r: Rand): OpCase {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', [1, 5, 6, 4], r.qparams(), 'int8');
  const std = Math.sqrt(5 / 3) * inputRms(x);
  const c = q.conv(x, { weight: r.floats(25), weightShape: [5, 5, 1, 1], bias: r.floats(5, -std / 2, std / 2), out: r.outFor(std) });
  q.output(q.op('GlobalMaxPool', [c]), 'y', 'int8');
  return { name: 'GlobalMaxPool [1,5,6,4] after Conv (NHWC)', model: q.toBytes() };
}

function randomAxes(r: Rand, rank: number): number[] {
  const all = Array.from({ length: rank }, (_, i) => i).filter(() => r.bool(0.5));
  const axes = all.length ? all : [r.int(0, rank - 1)];
  return axes.map((a) => (r.bool(0.3) ? a - rank : a));
}

function cases(): OpCase[] {
  const r = new Rand(12);
  const out: OpCase[] = [];
  const modes: Mode[] = ['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin'];
  // the exporter forms first: spatial mean keepdims 0/1, NWC mean over axis 1, channel mean
  out.push(reduceCase(r, { op: 'ReduceMean', dims: [1, 8, 5, 6], axes: [2, 3], keepdims: 0, opset: 13, afterConv: true }));
  out.push(reduceCase(r, { op: 'ReduceMean', dims: [1, 8, 5, 6], axes: [2, 3], keepdims: 1, opset: 18, afterConv: true }));
  out.push(reduceCase(r, { op: 'ReduceMean', dims: [1, 20, 7], axes: [1], keepdims: 0, opset: 13 }));
  out.push(reduceCase(r, { op: 'ReduceMean', dims: [2, 6, 4, 4], axes: [1], keepdims: 1, opset: 13, afterConv: true }));
  out.push(reduceCase(r, { op: 'ReduceMax', dims: [1, 6, 4, 5], axes: [2, 3], keepdims: 1, opset: 18, afterConv: true }));
  out.push(globalMaxPoolCase(r));
  for (let k = 0; k < 20; k++) {
    const op = modes[k % 4] as Mode;
    const rank = r.int(2, 4);
    const dims = Array.from({ length: rank }, (_, i) => (i === 0 ? r.int(1, 2) : r.int(1, 7)));
    const afterConv = rank === 4 && r.bool(0.5);
    const axes = r.bool(0.1) ? undefined : randomAxes(r, rank);
    out.push(reduceCase(r, { op, dims, axes, keepdims: r.bool() ? 1 : 0, opset: r.bool() ? 13 : 18, afterConv, requant: (op === 'ReduceMax' || op === 'ReduceMin') && r.bool(0.3) }));
  }
  return out;
}

describeOp('Reduce', cases(), { maxLsb: 1 });
