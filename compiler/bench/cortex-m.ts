/**
 * Cortex-M benchmark harness: builds a generated model folder with
 * arm-none-eabi-gcc together with our own startup code, linker script and a
 * generated main (templates/harness/cortex-m/), runs one inference on QEMU's
 * MPS2 board under -icount and reads back the exact instruction count and the
 * outputs. Code size comes from arm-none-eabi-size and nm.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { templatesDir } from '../emit/paths.js';
import { EdgecError } from '../errors.js';

/** A QEMU machine with a Cortex-M core and the MPS2 FPGAIO counter. */
export interface CortexMTarget {
  machine: string;
  cpuFlags: string[];
  /** FPGAIO COUNTER frequency. */
  counterHz: number;
  /** FPGAIO register block (COUNTER at +0x18, 100 Hz counter at +0x14); default the MPS2's 0x40028000. */
  fpgaioBase?: number;
  /** Linker script in templates/harness/cortex-m/; default mps2.ld. */
  linkerScript?: string;
}

export const MPS2_AN386: CortexMTarget = {
  machine: 'mps2-an386',
  cpuFlags: ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'],
  counterHz: 25_000_000,
};

/** Cortex-M7 (MPS2 AN500; same memory map and FPGAIO counter as AN386, see templates/harness/cortex-m/mps2.ld). */
export const MPS2_AN500: CortexMTarget = {
  machine: 'mps2-an500',
  cpuFlags: ['-mcpu=cortex-m7', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv5-d16'],
  counterHz: 25_000_000,
};

/**
 * Cortex-M55 with Helium (MVE) and FPU (MPS3 AN547, QEMU >= 6.1 emulates
 * MVE): code in the 512 KB ITCM, data in the 512 KB DTCM
 * (mps3-an547.ld); FPGAIO at 0x49302000 with its COUNTER at 20 MHz (checked
 * against the AN386 count of the same Cortex-M4 code, test/bench/cores.test.ts).
 */
export const MPS3_AN547: CortexMTarget = {
  machine: 'mps3-an547',
  cpuFlags: ['-mcpu=cortex-m55', '-mthumb', '-mfloat-abi=hard'],
  counterHz: 20_000_000,
  fpgaioBase: 0x49302000,
  linkerScript: 'mps3-an547.ld',
};

/** -icount shift: every instruction advances virtual time by 2^ICOUNT_SHIFT ns. */
export const ICOUNT_SHIFT = 7;

export const ARM_CC = 'arm-none-eabi-gcc';
export const QEMU_ARM = 'qemu-system-arm';

/** Whether a tool answers `--version` (tests skip themselves without it). */
export function toolAvailable(tool: string): boolean {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const harnessDir = (): string => join(templatesDir(), 'harness', 'cortex-m');

function formatBytesC(data: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < data.length; i += 24) lines.push(`  ${Array.from(data.subarray(i, i + 24)).join(', ')},`);
  return lines.length ? lines.join('\n') : '  0';
}

/** The generated main: copies `inputs` (raw bytes per model input) and times one invoke with the target's FPGAIO counter. */
export function benchMainSource(name: string, inputs: Uint8Array[], target: CortexMTarget = MPS2_AN386): string {
  const t = Handlebars.compile(readFileSync(join(harnessDir(), 'bench_main.c.hbs'), 'utf8'), { noEscape: true, strict: true });
  const fpgaio = `0x${(target.fpgaioBase ?? 0x40028000).toString(16)}u`;
  return t({ name, NAME: name.toUpperCase(), fpgaio, inputs: inputs.map((d) => ({ length: Math.max(1, d.length), data: formatBytesC(d) })) });
}

export interface ArmBuildOptions {
  /** Optimisation flag, e.g. -O2 or -Os. */
  opt: string;
  target?: CortexMTarget;
  /** Extra C sources (e.g. a kernel library's) and include folders. */
  extraSources?: string[];
  includeDirs?: string[];
  defines?: string[];
}

function run(cmd: string, args: string[], what: string): string {
  try {
    return execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).toString();
  } catch (e) {
    const err = e as { stderr?: Buffer; code?: string };
    if (err.code === 'ENOENT') throw new EdgecError(`${cmd} not found`, 2, 'install gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm');
    throw new EdgecError(`${what} failed:\n${err.stderr?.toString() ?? String(e)}`, 1);
  }
}

/**
 * Compiles every .c of the model folder plus the harness into `work/model.elf`.
 * Each source is its own object with function/data sections so that
 * --gc-sections keeps only what one inference uses.
 */
export function buildArmElf(modelDir: string, name: string, inputs: Uint8Array[], work: string, opts: ArmBuildOptions): string {
  const target = opts.target ?? MPS2_AN386;
  const main = join(work, 'edgec_bench_main.c');
  writeFileSync(main, benchMainSource(name, inputs, target));
  const startup = join(work, 'edgec_bench_startup.c');
  copyFileSync(join(harnessDir(), 'startup.c'), startup);
  const sources = [...readdirSync(modelDir).filter((f) => f.endsWith('.c')).sort().map((f) => join(modelDir, f)), ...(opts.extraSources ?? []), main, startup];
  const elf = join(work, `${name}.elf`);
  const args = [
    ...target.cpuFlags, opts.opt, '-std=c99', '-Wall', '-Wextra', '-ffunction-sections', '-fdata-sections',
    '-I', modelDir, ...(opts.includeDirs ?? []).flatMap((d) => ['-I', d]), ...(opts.defines ?? []).map((d) => `-D${d}`),
    ...sources, '-nostartfiles', '--specs=nano.specs', '-T', join(harnessDir(), target.linkerScript ?? 'mps2.ld'), '-Wl,--gc-sections', '-o', elf, '-lc', '-lgcc',
  ];
  run(ARM_CC, args, `${ARM_CC} build of ${modelDir}`);
  return elf;
}

