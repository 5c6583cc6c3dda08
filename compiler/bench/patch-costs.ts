/**
 * What patch-based execution (passes/patch-stage.ts) really costs against
 * what `--patch auto` estimates: for a model and each grid, the arena, the
 * MACs, the instructions the core's kernel-cost table estimates (the figure
 * auto decides by) and the instructions one inference takes on the emulated
 * core (QEMU -icount: exact), each against the unpatched build.
 *
 *   node dist/compiler/bench/patch-costs.js <model> [--cores m4,m7] [--grids off,4,5,6,8,auto]
 *        [--layers] [--declared-layout] [--float-io] [--out measured.json]
 *
 * `--layers` also traces every layer (EDGEC_TRACING stamps between layers,
 * Arm cores) and prints, per stage layer and kind, the estimate and the
 * measurement summed over the tiles: where the estimate goes wrong.
 * Builds use the portable kernels (what patch layers run). `--out` writes
 * the measured instructions per core and grid (compiler/data/patch-costs/:
 * test/passes/patch-cost-estimate.test.ts holds the estimate to them).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compileModel, type Compiled } from '../pipeline.js';
import type { PatchMode } from '../passes/patch-stage.js';
import { randomSamples } from '../verify/samples.js';
import { valueBytes, type Op, type Value } from '../ir/program.js';
import { costTableFor, estimateInstructions, estimateProgramInstructions, type CostTable } from '../backends/kernel-costs.js';
import { boardById } from '../boards.js';
import { BENCH_CORES, parseCores, type BenchCore } from './cores.js';
import { instructionsFromTicks } from './cortex-m.js';
import { TRACE_SOURCE, traceTicks } from './measure-layer-costs.js';

/** What `--out` writes: one inference's instructions per core and grid, measured. */
export interface PatchCostMeasurements {
  model: string;
  method: string;
  int8Io: boolean;
  inputLayout: 'nhwc' | 'declared';
  cores: { board: string; cpu: string; grids: { grid: string; arenaBytes: number; macs: number; instructions: number }[] }[];
}

interface GridRun {
  label: string;
  compiled: Compiled;
  estimate: number;
  measured: number;
  /** Per op, the traced instructions (with --layers). */
  perOp?: number[];
}

const totalMacs = (c: Compiled): number => c.program.ops.reduce((a, op) => a + op.macs, 0);

/** Builds `model` for `core` with `patch`, runs one inference (traced with `layers`). */
function runGrid(model: string, patch: PatchMode, core: BenchCore, table: CostTable, flags: { int8Io: boolean; nhwc: boolean; layers: boolean }, work: string): GridRun {
  const grid = typeof patch === 'object' ? ('layers' in patch ? patch.grid : patch) : undefined;
  const label = grid ? `${grid.rows}x${grid.cols}` : String(patch);
  const dir = join(work, `${core.id}-${label}`);
  const modelDir = join(dir, 'model');
  mkdirSync(modelDir, { recursive: true });
  const compiled = compileModel(model, {
    name: 'model', board: core.board, backend: 'portable', int8Io: flags.int8Io, inputLayout: flags.nhwc ? 'nhwc' : undefined, patch,
  });
  for (const f of compiled.emitted.files) writeFileSync(join(modelDir, f.path), f.contents);
  const { program } = compiled;
  const inputs = randomSamples(program, 1, 1)[0]!.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const outputBytes = program.outputs.map((id) => valueBytes(program.values.get(id) as Value));
  const plainDir = join(dir, 'plain');
  mkdirSync(plainDir);
  const measured = core.run(core.build(modelDir, program.name, inputs, plainDir, '-O2'), outputBytes).instructions;
  let perOp: number[] | undefined;
  if (flags.layers) {
    const tracedDir = join(dir, 'traced');
    mkdirSync(tracedDir);
    const traceFile = join(tracedDir, 'edgec_bench_trace.c');
    writeFileSync(traceFile, TRACE_SOURCE);
    const elf = core.build(modelDir, program.name, inputs, tracedDir, '-O2', { extraSources: [traceFile], includeDirs: [], defines: ['EDGEC_TRACING'] });
    core.run(elf, outputBytes);
    const ticks = traceTicks(readFileSync(`${elf}.semihosting.txt`, 'utf8'));
    perOp = program.ops.map((_, i) => instructionsFromTicks(ticks.get(i) ?? 0, 0));
  }
  return { label, compiled, estimate: estimateProgramInstructions(table, program.ops), measured, perOp };
}

const pct = (after: number, before: number): string => `${after >= before ? '+' : ''}${((100 * (after - before)) / before).toFixed(1)}%`;
const n = (v: number): string => v.toLocaleString('en-US');

