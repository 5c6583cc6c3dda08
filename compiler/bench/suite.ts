/**
 * `npm run bench`: every example model (examples/<name>/<name>_int8.onnx and
 * the tf2onnx int8-I/O model) on the emulated Cortex-M4, portable kernels at
 * -O2 and -Os, auto (the boards' default) at -O2, and the CMSIS-NN backend
 * when CMSIS_NN_PATH is set. Prints a
 * table and writes out/bench/bench.json.
 *
 * With --cores (m4,m7,m55,rv32 or all; suite-cores.ts) instead: every model
 * on each named core (Cortex-M4/M7/M55 and RV32IMC on QEMU) with portable,
 * auto and the core's kernel library variants at -O2, one table, written to
 * out/bench/bench-cores.json.
 *
 *   node dist/compiler/bench/suite.js [--models kws_dscnn,vww_mobilenet] [--cores m4,m7,m55,rv32] [--out file.json]
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { benchModel, type BenchResult } from './bench.js';
import { compileModel } from '../pipeline.js';
import { packageRoot } from '../emit/paths.js';
import { ARM_CC, QEMU_ARM, toolAvailable } from './cortex-m.js';
import { EdgecError } from '../errors.js';
import { parseCores } from './cores.js';
import { coresHeading, formatCoresTable, runCoresSuite } from './suite-cores.js';

export const BENCH_BOARD = 'nucleo-f446re';

/** The example models, MLPerf Tiny four first. */
export function exampleModels(root: string): string[] {
  const ex = join(root, 'examples');
  const order = ['kws_dscnn', 'vww_mobilenet', 'ic_resnet8', 'ad_autoencoder'];
  const dirs = readdirSync(ex).filter((d) => statSync(join(ex, d)).isDirectory())
    .sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99) || a.localeCompare(b));
  const models: string[] = [];
  for (const d of dirs) {
    for (const f of [`${d}_int8.onnx`, `${d}.onnx`]) {
      if (existsSync(join(ex, d, f)) && (f.endsWith('_int8.onnx') || d.endsWith('_int8'))) { models.push(join(ex, d, f)); break; }
    }
  }
  return models;
}

/** CMSIS-NN's C sources (pure C / DSP paths chosen by the compiler flags), for the cmsis-nn backend. */
export function cmsisNnSources(path: string): { extraSources: string[]; includeDirs: string[] } {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.c') && !/_f(16|32)\.c$/.test(f) && f !== 'arm_nntables_flt.c') files.push(p);
    }
  };
  walk(join(path, 'Source'));
  return { extraSources: files.sort(), includeDirs: [join(path, 'Include')] };
}

/** Arena figures that need no emulator: the planner with in-place depthwise off, and with int8 model edges. */
export interface MemoryVariants {
  arenaNoInPlaceDw: number;
  int8Io?: { arenaBytes: number; lowerBound: number; fileOrderLowerBound: number; arenaNoInPlaceDw: number };
}

export function memoryVariants(model: string): MemoryVariants {
  const arena = (o: Parameters<typeof compileModel>[1]): { arenaBytes: number; lowerBound: number; fileOrderLowerBound: number } => {
    const c = compileModel(model, { board: BENCH_BOARD, backend: 'portable', ...o });
    return { arenaBytes: c.plan.arenaBytes, lowerBound: c.plan.lowerBound, fileOrderLowerBound: c.plan.fileOrder?.lowerBound ?? c.plan.lowerBound };
  };
  const noDw = arena({ plan: { inPlaceDepthwise: false } }).arenaBytes;
  let int8Io: MemoryVariants['int8Io'];
  try {
    const a = arena({ int8Io: true });
    int8Io = { ...a, arenaNoInPlaceDw: arena({ int8Io: true, plan: { inPlaceDepthwise: false } }).arenaBytes };
  } catch (e) {
    if (!(e instanceof EdgecError)) throw e;
    int8Io = undefined; // e.g. the model already has int8 edges
  }
  return { arenaNoInPlaceDw: noDw, int8Io };
}

export interface SuiteRow extends BenchResult {
  memory: MemoryVariants;
}

const k = (n: number): string => (n >= 10_000 ? `${(n / 1024).toFixed(1)}K` : String(n));

