/**
 * Concat against onnxruntime: axis 1 of NCHW feature maps (held
 * channels-last in edgec when they come through a Transpose from NHWC),
 * the last axis, three inputs, inputs quantized differently from the output.
 */
import { describeOp, QdqBuilder, Rand, type OpCase, type QType } from './harness.js';
import type { QParams, QTensor } from '../helpers/onnx-builder.js';

interface ConcatConfig {
  /** Input dims (logical, NCHW for rank 4). */
  inputs: number[][];
  axis: number;
  /** Inputs fed as NHWC through a Transpose (edgec keeps them channels-last). */
  nhwc?: boolean;
  /** Every input and the output share one quantization (as for a Concat of one producer's branches). */
  shared?: boolean;
  dtype?: QType;
  opset?: number;
}

function concatCase(r: Rand, c: ConcatConfig): OpCase {
  const dtype = c.dtype ?? 'int8';
  const q = new QdqBuilder({ opset: c.opset ?? 13 });
  const common = r.qparams(dtype);
  const xs: QTensor[] = c.inputs.map((dims, i) => {
    const p: QParams = c.shared ? common : r.qparams(dtype);
    if (!c.nhwc) return q.input(`x${i}`, dims, p, 'int8');
    const [n, ch, h, w] = dims as [number, number, number, number];
    return q.op('Transpose', [q.input(`x${i}`, [n, h, w, ch], p, 'int8')], { perm: [0, 3, 1, 2] });
  });
  // output range: the union of the inputs' ranges
  const lo = Math.min(...xs.map((x) => x.scale * ((dtype === 'int8' ? -128 : 0) - x.zeroPoint)));
  const hi = Math.max(...xs.map((x) => x.scale * ((dtype === 'int8' ? 127 : 255) - x.zeroPoint)));
  const out: QParams = c.shared ? common : { scale: Math.fround((hi - lo) / 255), zeroPoint: (dtype === 'int8' ? -128 : 0) - Math.round(lo / ((hi - lo) / 255)), dtype };
  const y = q.op('Concat', xs, { axis: c.axis }, { out, name: 'concat' });
  q.output(y, 'y', 'int8');
  const name = [c.inputs.map((d) => `[${d.join(',')}]`).join('+'), `axis ${c.axis}`, c.nhwc ? 'nhwc' : '', c.shared ? 'shared quant' : 'own scales', dtype === 'uint8' ? 'uint8' : ''].filter(Boolean).join(' ');
  // Inputs with their own scales are requantized: TFLite's MultiplyByQuantizedMultiplier rounds twice.
  return { name, model: q.toBytes(), knownDifference: c.shared ? undefined : { minExact: 0.7, why: 'requantized inputs: TFLite double rounding' } };
}

const cases: ConcatConfig[] = [
  { inputs: [[1, 3, 5, 5], [1, 4, 5, 5]], axis: 1, shared: true },
  { inputs: [[1, 3, 5, 5], [1, 4, 5, 5]], axis: 1, nhwc: true, shared: true },
  { inputs: [[1, 3, 4, 6], [1, 5, 4, 6], [1, 1, 4, 6]], axis: 1, nhwc: true, shared: true },
  { inputs: [[1, 2, 3, 4], [1, 2, 3, 7]], axis: -1, shared: true },
  { inputs: [[1, 2, 3, 4], [1, 2, 3, 7]], axis: 3, nhwc: true, shared: true },
  { inputs: [[1, 2, 3, 4], [1, 2, 5, 4]], axis: 2, nhwc: true, shared: true },
  { inputs: [[2, 5], [2, 3]], axis: 1, shared: true },
  { inputs: [[2, 5], [3, 5]], axis: 0, shared: true, opset: 11 },
  { inputs: [[1, 6], [1, 9], [1, 2]], axis: -1, shared: true, dtype: 'uint8' },
  { inputs: [[1, 3, 5, 5], [1, 4, 5, 5]], axis: 1 },
  { inputs: [[1, 3, 4, 6], [1, 5, 4, 6], [1, 2, 4, 6]], axis: 1, nhwc: true },
  { inputs: [[1, 8], [1, 12]], axis: 1 },
];

const r = new Rand(707);
describeOp('Concat', cases.map((c) => concatCase(r, c)), { maxLsb: 1 });
