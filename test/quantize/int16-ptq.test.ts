/**
 * Our PTQ with int16 activations (issue 14): `--activations int16` (every
 * layer with a 16x8 kernel) and `--int16-layers` (named layers, int8 around
 * them, requantized at the boundaries). The built C matches onnxruntime
 * running the same int16 / mixed QDQ model (onnxruntime requantizes in float,
 * so ±1 LSB), and is closer to the float model than the int8 PTQ.
 * Fixture: test/fixtures/ptq16/models.ts (conv, depthwise, pointwise, residual
 * Add, MaxPool, GlobalAveragePool, Gemm, Softmax).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, compileModelAsync, type Compiled } from '../../compiler/pipeline.js';
import { loadModel } from '../../compiler/onnx/load.js';
import { measureAccuracy } from '../../compiler/quantize/accuracy.js';
import { encodeNpy } from '../../compiler/data/npy.js';
import { main } from '../../compiler/cli/main.js';
import { EdgecError } from '../../compiler/errors.js';
import { runMixed } from '../helpers/mixed-run.js';
import { verifyModel, type VerifyOptions } from '../../compiler/verify/verify.js';
import { outputLsb } from '../../compiler/verify/golden.js';
import { SMALL_INPUT_SHAPE, smallCnn, smallCnnCalibration } from '../fixtures/ptq16/models.js';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { prng } from '../../compiler/verify/samples.js';

const SAMPLES = 32;
let dir: string;
let model: string;
let leaky: string;
let calibration: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgec-ptq16-'));
  model = join(dir, 'small.onnx');
  writeFileSync(model, smallCnn());
  leaky = join(dir, 'leaky.onnx');
  writeFileSync(leaky, smallCnn({ leaky: true }));
  calibration = join(dir, 'calib.npy');
  writeFileSync(calibration, encodeNpy({ dtype: 'float32', shape: [SAMPLES, ...SMALL_INPUT_SHAPE], data: smallCnnCalibration(SAMPLES) }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sqnrOf = async (c: Compiled): Promise<number> => (await measureAccuracy(c, c.quantized!, { maxSamples: SAMPLES })).outputs[0].sqnrDb;
/** Op kinds of the build, and the value types its ops touch. */
const kinds = (c: Compiled): string[] => c.program.ops.map((op) => op.kind);
const typesOf = (c: Compiled, opName: string): string[] => {
  const op = c.program.ops.find((o) => o.name === opName)!;
  return [...op.inputs, ...op.outputs].map((id) => c.program.values.get(id)!.type);
};

/** The C of a PTQ build against onnxruntime running the QDQ model it compiled (calibration samples). */
async function againstOnnxruntime(c: Compiled, label: string): Promise<{ maxLsb: number; exactRate: number }> {
  const { outputs } = await runMixed(c.quantized!.qdqBytes, { name: c.program.name, samples: c.quantized!.samples.slice(0, 16) });
  console.log(`[ptq16] ${label}: C vs onnxruntime on the same QDQ model: ${outputs[0].elements} values, exact ${(100 * outputs[0].exactRate).toFixed(2)}%, max ${outputs[0].maxLsb} LSB`);
  return outputs[0];
}

/**
 * `edgec verify --calibration` of the PTQ build: each layer fed onnxruntime's input of the QDQ model
 * it compiled (tolerance 1 LSB, softmax 2), the outputs end to end.
 */
async function layerByLayer(options: Partial<VerifyOptions>, label: string): Promise<void> {
  const r = await verifyModel({ model, calibration, samples: 4, engine: 'native', ...options });
  const worst = Math.max(...r.layers.map((l) => l.maxDiffLsb));
  console.log(`[ptq16] ${label}: verify --calibration: ${r.layers.length} layers, each within ${worst} LSB of onnxruntime fed its input (min exact ${(100 * Math.min(...r.layers.map((l) => l.exactRate))).toFixed(1)}%); outputs max ${r.outputs.map((o) => o.maxDiffLsb).join(', ')} LSB`);
  for (const l of r.layers) expect(l.pass, `${l.op} (${l.kind}) ${l.maxDiffLsb} LSB`).toBe(true);
  expect(r.pass).toBe(true);
}

