/**
 * fuse-swish: x * Sigmoid(x) becomes one edgec.Swish table whose output
 * equals the unfused Sigmoid table + int8 Mul for every one of the 256 input
 * values; not applied when the sigmoid's output has another reader.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { QdqBuilder } from '../helpers/onnx-builder.js';

/** x [1,256] → Sigmoid → Mul(x, s) → y; with `exposeSigmoid` the sigmoid's output is a graph output too. */
function swishModel(exposeSigmoid: boolean, sigmoidFirst: boolean): string {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', [1, 256], { scale: 0.047, zeroPoint: 9, dtype: 'int8' }, 'int8');
  const s = q.op('Sigmoid', [x], {}, { out: { scale: 1 / 256, zeroPoint: -128, dtype: 'int8' }, name: 'sig' });
  const y = q.op('Mul', sigmoidFirst ? [s, x] : [x, s], {}, { out: { scale: 0.031, zeroPoint: -3, dtype: 'int8' }, name: 'mul' });
  q.output(y, 'y', 'int8');
  if (exposeSigmoid) q.output(s, 's', 'int8');
  const dir = mkdtempSync(join(tmpdir(), 'edgec-swish-'));
  return q.save(join(dir, `swish_${exposeSigmoid ? 'split' : 'fused'}.onnx`));
}

function run(c: Compiled): Int8Array {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-swish-build-'));
  for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  const input = Int8Array.from({ length: 256 }, (_, i) => i - 128);
  return new Int8Array(new Uint8Array(runNative(buildNativeRunner(dir, c.program.name), new Uint8Array(input.buffer), 1)).buffer);
}

describe('fuse-swish', () => {
  for (const sigmoidFirst of [false, true]) {
    it(`one table equal to Sigmoid table + Mul for all 256 inputs (Mul(${sigmoidFirst ? 's, x' : 'x, s'}))`, () => {
      const fused = compileModel(swishModel(false, sigmoidFirst), { name: 'fused' });
      const split = compileModel(swishModel(true, sigmoidFirst), { name: 'split' });
      expect(fused.graph.nodes.map((n) => n.opType)).toEqual(['edgec.Swish']);
      expect(fused.program.ops.map((o) => o.kind)).toEqual(['lut']);
      expect(split.program.ops.map((o) => o.kind)).toEqual(['lut', 'mul']);
      const y = run(fused);
      const yAt = split.program.outputs.findIndex((id) => split.program.values.get(id)?.onnxName === 'y');
      const ySplit = run(split).slice(256 * yAt, 256 * (yAt + 1)); // both outputs are 256 bytes
      expect(y.length).toBe(256);
      expect(Array.from(y)).toEqual(Array.from(ySplit));
      expect(new Set(y).size).toBeGreaterThan(50); // the table is not degenerate
    });
  }
});
