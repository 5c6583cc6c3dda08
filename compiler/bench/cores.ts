/**
 * The emulated cores `npm run bench -- --cores m4,m7,m55,rv32` measures: per
 * core the QEMU machine, the board the model is compiled for (its flags,
 * kernel-library code path and cost table for `--backend auto`), how to
 * build and run one inference, and how to link the kernel libraries from
 * the user's checkouts (CMSIS_NN_PATH, ESP_NN_PATH). A library is compiled
 * once per checkout, core and code path into a cached archive
 * (verify/libraries.ts); nothing of it is committed.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { libraryArchive, walk, type KernelLibrary } from '../verify/libraries.js';
import { templatesDir } from '../emit/paths.js';
import {
  ARM_CC, buildArmElf, elfSizes, MPS2_AN386, MPS2_AN500, MPS3_AN547, QEMU_ARM, runQemu,
  type ArmBuildOptions, type CortexMTarget, type ElfSizes, type QemuRun,
} from './cortex-m.js';
import { buildRiscvElf, QEMU_RISCV32, RISCV_CC, runQemuRiscv, RV32_VIRT } from './riscv.js';

export type CoreId = 'm4' | 'm7' | 'm55' | 'rv32';
export const CORE_IDS: CoreId[] = ['m4', 'm7', 'm55', 'rv32'];

/** Library sources, includes and defines one build links (a cached archive). */
export type LinkExtra = Pick<ArmBuildOptions, 'extraSources' | 'includeDirs' | 'defines'>;

/** A library variant a core is benchmarked with. */
export interface LibraryVariant {
  /** Row label: cmsis-nn, esp-nn (ANSI C), ... */
  label: string;
  library: 'cmsis-nn' | 'esp-nn';
  /** compileModel's backendTarget: the library's code path (ESP-NN 'ansi'); undefined = the board's. */
  backendTarget?: string;
}

export interface BenchCore {
  id: CoreId;
  /** e.g. "Cortex-M4 (mps2-an386)". */
  label: string;
  /** Board the model is compiled for (flags, library code path, auto's cost table). */
  board: string;
  /** Tools the core needs (the suite skips the core without them). */
  tools: string[];
  /** The board's library and the environment variable naming its checkout. */
  library: 'cmsis-nn' | 'esp-nn';
  libraryEnv: 'CMSIS_NN_PATH' | 'ESP_NN_PATH';
  /** Library rows besides portable and auto. */
  libraryVariants: LibraryVariant[];
  /** The library archive for a code path (undefined backendTarget = the board's). */
  link(root: string, cacheDir: string, backendTarget?: string): LinkExtra;
  build(modelDir: string, name: string, inputs: Uint8Array[], dir: string, opt: string, extra?: LinkExtra): string;
  run(elf: string, outputBytes: number[]): QemuRun;
  sizes(elf: string, weightSymbols: ReadonlySet<string>): ElfSizes;
}

/** CMSIS-NN for the core: its DSP or MVE code path follows -mcpu (the board's cmsisNnVariant). */
export function cmsisNnLink(root: string, target: CortexMTarget, cacheDir: string): LinkExtra {
  const lib: KernelLibrary = {
    id: 'cmsis-nn', root, includes: [join(root, 'Include')], defines: [],
    sources: walk(join(root, 'Source'), (n) => n.endsWith('.c') && !/_f(16|32)\.c$/.test(n) && n !== 'arm_nntables_flt.c'),
    libraryFlags: [...target.cpuFlags, '-std=c99', '-O2', '-w', '-ffunction-sections', '-fdata-sections'],
  };
  return { extraSources: [libraryArchive(lib, { cc: ARM_CC, ar: 'arm-none-eabi-ar', cacheDir })], includeDirs: lib.includes, defines: [] };
}

/**
 * ESP-NN for RV32IMC: `optimized` is the generic optimised C the ESP32-C3
 * build uses (CONFIG_NN_OPTIMIZED without an S3/P4 target), otherwise the
 * ANSI C reference kernels. The generated code needs the same define (the
 * header maps esp_nn_* names with it). No S3/P4 assembly, no float logistic
 * (no libm in the harness).
 */
