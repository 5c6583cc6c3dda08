/**
 * `edgec bench <model.onnx> --board <id>`: one inference of the model on an
 * emulated Cortex-M4 (QEMU mps2-an386, exact instruction counts), plus the
 * arena, lower bounds, code and weights sizes. The harness (startup code,
 * linker script, main) is templates/harness/cortex-m/.
 */
import { Option, type Command } from 'commander';
import { boardById } from '../boards.js';
import { EdgecError } from '../errors.js';
import { benchModel, type BenchResult } from '../bench/bench.js';
import { cmsisNnSources, formatSuiteTable } from '../bench/suite.js';
import { memoryOption, parsePatchOption, parseShapeOption, patchOption, STATE_HELP, STATEFUL_HELP, statefulOption } from './options.js';
import { memoryModeOptions, type MemoryMode } from '../plan/program.js';

interface BenchFlags { board: string; backend?: string; opt: string[]; shape: string[]; json?: boolean; memory?: MemoryMode; stateful?: boolean; state?: string; int8Io?: boolean; inputLayout?: 'declared' | 'nhwc'; patch?: string }

/** Boards whose CPU the emulated mps2-an386 (Cortex-M4F) stands for. */
const BENCH_CPUS = ['cortex-m4'];

export function runBench(model: string, flags: BenchFlags, log: (s: string) => void): void {
  const board = boardById(flags.board);
  if (!BENCH_CPUS.includes(board.cpu)) {
    throw new EdgecError(`edgec bench emulates a Cortex-M4 (QEMU mps2-an386); board '${board.id}' has a ${board.cpu}`, 2, 'use --board nucleo-f446re or nano33ble');
  }
  const backend = flags.backend ?? 'portable';
  const cmsis = process.env.CMSIS_NN_PATH;
  if (backend === 'cmsis-nn' && !cmsis) throw new EdgecError('--backend cmsis-nn needs CMSIS_NN_PATH (a CMSIS-NN checkout) to build the library', 2);
  const opts = flags.opt.length ? flags.opt : ['-O2'];
  const bad = opts.find((o) => !/^-O[0-3sz]$|^-Ofast$/.test(o));
  if (bad) throw new EdgecError(`--opt ${bad} is not an optimisation level (-O0..-O3, -Os, -Oz)`, 2);
  const r: BenchResult = benchModel(model, {
    board: board.id, backend, opts, shapes: parseShapeOption(flags.shape), checkHost: false, plan: memoryModeOptions(flags.memory), stateful: statefulOption(flags),
    int8Io: flags.int8Io, inputLayout: flags.inputLayout, patch: parsePatchOption(flags.patch),
    extra: backend !== 'portable' && cmsis ? cmsisNnSources(cmsis) : undefined,
  });
  if (flags.json) { log(JSON.stringify(r, null, 2)); return; }
  log(formatSuiteTable([{ ...r, memory: { arenaNoInPlaceDw: r.arenaBytes } }]));
  log(`execution order: ${r.orderMethod}; in-place depthwise layers: ${r.inPlaceDepthwise}; file-order arena ${r.fileOrderArenaBytes}`);
}

export function addBenchCommand(program: Command, log: (s: string) => void, collect: (v: string, p: string[]) => string[]): void {
  program.command('bench').description('time one inference on an emulated Cortex-M4 (QEMU) and report memory and flash').argument('<model.onnx>')
    .option('-b, --board <id>', 'Cortex-M4 board (nucleo-f446re, nano33ble)', 'nucleo-f446re')
    .option('--backend <id>', 'kernel backend: portable (default), auto or cmsis-nn (CMSIS-NN layers need CMSIS_NN_PATH)')
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
