/**
 * Compiles a generated model folder with the sample-runner harness to
 * WebAssembly (Debian's emcc) and runs it in Node: the same bytes-in,
 * bytes-out interface as native.ts, so compareWithReference and
 * compareLayers work unchanged through WASM.
 *
 * Debian's emscripten 3.1.6 on Node 20 (toolchain.md): its default loader
 * fetch()es the .wasm and fails, and -sSTANDALONE_WASM has no fopen (no
 * WASI path_open in its libc). -sSINGLE_FILE embeds the module in the .js,
 * -sNODERAWFS gives the harness the real file system, so the runner is a
 * plain `node runner.js in.bin out.bin n` started in a work directory.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { EdgecError } from '../errors.js';
import { harnessSource, type NativeRun } from './native.js';

export const EMCC_MISSING = "emcc not found: install Debian's emscripten (apt-get install emscripten)";

export const WASM_FLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2',
  '-sNODERAWFS=1', '-sSINGLE_FILE=1', '-sENVIRONMENT=node', '-sALLOW_MEMORY_GROWTH=1', '-sEXIT_RUNTIME=1'];

/** Debian's emcc needs Node to find its acorn (used by the JS optimiser at -O1 and above). */
export function emccEnv(): NodeJS.ProcessEnv {
  const paths = (process.env.NODE_PATH ?? '').split(delimiter).filter((p) => p);
  if (existsSync('/usr/share/nodejs') && !paths.includes('/usr/share/nodejs')) paths.push('/usr/share/nodejs');
  return { ...process.env, NODE_PATH: paths.join(delimiter) };
}

export function emccPath(): string | undefined {
  const override = process.env.EMCC;
  if (override) return existsSync(override) ? override : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'emcc'))) return join(dir, 'emcc');
  }
  return undefined;
}

export const hasEmcc = (): boolean => emccPath() !== undefined;

/** Where built runners (and kernel library archives) are cached. */
export function cacheDir(): string {
  const dir = process.env.EDGEC_WASM_CACHE ?? join(tmpdir(), 'edgec-wasm-cache');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The folder's C sources and headers, sorted: what the build depends on. */
function folderSources(dir: string): { c: string[]; all: string[] } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.c') || f.endsWith('.h')).sort();
  return { c: files.filter((f) => f.endsWith('.c')), all: files };
}

function buildKey(dir: string, harness: string, flags: string[]): string {
  const h = createHash('sha256');
  h.update(`${WASM_FLAGS.join(' ')}\0${flags.join(' ')}\0${harness}\0`);
  for (const f of folderSources(dir).all) h.update(`${f}\0`).update(readFileSync(join(dir, f))).update('\0');
  return h.digest('hex').slice(0, 24);
}

/**
 * Builds `<dir>/*.c` + harness with emcc; returns the runner .js path.
 * Builds are cached by a hash of the folder's sources, harness and flags
 * (emcc takes ~1-3 s per model; a test or a repeated verify pays it once).
 */
export function buildWasmRunner(dir: string, name: string, opts: { flags?: string[]; link?: string[] } = {}): string {
  const job = wasmBuildJob(dir, name, opts.flags ?? [], opts.link ?? []);
  if (job.cached) return job.out;
  try {
    execFileSync(job.emcc, job.args, { stdio: ['ignore', 'pipe', 'pipe'], env: emccEnv(), cwd: job.work });
  } catch (e) {
    throw compileError(dir, e);
  }
  return job.finish();
}

/** As buildWasmRunner, without blocking: verify builds the plain and the tracing runner side by side. */
export async function buildWasmRunnerAsync(dir: string, name: string, opts: { flags?: string[]; link?: string[] } = {}): Promise<string> {
  const job = wasmBuildJob(dir, name, opts.flags ?? [], opts.link ?? []);
  if (job.cached) return job.out;
  try {
    await promisify(execFile)(job.emcc, job.args, { env: emccEnv(), cwd: job.work, maxBuffer: 1 << 24 });
  } catch (e) {
    throw compileError(dir, e);
  }
  return job.finish();
}

function compileError(dir: string, e: unknown): EdgecError {
  const stderr = (e as { stderr?: Buffer | string }).stderr?.toString() ?? String(e);
  return new EdgecError(`WebAssembly compilation of ${dir} failed:\n${stderr}`, 1);
}

interface BuildJob { cached: boolean; out: string; emcc: string; args: string[]; work: string; finish: () => string }

function wasmBuildJob(folder: string, name: string, flags: string[], link: string[]): BuildJob {
  const emcc = emccPath();
  if (!emcc) throw new EdgecError(EMCC_MISSING, 2);
  // emcc runs in a temporary work folder: a relative folder (verify --from out/dir) must not be read from there.
  const dir = resolve(folder);
  const harness = harnessSource(name);
  const out = join(cacheDir(), `${name}-${buildKey(dir, harness, [...flags, ...link])}.js`);
  if (existsSync(out)) return { cached: true, out, emcc, args: [], work: '', finish: () => out };
  const work = mkdtempSync(join(tmpdir(), 'edgec-wasm-'));
  const harnessFile = join(work, 'runner.c');
  writeFileSync(harnessFile, harness);
  const tmpOut = join(work, 'runner.js');
  const args = [...WASM_FLAGS, ...flags, '-I', dir, harnessFile, ...folderSources(dir).c.map((f) => join(dir, f)), ...link, '-o', tmpOut];
  return {
    cached: false, out, emcc, args, work,
    finish: () => {
      renameSync(tmpOut, out); // atomic: a concurrent build of the same key writes the same bytes
      rmSync(work, { recursive: true, force: true });
      return out;
    },
  };
}

/** Runs the WASM harness; with a tracing build, also returns the layer trace. */
export function runWasmTraced(runner: string, inputBytes: Uint8Array, samples: number, inject?: Uint8Array): NativeRun {
  const work = mkdtempSync(join(tmpdir(), 'edgec-wasmrun-'));
  if (inject) writeFileSync(join(work, 'inject.bin'), inject);
  writeFileSync(join(work, 'in.bin'), inputBytes);
  try {
    execFileSync(process.execPath, [runner, 'in.bin', 'out.bin', String(samples)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: work, maxBuffer: 1 << 26 });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
    throw new EdgecError(`WebAssembly run failed: ${stderr.trim().split('\n').slice(-3).join(' | ')}`, 1);
  }
  const traceFile = join(work, 'trace.bin');
  const run = { outputs: readFileSync(join(work, 'out.bin')), trace: existsSync(traceFile) ? readFileSync(traceFile) : undefined };
  rmSync(work, { recursive: true, force: true });
  return run;
}

export function runWasm(runner: string, inputBytes: Uint8Array, samples: number): Uint8Array {
  return runWasmTraced(runner, inputBytes, samples).outputs;
}
