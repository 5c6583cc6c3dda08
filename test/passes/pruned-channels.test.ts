/**
 * passes/pruned-channels.ts: a conv whose filters 1 and 4 are pruned (all
 * zero) outputs constants there. Read by a Gemm through Flatten, the
 * constant (not the zero point: no ReLU, bias 0.5) is folded into the Gemm's
 * bias and its weights on those channels dropped; through a ReLU whose
 * pruned filters have a negative bias, the constant is the zero point and a
 * padded conv reader drops them too; a padded conv reading a non-zero-point
 * constant keeps them; a depthwise reader's channels on a dropped one become
 * pruned filters in turn, folded into the next 1x1 conv. Outputs equal the --no-sparse build (no folding)
 * byte for byte, natively.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { QdqBuilder, type QTensor } from '../helpers/onnx-builder.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const act = (scale: number, zeroPoint: number) => ({ scale, zeroPoint, dtype: 'int8' as const });
const PRUNED = [1, 4];

/** x [1, 4, 6, 6] -> conv 3x3 (6 filters, 1 and 4 all zero, bias `prunedBias` there) [-> Relu] -> reader. */
function model(dir: string, reader: 'gemm' | 'conv' | 'depthwise', relu: boolean, prunedBias: number): string {
  const rnd = lcg(relu ? 3 : 4);
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', [1, 4, 6, 6], act(0.02, 1), 'int8');
  const weight = Float32Array.from({ length: 6 * 4 * 9 }, (_, i) => (PRUNED.includes(Math.floor(i / 36)) ? 0 : rnd() - 0.5));
  const bias = Float32Array.from({ length: 6 }, (_, c) => (PRUNED.includes(c) ? prunedBias : 0.1 * c - 0.2));
  let a: QTensor = q.conv(x, { name: 'a', weight, weightShape: [6, 4, 3, 3], bias, out: act(0.05, relu ? -128 : 3), attrs: { pads: [1, 1, 1, 1] } });
  if (relu) a = q.op('Relu', [a]);
  let y: QTensor;
  if (reader === 'gemm') {
    const flat = q.op('Flatten', [a]);
    y = q.gemm(flat, { name: 'fc', weight: Float32Array.from({ length: 5 * 216 }, () => (rnd() - 0.5) * 0.2), weightShape: [5, 216], bias: new Float32Array(5).fill(0.3), out: act(0.1, -2) });
  } else if (reader === 'depthwise') {
    // depthwise x2 (its output channels 2, 3, 8, 9 read the pruned ones), then an unpadded 1x1 conv
    const dw = q.conv(a, { name: 'b', weight: Float32Array.from({ length: 12 * 9 }, () => rnd() - 0.5), weightShape: [12, 1, 3, 3], bias: Float32Array.from({ length: 12 }, (_, c) => 0.05 * c), out: act(0.08, 4), attrs: { group: 6, pads: [1, 1, 1, 1] } });
    y = q.conv(dw, { name: 'pw', weight: Float32Array.from({ length: 5 * 12 }, () => rnd() - 0.5), weightShape: [5, 12, 1, 1], bias: new Float32Array(5).fill(0.2), out: act(0.1, 1) });
  } else {
    y = q.conv(a, { name: 'b', weight: Float32Array.from({ length: 3 * 6 * 9 }, () => rnd() - 0.5), weightShape: [3, 6, 3, 3], bias: new Float32Array(3).fill(0.1), out: act(0.1, 0), attrs: { pads: [1, 1, 1, 1] } });
  }
  q.output(y, 'y', 'int8');
  return q.save(join(dir, `${reader}-${relu}.onnx`));
}

function run(c: Compiled, dir: string, input: Uint8Array, samples: number): Uint8Array {
  const folder = mkdtempSync(join(dir, 'build-'));
  for (const f of c.emitted.files) writeFileSync(join(folder, f.path), f.contents);
  return runNative(buildNativeRunner(folder, c.program.name), input, samples);
}

describe('pruned-channels pass', () => {
  it.each([
    { reader: 'gemm' as const, relu: false, prunedBias: 0.5, folded: 2 },
    { reader: 'conv' as const, relu: true, prunedBias: -0.4, folded: 2 },
    { reader: 'conv' as const, relu: false, prunedBias: 0.5, folded: 0 },
    // the depthwise channels reading a dropped (zero-point) channel become pruned filters whose constants fold into the 1x1 conv
    { reader: 'depthwise' as const, relu: true, prunedBias: -0.4, folded: 6 },
  ])('$reader reader, relu $relu: $folded channel(s) dropped, outputs unchanged', ({ reader, relu, prunedBias, folded }) => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-pruned-channels-'));
    const path = model(dir, reader, relu, prunedBias);
    const on = compileModel(path, { name: 'm' });
    const off = compileModel(path, { name: 'm', sparse: false });
    if (folded) expect(on.notes.join('\n')).toContain(`pruned filters: ${folded} constant output channel(s) dropped from the next layer's weights (folded into its bias where not zero), ${Math.max(0, 2 - folded)} kept`);
    else expect(on.notes.join('\n')).not.toContain('pruned filters');
    const readerOp = on.program.ops.find((op) => op.name === (reader === 'gemm' ? 'fc' : 'b'));
    // dropped channels show in the reader's zero share (dense in --no-sparse)
    const zeros = (c: Compiled): number => c.program.ops.find((op) => op.name === readerOp?.name)?.weightStorage?.zeroPercent ?? -1;
    if (folded) expect(zeros(on)).toBeGreaterThanOrEqual(zeros(off) + 30);
    else expect(zeros(on)).toBe(zeros(off));
    const rnd = lcg(9);
    const samples = 30;
    const input = Uint8Array.from({ length: samples * 4 * 36 }, () => Math.floor(rnd() * 256));
    expect(Buffer.from(run(on, dir, input, samples)).equals(Buffer.from(run(off, dir, input, samples)))).toBe(true);
  }, 60_000);
});
