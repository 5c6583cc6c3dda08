/**
 * unquantized-activation alone: Quark's `Conv -> LeakyRelu -> Q` and
 * `Conv -> HardSwish -> Q` give the conv output the quantization of the
 * activation's input range implied by the output Q.
 */
import { describe, expect, it } from 'vitest';
import { inputRangeFor, unquantizedActivation } from '../../compiler/passes/unquantized-activation.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import { representableRange } from '../../compiler/passes/qdq-edit.js';
import type { Node } from '../../compiler/ir/graph.js';
import { act, opTypes, quarkConvActivation, Rand } from './patterns.js';

const A = act(0.02, 0);
const O = act(0.05, -100); // real range [-1.4, 11.35]

function node(opType: string, attrs: Node['attrs'] = {}): Node {
  return { name: 'a', opType, domain: '', inputs: ['x'], outputs: ['y'], attrs };
}

describe('unquantized-activation', () => {
  it('LeakyRelu: the conv output covers [out_min / alpha, out_max]', () => {
    const out = representableRange(O);
    const range = inputRangeFor(node('LeakyRelu', { alpha: 0.1 }), O);
    expect(range?.lo).toBeCloseTo(out.lo / 0.1, 6);
    expect(range?.hi).toBeCloseTo(out.hi, 6);
  });

  it('HardSwish: from -3 (everything below gives 0) to the input reaching out_max', () => {
    expect(inputRangeFor(node('HardSwish'), O)).toEqual({ lo: -3, hi: representableRange(O).hi });
    const small = act(0.004, -128); // out_max 1.02 < 3: h(x) = x(x+3)/6 = 1.02
    const hi = inputRangeFor(node('HardSwish'), small)?.hi ?? 0;
    expect((hi * (hi + 3)) / 6).toBeCloseTo(representableRange(small).hi, 9);
  });

  it('Quark Conv -> LeakyRelu -> Q: the conv writes int8, the LeakyRelu reads it', () => {
    const g = foldQdq(unquantizedActivation(quarkConvActivation(new Rand(1), A, O, 'LeakyRelu').graph()));
    const leaky = g.nodes.find((n) => n.opType === 'LeakyRelu');
    const q = g.tensors.get(leaky?.inputs[0] ?? '')?.quant;
    expect(q?.scale[0]).toBeCloseTo((representableRange(O).hi - representableRange(O).lo / 0.1) / 255, 6);
    expect(opTypes(g).filter((o) => o !== 'DequantizeLinear' && o !== 'QuantizeLinear')).toEqual(['Conv', 'LeakyRelu']);
  });

  it('leaves Relu (fuse-activations folds it) and a LeakyRelu with alpha > 1 alone', () => {
    const relu = quarkConvActivation(new Rand(2), A, O, 'Relu').graph();
    expect(opTypes(unquantizedActivation(relu)).filter((o) => o === 'QuantizeLinear')).toHaveLength(2);
    const steep = quarkConvActivation(new Rand(3), A, O, 'LeakyRelu', 2).graph();
    expect(opTypes(unquantizedActivation(steep)).filter((o) => o === 'QuantizeLinear')).toHaveLength(2);
  });
});
