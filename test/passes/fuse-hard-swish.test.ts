/** fuse-hard-swish alone: Mul(x, HardSigmoid(x, 1/6, 1/2)) becomes one HardSwish; other gates stay. */
import { describe, expect, it } from 'vitest';
import { fuseHardSwish } from '../../compiler/passes/fuse-hard-swish.js';
import { act, decomposedHardSwish, opTypes, Pat, Rand } from './patterns.js';

const A = act(0.03, -5);
const O = act(0.05, -100);

describe('fuse-hard-swish', () => {
  it('NNCF / PyTorch opset < 14: the HardSigmoid gate and the Mul become one HardSwish on the conv output', () => {
    const g = fuseHardSwish(decomposedHardSwish(new Rand(1), A, O).graph());
    expect(opTypes(g)).toContain('HardSwish');
    expect(opTypes(g)).not.toContain('HardSigmoid');
    expect(opTypes(g)).not.toContain('Mul');
    const hs = g.nodes.find((n) => n.opType === 'HardSwish');
    expect(g.nodes.find((n) => n.opType === 'Conv')?.outputs[0]).toBe(hs?.inputs[0]);
  });

  it('leaves a HardSigmoid with other parameters (a real gate, e.g. an SE block) alone', () => {
    const p = new Pat();
    const x = p.qdq(p.floatInput('x', [1, 8]), A);
    const gate = p.b.op('HardSigmoid', [x], { alpha: 0.2, beta: 0.5 });
    const g = fuseHardSwish(p.out(p.b.op('Mul', [x, gate]), O).graph());
    expect(opTypes(g)).toContain('HardSigmoid');
    expect(opTypes(g)).toContain('Mul');
  });
});
