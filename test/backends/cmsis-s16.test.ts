/**
 * CMSIS-NN's _s16 calls on the 16x8 models (backends/cmsis-nn-s16.ts): every
 * 16x8 .tflite fixture of test/tflite/int16.test.ts (whose portable build
 * equals TFLite Micro byte for byte) built with --backend cmsis-nn gives the
 * portable build's bytes on seeded random inputs over the whole int16 range:
 * on the host (the library's plain C path) and on emulated Cortex-M4
 * (its DSP path) and Cortex-M55 (Helium; the fixtures that call every _s16
 * kernel, and the shape cases). Per-shape ONNX cases cover the
 * library's tails: odd channel counts, pixel counts with a leftover column
 * pair, ch_mult > 1, dilation. Needs CMSIS_NN_PATH (and arm-none-eabi-gcc +
 * qemu-system-arm for the emulated runs); skipped without.
 */
import { describe, expect, it } from 'vitest';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { runNative } from '../../compiler/verify/native.js';
import { sampleBytes } from '../../compiler/verify/layers.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { buildRunnerWithLibrary, cmsisLibrary, CMSIS_NN_PATH, writeFiles } from './libraries.js';
import { MACHINES, qemuEnabled, runOnQemu } from './qemu-cmsis.js';
import { s16Cases, s16Refusals } from './cmsis-s16-cases.js';

const DIR = 'test/fixtures/tflite16';
const FIXTURES = ['conv_relu', 'conv_float_io', 'depthwise', 'fc', 'add_mul', 'pools', 'softmax', 'logistic_tanh', 'reshape_concat',
  'cnn', 'cnn_float_io', 'mean', 'zero_pad', 'conv_int8_edges', 'kws_dscnn_16x8'];
/** Layers that must stay portable, by the reason the build gives (so a change of rule shows). */
const EXPECTED_FALLBACKS: Record<string, RegExp> = {
  // TFLM's input scaling of these (non power-of-two) scales is not the library's 3 << n
  logistic_tanh: /input scale that is not a power of two/,
  softmax_3x9: /rows of 9/,
  softmax_5x1: /rows of one element/,
};
const HOST_SAMPLES = 12;

const libraryLayers = (c: Compiled): number => c.program.ops.filter((op) => c.backend.kernelFor(op).backend === 'cmsis-nn').length;

function diffCount(a: Uint8Array, b: Uint8Array): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

interface Model { label: string; path: string; modelBytes?: Uint8Array }

/** Helium: the fixtures that between them call every _s16 kernel, and every shape case (its 4- and 8-lane tails). */
const MVE_FIXTURES = new Set(['cnn', 'add_mul', 'softmax', 'fc', 'kws_dscnn_16x8']);

const models = (variant = 'c'): Model[] => [
  ...FIXTURES.filter((name) => variant !== 'mve' || MVE_FIXTURES.has(name)).map((name) => ({ label: name, path: `${DIR}/${name}.tflite` })),
  ...s16Cases().map((c) => ({ label: c.label, path: `${c.label}.onnx`, modelBytes: c.bytes })),
];

function both(m: Model, board?: string): { portable: Compiled; lib: Compiled } {
  const portable = compileModel(m.path, { name: 'm', backend: 'portable', modelBytes: m.modelBytes });
  const lib = compileModel(m.path, { name: 'm', backend: 'cmsis-nn', modelBytes: m.modelBytes, ...(board ? { board } : { backendTarget: 'c' }) });
  return { portable, lib };
}

function portableBytes(portable: Compiled, input: Uint8Array, samples: number): Uint8Array {
  return runNative(buildRunnerWithLibrary(writeFiles(portable.emitted.files, 'edgec-s16-port-'), 'm', undefined), input, samples);
}

/** The library layers of a build; the expected fallbacks are there with their reason. */
function checkLibraryUse(label: string, lib: Compiled): number {
  const n = libraryLayers(lib);
  const reasons = lib.program.ops.map((op) => lib.backend.kernelFor(op).fallbackReason ?? '');
  const fallback = EXPECTED_FALLBACKS[label];
  if (fallback) expect(reasons.some((r) => fallback.test(r))).toBe(true);
  else expect(n).toBeGreaterThan(0);
  return n;
}

describe('CMSIS-NN _s16: layers the library cannot compute as TFLM does stay portable, with the reason', () => {
  for (const r of s16Refusals()) {
    it(r.label, () => {
      for (const variant of ['c', 'dsp', 'mve']) {
        const c = compileModel(`${r.label}.onnx`, { name: 'm', backend: 'cmsis-nn', backendTarget: variant, modelBytes: r.bytes });
        const op = c.program.ops.find((o) => o.kind.endsWith('_s16') && !o.kind.startsWith('quantize') && !o.kind.startsWith('dequantize'))!;
        const choice = c.backend.kernelFor(op);
        expect(choice.backend, variant).toBe('portable');
        expect(choice.fallbackReason, variant).toMatch(r.reason);
      }
    });
  }
});

describe.skipIf(!CMSIS_NN_PATH)('CMSIS-NN _s16 (plain C, host gcc) equals the portable 16x8 build', () => {
  models().forEach((m, k) => {
    it(m.label, async () => {
      const { portable, lib } = both(m);
      const n = checkLibraryUse(m.label, lib);
      const input = sampleBytes(randomSamples(portable.program, HOST_SAMPLES, 300 + k));
      const ref = portableBytes(portable, input, HOST_SAMPLES);
      const got = runNative(buildRunnerWithLibrary(writeFiles(lib.emitted.files, 'edgec-s16-lib-'), 'm', await cmsisLibrary()), input, HOST_SAMPLES);
      const diffs = diffCount(ref, got);
      console.log(`cmsis-nn c ${m.label}: ${n}/${lib.program.ops.length} layers on CMSIS-NN, ${HOST_SAMPLES} samples, ${ref.length} output bytes, ${diffs} differ`);
      expect(ref.length).toBeGreaterThan(0);
      expect(diffs).toBe(0);
    }, 240_000);
  });
});

for (const machine of MACHINES) {
  describe.skipIf(!qemuEnabled)(`CMSIS-NN _s16 ${machine.variant} on ${machine.target.machine} equals the portable 16x8 build`, () => {
    models(machine.variant).forEach((m, k) => {
      it(m.label, async () => {
        const { portable, lib } = both(m, machine.board);
        expect(lib.backend.target).toBe(machine.variant);
        const n = checkLibraryUse(m.label, lib);
        const input = sampleBytes(randomSamples(portable.program, 1, 500 + k));
        const ref = portableBytes(portable, input, 1);
        const run = await runOnQemu(lib, input, machine);
        const diffs = diffCount(ref, run.outputs);
        console.log(`cmsis-nn ${machine.variant} ${m.label}: ${n}/${lib.program.ops.length} layers on CMSIS-NN, ${run.instructions} instructions, ${ref.length} output bytes, ${diffs} differ`);
        expect(ref.length).toBeGreaterThan(0);
        expect(diffs).toBe(0);
      }, 600_000);
    });
  });
}
