/**
 * `npm run bench -- --cores m4,m7,m55,rv32`: every example model on every
 * named emulated core (cores.ts), with our portable kernels, `--backend
 * auto` (the board's default) and each kernel library variant of the core
 * (CMSIS-NN on the Arm cores, ESP-NN's ANSI C and generic optimised C on
 * RV32IMC), all at -O2. Library rows need the checkout's variable
 * (CMSIS_NN_PATH, ESP_NN_PATH); without it they are skipped with a note.
 * Every build's outputs must equal the portable host build's on the same
 * sample, byte for byte (column =host).
 */
import { benchModel, type BenchOptions, type BenchResult } from './bench.js';
import { BENCH_CORES, LIBRARY_CACHE, type BenchCore, type CoreId, type LinkExtra } from './cores.js';
import { toolAvailable } from './cortex-m.js';
import { EdgecError } from '../errors.js';

export interface CoreRow {
  model: string;
  core: CoreId;
  /** portable, auto, cmsis-nn, esp-nn (ANSI C), ... */
  variant: string;
  result: BenchResult;
}

export interface CoresSuite { rows: CoreRow[]; notes: string[] }

/** Library archives are cached here across runs (rebuilt when the checkout changes). */

/** The row variants of one core: portable, auto, then the library's code paths (with the link inputs each needs). */
function coreVariants(core: BenchCore, notes: string[]): { variant: string; backend: string; backendTarget?: string; extra?: LinkExtra }[] {
  const root = process.env[core.libraryEnv];
  const link = (target?: string): LinkExtra | undefined => (root ? core.link(root, LIBRARY_CACHE, target) : undefined);
  if (!root) notes.push(`${core.id}: ${core.library} rows skipped: set ${core.libraryEnv} to a ${core.library} checkout (auto then runs only where it picks no ${core.library} layer)`);
  const variants: { variant: string; backend: string; backendTarget?: string; extra?: LinkExtra }[] = [
    { variant: 'portable', backend: 'portable' },
    { variant: 'auto', backend: 'auto', extra: link() },
  ];
  if (root) for (const v of core.libraryVariants) variants.push({ variant: v.label, backend: v.library, backendTarget: v.backendTarget, extra: link(v.backendTarget) });
  return variants;
}

export function runCoresSuite(models: string[], cores: CoreId[], log: (s: string) => void): CoresSuite {
  const rows: CoreRow[] = [];
  const notes: string[] = [];
  const usable = cores.filter((id) => {
    const missing = BENCH_CORES[id].tools.filter((t) => !toolAvailable(t));
    if (missing.length) notes.push(`${id}: skipped, ${missing.join(' and ')} not found`);
    return missing.length === 0;
  });
  const variants = new Map(usable.map((id) => [id, coreVariants(BENCH_CORES[id], notes)]));
  for (const model of models) {
    // The portable host build's outputs are the reference every emulated build must equal.
    let expected: Uint8Array | undefined;
    for (const id of usable) {
      const core = BENCH_CORES[id];
      for (const v of variants.get(id)!) {
        const options: BenchOptions = { core, board: core.board, backend: v.backend, backendTarget: v.backendTarget, opts: ['-O2'], extra: v.extra };
        try {
          const result = benchModel(model, expected ? { ...options, expected } : { ...options, checkHost: v.backend === 'portable' });
          expected ??= result.hostOutputs;
          rows.push({ model, core: id, variant: v.variant, result });
        } catch (e) {
          if (!(e instanceof EdgecError)) throw e;
          notes.push(`${model} on ${id}, ${v.variant}: skipped: ${e.message.split('\n')[0]}`);
        }
      }
      log(`done ${model} on ${core.label}`);
    }
  }
  return { rows, notes };
}

const modelName = (path: string): string => path.split('/').pop()!.replace(/\.onnx$/, '');

/** One line per model, core and variant; "vs portable" is instructions relative to our portable kernels on that core. */
export function formatCoresTable(rows: CoreRow[]): string {
  const head = ['model', 'core', 'backend', 'MACs', 'instructions', 'MAC/instr', 'vs portable', 'arena', 'code', 'weights', 'flash', '=host'];
  const lines = [head];
  for (const r of rows) {
    const b = r.result.builds[0]!;
    const portable = rows.find((x) => x.model === r.model && x.core === r.core && x.variant === 'portable')?.result.builds[0];
    lines.push([
      modelName(r.model), r.core, r.variant, String(r.result.macs), b.instructions.toLocaleString('en-US'), b.macsPerInstruction.toFixed(3),
      portable ? (b.instructions / portable.instructions).toFixed(3) : '-', String(r.result.arenaBytes),
      String(b.codeBytes), String(b.weightsBytes), String(b.flashBytes), b.matchesHost === undefined ? '-' : b.matchesHost ? 'yes' : 'NO',
    ]);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  return lines.map((l) => l.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}

/** The cores' machines, for the table's heading. */
export function coresHeading(cores: CoreId[]): string {
  return `${cores.map((id) => `${id} = ${BENCH_CORES[id].label}, board ${BENCH_CORES[id].board}`).join('; ')}. QEMU -icount shift=7: instructions, not cycles; -O2; bytes.`;
}
