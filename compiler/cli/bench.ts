/**
 * `edgec bench <model.onnx> --board <id>`: one inference of the model on the
 * emulated core that stands for the board's CPU (QEMU, exact instruction
 * counts: Cortex-M4 mps2-an386, Cortex-M7 mps2-an500, Cortex-M55 mps3-an547,
 * RV32IMC riscv32 virt), plus the arena, lower bounds, code and weights
 * sizes. The harnesses (startup code, linker script, main) are
 * templates/harness/cortex-m/ and templates/harness/riscv/.
 */
import { Option, type Command } from 'commander';
import { boardById } from '../boards.js';
import { EdgecError } from '../errors.js';
import { benchModel, type BenchResult } from '../bench/bench.js';
import { cmsisNnSources, formatSuiteTable } from '../bench/suite.js';
import { BENCH_CORES, CORE_IDS, coreForCpu, LIBRARY_CACHE } from '../bench/cores.js';
import { memoryOption, parsePatchOption, parseShapeOption, patchOption, STATE_HELP, STATEFUL_HELP, statefulOption } from './options.js';
import { memoryModeOptions, type MemoryMode } from '../plan/program.js';

interface BenchFlags { board: string; backend?: string; opt: string[]; shape: string[]; json?: boolean; memory?: MemoryMode; stateful?: boolean; state?: string; int8Io?: boolean; inputLayout?: 'declared' | 'nhwc'; patch?: string }

export function runBench(model: string, flags: BenchFlags, log: (s: string) => void): void {
  const board = boardById(flags.board);
  const core = coreForCpu(board.cpu);
  if (!core) {
    const boards = CORE_IDS.map((id) => BENCH_CORES[id].board).join(', ');
    throw new EdgecError(`edgec bench emulates Cortex-M4, Cortex-M7, Cortex-M55 and RV32IMC cores; board '${board.id}' has a ${board.cpu}`, 2, `use a board with one of those CPUs, e.g. ${boards}`);
  }
  const backend = flags.backend ?? 'portable';
  const libraryRoot = process.env[core.libraryEnv];
  if (backend === core.library && !libraryRoot) throw new EdgecError(`--backend ${backend} needs ${core.libraryEnv} (a ${core.library} checkout) to build the library`, 2);
  const opts = flags.opt.length ? flags.opt : ['-O2'];
  const bad = opts.find((o) => !/^-O[0-3sz]$|^-Ofast$/.test(o));
  if (bad) throw new EdgecError(`--opt ${bad} is not an optimisation level (-O0..-O3, -Os, -Oz)`, 2);
  const r: BenchResult = benchModel(model, {
    board: board.id, core, backend, opts, shapes: parseShapeOption(flags.shape), checkHost: false, plan: memoryModeOptions(flags.memory), stateful: statefulOption(flags),
    int8Io: flags.int8Io, inputLayout: flags.inputLayout, patch: parsePatchOption(flags.patch),
    // the M4 links CMSIS-NN's sources as before; other cores the library built (and cached) for their code path
    extra: backend === 'portable' || !libraryRoot ? undefined : core.id === 'm4' ? cmsisNnSources(libraryRoot) : core.link(libraryRoot, LIBRARY_CACHE),
  });
  if (flags.json) { log(JSON.stringify(r, null, 2)); return; }
  log(formatSuiteTable([{ ...r, memory: { arenaNoInPlaceDw: r.arenaBytes } }]));
  log(`execution order: ${r.orderMethod}; in-place depthwise layers: ${r.inPlaceDepthwise}; file-order arena ${r.fileOrderArenaBytes}`);
}

export function addBenchCommand(program: Command, log: (s: string) => void, collect: (v: string, p: string[]) => string[]): void {
  program.command('bench').description('time one inference on the emulated core of the board\'s CPU (QEMU: Cortex-M4/M7/M55, RV32IMC) and report memory and flash').argument('<model.onnx>')
    .option('-b, --board <id>', 'board with a Cortex-M4 (nucleo-f446re, nano33ble), Cortex-M7 (nucleo-h743zi), Cortex-M55 (corstone-300) or RV32IMC (esp32c3)', 'nucleo-f446re')
    .option('--backend <id>', 'kernel backend: portable (default), auto, cmsis-nn or esp-nn (library layers need CMSIS_NN_PATH / ESP_NN_PATH)')
    .option('--opt <level>', 'C optimisation level, repeatable (default -O2)', collect, [])
    .option('--shape <name=dims>', 'static shape for an input with dynamic dims (repeatable)', collect, [])
    .addOption(memoryOption())
    .option('--stateful', STATEFUL_HELP)
    .option('--state <pairs>', STATE_HELP)
    .addOption(patchOption())
    .option('--int8-io', 'int8 model inputs and outputs, as edgec build --int8-io')
    .addOption(new Option('--input-layout <layout>', 'as edgec build: nhwc exposes channels-first inputs channels-last').choices(['declared', 'nhwc']))
    .option('--json', 'machine-readable output')
    .action((model: string, flags: BenchFlags) => runBench(model, flags, log));
}
