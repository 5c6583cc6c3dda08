/**
 * The fuzz oracle, in process: each case goes through the real pipeline
 * (compileModel, as `edgec build` calls it). Allowed outcomes:
 *  - a clean error: an EdgecError whose message (and hint) is one line
 *    with no control characters and no "internal" wording;
 *  - a build: every `sanitizeEvery`-th build (portable kernels; library
 *    builds need CMSIS-NN / ESP-NN, test/backends) is compiled with gcc
 *    -Wall -Wextra -Werror -pedantic -fsanitize=address,undefined and run on
 *    random inputs, which must finish without a finding.
 * Anything else is a crash (any other exception), an unclean error, a hang
 * (a case slower than `hangMs`) or a sanitizer finding.
 */
import { performance } from 'node:perf_hooks';
import { compileModel } from '../../compiler/pipeline.js';
import { EdgecError } from '../../compiler/errors.js';
import { compileAndRunSanitized } from './sanitize.js';
import { libraryUsed } from '../../compiler/backends/index.js';
import { FAMILIES, generateCase, type Family, type FuzzCase } from './generator.js';

export type Outcome = 'clean-error' | 'build' | 'crash' | 'unclean-error' | 'hang' | 'sanitizer';

export interface Finding { id: string; family: Family; outcome: Outcome; description: string; detail: string }

export interface FamilyStats { cases: number; cleanErrors: number; builds: number; sanitized: number; crashes: number; uncleanErrors: number; hangs: number; sanitizerFindings: number }

export interface FuzzReport { byFamily: Record<Family, FamilyStats>; findings: Finding[]; seconds: number }

export interface FuzzOptions {
  seed: number;
  cases: number;
  examples?: readonly string[];
  /** Compile and run every n-th successful build under the sanitizers (0: never). */
  sanitizeEvery?: number;
  /** At most this many sanitizer runs (they cost seconds each). */
  maxSanitized?: number;
  hangMs?: number;
  onProgress?: (done: number, report: FuzzReport) => void;
}

/** One clean line: what the CLI prints after `edgec: error:`. */
export function uncleanReason(message: string): string | undefined {
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(message)) return 'control character or line break';
  if (/internal|this is a bug|\bat .*\.(js|ts):\d+/i.test(message)) return 'internal wording or stack';
  if (message.length > 2000) return 'longer than 2000 characters';
  if (message.trim() === '') return 'empty';
  return undefined;
}

const emptyStats = (): FamilyStats => ({ cases: 0, cleanErrors: 0, builds: 0, sanitized: 0, crashes: 0, uncleanErrors: 0, hangs: 0, sanitizerFindings: 0 });

export function runCase(c: FuzzCase, sanitize: boolean): { outcome: Outcome; detail: string; sanitized: boolean } {
  let compiled;
  try {
    compiled = compileModel(c.fileName, { ...c.options, modelBytes: c.bytes });
  } catch (e) {
    if (!(e instanceof EdgecError)) {
      const err = e instanceof Error ? `${e.name}: ${e.message.split('\n')[0]} @ ${e.stack?.split('\n')[1]?.trim() ?? ''}` : String(e);
      return { outcome: 'crash', detail: err.slice(0, 500), sanitized: false };
    }
    const why = uncleanReason(e.message) ?? (e.hint !== undefined ? uncleanReason(e.hint) : undefined);
    if (why) return { outcome: 'unclean-error', detail: `${why}: ${JSON.stringify(e.message.slice(0, 300))}`, sanitized: false };
    return { outcome: 'clean-error', detail: e.message.slice(0, 200), sanitized: false };
  }
  // Library builds (CMSIS-NN / ESP-NN via --backend or the board) need the library to compile: test/backends covers them.
  // library calls need the library's sources: only builds that call none (portable, or auto choosing ours) are sanitized
  if (!sanitize || libraryUsed(compiled.backend, compiled.program.ops) !== undefined) return { outcome: 'build', detail: '', sanitized: false };
  const run = compileAndRunSanitized(compiled.emitted.files, compiled.program.name);
  if (run.failed) return { outcome: 'sanitizer', detail: `${run.failed}: ${run.log.split('\n').filter((l) => /error|runtime|ERROR|warning/.test(l)).slice(0, 3).join(' | ').slice(0, 500)}`, sanitized: true };
  return { outcome: 'build', detail: '', sanitized: true };
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const started = performance.now();
  const byFamily = Object.fromEntries(FAMILIES.map((f) => [f, emptyStats()])) as Record<Family, FamilyStats>;
  const report: FuzzReport = { byFamily, findings: [], seconds: 0 };
  const every = opts.sanitizeEvery ?? 50;
  const maxSanitized = opts.maxSanitized ?? Infinity;
  let builds = 0;
  let sanitized = 0;
  for (let i = 0; i < opts.cases; i++) {
    // Yield now and then: a test worker must keep answering its runner during a long synchronous run.
    if (i % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    const c = generateCase(opts.seed, i, opts.examples);
    const stats = byFamily[c.family];
    stats.cases++;
    const t0 = performance.now();
    // Decide before running: the n-th successful build is sanitized (the count includes this case if it builds).
    const sanitize = every > 0 && sanitized < maxSanitized && (builds + 1) % every === 0;
    const r = runCase(c, sanitize);
    const ms = performance.now() - t0;
    if (r.sanitized) { sanitized++; stats.sanitized++; }
    let outcome = r.outcome;
    if (!r.sanitized && ms > (opts.hangMs ?? 20_000)) outcome = 'hang';
    switch (outcome) {
      case 'clean-error': stats.cleanErrors++; break;
      case 'build': stats.builds++; builds++; break;
      case 'crash': stats.crashes++; break;
      case 'unclean-error': stats.uncleanErrors++; break;
      case 'hang': stats.hangs++; break;
      case 'sanitizer': stats.sanitizerFindings++; builds++; break;
    }
    if (outcome !== 'clean-error' && outcome !== 'build') report.findings.push({ id: c.id, family: c.family, outcome, description: c.description, detail: outcome === 'hang' ? `${ms.toFixed(0)} ms` : r.detail });
    if (opts.onProgress && (i + 1) % 500 === 0) opts.onProgress(i + 1, report);
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

export function formatReport(r: FuzzReport): string[] {
  const head = 'family      cases  clean-errors  builds  sanitized  crashes  unclean  hangs  sanitizer-findings';
  const rows = FAMILIES.map((f) => {
    const s = r.byFamily[f];
    return `${f.padEnd(10)} ${String(s.cases).padStart(6)} ${String(s.cleanErrors).padStart(13)} ${String(s.builds).padStart(7)} ${String(s.sanitized).padStart(10)} ${String(s.crashes).padStart(8)} ${String(s.uncleanErrors).padStart(8)} ${String(s.hangs).padStart(6)} ${String(s.sanitizerFindings).padStart(19)}`;
  });
  return [head, ...rows, `${r.seconds.toFixed(1)} s`];
}