describe('--activations int16 (PTQ)', () => {
  it('every layer runs a 16x8 kernel, each within 1 LSB of onnxruntime, and beats the int8 PTQ on SQNR', async () => {
    const c16 = await compileModelAsync(model, { name: 'int16', calibration, activations: 'int16' });
    expect(c16.quantized!.activations).toBe('int16');
    expect(c16.quantized!.int16Note).toBeUndefined();
    const k = kinds(c16);
    for (const kind of ['conv2d_s16', 'depthwise_conv2d_s16', 'add_s16', 'max_pool_s16', 'reduce_sum_s16', 'fully_connected_s16', 'softmax_s16']) expect(k).toContain(kind);
    // no int8 kernel, no requantization: int16 from the input's quantize to the output's dequantize
    expect(k.filter((kind) => !kind.endsWith('_s16') && kind !== 'transpose')).toEqual([]);
    // verify / selftest measure the float output in its int16 step (they took 1.0, a whole real unit, as its LSB)
    expect(outputLsb(c16.program, c16.program.values.get(c16.program.outputs[0])!)).toBe(Math.fround(1 / 32768));
    // end to end: the softmax output's LSB is 2^-15; TFLM's int16 softmax (exp and 1/x tables) is within 2 of float
    const vs = await againstOnnxruntime(c16, 'int16');
    expect(vs.maxLsb).toBeLessThanOrEqual(2);
    expect(vs.exactRate).toBeGreaterThan(0.5);
    await layerByLayer({ activations: 'int16' }, 'int16');

    const c8 = await compileModelAsync(model, { name: 'int8', calibration });
    const [db8, db16] = [await sqnrOf(c8), await sqnrOf(c16)];
    console.log(`[ptq16] output SQNR vs float: int8 PTQ ${db8.toFixed(2)} dB, int16 PTQ ${db16.toFixed(2)} dB`);
    // the weights stay int8 (their rounding is now most of the noise): a few dB, not 48
    expect(db16).toBeGreaterThan(db8 + 3);
  }, 120_000);

  it('an op without a 16x8 kernel (LeakyRelu) stays int8 with a note, requantized at both boundaries', async () => {
    const c = await compileModelAsync(leaky, { name: 'leaky', calibration, activations: 'int16' });
    expect(c.quantized!.int16Note).toMatch(/^--activations int16: 1 layer\(s\) stay int8, no 16x8 kernel in edgec: 'leaky' \(LeakyRelu\); requantized at the int8 \/ int16 boundaries$/);
    expect(c.notes).toContain(c.quantized!.int16Note);
    expect(typesOf(c, 'leaky')).toEqual(['int8', 'int8']);
    expect(typesOf(c, 'conv1')).toContain('int16');
    // conv1 int16 -> int8 for the LeakyRelu, its int8 result -> int16 for dw and the residual Add
    const requant = c.program.ops.filter((op) => op.kind === 'requantize_s16').map((op) => `${op.params.in_type}->${op.params.out_type}`);
    expect(requant.sort()).toEqual(['int16->int8', 'int8->int16']);
    // an int8 LSB of the LeakyRelu is 2^8 int16 LSB downstream: the end-to-end difference is printed, the layers checked one by one
    await againstOnnxruntime(c, 'int16 with an int8 LeakyRelu');
    await layerByLayer({ model: leaky, activations: 'int16' }, 'int16 with an int8 LeakyRelu');
  }, 120_000);
});

describe('--activations int16 with --int8-io', () => {
  it('exposes the int16 edges: int16 input and output, the same SQNR as the float-edged build', async () => {
    const io = await compileModelAsync(model, { name: 'io16', calibration, activations: 'int16', int8Io: true });
    const types = (c: Compiled, ids: string[]): string[] => ids.map((id) => c.program.values.get(id)!.type);
    expect([types(io, io.program.inputs), types(io, io.program.outputs)]).toEqual([['int16'], ['int16']]);
    expect(kinds(io).some((kind) => kind.startsWith('quantize') || kind.startsWith('dequantize'))).toBe(false);
    const edged = await compileModelAsync(model, { name: 'f16', calibration, activations: 'int16' });
    const [dbIo, dbEdged] = [await sqnrOf(io), await sqnrOf(edged)];
    console.log(`[ptq16] --int8-io on the int16 model: SQNR ${dbIo.toFixed(2)} dB (float edges ${dbEdged.toFixed(2)} dB)`);
    expect(dbIo).toBeGreaterThan(dbEdged - 0.5);
  }, 120_000);
});

