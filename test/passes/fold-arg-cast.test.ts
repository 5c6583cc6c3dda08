/**
 * fold-arg-cast: ArgMax -> Cast(to int32) becomes one ArgMax writing the
 * Cast's int32 output; any other Cast (to int64, float) or a second reader of
 * the indices keeps the graph as it is, and an int64 index output then fails
 * lowering with one line naming the node.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../compiler/onnx/load.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import { foldArgCast } from '../../compiler/passes/fold-arg-cast.js';
import { compileModel } from '../../compiler/pipeline.js';
import { QdqBuilder } from '../helpers/onnx-builder.js';

function model(castTo: number | undefined, extraReader = false): string {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', [2, 7], { scale: 0.05, zeroPoint: 0, dtype: 'int8' }, 'int8');
  const idx = q.b.op('ArgMax', [q.dq(x)], { axis: 1, keepdims: 0 }, { name: 'argmax' });
  if (castTo === undefined) {
    q.b.rename(idx, 'y');
    q.b.output('y', 'int64');
  } else {
    q.b.node('Cast', [idx], ['y'], { to: castTo });
    q.b.output('y', castTo === 6 ? 'int32' : 'int64');
  }
  if (extraReader) { q.b.node('Identity', [idx], ['idx_copy']); q.b.output('idx_copy', 'int64'); }
  return q.save(join(mkdtempSync(join(tmpdir(), 'edgec-argcast-')), 'm.onnx'));
}

describe('fold-arg-cast', () => {
  it('ArgMax -> Cast(int32): one ArgMax writing int32 y', () => {
    const g = foldArgCast(foldQdq(loadModel(model(6))));
    expect(g.nodes.map((n) => n.opType)).toEqual(['ArgMax']);
    expect(g.nodes[0]?.outputs).toEqual(['y']);
    expect(g.tensors.get('y')?.dtype).toBe('int32');
    expect(g.outputs).toEqual(['y']);
  });

  it('leaves a Cast to int64 and indices with a second reader alone', () => {
    expect(foldArgCast(foldQdq(loadModel(model(7)))).nodes.map((n) => n.opType)).toEqual(['ArgMax', 'Cast']);
    expect(foldArgCast(foldQdq(loadModel(model(6, true)))).nodes.map((n) => n.opType)).toContain('Cast');
  });

  it('an int64 index output fails with one line naming the node', () => {
    expect(() => compileModel(model(undefined))).toThrow(/argmax.*ArgMax with an int64 index output is not supported \(opset 13\)/);
  });
});
