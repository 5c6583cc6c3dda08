/**
 * The CLI takes a .tflite wherever it takes an .onnx, recognised by the
 * "TFL3" file identifier rather than the extension: build, inspect, verify
 * (against TFLite Micro, byte for byte), --selftest golden vectors from TFLM,
 * and clear one-line errors for what does not apply to a .tflite.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { edgec } from '../helpers/cli.js';
import { tflmPython } from '../helpers/tflm.js';

const TFLITE = 'examples/tf2onnx_int8/tf2onnx_int8.tflite';
const ONNX = 'examples/tf2onnx_int8/tf2onnx_int8.onnx';
const dir = mkdtempSync(join(tmpdir(), 'edgec-tflite-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function withTflmPython<T>(python: string | undefined, run: () => T): T {
  const saved = process.env.EDGEC_TFLM_PYTHON;
  if (python === undefined) delete process.env.EDGEC_TFLM_PYTHON;
  else process.env.EDGEC_TFLM_PYTHON = python;
  try {
    return run();
  } finally {
    if (saved === undefined) delete process.env.EDGEC_TFLM_PYTHON;
    else process.env.EDGEC_TFLM_PYTHON = saved;
  }
}

describe('edgec CLI on .tflite', () => {
  it('build detects the file identifier, not the extension', () => {
    const renamed = join(dir, 'model.bin');
    copyFileSync(TFLITE, renamed);
    const r = edgec(['build', renamed, '-o', join(dir, 'out'), '--name', 'digits']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(join(dir, 'out'))).toContain('digits.c');
    const header = readFileSync(join(dir, 'out', 'digits.h'), 'utf8');
    expect(header).toContain('serving_default_input:0'); // tensor names from the TFLite tensors
  });

  it('inspect --json reports the same arena and weights as the ONNX twin', () => {
    const fromTflite = JSON.parse(edgec(['inspect', TFLITE, '--json']).stdout) as { arenaBytes: number; weightsBytes: number };
    const fromOnnx = JSON.parse(edgec(['inspect', ONNX, '--json']).stdout) as { arenaBytes: number; weightsBytes: number };
    expect(fromTflite.arenaBytes).toBe(fromOnnx.arenaBytes);
    expect(fromTflite.weightsBytes).toBe(fromOnnx.weightsBytes);
  });

  it('--calibration and --shape do not apply to a .tflite: one line, exit 2', () => {
    const cal = edgec(['build', TFLITE, '-o', join(dir, 'c'), '--calibration', 'examples/tf2onnx_int8/calibration.npy']);
    expect(cal.code).toBe(2);
    expect(cal.stderr.split('\n')[0]).toMatch(/--calibration: .* is a TFLite model; edgec quantizes float ONNX models only/);
    const shape = edgec(['build', TFLITE, '-o', join(dir, 's'), '--shape', 'x=1,8,8,1']);
    expect(shape.code).toBe(2);
    expect(shape.stderr.split('\n')[0]).toMatch(/--shape x: .* is a TFLite model, whose shapes are all static/);
  });

  it('verify without tflite-micro: one clear line, exit 2', () => {
    const r = withTflmPython('/nonexistent/python3', () => edgec(['verify', TFLITE, '--native']));
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(`edgec: error: ${TFLITE}: the reference for a .tflite is TensorFlow Lite Micro's interpreter, but cannot run /nonexistent/python3`);
  });

  it.skipIf(!tflmPython())('verify compares with TFLite Micro and demands byte equality', () => {
    const r = withTflmPython(tflmPython(), () => edgec(['verify', TFLITE, '--native', '--samples', '30', '--json']));
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { reference: string; pass: boolean; outputs: { exactRate: number; toleranceLsb: number; elements: number }[] };
    expect(report.reference).toBe('tflm');
    expect(report.pass).toBe(true);
    expect(report.outputs[0].toleranceLsb).toBe(0);
    expect(report.outputs[0].elements).toBe(300);
    expect(report.outputs[0].exactRate).toBe(1);
  }, 120_000);

  it.skipIf(!tflmPython())('--selftest golden vectors come from TFLite Micro and pass on the host', () => {
    const out = join(dir, 'selftest');
    const r = withTflmPython(tflmPython(), () => edgec(['build', TFLITE, '-o', out, '--selftest', '6']));
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'model_selftest.c'), 'utf8')).toContain('expected outputs from TensorFlow Lite Micro');
    const sources = readdirSync(out).filter((f) => f.endsWith('.c')).map((f) => join(out, f));
    const cc = spawnSync('cc', ['-std=c99', '-O1', '-DEDGEC_SELFTEST_MAIN', `-I${out}`, ...sources, '-o', join(out, 'st'), '-lm'], { encoding: 'utf8' });
    expect(cc.stderr).toBe('');
    const run = spawnSync(join(out, 'st'), { encoding: 'utf8' });
    expect(run.stdout).toContain('PASS (6 golden vectors)');
    expect(run.status).toBe(0);
  }, 120_000);
});
