/**
 * The CMSIS-NN builds on emulated Cortex-M: nano33ble's DSP code path on
 * mps2-an386 (Cortex-M4F) and corstone-300's Helium (MVE) code path on
 * mps3-an547 (Cortex-M55). Each example's outputs must equal the portable
 * build's on the host, bit for bit. Reuses the benchmark harness
 * (templates/harness/cortex-m, compiler/bench/cortex-m.ts). Needs
 * CMSIS_NN_PATH, arm-none-eabi-gcc and qemu-system-arm; skipped without.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { valueBytes } from '../../compiler/ir/program.js';
import { runNative } from '../../compiler/verify/native.js';
import { sampleBytes } from '../../compiler/verify/layers.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { templatesDir } from '../../compiler/emit/paths.js';
import { ARM_CC, benchMainSource, MPS2_AN386, QEMU_ARM, runQemu, toolAvailable, type CortexMTarget } from '../../compiler/bench/cortex-m.js';
import { EXAMPLES } from '../helpers/examples.js';
import { buildRunnerWithLibrary, cmsisLibrary, CMSIS_NN_PATH, writeFiles } from './libraries.js';

const here = dirname(fileURLToPath(import.meta.url));
const execFileAsync = promisify(execFile);

const MPS3_AN547: CortexMTarget = { machine: 'mps3-an547', cpuFlags: ['-mcpu=cortex-m55', '-mthumb', '-mfloat-abi=hard'], counterHz: 20_000_000 };

/** FPGAIO base (COUNTER, 100 Hz counter): 0x40028000 on MPS2, 0x49302000 on MPS3 AN547. */
interface Machine { board: string; variant: string; target: CortexMTarget; ld: string; fpgaio: string }

const MACHINES: Machine[] = [
  { board: 'nano33ble', variant: 'dsp', target: MPS2_AN386, ld: join(templatesDir(), 'harness', 'cortex-m', 'mps2.ld'), fpgaio: '0x40028000u' },
  { board: 'corstone-300', variant: 'mve', target: MPS3_AN547, ld: join(here, 'mps3-an547.ld'), fpgaio: '0x49302000u' },
];

const enabled = !!CMSIS_NN_PATH && toolAvailable(ARM_CC) && toolAvailable(QEMU_ARM);

async function buildElf(modelDir: string, inputs: Uint8Array[], m: Machine): Promise<string> {
  const lib = await cmsisLibrary(ARM_CC, [...m.target.cpuFlags, '-O2', '-ffunction-sections', '-fdata-sections']);
  const work = mkdtempSync(join(tmpdir(), 'edgec-qemu-'));
  const main = join(work, 'main.c');
  // The benchmark main reads the MPS2 FPGAIO counters; AN547 has them at another address.
  writeFileSync(main, benchMainSource('m', inputs).replace('0x40028000u', m.fpgaio));
  const startup = join(work, 'startup.c');
  copyFileSync(join(templatesDir(), 'harness', 'cortex-m', 'startup.c'), startup);
  const sources = readdirSync(modelDir).filter((f) => f.endsWith('.c')).map((f) => join(modelDir, f));
  const elf = join(work, 'm.elf');
  await execFileAsync(ARM_CC, [
    ...m.target.cpuFlags, '-O2', '-std=c99', '-Wall', '-Wextra', '-Werror', '-ffunction-sections', '-fdata-sections',
    '-I', modelDir, ...lib.includes.flatMap((d) => ['-I', d]), ...sources, main, startup, lib.archive,
    '-nostartfiles', '--specs=nano.specs', '-T', m.ld, '-Wl,--gc-sections', '-o', elf, '-lc', '-lgcc',
  ]);
  return elf;
}

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
        const inputs: Uint8Array[] = [];
        let at = 0;
        for (const id of lib.program.inputs) {
          const n = valueBytes(lib.program.values.get(id)!);
          inputs.push(bytes.subarray(at, at + n));
          at += n;
        }
        const elf = await buildElf(writeFiles(lib.emitted.files, 'edgec-cm-'), inputs, m);
        const run = runQemu(elf, lib.program.outputs.map((id) => valueBytes(lib.program.values.get(id)!)), m.target);
        const got = Uint8Array.from(run.outputs.flatMap((o) => Array.from(o)));
        let diffs = Math.abs(got.length - expected.length);
        for (let i = 0; i < Math.min(got.length, expected.length); i++) if (got[i] !== expected[i]) diffs++;
        console.log(`cmsis-nn ${m.variant} ${m.target.machine} ${ex.id}: ${libLayers}/${lib.program.ops.length} layers on CMSIS-NN, ${run.instructions} instructions, ${expected.length} output bytes, ${diffs} differ -> ${diffs === 0 ? 'bit-exact' : 'NOT bit-exact'}`);
        expect(diffs).toBe(0);
      }, 600_000);
    });
  });
}
