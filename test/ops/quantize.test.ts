/**
 * QuantizeLinear / DequantizeLinear at the model's edges against
 * onnxruntime: float in → int8 (or uint8) out, int8 in → float out, float
 * in and out around an op, requantization between two Q/DQ pairs.
 */
import { describeOp, QdqBuilder, Rand, type OpCase, type QType } from './harness.js';
import type { QParams } from '../helpers/onnx-builder.js';

interface EdgeConfig {
  dims: number[];
  inIo: 'int8' | 'float';
  outIo: 'int8' | 'float';
  /** An op between the edges (MaxPool keeps the quantization). */
  middle?: 'MaxPool' | 'Requantize';
  dtype?: QType;
}

function edgeCase(r: Rand, c: EdgeConfig): OpCase {
  const dtype = c.dtype ?? 'int8';
  const q = new QdqBuilder({ opset: 13 });
  let x = q.input('x', c.dims, r.qparams(dtype), c.inIo);
  if (c.middle === 'MaxPool') x = q.op('MaxPool', [x], { kernel_shape: [2, 2] });
  if (c.middle === 'Requantize') {
    // DQ → Q with other parameters: a requantization
    const out: QParams = r.qparams(dtype);
    x = q.quantize(q.dq(x), out, 'requantized');
  }
  q.output(x, 'y', c.outIo);
  const name = [`[${c.dims.join(',')}]`, `${c.inIo} in`, `${c.outIo} out`, c.middle ?? '', dtype === 'uint8' ? 'uint8' : ''].filter(Boolean).join(' ');
  const knownDifference = c.middle === 'Requantize' ? { minExact: 0.6, why: 'TFLite double rounding in the requantization' } : undefined;
  return { name, model: q.toBytes(), knownDifference };
}

const cases: EdgeConfig[] = [
  { dims: [1, 3, 8, 8], inIo: 'float', outIo: 'int8' },
  { dims: [1, 3, 8, 8], inIo: 'float', outIo: 'int8', dtype: 'uint8' },
  { dims: [2, 50], inIo: 'int8', outIo: 'float' },
  { dims: [2, 50], inIo: 'int8', outIo: 'float', dtype: 'uint8' },
  { dims: [1, 200], inIo: 'float', outIo: 'float' },
  { dims: [1, 4, 6, 6], inIo: 'float', outIo: 'float', middle: 'MaxPool' },
  { dims: [1, 4, 6, 6], inIo: 'float', outIo: 'float', middle: 'MaxPool', dtype: 'uint8' },
  { dims: [1, 64], inIo: 'int8', outIo: 'int8', middle: 'Requantize' },
  { dims: [1, 64], inIo: 'float', outIo: 'float', middle: 'Requantize' },
  { dims: [1, 3, 5, 5], inIo: 'int8', outIo: 'int8', middle: 'Requantize', dtype: 'uint8' },
];

const r = new Rand(1010);
describeOp('QuantizeLinear/DequantizeLinear', cases.map((c) => edgeCase(r, c)), { maxLsb: 1 });
