/**
 * Every example built with a library backend gives the same bytes as the
 * portable backend on the host (gcc): CMSIS-NN pure C; ESP-NN ANSI C and the
 * generic optimised C that ESP32 / ESP32-C3 run. Needs CMSIS_NN_PATH /
 * ESP_NN_PATH (checkouts outside the repository); skipped without.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { runNative } from '../../compiler/verify/native.js';
import { sampleBytes } from '../../compiler/verify/layers.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { EXAMPLES } from '../helpers/examples.js';
import { buildRunnerWithLibrary, cmsisLibrary, CMSIS_NN_PATH, espNnLibrary, ESP_NN_PATH, type Library, writeFiles } from './libraries.js';

const SAMPLES = 8;

interface Variant { label: string; backend: 'cmsis-nn' | 'esp-nn'; target: string; lib: () => Promise<Library>; enabled: boolean }

const VARIANTS: Variant[] = [
  { label: 'cmsis-nn (pure C)', backend: 'cmsis-nn', target: 'c', lib: () => cmsisLibrary(), enabled: !!CMSIS_NN_PATH },
  { label: 'esp-nn (ANSI C)', backend: 'esp-nn', target: 'ansi', lib: () => espNnLibrary(false), enabled: !!ESP_NN_PATH },
  { label: 'esp-nn (ESP32 generic opt)', backend: 'esp-nn', target: 'esp32', lib: () => espNnLibrary(true), enabled: !!ESP_NN_PATH },
];

function diffCount(a: Uint8Array, b: Uint8Array): number {
  let n = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) n++;
  return n;
}

for (const v of VARIANTS) {
  describe.skipIf(!v.enabled)(`${v.label} matches portable bit for bit (host gcc)`, () => {
    for (const ex of EXAMPLES) {
      it(ex.id, async () => {
        const portable = compileModel(ex.path, { name: 'm', backend: 'portable' });
        const lib = compileModel(ex.path, { name: 'm', backend: v.backend, backendTarget: v.target });
        const libLayers = lib.program.ops.filter((op) => lib.backend.kernelFor(op).backend === v.backend).length;
        const input = sampleBytes(randomSamples(portable.program, SAMPLES, 7));
        const ref = runNative(buildRunnerWithLibrary(writeFiles(portable.emitted.files, 'edgec-port-'), 'm', undefined), input, SAMPLES);
        const got = runNative(buildRunnerWithLibrary(writeFiles(lib.emitted.files, 'edgec-lib-'), 'm', await v.lib()), input, SAMPLES);
        const diffs = diffCount(ref, got);
        console.log(`${v.label} ${ex.id}: ${libLayers}/${lib.program.ops.length} layers on the library, ${SAMPLES} samples, ${ref.length} output bytes, ${diffs} differ -> ${diffs === 0 ? 'bit-exact' : 'NOT bit-exact'}`);
        expect(libLayers).toBeGreaterThan(0);
        expect(diffs).toBe(0);
      }, 240_000);
    }
  });
}
