/**
 * RV32IMC benchmark harness (the ESP32-C3's core): builds a generated model
 * folder with riscv64-unknown-elf-gcc -march=rv32imc_zicsr and our own
 * startup, string functions and linker script (templates/harness/riscv/; no
 * C library), runs one inference on qemu-system-riscv32 -M virt under
 * -icount and reads the exact count of retired instructions (instret) around
 * the invoke call and the outputs, through semihosting.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { templatesDir } from '../emit/paths.js';
import { EdgecError } from '../errors.js';
import { benchMainSource, ICOUNT_SHIFT, parseBenchOutput, type CortexMTarget, type QemuRun } from './cortex-m.js';

export const RISCV_CC = 'riscv64-unknown-elf-gcc';
export const QEMU_RISCV32 = 'qemu-system-riscv32';

/**
 * The `virt` machine. Under -icount QEMU's instret reads the virtual clock in
 * ns (instructions << ICOUNT_SHIFT); the harness's edgec_bench_instret reads
 * all 64 bits (instreth) and shifts them back, so its counter ticks once per
 * instruction (counterHz = 1e9 / 2^ICOUNT_SHIFT makes parseBenchOutput's
 * ns-to-instructions conversion the identity) and one run may take up to
 * 2^32 instructions (the low 32 bits of the ns alone wrapped at 33.5 M).
 */
export const RV32_VIRT: CortexMTarget = {
  machine: 'virt',
  cpuFlags: ['-march=rv32imc_zicsr', '-mabi=ilp32'],
  counterHz: 1e9 / 2 ** ICOUNT_SHIFT,
};

const harnessDir = (): string => join(templatesDir(), 'harness', 'riscv');

/** The Cortex-M bench main with its counters read from instret (no FPGAIO on virt; the 100 Hz counter is unused). */
export function riscvBenchMainSource(name: string, inputs: Uint8Array[]): string {
  return benchMainSource(name, inputs)
    .replace(/#define EDGEC_BENCH_CLK100HZ .*\n/, '#define EDGEC_BENCH_CLK100HZ 0u\n')
    .replace(/#define EDGEC_BENCH_COUNTER .*\n/, 'uint32_t edgec_bench_instret(void);\n#define EDGEC_BENCH_COUNTER edgec_bench_instret()\n');
}

function run(cmd: string, args: string[], what: string, timeout?: number): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20, timeout }).toString();
  } catch (e) {
    const err = e as { stderr?: Buffer; code?: string };
    if (err.code === 'ENOENT') throw new EdgecError(`${cmd} not found`, 2, 'install gcc-riscv64-unknown-elf and qemu-system-misc');
    throw new EdgecError(`${what} failed:\n${err.stderr?.toString() ?? String(e)}`, 1);
  }
}

/**
 * libgcc of the rv32 multilib (count-leading-zeros, 64-bit division, ...):
 * GCC matches no multilib for a -march with _zicsr and would link the rv64
 * one, so ask for the plain rv32imc one.
 */
function rv32Libgcc(): string {
  return run(RISCV_CC, ['-march=rv32imc', '-mabi=ilp32', '-print-libgcc-file-name'], `${RISCV_CC} -print-libgcc-file-name`).trim();
}

export interface RiscvBuildOptions { opt: string; extraSources?: string[]; includeDirs?: string[]; defines?: string[] }

/** Every .c of the model folder plus the harness, linked into `work/<name>.elf` (unused sections dropped). */
export function buildRiscvElf(modelDir: string, name: string, inputs: Uint8Array[], work: string, opts: RiscvBuildOptions): string {
  const main = join(work, 'edgec_bench_main.c');
  writeFileSync(main, riscvBenchMainSource(name, inputs));
  const startup = join(work, 'edgec_bench_startup.c');
  copyFileSync(join(harnessDir(), 'startup.c'), startup);
  const sources = [...readdirSync(modelDir).filter((f) => f.endsWith('.c')).sort().map((f) => join(modelDir, f)), ...(opts.extraSources ?? []), main, startup];
  const elf = join(work, `${name}.elf`);
  run(RISCV_CC, [
    ...RV32_VIRT.cpuFlags, opts.opt, '-std=gnu99', '-ffreestanding', '-ffunction-sections', '-fdata-sections',
    '-I', modelDir, '-isystem', join(harnessDir(), 'include'), ...(opts.includeDirs ?? []).flatMap((d) => ['-I', d]), ...(opts.defines ?? []).map((d) => `-D${d}`),
    `-DEDGEC_BENCH_ICOUNT_SHIFT=${ICOUNT_SHIFT}`, ...sources, '-nostdlib', '-T', join(harnessDir(), 'virt.ld'), '-Wl,--gc-sections', '-o', elf, rv32Libgcc(),
  ], `${RISCV_CC} build of ${modelDir}`);
  return elf;
}

/** One run on qemu-system-riscv32 -M virt; semihosting output goes to a file (as on Arm). */
export function runQemuRiscv(elf: string, outputBytes: number[], timeoutMs = 600_000): QemuRun {
  const log = `${elf}.semihosting.txt`;
  run(QEMU_RISCV32, [
    '-M', 'virt', '-bios', 'none', '-display', 'none', '-monitor', 'none', '-serial', 'none',
    '-chardev', `file,id=edgec_sh,path=${log}`, '-semihosting-config', 'enable=on,target=native,chardev=edgec_sh',
    '-icount', `shift=${ICOUNT_SHIFT},sleep=off`, '-kernel', elf,
  ], `${QEMU_RISCV32} run of ${elf}`, timeoutMs);
  return parseBenchOutput(readFileSync(log, 'utf8'), outputBytes, RV32_VIRT);
}