export function formatSuiteTable(rows: SuiteRow[]): string {
  const head = ['model', 'backend', 'opt', 'MACs', 'instructions', 'MAC/instr', 'arena', 'LB chosen', 'LB file', 'arena/LB file', 'code', 'weights', 'flash', 'build ms', 'host=emu'];
  const lines = [head];
  for (const r of rows) {
    const name = r.model.split('/').pop()!.replace(/\.onnx$/, '');
    for (const b of r.builds) {
      lines.push([name, r.backend, b.opt, k(r.macs), b.instructions.toLocaleString('en-US'), b.macsPerInstruction.toFixed(3), String(r.arenaBytes),
        String(r.lowerBound), String(r.fileOrderLowerBound), (r.arenaBytes / Math.max(1, r.fileOrderLowerBound)).toFixed(3),
        String(b.codeBytes), String(b.weightsBytes), String(b.flashBytes), r.buildMs.toFixed(0), b.matchesHost === undefined ? '-' : b.matchesHost ? 'yes' : 'NO']);
    }
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

export function formatMemoryTable(rows: SuiteRow[]): string {
  const out = ['model                 arena (LB file)   no in-place dw   | int8 I/O: arena  LB chosen  LB file  no in-place dw'];
  for (const r of rows.filter((x) => x.backend === 'portable')) {
    const name = r.model.split('/').pop()!.replace(/\.onnx$/, '');
    const i = r.memory.int8Io;
    out.push(`${name.padEnd(21)} ${`${r.arenaBytes} (${r.fileOrderLowerBound})`.padStart(15)}   ${String(r.memory.arenaNoInPlaceDw).padStart(14)}   | ${i ? `${String(i.arenaBytes).padStart(15)}  ${String(i.lowerBound).padStart(9)}  ${String(i.fileOrderLowerBound).padStart(7)}  ${String(i.arenaNoInPlaceDw).padStart(14)}` : '(int8 edges already)'}`);
  }
  return out.join('\n');
}

export function runSuite(args: string[], log: (s: string) => void): number {
  const root = packageRoot();
  const pick = args.includes('--models') ? args[args.indexOf('--models') + 1]!.split(',') : undefined;
  const cores = args.includes('--cores') ? parseCores(args[args.indexOf('--cores') + 1] ?? '') : undefined;
  if (typeof cores === 'string') { log(`bench: ${cores}`); return 2; }
  const outFile = resolve(args.includes('--out') ? args[args.indexOf('--out') + 1]! : join(root, 'out', 'bench', cores ? 'bench-cores.json' : 'bench.json'));
  if (cores) return runCoresTable(exampleModels(root).filter((m) => !pick || pick.some((p) => m.includes(`/${p}/`))), cores, outFile, log);
  for (const tool of [ARM_CC, QEMU_ARM]) {
    if (!toolAvailable(tool)) { log(`bench: ${tool} not found (install gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm)`); return 2; }
  }
  const models = exampleModels(root).filter((m) => !pick || pick.some((p) => m.includes(`/${p}/`)));
  const cmsis = process.env.CMSIS_NN_PATH;
  const rows: SuiteRow[] = [];
  const notes: string[] = [];
  for (const model of models) {
    const memory = memoryVariants(model);
    rows.push({ ...benchModel(model, { board: BENCH_BOARD, backend: 'portable', checkHost: true }), memory });
    try {
      // auto: per layer the cheaper of portable and CMSIS-NN by the measured cost table (the board's default)
      rows.push({ ...benchModel(model, { board: BENCH_BOARD, backend: 'auto', opts: ['-O2'], extra: cmsis ? cmsisNnSources(cmsis) : undefined }), memory });
    } catch (e) {
      if (!(e instanceof EdgecError)) throw e;
      notes.push(`${model}: auto skipped: ${e.message.split('\n')[0]}`);
    }
    if (cmsis) {
      try {
        rows.push({ ...benchModel(model, { board: BENCH_BOARD, backend: 'cmsis-nn', opts: ['-O2'], extra: { ...cmsisNnSources(cmsis) } }), memory });
      } catch (e) {
        if (!(e instanceof EdgecError)) throw e;
        notes.push(`${model}: cmsis-nn skipped: ${e.message.split('\n')[0]}`);
      }
    }
    log(`done ${model}`);
  }
  if (!cmsis) notes.push('CMSIS-NN variant skipped: set CMSIS_NN_PATH to a CMSIS-NN checkout to add it');
  log('');
  log(`Cortex-M4 on ${QEMU_ARM} -M mps2-an386 -icount shift=7 (instructions, not cycles); board ${BENCH_BOARD}; bytes unless noted`);
  log(formatSuiteTable(rows));
  log('');
  log('arena with/without in-place depthwise, and with --int8-io model edges:');
  log(formatMemoryTable(rows));
  for (const n of notes) log(`note: ${n}`);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify({ target: 'mps2-an386 cortex-m4', board: BENCH_BOARD, rows, notes }, withoutHostOutputs, 2)}\n`);
  log(`json: ${outFile}`);
  return rows.every((r) => r.builds.every((b) => b.matchesHost !== false)) ? 0 : 1;
}

/** JSON replacer: the host output bytes are a check's input, not a result. */
const withoutHostOutputs = (key: string, value: unknown): unknown => (key === 'hostOutputs' ? undefined : value);

/** `--cores`: the cross-core table (suite-cores.ts), printed and written as JSON; exit 1 when an emulated output differs from the host's. */
function runCoresTable(models: string[], cores: Exclude<ReturnType<typeof parseCores>, string>, outFile: string, log: (s: string) => void): number {
  const { rows, notes } = runCoresSuite(models, cores, log);
  log('');
  log(coresHeading(cores));
  log(formatCoresTable(rows));
  for (const n of notes) log(`note: ${n}`);
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify({ cores, rows, notes }, withoutHostOutputs, 2)}\n`);
  log(`json: ${outFile}`);
  return rows.every((r) => r.result.builds.every((b) => b.matchesHost !== false)) ? 0 : 1;
}

// Run when executed directly (npm run bench), not when imported.
if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = runSuite(process.argv.slice(2), (s) => process.stdout.write(`${s}\n`));
}