export function espNnLink(root: string, cacheDir: string, optimized: boolean): LinkExtra {
  const defines = optimized ? ['CONFIG_NN_OPTIMIZED'] : [];
  const includes = [join(root, 'include'), join(root, 'src', 'common')];
  const lib: KernelLibrary = {
    id: 'esp-nn', root, includes, defines: defines.map((d) => `-D${d}`),
    sources: walk(join(root, 'src'), (n) => n.endsWith('.c') && !/esp32s3|esp32p4|logistic/.test(n)),
    libraryFlags: [...RV32_VIRT.cpuFlags, '-std=gnu99', '-O2', '-w', '-ffreestanding', '-ffunction-sections', '-fdata-sections',
      '-isystem', join(templatesDir(), 'harness', 'riscv', 'include'), ...defines.map((d) => `-D${d}`)],
  };
  return { extraSources: [libraryArchive(lib, { cc: RISCV_CC, ar: 'riscv64-unknown-elf-ar', cacheDir })], includeDirs: includes, defines };
}

export function armCore(id: CoreId, label: string, board: string, target: CortexMTarget): BenchCore {
  return {
    id, label, board, tools: [ARM_CC, QEMU_ARM], library: 'cmsis-nn', libraryEnv: 'CMSIS_NN_PATH',
    libraryVariants: [{ label: 'cmsis-nn', library: 'cmsis-nn' }],
    link: (root, cacheDir) => cmsisNnLink(root, target, cacheDir),
    build: (modelDir, name, inputs, dir, opt, extra) => buildArmElf(modelDir, name, inputs, dir, { opt, target, ...extra }),
    run: (elf, outputBytes) => runQemu(elf, outputBytes, target),
    sizes: (elf, weightSymbols) => elfSizes(elf, weightSymbols),
  };
}

export const BENCH_CORES: Record<CoreId, BenchCore> = {
  m4: armCore('m4', 'Cortex-M4 (mps2-an386)', 'nucleo-f446re', MPS2_AN386),
  m7: armCore('m7', 'Cortex-M7 (mps2-an500)', 'nucleo-h743zi', MPS2_AN500),
  m55: armCore('m55', 'Cortex-M55 + MVE (mps3-an547)', 'corstone-300', MPS3_AN547),
  rv32: {
    id: 'rv32', label: 'RV32IMC (riscv32 virt)', board: 'esp32c3', tools: [RISCV_CC, QEMU_RISCV32], library: 'esp-nn', libraryEnv: 'ESP_NN_PATH',
    libraryVariants: [
      { label: 'esp-nn (ANSI C)', library: 'esp-nn', backendTarget: 'ansi' },
      { label: 'esp-nn (opt. C)', library: 'esp-nn' },
    ],
    link: (root, cacheDir, backendTarget) => espNnLink(root, cacheDir, backendTarget !== 'ansi'),
    build: (modelDir, name, inputs, dir, opt, extra) => buildRiscvElf(modelDir, name, inputs, dir, { opt, ...extra }),
    run: (elf, outputBytes) => runQemuRiscv(elf, outputBytes),
    sizes: (elf, weightSymbols) => elfSizes(elf, weightSymbols, 'riscv64-unknown-elf-'),
  },
};

/** Where library builds for the benchmarks are cached (one per library, core and code path). */
export const LIBRARY_CACHE = join(tmpdir(), 'edgec-bench-libraries');

/** The emulated core that stands for a board's CPU (`edgec bench --board`), or undefined when none does. */
export function coreForCpu(cpu: string): BenchCore | undefined {
  const byCpu: Record<string, CoreId> = { 'cortex-m4': 'm4', 'cortex-m7': 'm7', 'cortex-m55': 'm55', rv32imc: 'rv32' };
  const id = byCpu[cpu];
  return id === undefined ? undefined : BENCH_CORES[id];
}

/** Parses `--cores m4,m7,m55,rv32` (or `all`); one line naming the unknown core otherwise. */
export function parseCores(arg: string): CoreId[] | string {
  if (arg === 'all') return [...CORE_IDS];
  const ids = arg.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = ids.find((s) => !(CORE_IDS as string[]).includes(s));
  if (bad !== undefined || ids.length === 0) return `--cores: unknown core '${bad ?? arg}' (known: ${CORE_IDS.join(', ')}, all)`;
  return ids as CoreId[];
}
