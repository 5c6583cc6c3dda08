/**
 * What the new ops do not support fails through the real CLI with one
 * `edgec: error:` line naming the node, the op, the opset and the attribute
 * value (exit 2, no stack trace).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgec } from '../helpers/cli.js';
import { QdqBuilder, quantizeWeights, type QParams } from '../helpers/onnx-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-ops2-bad-'));
const P: QParams = { scale: 0.05, zeroPoint: 3, dtype: 'int8' };
const OUT: QParams = { scale: 0.1, zeroPoint: -2, dtype: 'int8' };

function expectOneLine(file: string, q: QdqBuilder, pattern: RegExp): void {
  const model = q.save(join(dir, file));
  const r = edgec(['build', model, '-o', join(dir, `${file}-out`)]);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^edgec: error: /);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

describe('unsupported forms of the new ops', () => {
  it('ConvTranspose group=2', () => {
    const q = new QdqBuilder({ opset: 13 });
    const x = q.input('x', [1, 4, 3, 3], P, 'int8');
    const w = quantizeWeights(Float32Array.from({ length: 4 * 2 * 9 }, (_, i) => Math.sin(i)), [4, 2, 3, 3], -1);
    q.b.initializer('w', w.data, [4, 2, 3, 3]).initializer('ws', w.scales, []).initializer('wz', new Int8Array(1), []);
    const wd = q.b.op('DequantizeLinear', ['w', 'ws', 'wz']);
    q.output(q.quantize(q.b.op('ConvTranspose', [q.dq(x), wd], { group: 2 }, { name: 'up' }), OUT), 'y', 'int8');
    expectOneLine('tconv_group.onnx', q, /node 'up' \(ConvTranspose\): ConvTranspose group=2 is not supported \(opset 13\)/);
  });

  it('Where with a condition fed at run time (a bool graph input)', () => {
    const q = new QdqBuilder({ opset: 13 });
    const x = q.input('x', [1, 8], P, 'int8');
    q.b.input('c', 'bool', [1, 8]);
    q.b.initializer('zero', Int8Array.of(0), []);
    q.output(q.quantize(q.b.op('Where', ['c', q.dq(x), q.dq({ ...P, q: 'zero' })], {}, { name: 'sel' }), OUT), 'y', 'int8');
    expectOneLine('where.onnx', q, /graph input 'c' has type bool/);
  });

  it('Div by a tensor', () => {
    const q = new QdqBuilder({ opset: 13 });
    const a = q.input('a', [1, 8], P, 'int8');
    const b = q.input('b', [1, 8], P, 'int8');
    q.output(q.op('Div', [a, b], {}, { out: OUT, name: 'ratio' }), 'y', 'int8');
    expectOneLine('div.onnx', q, /node 'ratio' \(Div\): Div by a non-constant 'b' is not supported/);
  });
});
