/**
 * The 16x8 scheme (int16 activations with zero point 0, int8 per-channel
 * weights, int64 bias) through the .tflite front end, on small models made
 * by examples/scripts/tflite/make_fixtures_int16.py (TFLiteConverter with
 * EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8, int16 and float
 * I/O): each file holds the builtins fixtures.json promises and the generated
 * C equals TFLite Micro byte for byte on seeded random inputs over the whole
 * int16 range. 16x8 ops without an int16 kernel yet are refused in one line.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EdgecError } from '../../compiler/errors.js';
import { compileModel } from '../../compiler/pipeline.js';
import { FlatReader } from '../../compiler/tflite/flat.js';
import { readTfliteModel } from '../../compiler/tflite/schema.js';
import { selftestFiles } from '../../compiler/verify/selftest.js';
import { valueBytes } from '../../compiler/ir/program.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { sampleBytes } from '../../compiler/verify/layers.js';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const DIR = 'test/fixtures/tflite16';
const MANIFEST = JSON.parse(readFileSync(`${DIR}/fixtures.json`, 'utf8')) as Record<string, { builtins: string[] }>;
const SAMPLES = 20;
/** Table-driven ops get more samples, so most table segments are read (and compared) at least once. */
const MORE_SAMPLES: Record<string, number> = { softmax: 150, logistic_tanh: 40 };
/** Fixtures whose ops have no int16 kernel yet: the build must refuse them, naming the op. */
const REFUSED: Record<string, RegExp> = {};

function builtinsOf(file: string): string[] {
  const m = readTfliteModel(readFileSync(file));
  return [...new Set(m.operatorCodes.map((c) => c.name))].sort();
}

/** The one-line error a build of `file` (or of `bytes` as that file) ends in. */
function refusal(file: string, bytes?: Uint8Array): string {
  try {
    compileModel(file, { name: 'm', modelBytes: bytes });
  } catch (e) {
    if (!(e instanceof EdgecError)) throw e;
    expect(e.exitCode).toBe(2);
    expect(e.message.includes('\n')).toBe(false);
    expect(e.message.startsWith(`${file}: `)).toBe(true);
    return e.message;
  }
  throw new Error(`${file} compiled`);
}

describe('16x8 TFLite fixtures', () => {
  for (const [name, spec] of Object.entries(MANIFEST)) {
    const file = `${DIR}/${name}.tflite`;
    it(`${name}: holds ${spec.builtins.join(', ')}`, () => {
      expect(builtinsOf(file)).toEqual(spec.builtins);
    });
    const refused = REFUSED[name];
    if (refused) {
      it(`${name}: refused in one line (no int16 kernel yet)`, () => {
        expect(refusal(file)).toMatch(refused);
      });
      continue;
    }
    it.skipIf(!tflmPython())(`${name}: equals TFLite Micro byte for byte`, async () => {
      const r = await compareWithTflm(file, file, MORE_SAMPLES[name] ?? SAMPLES, 23);
      for (const o of r.outputs) {
        console.log(`${name} ${o.name}: ${o.elements - o.mismatches}/${o.elements} equal to TFLM (max diff ${o.maxDiff}, ${o.distinct} distinct values)`);
        expect(o.elements).toBeGreaterThan(0);
        // not a saturated output: the comparison exercises the arithmetic, not only the clamp
        expect(o.distinct).toBeGreaterThan(Math.min(100, o.elements / 4));
        expect(o.mismatches).toBe(0);
      }
    }, 60_000);
  }
});

describe('the bundled KWS (MLPerf Tiny DS-CNN) as a 16x8 .tflite (examples/scripts/kws_dscnn_16x8.py)', () => {
  it.skipIf(!tflmPython())('equals TFLite Micro byte for byte', async () => {
    const file = `${DIR}/kws_dscnn_16x8.tflite`;
    const r = await compareWithTflm(file, file, 10, 29);
    for (const o of r.outputs) {
      console.log(`kws_dscnn_16x8 ${o.name}: ${o.elements - o.mismatches}/${o.elements} equal to TFLM (max diff ${o.maxDiff}, ${o.distinct} distinct values)`);
      expect(o.elements).toBe(120);
      expect(o.mismatches).toBe(0);
    }
  }, 60_000);
});

