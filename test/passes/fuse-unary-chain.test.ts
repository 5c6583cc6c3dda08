/**
 * fuse-unary-chain: Sqrt -> Reciprocal inside one DQ/Q pair becomes one
 * Reciprocal node reading the Sqrt's input with edgec.pre = 'Sqrt'; a
 * quantized intermediate (its own Q/DQ) keeps two table ops.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../compiler/onnx/load.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import { fuseUnaryChain, PRE_ATTR } from '../../compiler/passes/fuse-unary-chain.js';
import { compileModel } from '../../compiler/pipeline.js';
import { QdqBuilder } from '../helpers/onnx-builder.js';

const Q = { scale: 0.02, zeroPoint: -128, dtype: 'int8' as const };

function model(quantizedMiddle: boolean): string {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', [1, 16], Q, 'int8');
  if (quantizedMiddle) {
    const s = q.op('Sqrt', [x], {}, { out: { scale: 0.01, zeroPoint: -128, dtype: 'int8' } });
    q.output(q.op('Reciprocal', [s], {}, { out: { scale: 0.05, zeroPoint: -128, dtype: 'int8' } }), 'y', 'int8');
  } else {
    const s = q.b.op('Sqrt', [q.dq(x)]);
    q.output(q.quantize(q.b.op('Reciprocal', [s]), { scale: 0.05, zeroPoint: -128, dtype: 'int8' }), 'y', 'int8');
  }
  return q.save(join(mkdtempSync(join(tmpdir(), 'edgec-chain-')), 'm.onnx'));
}

describe('fuse-unary-chain', () => {
  it('Sqrt -> Reciprocal with a float intermediate: one Reciprocal with edgec.pre Sqrt, one table', () => {
    const g = fuseUnaryChain(foldQdq(loadModel(model(false))));
    expect(g.nodes.map((n) => n.opType)).toEqual(['Reciprocal']);
    expect(g.nodes[0]?.attrs[PRE_ATTR]).toBe('Sqrt');
    expect(g.nodes[0]?.inputs).toEqual(['x']);
    expect(compileModel(model(false)).program.ops.map((o) => o.kind)).toEqual(['lut']);
  });

  it('a quantized intermediate keeps two nodes', () => {
    const g = fuseUnaryChain(foldQdq(loadModel(model(true))));
    expect(g.nodes.map((n) => n.opType)).toEqual(['Sqrt', 'Reciprocal']);
    expect(compileModel(model(true)).program.ops.map((o) => o.kind)).toEqual(['lut', 'lut']);
  });
});
