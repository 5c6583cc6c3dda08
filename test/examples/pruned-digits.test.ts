/**
 * Pruned digits models (test/fixtures/pruned, made by
 * examples/scripts/digits_pruned.py with torch.nn.utils.prune): per fixture,
 * the default build (bitmap-sparse weights where smaller) classifies the 450
 * held-out digits with outputs byte-identical to the --no-sparse build, its
 * accuracy is onnxruntime's on the same QDQ model within a point, and at
 * 80 / 90 % pruning the weights take less flash than dense.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { readNpy } from '../../compiler/data/npy.js';
import { argmax } from '../../compiler/verify/compare.js';

const FIXTURES = 'test/fixtures/pruned';
interface FixtureInfo { file: string; float_accuracy: number; int8_accuracy: number; int8_weight_zero_share: number }
const info = JSON.parse(readFileSync(join(FIXTURES, 'info.json'), 'utf8')) as { models: Record<string, FixtureInfo> };

const x = readNpy('examples/digits/test_x.npy');
const y = readNpy('examples/digits/test_y.npy');
const n = x.shape[0];
const xs = x.data as Float32Array;
const inputBytes = new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength);

function runBuild(c: Compiled): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), `edgec-pruned-${c.program.name}-`));
  for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  return runNative(buildNativeRunner(dir, c.program.name), inputBytes, n);
}

function accuracy(out: Uint8Array): number {
  const logits = new Float32Array(out.buffer, out.byteOffset, out.byteLength / 4);
  let correct = 0;
  for (let i = 0; i < n; i++) if (argmax(logits, i * 10, 10) === Number((y.data as Int32Array)[i])) correct++;
  return correct / n;
}

describe('pruned digits fixtures: sparse build == dense build', () => {
  const rows: string[] = [];
  it.each(Object.keys(info.models))('%s', (name) => {
    const m = info.models[name];
    const model = join(FIXTURES, m.file);
    const sparse = compileModel(model, { name: 'pruned' });
    const dense = compileModel(model, { name: 'pruned', sparse: false });
    const sparseOut = runBuild(sparse);
    const denseOut = runBuild(dense);
    expect(Buffer.from(sparseOut).equals(Buffer.from(denseOut))).toBe(true);
    const acc = accuracy(sparseOut);
    const sparseLayers = sparse.program.ops.filter((op) => op.kind.endsWith('_sparse')).length;
    rows.push(`${name.padEnd(10)} zeros ${(100 * m.int8_weight_zero_share).toFixed(1).padStart(5)}%  weights ${String(sparse.emitted.weightsBytes).padStart(6)} B (dense ${dense.emitted.weightsBytes} B), ${sparseLayers} sparse layers, accuracy ${(100 * acc).toFixed(2)}% (onnxruntime int8 ${(100 * m.int8_accuracy).toFixed(2)}%, float ${(100 * m.float_accuracy).toFixed(2)}%)`);
    expect(Math.abs(acc - m.int8_accuracy)).toBeLessThanOrEqual(0.01);
    expect(sparse.emitted.weightsBytes).toBeLessThanOrEqual(dense.emitted.weightsBytes);
    if (/(80|90)$/.test(name)) {
      expect(sparse.emitted.weightsBytes).toBeLessThan(dense.emitted.weightsBytes);
      expect(sparseLayers).toBeGreaterThan(0);
    }
    if (name.endsWith('dense')) expect(sparseLayers).toBe(0);
  }, 60_000);

  it('flash per sparsity level', () => {
    console.log(`pruned digits (450 held-out images):\n${rows.join('\n')}`);
    expect(rows.length).toBe(Object.keys(info.models).length);
  });
});
