/**
 * Compiles a generated model folder with a C compiler together with the
 * sample-runner harness, and runs it on raw sample bytes.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { templatesDir } from '../emit/paths.js';
import { EdgecError } from '../errors.js';

export const STRICT_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

export function harnessSource(name: string): string {
  const t = Handlebars.compile(readFileSync(join(templatesDir(), 'harness', 'runner.c.hbs'), 'utf8'), { noEscape: true, strict: true });
  return t({ name, NAME: name.toUpperCase() });
}

interface RunnerBuild { cc: string; args: string[]; exe: string; dir: string }

type RunnerOptions = { cc?: string; flags?: string[]; link?: string[] };

/** The gcc command that builds `<dir>/*.c` + harness. */
function runnerBuild(folder: string, name: string, opts: RunnerOptions): RunnerBuild {
  const dir = resolve(folder);
  const work = mkdtempSync(join(tmpdir(), 'edgec-native-'));
  const harness = join(work, 'runner.c');
  writeFileSync(harness, harnessSource(name));
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).sort().map((f) => join(dir, f));
  const exe = join(work, 'runner');
  const args = [...STRICT_FLAGS, '-O2', ...(opts.flags ?? []), '-I', dir, harness, ...sources, ...(opts.link ?? []), '-o', exe, '-lm'];
  return { cc: opts.cc ?? 'gcc', args, exe, dir };
}

function compileFailed(dir: string, e: unknown): EdgecError {
  const stderr = (e as { stderr?: Buffer | string }).stderr?.toString() ?? String(e);
  return new EdgecError(`C compilation of ${dir} failed:\n${stderr}`, 1);
}

/** Builds `<dir>/*.c` + harness with gcc; returns the executable path. */
export function buildNativeRunner(folder: string, name: string, opts: RunnerOptions = {}): string {
  const b = runnerBuild(folder, name, opts);
  try {
    execFileSync(b.cc, b.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    throw compileFailed(b.dir, e);
  }
  return b.exe;
}

/** buildNativeRunner without blocking the event loop (a big generated model takes gcc a while). */
export async function buildNativeRunnerAsync(folder: string, name: string, opts: RunnerOptions = {}): Promise<string> {
  const b = runnerBuild(folder, name, opts);
  try {
    await promisify(execFile)(b.cc, b.args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    throw compileFailed(b.dir, e);
  }
  return b.exe;
}

export interface NativeRun { outputs: Uint8Array; trace?: Uint8Array }

/** Runs the harness; with a tracing build, also returns the layer trace (see harness). */
export function runNativeTraced(exe: string, inputBytes: Uint8Array, samples: number, inject?: Uint8Array): NativeRun {
  const work = mkdtempSync(join(tmpdir(), 'edgec-run-'));
  if (inject) writeFileSync(join(work, 'inject.bin'), inject);
  const inFile = join(work, 'in.bin');
  const outFile = join(work, 'out.bin');
  writeFileSync(inFile, inputBytes);
  execFileSync(exe, [inFile, outFile, String(samples)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
  const traceFile = join(work, 'trace.bin');
  return { outputs: readFileSync(outFile), trace: existsSync(traceFile) ? readFileSync(traceFile) : undefined };
}

export function runNative(exe: string, inputBytes: Uint8Array, samples: number): Uint8Array {
  return runNativeTraced(exe, inputBytes, samples).outputs;
}