describe('--activations int16 with float layers', () => {
  it('--float-layers pw: the layer runs float32 between an int16 dequantize and quantize, within 2 LSB of onnxruntime', async () => {
    const c = await compileModelAsync(model, { name: 'f16', calibration, activations: 'int16', floatLayers: ['pw'] });
    expect(c.quantized!.floatLayers).toEqual(['pw']);
    const k = kinds(c);
    const at = k.indexOf('conv2d_f32');
    expect(k.slice(at - 1, at + 2)).toEqual(['dequantize_s16', 'conv2d_f32', 'quantize_s16']);
    expect(k.filter((kind) => kind.endsWith('_f32'))).toEqual(['conv2d_f32']);
    // the int16 softmax at the end: within 2 LSB as in the all-int16 build
    const vs = await againstOnnxruntime(c, 'int16 with pw float');
    expect(vs.maxLsb).toBeLessThanOrEqual(2);
  }, 120_000);

  it('--auto-float picks layers of the int16 model the same way', async () => {
    const c = await compileModelAsync(model, { name: 'a16', calibration, activations: 'int16', autoFloatDb: 0.01 });
    expect(c.quantized!.floatLayers.length).toBeGreaterThan(0);
    expect(kinds(c).filter((kind) => kind.endsWith('_f32')).length).toBe(c.quantized!.floatLayers.length);
    const vs = await againstOnnxruntime(c, `int16 with --auto-float 0.01 (${c.quantized!.floatLayers.join(', ')} float)`);
    expect(vs.maxLsb).toBeLessThanOrEqual(2);
  }, 120_000);
});

describe('int16 bias', () => {
  it('a bias beyond int32 in input x weight scale steps stays float in the QDQ model and is built as int64, within 1 LSB', async () => {
    // inputs in [-0.01, 0.01]: the int16 input step is 3e-7, so a bias of 300 is ~1e11 steps
    const next = prng(3);
    const b = new OnnxBuilder({ opset: 13 });
    b.input('x', 'float32', [1, 2, 6, 6]);
    b.initializer('w', Float32Array.from({ length: 4 * 2 * 9 }, () => next() - 0.5), [4, 2, 3, 3]).initializer('bias', Float32Array.of(300, -200, 1, 0.5), [4]);
    b.node('Conv', ['x', 'w', 'bias'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'conv' });
    b.output('y', 'float32', [1, 4, 6, 6]);
    const small = join(dir, 'bias.onnx');
    writeFileSync(small, b.toBytes());
    const calib = join(dir, 'bias_calib.npy');
    writeFileSync(calib, encodeNpy({ dtype: 'float32', shape: [16, 1, 2, 6, 6], data: Float32Array.from({ length: 16 * 72 }, () => (next() - 0.5) * 0.02) }));
    const c = await compileModelAsync(small, { name: 'bias', calibration: calib, activations: 'int16' });
    const qdq = loadModelBytes(c.quantized!.qdqBytes, { fileName: 'q.onnx' });
    const conv = qdq.nodes.find((n) => n.opType === 'Conv')!;
    expect(qdq.tensors.get(conv.inputs[2])!.dtype).toBe('float32');
    expect(kinds(c)).toContain('conv2d_s16');
    const { outputs } = await runMixed(c.quantized!.qdqBytes, { name: 'bias', samples: c.quantized!.samples });
    console.log(`[ptq16] float bias as int64: exact ${(100 * outputs[0].exactRate).toFixed(2)}%, max ${outputs[0].maxLsb} LSB`);
    expect(outputs[0].maxLsb).toBeLessThanOrEqual(1);
  }, 60_000);
});