/** Estimate vs measurement per stage layer and kind, summed over the tiles. */
function layerLines(run: GridRun, table: CostTable): string[] {
  const groups = new Map<string, { est: number; meas: number; calls: number }>();
  run.compiled.program.ops.forEach((op: Op, i) => {
    if (!op.patch) return;
    const key = `layer ${op.patch.layer} ${op.kind}${op.kind === 'copy_window' ? '' : ` (${op.name.replace(/\/patch\d+$/, '')})`}`;
    const g = groups.get(key) ?? { est: 0, meas: 0, calls: 0 };
    g.est += estimateInstructions(table, op, 'portable') ?? 0;
    g.meas += run.perOp![i]!;
    g.calls++;
    groups.set(key, g);
  });
  return [...groups].map(([k, g]) => `    ${k.padEnd(44)} ${String(g.calls).padStart(3)} calls  est ${n(g.est).padStart(10)}  measured ${n(g.meas).padStart(10)}  (${pct(g.est, g.meas)})`);
}

/** The same for the unpatched build's first `layers` stage layers (one call each). */
function unpatchedLines(base: GridRun, table: CostTable, layers: number): string[] {
  const first = base.compiled.program.ops.findIndex((op) => op.kind === 'conv2d' || op.kind.startsWith('depthwise'));
  return base.compiled.program.ops.slice(first, first + layers).map((op, l) => {
    const est = estimateInstructions(table, op, 'portable') ?? 0;
    const meas = base.perOp![first + l]!;
    return `    unpatched layer ${l} ${op.kind}`.padEnd(48) + `   1 call   est ${n(est).padStart(10)}  measured ${n(meas).padStart(10)}  (${pct(est, meas)})`;
  });
}

export function patchCosts(args: string[], log: (s: string) => void): number {
  const model = args.find((a, i) => !a.startsWith('--') && !['--cores', '--grids', '--out'].includes(args[i - 1] ?? ''));
  if (!model) { log('usage: patch-costs <model> [--cores m4,m7] [--grids off,4,5,6,8,auto] [--layers] [--declared-layout] [--float-io]'); return 2; }
  const arg = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const cores = parseCores(arg('--cores') ?? 'm4');
  if (typeof cores === 'string') { log(cores); return 2; }
  const grids: PatchMode[] = (arg('--grids') ?? 'off,4,5,6,8,auto').split(',').map((g) => {
    if (g === 'off' || g === 'auto') return g;
    const [rows, cols] = g.split('x').map(Number);
    return cols === undefined ? rows! : { rows: rows!, cols };
  });
  const flags = { int8Io: !args.includes('--float-io'), nhwc: !args.includes('--declared-layout'), layers: args.includes('--layers') };
  const work = mkdtempSync(join(tmpdir(), 'edgec-patch-costs-'));
  const out: PatchCostMeasurements = {
    model, int8Io: flags.int8Io, inputLayout: flags.nhwc ? 'nhwc' : 'declared', cores: [],
    method: 'instructions of one inference on QEMU -icount (exact), portable kernels, -O2 with the board\'s CPU flags (node dist/compiler/bench/patch-costs.js)',
  };
  try {
    for (const id of cores) {
      const core = BENCH_CORES[id];
      const table = costTableFor(boardById(core.board).cpu) ?? costTableFor('cortex-m4')!;
      log(`${core.label}, board ${core.board}, cost table ${table.cpu}: ${resolve(model)}`);
      const base = runGrid(model, 'off', core, table, flags, work);
      const arena0 = base.compiled.plan.arenaBytes;
      const measured: PatchCostMeasurements['cores'][number] = { board: core.board, cpu: table.cpu, grids: [] };
      out.cores.push(measured);
      for (const mode of grids) {
        const run = mode === 'off' ? base : runGrid(model, mode, core, table, flags, work);
        const p = run.compiled.patch;
        measured.grids.push({ grid: run.label, arenaBytes: run.compiled.plan.arenaBytes, macs: totalMacs(run.compiled), instructions: run.measured });
        const what = p ? `${p.grid.rows}x${p.grid.cols} (${p.layers} layers)` : 'unpatched';
        log(`  ${run.label.padEnd(5)} ${what.padEnd(18)} arena ${String(run.compiled.plan.arenaBytes).padStart(6)} (${pct(run.compiled.plan.arenaBytes, arena0).padStart(6)})  `
          + `MACs ${pct(totalMacs(run.compiled), totalMacs(base.compiled)).padStart(6)}  est. instr ${n(run.estimate).padStart(11)} (${pct(run.estimate, base.estimate).padStart(6)})  `
          + `measured ${n(run.measured).padStart(11)} (${pct(run.measured, base.measured).padStart(6)})`);
        if (mode === 'auto') log(`        ${run.compiled.patchNote ?? ''}`);
        if (run.perOp && p) for (const line of layerLines(run, table)) log(line);
        if (base.perOp && p && run !== base) for (const line of unpatchedLines(base, table, p.layers)) log(line);
      }
    }
    const outFile = arg('--out');
    if (outFile) writeFileSync(outFile, `${JSON.stringify(out, null, 1)}\n`);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Run when executed directly, not when imported.
if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = patchCosts(process.argv.slice(2), (s) => process.stdout.write(`${s}\n`));
}
