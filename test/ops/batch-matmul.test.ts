/**
 * MatMul of two activations (TFLite BATCH_MATMUL arithmetic) against
 * onnxruntime: 2-D, batched, batch broadcast in either operand and rank
 * mismatch, an operand produced channels-last (read through a layout copy),
 * fused Relu. onnxruntime requantizes in float: up to 1 LSB.
 */
import { describeOp, QdqBuilder, Rand, inputRms, type OpCase } from './harness.js';

function matmulCase(r: Rand, aDims: number[], bDims: number[], relu = false, transposedA = false): OpCase {
  const q = new QdqBuilder({ opset: 13 });
  const aQ = r.qparams();
  const bQ = r.qparams();
  let a = q.input('a', transposedA ? [...aDims.slice(0, -2), aDims[aDims.length - 1]!, aDims[aDims.length - 2]!] : aDims, aQ, 'int8');
  if (transposedA) {
    const rank = aDims.length;
    a = q.op('Transpose', [a], { perm: [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2] });
  }
  const b = q.input('b', bDims, bQ, 'int8');
  const k = aDims[aDims.length - 1]!;
  let y = q.op('MatMul', [a, b], {}, { out: r.outFor(inputRms(aQ) * inputRms(bQ) * Math.sqrt(k)), name: 'matmul' });
  if (relu) y = q.op('Relu', [y]);
  q.output(y, 'y', 'int8');
  return { name: `MatMul [${aDims.join(',')}]${transposedA ? ' (transposed)' : ''} x [${bDims.join(',')}]${relu ? ' relu' : ''}`, model: q.toBytes() };
}

const r = new Rand(9090);
const cases: OpCase[] = [
  matmulCase(r, [4, 8], [8, 5]),
  matmulCase(r, [1, 4, 8], [1, 8, 5]),
  matmulCase(r, [2, 3, 6], [2, 6, 4]),
  matmulCase(r, [2, 3, 6], [6, 4]),
  matmulCase(r, [3, 6], [2, 6, 4]),
  matmulCase(r, [2, 1, 5, 7], [1, 3, 7, 2]),
  matmulCase(r, [1, 2, 6, 6], [1, 2, 6, 6], true),
  matmulCase(r, [2, 5, 4], [2, 4, 5], false, true),
  matmulCase(r, [1, 16], [16, 1]),
];
for (let i = 0; i < 4; i++) {
  const m = r.int(1, 6); const k = r.int(1, 12); const n = r.int(1, 6); const bt = r.int(1, 3);
  cases.push(matmulCase(r, [bt, m, k], [r.bool() ? bt : 1, k, n]));
}
describeOp('MatMul (two activations)', cases, { maxLsb: 1 });
