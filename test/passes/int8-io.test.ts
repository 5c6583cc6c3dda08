/**
 * --int8-io drops the float edges: fed the int8 value q, the model must give
 * exactly the int8 result the float-I/O build dequantizes (q -> float -> q is
 * exact for QuantizeLinear), and the arena must shrink by the float buffers.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { prng } from '../../compiler/verify/samples.js';
import { dequantize, quantizeToInt8 } from '../../compiler/ir/quant.js';
import type { Compiled } from '../../compiler/pipeline.js';

function build(c: Compiled): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-io-'));
  for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  return buildNativeRunner(dir, c.program.name);
}

describe('--int8-io', () => {
  it('gives the same int8 results as the float-I/O build, with a smaller arena', () => {
    const model = 'examples/ic_resnet8/ic_resnet8_int8.onnx';
    const floatIo = compileModel(model, { name: 'f' });
    const int8 = compileModel(model, { name: 'q', int8Io: true });
    const inF = floatIo.program.values.get(floatIo.program.inputs[0]);
    const inQ = int8.program.values.get(int8.program.inputs[0]);
    const outQ = int8.program.values.get(int8.program.outputs[0]);
    if (!inF || !inQ || !outQ) throw new Error('missing tensors');
    expect(inQ.type).toBe('int8');
    expect(outQ.type).toBe('int8');
    expect(inQ.logicalShape).toEqual(inF.logicalShape);
    expect(int8.plan.arenaBytes).toBeLessThanOrEqual(floatIo.plan.arenaBytes);

    const rand = prng(5);
    const n = inQ.shape.reduce((a, b) => a * b, 1);
    const samples = 4;
    const q = Int8Array.from({ length: n * samples }, () => Math.floor(rand() * 256) - 128);
    const f = Float32Array.from(q, (v) => dequantize(v, inQ.scale, inQ.zeroPoint));
    const outInt8 = new Int8Array(new Uint8Array(runNative(build(int8), new Uint8Array(q.buffer), samples)).buffer);
    const outFloatBytes = runNative(build(floatIo), new Uint8Array(f.buffer), samples);
    const outFloat = new Float32Array(new Uint8Array(outFloatBytes).buffer);
    expect(outInt8.length).toBe(outFloat.length);
    outFloat.forEach((v, i) => expect(quantizeToInt8(v, outQ.scale, outQ.zeroPoint)).toBe(outInt8[i]));
  });

  it('removes the float input buffer from the arena where it dominates (vww: 96x96x3 float)', () => {
    const model = 'examples/vww_mobilenet/vww_mobilenet_int8.onnx';
    const floatIo = compileModel(model, { name: 'f' });
    const int8 = compileModel(model, { name: 'q', int8Io: true });
    expect(floatIo.plan.arenaBytes - int8.plan.arenaBytes).toBeGreaterThanOrEqual(96 * 96 * 3 * 4 - 96 * 96 * 3);
  });

  it('exposes only the outputs as int8 when asked (a split head: float input, int8 cut tensor out)', () => {
    const model = 'examples/ic_resnet8/ic_resnet8_int8.onnx';
    const c = compileModel(model, { name: 'o', int8Outputs: true });
    const input = c.program.values.get(c.program.inputs[0]);
    const output = c.program.values.get(c.program.outputs[0]);
    expect(input?.type).toBe('float32');
    expect(output?.type).toBe('int8');
    expect(c.program.ops.some((op) => op.kind === 'quantize')).toBe(true);
    expect(c.program.ops.some((op) => op.kind === 'dequantize')).toBe(false);
  });
});
