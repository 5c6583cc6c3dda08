/**
 * `npm run measure:code-size`: code bytes (text + data of the object file) of
 * every runtime-c kernel, compiled per core with the cross compiler at -Os
 * and -O2, written to compiler/data/code-size.json. The fit check and the
 * report read that file (compiler/emit/code-size.ts); the test suite checks
 * it covers every kernel and that one kernel still measures the same.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { packageRoot, runtimeDir } from '../emit/paths.js';
import { CODE_SIZE_FILE, CODE_SIZE_OPTS, type CodeSizeData, type CoreCodeSizes, type LibraryCodeSizes } from '../emit/code-size.js';
import { toolAvailable } from './cortex-m.js';
import { cmsisNnSources } from './suite.js';

/** One core as measured: compiler, its size tool and the CPU flags (the boards' own, without -O). */
export interface CoreToolchain {
  core: string;
  cc: string;
  size: string;
  flags: string[];
}

const ARM_SIZE = 'arm-none-eabi-size';
const RISCV_CC = 'riscv64-unknown-elf-gcc';

/** Debian's riscv64-unknown-elf-gcc has no C library: GCC's freestanding headers plus the string.h stand-in the board tests use. */
const freestanding = (): string[] => ['-ffreestanding', '-I', join(packageRoot(), 'test', 'backends', 'freestanding')];

