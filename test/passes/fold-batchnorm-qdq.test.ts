/**
 * fold-batchnorm-qdq alone: NNCF's unfolded `Conv(DQ(W)) -> BatchNormalization`
 * becomes one conv with the same int8 weights (negated where γ < 0) and
 * per-channel scales s[c]·|k[c]|.
 */
import { describe, expect, it } from 'vitest';
import { foldBatchNormQdq } from '../../compiler/passes/fold-batchnorm-qdq.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import { act, nncfConvBn, opTypes, Rand } from './patterns.js';

const A = act(0.02, 0);
const O = act(0.03, -128);

describe('fold-batchnorm-qdq', () => {
  it('folds BN into the quantized conv: int8 weights kept, scales times |k|, negative gamma negates the channel', () => {
    const source = nncfConvBn(new Rand(1), A, O, -1).graph();
    const w0 = source.tensors.get('w0_q')?.data as Int8Array;
    const s0 = Array.from(source.tensors.get('w0_s')?.data as Float32Array);
    const g = foldQdq(foldBatchNormQdq(source));
    expect(opTypes(g)).not.toContain('BatchNormalization');
    const conv = g.nodes.find((n) => n.opType === 'Conv');
    const w = g.tensors.get(conv?.inputs[1] ?? '');
    const k2 = (-0.6) / Math.sqrt(0.8 + 1e-5);
    expect(w?.quant?.scale[2]).toBeCloseTo(s0[2] * Math.abs(k2), 8);
    expect(w?.data?.[2 * 27]).toBe(-w0[2 * 27]);
    expect(w?.data?.[0]).toBe(w0[0]);
    expect(g.tensors.get(conv?.inputs[2] ?? '')?.data?.[3]).toBeCloseTo(0.3 - 0 * 1.1, 5);
  });
});