describe('the CLI', () => {
  it('edgec quantize --activations int16 saves an opset-21 QDQ model that builds int16; build reports its SQNR', async () => {
    const lines: string[] = [];
    const saved = join(dir, 'saved16.onnx');
    expect(await main(['node', 'edgec', 'quantize', model, '--calibration', calibration, '--calibration-method', 'minmax', '--activations', 'int16', '-o', saved], (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toContain(`-> ${saved}`);
    expect(loadModel(saved).opset).toBe(21);
    const c = compileModel(saved, { name: 'saved' });
    expect(c.program.ops.map((op) => op.kind)).toContain('depthwise_conv2d_s16');
    lines.length = 0;
    expect(await main(['node', 'edgec', 'build', model, '--calibration', calibration, '--calibration-method', 'minmax', '--activations', 'int16', '-o', join(dir, 'out16')], (l) => lines.push(l))).toBe(0);
    const report = lines.join('\n');
    expect(report).toMatch(/quantized \(minmax calibration, int16 activations\): weights \d+ B float/);
    expect(report).toMatch(/output 'y': SQNR \d+\.\d+ dB vs float, top-1 agreement [\d.]+% \(32 calibration samples, int16 C vs onnxruntime float\)/);
  }, 60_000);
});

describe('--int16-layers (PTQ)', () => {
  it('one int16 layer inside an int8 model builds warning-free and matches onnxruntime on the mixed QDQ model', async () => {
    const c = await compileModelAsync(model, { name: 'mixed', calibration, int16Layers: ['dw'] });
    expect(c.quantized!.activations).toBe('mixed');
    expect(typesOf(c, 'dw')).toEqual(['int16', 'int16']);
    expect(typesOf(c, 'pw')).toEqual(['int8', 'int8']);
    expect(kinds(c).filter((kind) => kind.endsWith('_s16'))).toEqual(['requantize_s16', 'depthwise_conv2d_s16', 'requantize_s16']);
    // the build says which layers ended up int16
    const note = c.notes.find((n) => n.startsWith('--int16-layers')) ?? '';
    console.log(`[ptq16] note: ${note}`);
    // dw and the Relu fused into it
    expect(note).toMatch(/^--int16-layers: 2 layer\(s\) int16: 'dw' \(Conv\), '\w+' \((Relu|Clip)\); \d+ int8;/);
    // runMixed builds with -Wall -Wextra -Werror
    const vs = await againstOnnxruntime(c, '--int16-layers dw');
    expect(vs.maxLsb).toBeLessThanOrEqual(1);
    await layerByLayer({ int16Layers: ['dw'] }, '--int16-layers dw');
  }, 120_000);

  it('an unknown node or one without a 16x8 kernel is refused in one line (exit 2)', async () => {
    for (const [names, why] of [[['dw', 'conv9'], /--int16-layers: no node named 'conv9' \(layers with a 16x8 kernel: 'conv1', 'dw', 'pw', 'add', 'pool', 'gap', 'fc', 'softmax'\)$/], [['relu2'], /node 'relu2' is a Relu, which has no 16x8 kernel in edgec/]] as const) {
      const err = await compileModelAsync(model, { calibration, int16Layers: [...names] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EdgecError);
      expect((err as EdgecError).exitCode).toBe(2);
      expect((err as EdgecError).message).toMatch(why);
      expect((err as EdgecError).message).not.toContain('\n');
    }
    // not built yet: --int8-io on a mixed model; and naming layers when every one is int16 already
    for (const [opts, why] of [[{ int16Layers: ['dw'], int8Io: true }, /^--int16-layers cannot be combined with --int8-io/], [{ activations: 'int16', int16Layers: ['dw'] }, /^--int16-layers names the int16 layers of an int8 model/]] as const) {
      const err = await compileModelAsync(model, { calibration, ...opts, int16Layers: 'int16Layers' in opts ? [...opts.int16Layers] : undefined }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EdgecError);
      expect((err as EdgecError).message).toMatch(why);
    }
    const lines: string[] = [];
    expect(await main(['node', 'edgec', 'inspect', model, '--calibration', calibration, '--int16-layers', 'nope'], (l) => lines.push(l))).toBe(2);
    expect(await main(['node', 'edgec', 'inspect', model, '--calibration', calibration, '--activations', 'int12'], (l) => lines.push(l))).toBe(2);
    expect(await main(['node', 'edgec', 'inspect', model, '--activations', 'int16'], (l) => lines.push(l))).toBe(2);
    console.log(lines.join('\n'));
  }, 60_000);
});