export function coreToolchains(): CoreToolchain[] {
  const arm = (core: string, ...flags: string[]): CoreToolchain => ({ core, cc: 'arm-none-eabi-gcc', size: ARM_SIZE, flags: [`-mcpu=${core}`, '-mthumb', ...flags] });
  return [
    arm('cortex-m0plus'),
    arm('cortex-m4', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'),
    arm('cortex-m7', '-mfloat-abi=hard', '-mfpu=fpv5-d16'),
    arm('cortex-m33', '-mfloat-abi=hard', '-mfpu=fpv5-sp-d16'),
    arm('cortex-m55', '-mfloat-abi=hard'),
    { core: 'rv32imc', cc: RISCV_CC, size: 'riscv64-unknown-elf-size', flags: ['-march=rv32imc_zicsr', '-mabi=ilp32', ...freestanding()] },
  ];
}

/** Cores no compiler on this machine builds for, and why (kept in the data so the report can say so). */
const XTENSA_CORES: Record<string, string> = {
  'xtensa-lx6': 'xtensa-esp32-elf-gcc',
  'xtensa-lx7': 'xtensa-esp32s3-elf-gcc',
};

/** The compiler's version as it prints it ("12.2.1"). */
export function compilerVersion(cc: string): string {
  const out = execFileSync(cc, ['-dumpfullversion'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  return out || 'unknown';
}

/** Kernel sources: every .c of runtime-c. */
export function kernelSources(): string[] {
  return readdirSync(runtimeDir()).filter((f) => f.endsWith('.c')).sort();
}

/** text + data of one kernel compiled alone (what it adds to flash; bss is RAM). */
export function measureKernel(tc: CoreToolchain, opt: string, source: string, work: string): number {
  const obj = join(work, `${tc.core}-${opt.slice(1)}-${basename(source, '.c')}.o`);
  execFileSync(tc.cc, ['-std=c99', ...tc.flags, opt, '-ffunction-sections', '-fdata-sections', '-I', runtimeDir(), '-c', join(runtimeDir(), source), '-o', obj], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = execFileSync(tc.size, [obj]).toString().trim().split('\n');
  const [text, data] = (lines[1] ?? '').trim().split(/\s+/).map(Number);
  if (!Number.isFinite(text) || !Number.isFinite(data)) throw new Error(`cannot read ${tc.size} output for ${source}`);
  return text! + data!;
}

function measureCore(tc: CoreToolchain, sources: string[], work: string): CoreCodeSizes {
  const opts: CoreCodeSizes['opts'] = {};
  for (const opt of CODE_SIZE_OPTS) opts[opt] = Object.fromEntries(sources.map((s) => [s, measureKernel(tc, opt, s, work)]));
  return { compiler: `${tc.cc} ${compilerVersion(tc.cc)}`, flags: tc.flags.filter((f) => !f.startsWith('-I') && !f.includes('/')), opts };
}

/** CMSIS-NN functions the generated code calls: every arm_* identifier of the call templates. */
export function cmsisNnEntries(): string[] {
  const dir = join(packageRoot(), 'templates', 'cmsis-nn');
  const names = new Set<string>();
  for (const f of readdirSync(dir)) for (const m of readFileSync(join(dir, f), 'utf8').matchAll(/\b(arm_[a-z0-9_]+)\(/g)) names.add(m[1]!);
  return [...names].sort();
}

/** Code symbols (functions, constants) and their sizes in a linked image, from nm -S. */
function imageSymbols(nm: string, elf: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of execFileSync(nm, ['-S', elf]).toString().matchAll(/^[0-9a-f]+ ([0-9a-f]+) ([TtRrDd]) (\S+)$/gm)) out[m[3]!] = parseInt(m[1]!, 16);
  return out;
}

/**
 * A kernel library (a CMSIS-NN checkout at CMSIS_NN_PATH, outside the repo)
 * compiled for one core into an archive; each entry function linked alone
 * with --gc-sections gives the closure of code it pulls in (its helpers,
 * tables, libgcc). Symbols shared by several entries are stored once, so a
 * model's library code is the size of the union of its entries' closures.
 */
function measureLibrary(tc: CoreToolchain, opt: string, libraryPath: string, entries: string[], work: string): { symbols: Record<string, number>; entries: Record<string, string[]> } {
  const { extraSources, includeDirs } = cmsisNnSources(libraryPath);
  const dir = join(work, `lib-${tc.core}-${opt.slice(1)}`);
  mkdirSync(dir);
  const objects = extraSources.map((src, i) => {
    const obj = join(dir, `${i}-${basename(src, '.c')}.o`);
    execFileSync(tc.cc, ['-std=c99', ...tc.flags, opt, '-ffunction-sections', '-fdata-sections', ...includeDirs.flatMap((d) => ['-I', d]), '-c', src, '-o', obj], { stdio: ['ignore', 'pipe', 'pipe'] });
    return obj;
  });
  const archive = join(dir, 'lib.a');
  execFileSync('arm-none-eabi-ar', ['rcs', archive, ...objects]);
  const symbols: Record<string, number> = {};
  const closures: Record<string, string[]> = {};
  for (const entry of entries) {
    const elf = join(dir, `${entry}.elf`);
    execFileSync(tc.cc, [...tc.flags, opt, '-nostartfiles', '--specs=nano.specs', '--specs=nosys.specs', `-Wl,-u,${entry}`, `-Wl,-e,${entry}`, '-Wl,--gc-sections', archive, '-o', elf, '-lc', '-lgcc'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const found = imageSymbols('arm-none-eabi-nm', elf);
    if (!(entry in found)) throw new Error(`${entry} is not in ${libraryPath}`);
    closures[entry] = Object.keys(found).sort();
    Object.assign(symbols, found);
  }
  return { symbols, entries: closures };
}

/** CMSIS-NN function sizes per Arm core and -O level (exported so the library part can be re-measured alone). */
export function measureCmsisNn(libraryPath: string, work: string): LibraryCodeSizes {
  // a development checkout's pdsc says 0.0.0: CMSIS_NN_REF (e.g. the commit) names it better
  const version = process.env.CMSIS_NN_REF ?? /<release version="([^"]+)"/.exec(readFileSync(join(libraryPath, 'ARM.CMSIS-NN.pdsc'), 'utf8'))?.[1] ?? 'unknown version';
  const entries = cmsisNnEntries();
  const cores: LibraryCodeSizes['cores'] = {};
  for (const tc of coreToolchains().filter((t) => t.cc === 'arm-none-eabi-gcc')) {
    cores[tc.core] = {};
    for (const opt of CODE_SIZE_OPTS) cores[tc.core]![opt] = measureLibrary(tc, opt, libraryPath, entries, work);
  }
  return { source: `CMSIS-NN ${version} (checkout given in CMSIS_NN_PATH, not part of edgec)`, cores };
}

export function measureAll(): CodeSizeData {
  const work = mkdtempSync(join(tmpdir(), 'edgec-code-size-'));
  try {
    const sources = kernelSources();
    const cores: CodeSizeData['cores'] = {};
    const unavailable: Record<string, string> = {};
    for (const tc of coreToolchains()) {
      if (!toolAvailable(tc.cc)) { unavailable[tc.core] = `${tc.cc} not installed where the data was measured`; continue; }
      cores[tc.core] = measureCore(tc, sources, work);
    }
    for (const [core, cc] of Object.entries(XTENSA_CORES)) unavailable[core] = toolAvailable(cc) ? `${cc} present but not measured (no flags set up)` : `no ${cc} on the machine that measured; Xtensa sizes are not known`;
    const libraries: CodeSizeData['libraries'] = {};
    const cmsis = process.env.CMSIS_NN_PATH;
    // without a checkout the library figures measured before are kept (they do not depend on edgec's kernels)
    const previous = existsSync(CODE_SIZE_FILE()) ? (JSON.parse(readFileSync(CODE_SIZE_FILE(), 'utf8')) as CodeSizeData).libraries?.['cmsis-nn'] : undefined;
    if (cmsis) libraries['cmsis-nn'] = measureCmsisNn(cmsis, work);
    else if (previous) libraries['cmsis-nn'] = previous;
    else unavailable['cmsis-nn'] = 'CMSIS_NN_PATH was not set when the data was measured';
    return { libraries, generatedBy: 'npm run measure:code-size (compiler/bench/measure-code-size.ts)', measure: 'text + data of each runtime-c/*.c compiled alone (-c -std=c99 -ffunction-sections -fdata-sections), bytes', cores, unavailable };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// run as a script: node dist/compiler/bench/measure-code-size.js
if (process.argv[1] && basename(process.argv[1]) === 'measure-code-size.js') {
  const data = measureAll();
  writeFileSync(CODE_SIZE_FILE(), `${JSON.stringify(data, null, 2)}\n`);
  console.log(`wrote ${CODE_SIZE_FILE()}: ${Object.keys(data.cores).join(', ')}; not measured: ${Object.keys(data.unavailable).join(', ')}`);
}
