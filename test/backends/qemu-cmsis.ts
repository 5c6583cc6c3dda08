/**
 * Emulated Cortex-M runs of CMSIS-NN builds (qemu-system-arm): nano33ble's
 * DSP code path on mps2-an386 (Cortex-M4F) and corstone-300's Helium (MVE)
 * code path on mps3-an547 (Cortex-M55), on the benchmark harness
 * (templates/harness/cortex-m, compiler/bench/cortex-m.ts). Shared by
 * qemu-exact.test.ts and cmsis-data-ops.test.ts.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Compiled } from '../../compiler/pipeline.js';
import { valueBytes } from '../../compiler/ir/program.js';
import { templatesDir } from '../../compiler/emit/paths.js';
import { ARM_CC, benchMainSource, MPS2_AN386, QEMU_ARM, runQemu, toolAvailable, type CortexMTarget } from '../../compiler/bench/cortex-m.js';
import { cmsisLibrary, CMSIS_NN_PATH, writeFiles } from './libraries.js';

const here = dirname(fileURLToPath(import.meta.url));
const execFileAsync = promisify(execFile);

export const MPS3_AN547: CortexMTarget = { machine: 'mps3-an547', cpuFlags: ['-mcpu=cortex-m55', '-mthumb', '-mfloat-abi=hard'], counterHz: 20_000_000 };

/** FPGAIO base (COUNTER, 100 Hz counter): 0x40028000 on MPS2, 0x49302000 on MPS3 AN547. */
export interface Machine { board: string; variant: string; target: CortexMTarget; ld: string; fpgaio: string }

export const MACHINES: Machine[] = [
  { board: 'nano33ble', variant: 'dsp', target: MPS2_AN386, ld: join(templatesDir(), 'harness', 'cortex-m', 'mps2.ld'), fpgaio: '0x40028000u' },
  { board: 'corstone-300', variant: 'mve', target: MPS3_AN547, ld: join(here, 'mps3-an547.ld'), fpgaio: '0x49302000u' },
];

export const qemuEnabled = !!CMSIS_NN_PATH && toolAvailable(ARM_CC) && toolAvailable(QEMU_ARM);

export async function buildElf(modelDir: string, inputs: Uint8Array[], m: Machine): Promise<string> {
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

/** Outputs of `lib` (a CMSIS-NN build for `m.board`) on one sample (`bytes`: the inputs back to back), and the instructions it took. */
export async function runOnQemu(lib: Compiled, bytes: Uint8Array, m: Machine): Promise<{ outputs: Uint8Array; instructions: number }> {
  const inputs: Uint8Array[] = [];
  let at = 0;
  for (const id of lib.program.inputs) {
    const n = valueBytes(lib.program.values.get(id)!);
    inputs.push(bytes.subarray(at, at + n));
    at += n;
  }
  const elf = await buildElf(writeFiles(lib.emitted.files, 'edgec-cm-'), inputs, m);
  const run = runQemu(elf, lib.program.outputs.map((id) => valueBytes(lib.program.values.get(id)!)), m.target);
  return { outputs: Uint8Array.from(run.outputs.flatMap((o) => Array.from(o))), instructions: run.instructions };
}
