/**
 * Real-data check: the compiled C of the digits model classifies the 450
 * held-out scikit-learn digits (examples/digits/test_*.npy, written by
 * examples/scripts/digits_testset.py) as well as the float model.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { readNpy } from '../../compiler/data/npy.js';
import { argmax } from '../../compiler/verify/compare.js';

describe('digits on its held-out test split', () => {
  it('int8 C accuracy within 1 point of float', () => {
    const c = compileModel('examples/digits/digits_int8.onnx', { name: 'digits' });
    const dir = mkdtempSync(join(tmpdir(), 'edgec-digits-'));
    for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
    const x = readNpy('examples/digits/test_x.npy');
    const y = readNpy('examples/digits/test_y.npy');
    const n = x.shape[0];
    const xs = x.data as Float32Array;
    const out = new Float32Array(new Uint8Array(runNative(buildNativeRunner(dir, 'digits'), new Uint8Array(xs.buffer, xs.byteOffset, xs.byteLength), n)).buffer);
    let correct = 0;
    for (let i = 0; i < n; i++) if (argmax(out, i * 10, 10) === Number((y.data as Int32Array)[i])) correct++;
    const accuracy = correct / n;
    const reference = JSON.parse(readFileSync('examples/digits/accuracy.json', 'utf8')) as { float_accuracy: number; int8_accuracy: number };
    console.log(`digits: edgec int8 C ${(100 * accuracy).toFixed(2)}% vs float ${(100 * reference.float_accuracy).toFixed(2)}% (onnxruntime int8 ${(100 * reference.int8_accuracy).toFixed(2)}%) on ${n} test images`);
    expect(n).toBe(450);
    expect(accuracy).toBeGreaterThanOrEqual(reference.float_accuracy - 0.01);
  });
});
