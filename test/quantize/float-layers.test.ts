/**
 * Mixed precision through PTQ (issue 14): `--float-layers` keeps the named
 * layer float32 (weights float, Q/DQ around it) and `--auto-float <dB>`
 * finds the layer whose quantization costs the most output SQNR.
 *
 * Fixture (built here): Conv(4->8) -> Relu -> Conv 'conv2'(8->8) -> Relu ->
 * GlobalAveragePool -> Flatten -> Gemm 'fc'. conv1's output channel 0 has a
 * bias of -50, so it is always 0 after the Relu; conv2's weights reading that
 * dead channel are 100x the others (an outlier input channel). They change no
 * float output, but set every per-channel weight scale of conv2, whose real
 * weights then quantize to a few levels: the one badly quantizable layer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModelAsync, type Compiled } from '../../compiler/pipeline.js';
import { quantizeModel } from '../../compiler/quantize/index.js';
import { measureAccuracy } from '../../compiler/quantize/accuracy.js';
import { encodeNpy } from '../../compiler/data/npy.js';
import { modelReport } from '../../compiler/report.js';
import { main } from '../../compiler/cli/main.js';
import { EdgecError } from '../../compiler/errors.js';
import { outlierCalibration, outlierModel } from '../fixtures/float-layers/outlier.js';
import { runMixed } from '../helpers/mixed-run.js';

let dir: string;
let model: string;
let calibration: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'edgec-floatfb-'));
  model = join(dir, 'outlier.onnx');
  writeFileSync(model, outlierModel());
  calibration = join(dir, 'calib.npy');
  writeFileSync(calibration, encodeNpy({ dtype: 'float32', shape: [48, 1, 4, 8, 8], data: outlierCalibration() }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sqnrOf = async (c: Compiled): Promise<number> => (await measureAccuracy(c, c.quantized!, { maxSamples: 48 })).outputs[0].sqnrDb;

describe('--float-layers with PTQ', () => {
  it('keeps conv2 float, compiles with strict gcc and matches onnxruntime on the mixed QDQ model', async () => {
    // dense weights: in the all-int8 build conv2 quantizes to 35% zeros and would be stored bitmap-sparse,
    // which the byte accounting below (float conv2 against dense int8 conv2) is not about
    const c = await compileModelAsync(model, { name: 'mixed', calibration, floatLayers: ['conv2'], sparse: false });
    expect(c.quantized!.floatLayers).toEqual(['conv2']);
    expect(c.program.ops.filter((op) => op.kind.endsWith('_f32')).map((op) => `${op.name}:${op.kind}`)).toEqual(['conv2:conv2d_f32']);
    // the same mixed QDQ model (edgec's PTQ with conv2's weights left float) run by onnxruntime; the C built with -Wall -Wextra -Werror
    const samples = c.quantized!.samples.slice(0, 16);
    const { outputs } = await runMixed(c.quantized!.qdqBytes, { name: 'mixed', floatLayers: c.quantized!.floatLayers, samples });
    console.log(`[float-layers] PTQ + --float-layers conv2 vs onnxruntime mixed model: ${outputs[0].elements} values, exact ${(100 * outputs[0].exactRate).toFixed(2)}%, max ${outputs[0].maxLsb} LSB`);
    expect(outputs[0].maxLsb).toBeLessThanOrEqual(1);
    expect(outputs[0].exactRate).toBeGreaterThanOrEqual(0.9);
    // the report: which layer is float and what it costs against the all-int8 build
    const r = modelReport(c, model);
    expect(r.floatLayers.map((l) => l.name)).toEqual(['conv2']);
    expect(r.floatLayers[0].weightsBytes).toBe((8 * 8 * 9 + 8) * 4);
    expect(r.floatLayers[0].int8WeightsBytes).toBe(8 * 8 * 9 + 12 * 8);
    expect(r.int8Build).toBeDefined();
    expect(r.weightsBytes - r.int8Build!.weightsBytes).toBe((8 * 8 * 9 + 8) * 4 - (8 * 8 * 9 + 12 * 8));
    console.log(`[float-layers] cost of conv2 in float: weights ${r.int8Build!.weightsBytes} -> ${r.weightsBytes} B, arena ${r.int8Build!.arenaBytes} -> ${r.arenaBytes} B`);
    expect(r.arenaBytes).toBeGreaterThan(r.int8Build!.arenaBytes); // float tensors: 4 bytes per element
  }, 120_000);

  it('two float layers in a row: no Q/DQ between them (a float region), still within 1 LSB of onnxruntime', async () => {
    const c = await compileModelAsync(model, { name: 'region', calibration, floatLayers: ['conv1', 'conv2'] });
    const kinds = c.program.ops.map((op) => op.kind);
    expect(kinds.filter((k) => k.endsWith('_f32'))).toEqual(['conv2d_f32', 'conv2d_f32']);
    // quantize (input edge), transpose, conv1 f32 (reads the float input: no dequantize), conv2 f32, quantize, ...
    const between = kinds.slice(kinds.indexOf('conv2d_f32') + 1, kinds.lastIndexOf('conv2d_f32'));
    expect(between).toEqual([]);
    const { outputs } = await runMixed(c.quantized!.qdqBytes, { name: 'region', floatLayers: c.quantized!.floatLayers, samples: c.quantized!.samples.slice(0, 16) });
    console.log(`[float-layers] PTQ + --float-layers conv1,conv2 (float region) vs onnxruntime: exact ${(100 * outputs[0].exactRate).toFixed(2)}%, max ${outputs[0].maxLsb} LSB`);
    expect(outputs[0].maxLsb).toBeLessThanOrEqual(1);
  }, 120_000);

  it('refuses unknown node names and ops without a float kernel in one line (exit 2)', async () => {
    for (const [names, why] of [[['conv9'], /no node named 'conv9' \(layers that can stay float: 'conv1', 'conv2', 'fc'\)/], [['relu1'], /node 'relu1' is a Relu; only Conv, Gemm, MatMul, LSTM and GRU/]] as const) {
      const err = await compileModelAsync(model, { calibration, floatLayers: [...names] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EdgecError);
      expect((err as EdgecError).exitCode).toBe(2);
      expect((err as EdgecError).message).toMatch(why);
      expect((err as EdgecError).message).not.toContain('\n');
    }
    const lines: string[] = [];
    expect(await main(['node', 'edgec', 'inspect', model, '--calibration', calibration, '--float-layers', 'conv2,nope'], (l) => lines.push(l))).toBe(2);
    expect(await main(['node', 'edgec', 'inspect', model, '--float-layers', ' , '], (l) => lines.push(l))).toBe(2);
    expect(await main(['node', 'edgec', 'inspect', model, '--calibration', calibration, '--auto-float', 'lots'], (l) => lines.push(l))).toBe(2);
  }, 60_000);
});

describe('--auto-float', () => {
  const THRESHOLD = 10;
  it('keeps exactly the badly quantizable layer float and improves the output SQNR of the C', async () => {
    // 10 dB: conv2 costs far more (its gain in round 1), nothing else comes close once it is float
    const q = await quantizeModel(model, { calibration, autoFloatDb: THRESHOLD });
    const a = q.autoFloat!;
    const gains = a.rounds.map((r, i) => `round ${i + 1}: ${r.gains.map((g) => `${g.layer} ${g.gainDb.toFixed(2)} dB`).join(', ')}`).join('; ');
    console.log(`[auto-float] threshold ${THRESHOLD} dB: onnxruntime SQNR ${a.baselineDb.toFixed(2)} -> ${a.finalDb.toFixed(2)} dB, gains ${gains}, kept float: ${a.chosen.join(', ')}`);
    expect(a.chosen).toEqual(['conv2']);
    expect(q.floatLayers).toEqual(['conv2']);
    expect(a.finalDb - a.baselineDb).toBeGreaterThan(THRESHOLD);
    // the second round found nothing else worth the threshold
    expect(a.rounds).toHaveLength(2);
    expect(a.rounds[1].chosen).toBeUndefined();

    // the generated C, measured against the float model: all-int8 vs auto-float
    const int8 = await compileModelAsync(model, { name: 'allint8', calibration });
    const mixed = await compileModelAsync(model, { name: 'autofloat', calibration, autoFloatDb: THRESHOLD });
    expect(mixed.program.ops.filter((op) => op.kind.endsWith('_f32')).map((op) => op.name)).toEqual(['conv2']);
    const [before, after] = [await sqnrOf(int8), await sqnrOf(mixed)];
    console.log(`[auto-float] int8 C output SQNR vs float: all-int8 ${before.toFixed(2)} dB, --auto-float ${THRESHOLD} ${after.toFixed(2)} dB`);
    expect(after).toBeGreaterThan(before + THRESHOLD);
  }, 180_000);

  it('with a threshold above every gain keeps everything int8', async () => {
    const q = await quantizeModel(model, { calibration, autoFloatDb: 1000 });
    expect(q.autoFloat!.chosen).toEqual([]);
    expect(q.floatLayers).toEqual([]);
    expect(q.int8QdqBytes).toBeUndefined();
  }, 60_000);
});
