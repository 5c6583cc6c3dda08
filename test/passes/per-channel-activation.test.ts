/**
 * per-channel-activation alone: NNCF's per-channel QuantizeLinear on a
 * depthwise input folds into the producer's and the depthwise conv's
 * per-channel scales (int8 values unchanged); anything else is refused
 * naming the tensor.
 */
import { describe, expect, it } from 'vitest';
import { perChannelActivation } from '../../compiler/passes/per-channel-activation.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import { act, nncfPerChannel, Rand } from './patterns.js';

const A = act(0.02, 3);
const O = act(0.03, 0);

describe('per-channel-activation', () => {
  it('NNCF depthwise input: per-tensor after the pass, the factors moved into both convs\' weight scales', () => {
    const source = nncfPerChannel(new Rand(1), A, O).graph();
    const g = foldQdq(perChannelActivation(source));
    const [pointwise, depthwise] = g.nodes.filter((n) => n.opType === 'Conv');
    const mid = g.tensors.get(depthwise.inputs[0]);
    expect(mid?.quant?.axis).toBe(-1);
    const S = Math.max(...[0.004, 0.011, 0.02, 0.0075].map(Math.fround));
    expect(mid?.quant?.scale[0]).toBe(S);
    // the pointwise conv's requantization in_s * w''[c] / S equals in_s * w[c] / s[c]
    const pc = [0.004, 0.011, 0.02, 0.0075].map(Math.fround);
    const w1 = g.tensors.get(pointwise.inputs[1])?.quant?.scale ?? [];
    const w2 = g.tensors.get(depthwise.inputs[1])?.quant?.scale ?? [];
    const orig = nncfPerChannel(new Rand(1), A, O).graph();
    const w1Orig = Array.from(orig.tensors.get('w0_s')?.data as Float32Array);
    w1.forEach((s, c) => expect(s / S).toBeCloseTo(w1Orig[c] / pc[c], 12));
    expect(w2.length).toBe(4);
    // the Clip(0, 6) never binds (every channel saturates below 6): now a Relu
    expect(g.nodes.map((n) => n.opType)).toContain('Relu');
  });

  it('refuses a per-channel activation read by a regular conv, naming the tensor', () => {
    const g = nncfPerChannel(new Rand(2), A, O, 'conv').graph();
    expect(() => perChannelActivation(g)).toThrow(/per-channel activation quantization of tensor 'clip_\d+' cannot be folded exactly: it is read by .* not a depthwise convolution with multiplier 1/);
  });
});