describe('--selftest on a 16x8 model', () => {
  it.skipIf(!tflmPython())('golden int16 vectors from TFLM: the self-test program passes, and fails when a vector is off by one', async () => {
    const file = `${DIR}/cnn.tflite`;
    // compiler/verify/tflm.ts (what --selftest runs) takes its Python from the environment
    process.env.EDGEC_TFLM_PYTHON ??= tflmPython();
    const c = compileModel(file, { name: 'm' });
    const files = [...c.emitted.files, ...(await selftestFiles(file, c.program, { count: 3, version: 'test', source: 'cnn.tflite' }))];
    const dir = mkdtempSync(join(tmpdir(), 'edgec-s16-selftest-'));
    try {
      for (const f of files) writeFileSync(join(dir, f.path), f.contents);
      const run = (): { status: number | null; out: string } => {
        const sources = files.filter((f) => f.path.endsWith('.c')).map((f) => join(dir, f.path));
        execFileSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', '-DEDGEC_SELFTEST_MAIN', '-I', dir, ...sources, '-o', join(dir, 'st'), '-lm']);
        const r = spawnSync(join(dir, 'st'), { encoding: 'utf8' });
        return { status: r.status, out: r.stdout };
      };
      const pass = run();
      expect(pass.out).toContain('PASS (3 golden vectors)');
      expect(pass.status).toBe(0);
      // one expected int16 value changed by one: the byte-exact check must catch it
      const golden = join(dir, 'm_selftest.c');
      const text = readFileSync(golden, 'utf8');
      const at = text.indexOf('m_selftest_out0[3][6] = {');
      const edited = text.slice(0, at) + text.slice(at).replace(/(\{\s*\n?\s*)(-?\d+)/, (_m, pre: string, v: string) => `${pre}${Number(v) + 1}`);
      expect(edited).not.toBe(text);
      writeFileSync(golden, edited);
      const fail = run();
      expect(fail.out).toContain('FAIL');
      expect(fail.status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('16x8 kernels under AddressSanitizer and UBSan', () => {
  it('every 16x8 kernel runs clean on full-range random int16 inputs', () => {
    const san = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all'];
    // between them these call every edgec_*_s16 kernel (PAD of int16 runs the byte pad kernel, sanitized with the int8 ones)
    for (const name of ['cnn', 'depthwise', 'logistic_tanh', 'mean', 'add_mul', 'reshape_concat', 'conv_float_io']) {
      const c = compileModel(`${DIR}/${name}.tflite`, { name: 'm' });
      const dir = mkdtempSync(join(tmpdir(), 'edgec-s16-san-'));
      try {
        for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
        const exe = buildNativeRunner(dir, 'm', { flags: san, link: san });
        const out = runNative(exe, sampleBytes(randomSamples(c.program, 5, 3)), 5);
        expect(out.length, name).toBe(5 * c.program.outputs.reduce((a, id) => a + valueBytes(c.program.values.get(id)!), 0));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }, 120_000);
});

describe('int16 I/O helpers of the runtime (edgec.h)', () => {
  it('edgec_quantize16_f32 rounds half away from zero and saturates like TFLM; edgec_dequantize16_f32 inverts it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-q16-'));
    try {
      const main = join(dir, 'main.c');
      writeFileSync(main, [
        '#include <stdio.h>', '#include "edgec.h"',
        'int main(void) {',
        '  const float x[] = { 0.0f, 0.25f, 0.75f, -0.25f, -0.75f, 1.0f, 100000.0f, -100000.0f, 12.5f };',
        '  unsigned i;',
        '  for (i = 0; i < sizeof x / sizeof x[0]; ++i) printf("%d ", edgec_quantize16_f32(x[i], 0.5f, 0));',
        '  printf("%d ", edgec_quantize16_f32(1.0f, 0.5f, 7));',
        '  printf("%g\\n", (double)edgec_dequantize16_f32(-32768, 0.5f, 0));',
        '  return 0;',
        '}',
      ].join('\n'));
      execFileSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-I', 'runtime-c', main, 'runtime-c/edgec_runtime.c', '-o', join(dir, 'q')]);
      // x / 0.5: 0, 0.5 -> 1, 1.5 -> 2, -0.5 -> -1, -1.5 -> -2 (ties away from zero), 2, saturated both ways, 25; zero point 7; -16384
      expect(execFileSync(join(dir, 'q'), { encoding: 'utf8' }).trim()).toBe('0 1 2 -1 -2 2 32767 -32768 25 9 -16384');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('16x8 hostile input', () => {
  it('an int16 activation with a non-zero zero point is refused, naming the tensor', () => {
    const file = `${DIR}/conv_relu.tflite`;
    const bytes = new Uint8Array(readFileSync(file));
    const r = new FlatReader(bytes);
    const subgraph = r.fieldTables(r.root('model'), 2, 'subgraphs')[0];
    const input = r.fieldI32s(subgraph, 1, 'inputs')[0];
    const tensor = r.fieldTables(subgraph, 0, 'tensors')[input];
    const quant = r.fieldTable(tensor, 4, 'quantization')!;
    const zp = r.fieldVector(quant, 3, 8, 'zero_point');
    expect(zp.length).toBe(1);
    new DataView(bytes.buffer).setBigInt64(zp.start, 5n, true);
    expect(refusal(file, bytes)).toMatch(/int16 tensor '.*' has zero point 5; 16x8 activations must be symmetric \(zero point 0\)/);
  });
});
