/**
 * Softmax against onnxruntime: opset 11 (flattens [axis..] into one row) and
 * opset 13 (one axis) semantics, last and inner axes, the 1/256 output
 * quantization of the int8 kernel and quantize_static's 1/255 (requantized).
 * onnxruntime computes softmax in float: up to 2 LSB.
 */
import { describeOp, QdqBuilder, Rand, type OpCase, type QType } from './harness.js';
import { qparamsFromRange, type QParams } from '../helpers/onnx-builder.js';

interface SoftmaxConfig {
  dims: number[];
  opset: 11 | 13;
  axis?: number;
  /** Output quantization: the kernel's own (1/256, -128) or quantize_static's [0, 1] range. */
  out: 'kernel' | 'calibrated';
  dtype?: QType;
  io?: 'int8' | 'float';
}

function softmaxCase(r: Rand, c: SoftmaxConfig): OpCase {
  const dtype = c.dtype ?? 'int8';
  const q = new QdqBuilder({ opset: c.opset });
  // logits: a range of about ±8
  const inQ: QParams = { scale: Math.fround(r.uniform(0.03, 0.09)), zeroPoint: dtype === 'int8' ? r.int(-20, 20) : r.int(108, 148), dtype };
  const x = q.input('x', c.dims, inQ, c.io ?? 'int8');
  const out: QParams = c.out === 'kernel' ? { scale: 1 / 256, zeroPoint: dtype === 'int8' ? -128 : 0, dtype } : qparamsFromRange(0, 1, dtype);
  const y = q.op('Softmax', [x], c.axis === undefined ? {} : { axis: c.axis }, { out, name: 'softmax' });
  q.output(y, 'y', c.io ?? 'int8');
  const name = [`[${c.dims.join(',')}]`, `opset ${c.opset}`, c.axis === undefined ? 'default axis' : `axis ${c.axis}`, `${c.out} out`,
    dtype === 'uint8' ? 'uint8' : '', c.io === 'float' ? 'float I/O' : ''].filter(Boolean).join(' ');
  // The int8 kernel writes 1/256, -128 (TFLite); the model's 1/255 is a requantization after it: two roundings.
  const knownDifference = c.out === 'calibrated' ? { minExact: 0.8, why: 'softmax at 1/256 requantized to the model\'s 1/255 (two roundings)' } : undefined;
  return { name, model: q.toBytes(), samples: 8, knownDifference };
}

const fixed: SoftmaxConfig[] = [
  { dims: [1, 10], opset: 13, out: 'kernel' },
  { dims: [1, 10], opset: 13, out: 'calibrated' },
  { dims: [3, 12], opset: 11, out: 'calibrated' },
  { dims: [2, 3, 5], opset: 13, axis: 1, out: 'kernel' },
  { dims: [2, 3, 5], opset: 11, axis: 1, out: 'kernel' },
  { dims: [2, 3, 5], opset: 11, out: 'calibrated' },
  { dims: [1, 4, 3, 3], opset: 13, axis: 1, out: 'kernel' },
  { dims: [1, 4, 3, 3], opset: 13, axis: -1, out: 'calibrated' },
  { dims: [2, 2, 6], opset: 11, axis: 2, out: 'kernel' },
  { dims: [1, 7], opset: 13, out: 'calibrated', dtype: 'uint8' },
  { dims: [1, 12], opset: 13, out: 'kernel', io: 'float' },
  { dims: [1, 1], opset: 13, out: 'kernel' },
  { dims: [1, 100], opset: 13, out: 'kernel' },
];

const r = new Rand(505);
describeOp('Softmax', fixed.map((c) => softmaxCase(r, c)), { maxLsb: 2 });
