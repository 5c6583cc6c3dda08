/**
 * The 16x8 kernels' Arm DSP path (SMLAD dot products in edgec_dot_s16.h,
 * used by conv and fully connected on Cortex-M4 and up) on an emulated
 * Cortex-M4F (QEMU mps2-an386, the benchmark harness): every output byte
 * equals the host build's, whose plain C path test/tflite/int16.test.ts
 * holds byte-equal to TFLite Micro. Needs arm-none-eabi-gcc and
 * qemu-system-arm; skipped without.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARM_CC, buildArmElf, QEMU_ARM, runQemu, toolAvailable } from '../../compiler/bench/cortex-m.js';
import { valueBytes } from '../../compiler/ir/program.js';
import { compileModel } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { sampleBytes } from '../../compiler/verify/layers.js';

const enabled = toolAvailable(ARM_CC) && toolAvailable(QEMU_ARM);
const MODELS = ['conv_relu', 'depthwise', 'fc', 'cnn', 'kws_dscnn_16x8'];

describe.skipIf(!enabled)('16x8 kernels on Cortex-M4 (DSP path) equal the host build', () => {
  for (const name of MODELS) {
    it(name, () => {
      // portable: this is our kernels' DSP path (auto would call CMSIS-NN's _s16 kernels for some layers; test/backends/cmsis-s16.test.ts)
      const c = compileModel(`test/fixtures/tflite16/${name}.tflite`, { name: 'm', board: 'nucleo-f446re', backend: 'portable' });
      const dir = mkdtempSync(join(tmpdir(), 'edgec-s16-m4-'));
      try {
        for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
        const inputs = randomSamples(c.program, 1, 41)[0];
        const expected = runNative(buildNativeRunner(dir, 'm'), sampleBytes([inputs]), 1);
        const work = mkdtempSync(join(tmpdir(), 'edgec-s16-m4-elf-'));
        try {
          const elf = buildArmElf(dir, 'm', inputs.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)), work, { opt: '-O2' });
          const run = runQemu(elf, c.program.outputs.map((id) => valueBytes(c.program.values.get(id)!)));
          const got = Uint8Array.from(run.outputs.flatMap((o) => Array.from(o)));
          let diffs = Math.abs(got.length - expected.length);
          for (let i = 0; i < Math.min(got.length, expected.length); i++) if (got[i] !== expected[i]) diffs++;
          console.log(`${name} on Cortex-M4: ${run.instructions} instructions, ${expected.length} output bytes, ${diffs} differ`);
          expect(expected.length).toBeGreaterThan(0);
          expect(diffs).toBe(0);
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }
});
