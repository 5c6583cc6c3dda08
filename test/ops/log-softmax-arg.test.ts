/**
 * LogSoftmax and ArgMax / ArgMin against onnxruntime.
 * LogSoftmax: opset 11 (flattened rows) and 13 (one axis: last, inner, after
 * a channels-last producer), TFLite's fixed output quantization (16/256, 127)
 * and another one (written directly from the Q5.26 log value). onnxruntime computes in float; the
 * int8 kernel is TFLite Micro's fixed-point one (bit-exact with TFLM, see
 * tflm-twins.test.ts): up to 2 LSB, like Softmax.
 * ArgMax / ArgMin (-> Cast int32): exact (comparing int8 values is comparing
 * the dequantized floats), ties to the first index or, with
 * select_last_index, the last.
 */
import { describeOp, QdqBuilder, Rand, type OpCase } from './harness.js';
import type { QParams } from '../helpers/onnx-builder.js';

function logSoftmaxCase(r: Rand, dims: number[], opset: number, axis: number | undefined, kernelOut: boolean, nhwc = false): OpCase {
  const q = new QdqBuilder({ opset });
  const inQ: QParams = { scale: Math.fround(r.uniform(0.03, 0.09)), zeroPoint: r.int(-20, 20), dtype: 'int8' };
  let x;
  if (nhwc) {
    const [n, c, h, w] = dims as [number, number, number, number];
    x = q.op('Transpose', [q.input('x', [n, h, w, c], inQ, 'int8')], { perm: [0, 3, 1, 2] });
  } else {
    x = q.input('x', dims, inQ, 'int8');
  }
  const out: QParams = kernelOut ? { scale: 16 / 256, zeroPoint: 127, dtype: 'int8' } : { scale: Math.fround(r.uniform(0.05, 0.1)), zeroPoint: r.int(90, 127), dtype: 'int8' };
  q.output(q.op('LogSoftmax', [x], axis === undefined ? {} : { axis }, { out, name: 'logsoftmax' }), 'y', 'int8');
  const name = `LogSoftmax ${nhwc ? 'nhwc' : ''}[${dims.join(',')}] opset ${opset} ${axis === undefined ? 'default axis' : `axis ${axis}`} ${kernelOut ? '16/256 out' : 'other out'}`;
  return { name, model: q.toBytes(), samples: 8 };
}

function argCase(r: Rand, op: 'ArgMax' | 'ArgMin', dims: number[], axis: number, keepdims: number, selectLast: number, nhwc = false): OpCase {
  const q = new QdqBuilder({ opset: 13 });
  const inQ = r.qparams();
  let x;
  if (nhwc) {
    const [n, c, h, w] = dims as [number, number, number, number];
    x = q.op('Transpose', [q.input('x', [n, h, w, c], inQ, 'int8')], { perm: [0, 3, 1, 2] });
  } else {
    x = q.input('x', dims, inQ, 'int8');
  }
  const idx = q.b.op(op, [q.dq(x)], { axis, keepdims, select_last_index: selectLast });
  q.b.node('Cast', [idx], ['y'], { to: 6 });
  q.b.output('y', 'int32');
  return { name: `${op} ${nhwc ? 'nhwc' : ''}[${dims.join(',')}] axis ${axis} keepdims ${keepdims}${selectLast ? ' select_last' : ''}`, model: q.toBytes(), samples: 8, maxLsb: 0 };
}

const r = new Rand(4242);
const logCases: OpCase[] = [
  logSoftmaxCase(r, [1, 10], 13, undefined, true),
  logSoftmaxCase(r, [3, 12], 13, -1, true),
  logSoftmaxCase(r, [2, 3, 5], 13, 1, true),
  logSoftmaxCase(r, [2, 3, 5], 11, 1, true),
  logSoftmaxCase(r, [1, 6, 3, 3], 13, 1, true, true),
  logSoftmaxCase(r, [1, 40], 13, undefined, false),
  logSoftmaxCase(r, [1, 1], 13, undefined, true),
  logSoftmaxCase(r, [2, 200], 13, undefined, true),
  logSoftmaxCase(r, [3, 17], 13, 0, false),
  logSoftmaxCase(r, [1, 5, 4, 4], 13, 1, false, true),
];
describeOp('LogSoftmax', logCases, { maxLsb: 2 });

const argCases: OpCase[] = [];
for (const op of ['ArgMax', 'ArgMin'] as const) {
  argCases.push(argCase(r, op, [1, 10], 1, 0, 0));
  argCases.push(argCase(r, op, [2, 5, 9], 2, 1, 0));
  argCases.push(argCase(r, op, [3, 7, 4], 1, 0, 1));
  argCases.push(argCase(r, op, [1, 6, 4, 5], 1, 0, 0, true));
  argCases.push(argCase(r, op, [1, 6, 4, 5], 3, 1, 0, true));
  argCases.push(argCase(r, op, [4, 3], 0, 1, 0));
}
describeOp('ArgMax/ArgMin', argCases, { maxLsb: 0, minExact: 1 });
