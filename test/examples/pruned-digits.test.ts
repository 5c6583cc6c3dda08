/**
 * Pruned digits models (test/fixtures/pruned, made by
 * examples/scripts/digits_pruned.py with torch.nn.utils.prune, ONNX QDQ, and
 * examples/scripts/digits_pruned_tfmot.py with TF-MOT prune_low_magnitude,
 * full-int8 .tflite with int8 I/O): per fixture,
 * the default build (bitmap-sparse weights where smaller) classifies the 450
 * held-out digits with outputs byte-identical to the --no-sparse build, its
 * accuracy is onnxruntime's (tf.lite's) on the same model within a point, and at
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
import { roundHalfEven } from '../../compiler/ir/quant.js';
import type { Value } from '../../compiler/ir/program.js';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const FIXTURES = 'test/fixtures/pruned';
interface FixtureInfo { file: string; float_accuracy: number; int8_accuracy: number; int8_weight_zero_share?: number; float_weight_zero_share?: number }
const readInfo = (file: string): Record<string, FixtureInfo> => (JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as { models: Record<string, FixtureInfo> }).models;
const info = { models: { ...readInfo('info.json'), ...readInfo('info_tfmot.json') } };

const x = readNpy('examples/digits/test_x.npy');
const y = readNpy('examples/digits/test_y.npy');
const n = x.shape[0];
const xs = x.data as Float32Array;
const floatBytes = new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength);

/** The images as the model's input takes them: float, or int8 with its scale and zero point (one channel: NCHW = NHWC). */
function inputBytes(c: Compiled): Uint8Array {
  const input = c.program.values.get(c.program.inputs[0]) as Value;
  if (input.type === 'float32') return floatBytes;
  const q = Int8Array.from(xs, (v) => Math.max(-128, Math.min(127, roundHalfEven(v / input.scale) + input.zeroPoint)));
  return new Uint8Array(q.buffer);
}

function runBuild(c: Compiled): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), `edgec-pruned-${c.program.name}-`));
  for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  return runNative(buildNativeRunner(dir, c.program.name), inputBytes(c), n);
}

/** Top-1 over float logits or int8 ones (argmax is the same before dequantization). */
function accuracy(c: Compiled, out: Uint8Array): number {
  const output = c.program.values.get(c.program.outputs[0]) as Value;
  const logits = output.type === 'float32' ? new Float32Array(out.buffer, out.byteOffset, out.byteLength / 4) : new Int8Array(out.buffer, out.byteOffset, out.byteLength);
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
    const acc = accuracy(sparse, sparseOut);
    const sparseLayers = sparse.program.ops.filter((op) => op.kind.endsWith('_sparse')).length;
    rows.push(`${name.padEnd(10)} zeros ${(100 * (m.int8_weight_zero_share ?? m.float_weight_zero_share ?? 0)).toFixed(1).padStart(5)}%  weights ${String(sparse.emitted.weightsBytes).padStart(6)} B (dense ${dense.emitted.weightsBytes} B), ${sparseLayers} sparse layers, accuracy ${(100 * acc).toFixed(2)}% (${m.file.endsWith('.tflite') ? 'tf.lite' : 'onnxruntime'} int8 ${(100 * m.int8_accuracy).toFixed(2)}%, float ${(100 * m.float_accuracy).toFixed(2)}%)`);
    expect(Math.abs(acc - m.int8_accuracy)).toBeLessThanOrEqual(0.01);
    expect(sparse.emitted.weightsBytes).toBeLessThanOrEqual(dense.emitted.weightsBytes);
    if (/(80|90)$/.test(name)) {
      expect(sparse.emitted.weightsBytes).toBeLessThan(dense.emitted.weightsBytes);
      expect(sparseLayers).toBeGreaterThan(0);
    }
    if (name.endsWith('dense')) expect(sparseLayers).toBe(0);
  }, 60_000);

  it('flash per sparsity level', () => {
    console.log(`pruned digits (450 held-out images; weights = const arrays of the build):\n${rows.join('\n')}`);
    expect(rows.length).toBe(Object.keys(info.models).length);
  });
});

describe('pruned TF-MOT fixtures against TensorFlow Lite Micro', () => {
  it.skipIf(!tflmPython()).each(['tfmot_cnn_90', 'tfmot_mlp_80'])('%s: the sparse build equals TFLM bit for bit', async (name) => {
    const tflite = join(FIXTURES, `${name}.tflite`);
    expect(compileModel(tflite, { name: 'm' }).program.ops.filter((op) => op.kind.endsWith('_sparse')).length).toBe(3);
    const r = await compareWithTflm(tflite, tflite, 50);
    expect(r.samples).toBe(50);
    expect(r.outputs.map((o) => o.mismatches)).toEqual([0]);
  }, 60_000);
});