export interface QemuRun {
  /** Instructions executed by the invoke call. */
  instructions: number;
  /** Raw bytes of every output, in order. */
  outputs: Uint8Array[];
}

/**
 * Instructions from the FPGAIO counters: the 32-bit COUNTER wraps every
 * 2^32 ticks, the 100 Hz counter tells how many times it did.
 */
export function instructionsFromTicks(ticks: number, clk100: number, target: CortexMTarget = MPS2_AN386): number {
  const periodNs = 1e9 / target.counterHz;
  const wraps = Math.max(0, Math.round((clk100 * (target.counterHz / 100) - ticks) / 2 ** 32));
  return Math.round(((ticks + wraps * 2 ** 32) * periodNs) / 2 ** ICOUNT_SHIFT);
}

/** Parses the harness's semihosting output (see bench_main.c.hbs). */
export function parseBenchOutput(text: string, outputBytes: number[], target: CortexMTarget = MPS2_AN386): QemuRun {
  const head = /EDGEC_BENCH ticks=(\d+) clk100=(\d+) status=(\d+)/.exec(text);
  if (!head || !text.includes('EDGEC_DONE')) throw new EdgecError(`benchmark run did not finish: ${text.trim().slice(0, 300) || '(no output)'}`, 1);
  if (head[3] !== '0') throw new EdgecError(`invoke returned status ${head[3]} on the emulator`, 1);
  const outputs = outputBytes.map((n) => new Uint8Array(n));
  for (const m of text.matchAll(/^EDGEC_OUT (\d+) (\d+) ([0-9a-f]*)$/gm)) {
    const out = outputs[Number(m[1])];
    if (!out) continue;
    const hex = m[3] ?? '';
    for (let i = 0; i < hex.length / 2; i++) out[Number(m[2]) + i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  return { instructions: instructionsFromTicks(Number(head[1]), Number(head[2]), target), outputs };
}

/**
 * Semihosting output goes to a file chardev: written to a pipe, QEMU 7.2
 * loses it when the guest exits through SYS_EXIT.
 */
export function runQemu(elf: string, outputBytes: number[], target: CortexMTarget = MPS2_AN386, timeoutMs = 600_000): QemuRun {
  const log = `${elf}.semihosting.txt`;
  const args = [
    '-M', target.machine, '-display', 'none', '-monitor', 'none', '-serial', 'none',
    '-chardev', `file,id=edgec_sh,path=${log}`, '-semihosting-config', 'enable=on,target=native,chardev=edgec_sh',
    '-icount', `shift=${ICOUNT_SHIFT},sleep=off`, '-kernel', elf,
  ];
  let text: string;
  try {
    execFileSync(QEMU_ARM, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, maxBuffer: 64 << 20 });
    text = readFileSync(log, 'utf8');
  } catch (e) {
    const err = e as { stdout?: Buffer; stderr?: Buffer; code?: string };
    if (err.code === 'ENOENT') throw new EdgecError(`${QEMU_ARM} not found`, 2, 'install qemu-system-arm');
    throw new EdgecError(`${QEMU_ARM} failed: ${(err.stderr?.toString() ?? '').trim() || (err.stdout?.toString() ?? '').trim().slice(0, 300) || String(e)}`, 1);
  }
  return parseBenchOutput(text, outputBytes, target);
}

export interface ElfSizes {
  /** Berkeley text (code + constants, including weights) + initialised data: what goes to flash. */
  flash: number;
  text: number;
  data: number;
  bss: number;
  /** Sum of the named weight symbols. */
  weights: number;
  /** Sum of the harness's own symbols (edgec_bench_*, main). */
  harness: number;
  /** text + data - weights - harness: the model's code, runtime kernels and libc/libgcc helpers they pull in. */
  code: number;
}

/**
 * Symbol sizes from `nm -S`; weights are matched by name, the harness by its
 * prefix. `toolPrefix` selects the binutils (riscv64-unknown-elf- for RV32,
 * whose linker script keeps .rodata a section of its own).
 */
export function elfSizes(elf: string, weightSymbols: ReadonlySet<string>, toolPrefix = 'arm-none-eabi-'): ElfSizes {
  const size = run(`${toolPrefix}size`, ['-A', elf], `${toolPrefix}size`);
  const sections = new Map<string, number>();
  for (const m of size.matchAll(/^(\.\S+)\s+(\d+)\s+\d+$/gm)) sections.set(m[1]!, Number(m[2]));
  const text = (sections.get('.text') ?? 0) + (sections.get('.ARM.exidx') ?? 0) + (sections.get('.rodata') ?? 0);
  const data = sections.get('.data') ?? 0;
  const bss = sections.get('.bss') ?? 0;
  let weights = 0;
  let harness = 0;
  const nm = run(`${toolPrefix}nm`, ['-S', elf], `${toolPrefix}nm`);
  for (const m of nm.matchAll(/^[0-9a-f]+ ([0-9a-f]+) (\w) (\S+)$/gm)) {
    const bytes = parseInt(m[1]!, 16);
    const sym = m[3]!;
    if (weightSymbols.has(sym)) weights += bytes;
    else if (/^[TtRrDd]$/.test(m[2]!) && (sym.startsWith('edgec_bench_') || sym === 'main')) harness += bytes;
  }
  return { flash: text + data, text, data, bss, weights, harness, code: text + data - weights - harness };
}
