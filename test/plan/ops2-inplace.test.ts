/**
 * The planner and the new elementwise kernels that may write over their
 * input (Sub, Max, PRelu, Where, lookup tables; a constant operand may be
 * broadcast): in a chain of them every step runs in place — the output's
 * real arena offset equals the input's — so the arena holds the input and
 * one working buffer, and the chain still gives onnxruntime's values (within
 * 1 LSB) when built as C. A broadcast activation operand (smaller than the
 * output) must not be overwritten.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { QdqBuilder, runCases } from '../ops/harness.js';

const S = [1, 6, 5, 5];
const Q = (scale: number, zeroPoint: number) => ({ scale, zeroPoint, dtype: 'int8' as const });

function chainModel(): Uint8Array {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', S, Q(0.05, 3), 'int8');
  const r = q.op('Relu', [x], {}, { out: Q(0.03, -128) }); // the chain starts on a value the model owns
  q.b.initializer('c', Int8Array.from({ length: 6 }, (_, i) => i * 20 - 60), [6, 1, 1]);
  const s = q.op('Sub', [r, { ...Q(0.02, 0), q: 'c' }], {}, { out: Q(0.04, 5), name: 'sub' });
  q.b.initializer('slope', Int8Array.from({ length: 6 }, (_, i) => 30 + i * 10), [6, 1, 1]);
  const p = q.op('PRelu', [s, { ...Q(0.01, 0), q: 'slope' }], {}, { out: Q(0.035, 10), name: 'prelu' });
  const a = q.op('Abs', [p], {}, { out: Q(0.02, -100), name: 'abs' });
  q.b.initializer('m', Int8Array.of(-20), []);
  const m = q.op('Max', [a, { ...Q(0.02, -100), q: 'm' }], {}, { out: Q(0.02, -100), name: 'max' });
  q.b.initializer('cond', Uint8Array.from({ length: 25 }, (_, i) => i % 3 === 0 ? 1 : 0), [5, 5], { dtype: 'bool' });
  q.b.initializer('other', Int8Array.of(7), []);
  const w = q.b.op('Where', ['cond', q.dq(m), q.dq({ ...Q(0.02, 0), q: 'other' })], {}, { name: 'where' });
  const wq = q.quantize(w, Q(0.025, -90));
  const n = q.op('Neg', [wq], {}, { out: Q(0.025, 90), name: 'neg' });
  q.output(n, 'y', 'int8');
  return q.toBytes();
}

describe('in-place new elementwise kernels', () => {
  it('every op of the chain writes over its input (same offset); values match onnxruntime', async () => {
    const bytes = chainModel();
    const dir = mkdtempSync(join(tmpdir(), 'edgec-ops2-plan-'));
    const path = join(dir, 'chain.onnx');
    (await import('node:fs')).writeFileSync(path, bytes);
    const c = compileModel(path, { name: 'm' });
    const kinds = c.program.ops.map((o) => o.kind);
    expect(kinds).toEqual(['lut', 'sub', 'prelu', 'lut', 'minmax', 'where', 'lut']);
    const chain = c.program.ops.slice(1);
    for (const op of chain) {
      expect(op.inPlace, op.name).toBe(true);
      const w = c.plan.placements.get(op.outputs[0]!)!;
      const rd = c.plan.placements.get(op.inputs[0]!)!;
      expect(c.plan.inPlace?.some(([o, i]) => o === op.outputs[0] && i === op.inputs[0]), op.name).toBe(true);
      expect(w.offset, `${op.name}: output offset ${w.offset} vs input ${rd.offset}`).toBe(rd.offset);
    }
    expect(c.plan.arenaBytes).toBeLessThanOrEqual(2 * 160); // x and one working buffer (150 B, 16-byte units)
    const [res] = await runCases('ops2-inplace', [{ name: 'chain', model: bytes }]);
    expect(res!.error).toBeUndefined();
    expect(res!.maxDiffLsb).toBeLessThanOrEqual(1);
  }, 120_000);

  it('a broadcast activation operand is not overwritten', () => {
    const q = new QdqBuilder({ opset: 13 });
    const a = q.input('a', [1, 6, 1, 1], Q(0.05, 0), 'int8');
    const b = q.input('b', S, Q(0.05, 0), 'int8');
    q.output(q.op('Sub', [a, b], {}, { out: Q(0.08, 0) }), 'y', 'int8');
    const path = join(mkdtempSync(join(tmpdir(), 'edgec-ops2-plan-')), 'bcast.onnx');
    q.save(path);
    const c = compileModel(path, { name: 'm' });
    const op = c.program.ops[0]!;
    expect(op.kind).toBe('sub');
    expect(op.inPlace).toBe(false);
    expect(c.plan.placements.get(op.outputs[0]!)!.offset).not.toBe(c.plan.placements.get(op.inputs[0]!)!.offset);
  });
});
