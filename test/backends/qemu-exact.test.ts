/**
 * The CMSIS-NN builds on emulated Cortex-M: nano33ble's DSP code path on
 * mps2-an386 (Cortex-M4F) and corstone-300's Helium (MVE) code path on
 * mps3-an547 (Cortex-M55). Each example's outputs must equal the portable
 * build's on the host, bit for bit. Reuses the benchmark harness
 * (templates/harness/cortex-m, compiler/bench/cortex-m.ts). Needs
 * CMSIS_NN_PATH, arm-none-eabi-gcc and qemu-system-arm; skipped without.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { runNative } from '../../compiler/verify/native.js';
import { sampleBytes } from '../../compiler/verify/layers.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { EXAMPLES } from '../helpers/examples.js';
import { buildRunnerWithLibrary, writeFiles } from './libraries.js';
import { MACHINES, qemuEnabled as enabled, runOnQemu } from './qemu-cmsis.js';

for (const m of MACHINES) {
  describe.skipIf(!enabled)(`CMSIS-NN ${m.variant} on ${m.target.machine} matches portable`, () => {
    EXAMPLES.forEach((ex, k) => {
      it(ex.id, async () => {
        const portable = compileModel(ex.path, { name: 'm', backend: 'portable' });
        const lib = compileModel(ex.path, { name: 'm', board: m.board, backend: 'cmsis-nn' });
        expect(lib.backend.id).toBe('cmsis-nn');
        expect(lib.backend.target).toBe(m.variant);
        const libLayers = lib.program.ops.filter((op) => lib.backend.kernelFor(op).backend === 'cmsis-nn').length;
        const bytes = sampleBytes(randomSamples(portable.program, 1, 100 + k));
        const expected = runNative(buildRunnerWithLibrary(writeFiles(portable.emitted.files, 'edgec-port-'), 'm', undefined), bytes, 1);
        const run = await runOnQemu(lib, bytes, m);
        const got = run.outputs;
        let diffs = Math.abs(got.length - expected.length);
        for (let i = 0; i < Math.min(got.length, expected.length); i++) if (got[i] !== expected[i]) diffs++;
        console.log(`cmsis-nn ${m.variant} ${m.target.machine} ${ex.id}: ${libLayers}/${lib.program.ops.length} layers on CMSIS-NN, ${run.instructions} instructions, ${expected.length} output bytes, ${diffs} differ -> ${diffs === 0 ? 'bit-exact' : 'NOT bit-exact'}`);
        expect(diffs).toBe(0);
      }, 600_000);
    });
  });
}
