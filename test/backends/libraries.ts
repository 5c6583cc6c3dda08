/**
 * Builds CMSIS-NN / ESP-NN (from CMSIS_NN_PATH / ESP_NN_PATH, checkouts
 * outside the repository) into static archives in a temporary folder, and
 * links generated models against them. Nothing here is committed output of
 * the libraries: the archives live in the OS temp dir for one test run.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { harnessSource, STRICT_FLAGS } from '../../compiler/verify/native.js';
import { walk } from '../../compiler/verify/libraries.js';
import type { GeneratedFile } from '../../compiler/emit/c-emitter.js';

export const CMSIS_NN_PATH = process.env.CMSIS_NN_PATH ? resolve(process.env.CMSIS_NN_PATH) : undefined;
export const ESP_NN_PATH = process.env.ESP_NN_PATH ? resolve(process.env.ESP_NN_PATH) : undefined;


/** CMSIS-NN int8/int16 sources: every Source/**.c except the float ones (kernel-libraries.md). */
export const cmsisSources = (base: string): string[] =>
  walk(join(base, 'Source'), (n) => n.endsWith('.c') && !/_f16\.c$|_f32\.c$/.test(n) && n !== 'arm_nntables_flt.c');

/** ESP-NN C sources for the ANSI / generic-optimised builds (no S3/P4 assembly). */
export const espNnSources = (base: string): string[] =>
  walk(join(base, 'src'), (n) => n.endsWith('.c') && !/esp32s3|esp32p4/.test(n));

export interface Library { includes: string[]; archive: string }

const execFileAsync = promisify(execFile);

/** Compiles `sources` two at a time without blocking the test worker's event loop. */
async function compileArchive(name: string, sources: string[], cc: string, flags: string[], includes: string[]): Promise<Library> {
  const dir = mkdtempSync(join(tmpdir(), `edgec-${name}-`));
  const objs = sources.map((src, i) => join(dir, `${i}_${basename(src, '.c')}.o`));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < sources.length) {
      const i = next++;
      await execFileAsync(cc, [...flags, ...includes.flatMap((d) => ['-I', d]), '-c', sources[i], '-o', objs[i]]);
    }
  };
  await Promise.all([worker(), worker()]);
  const archive = join(dir, `lib${name}.a`);
  // arm-none-eabi-gcc -> arm-none-eabi-ar; host gcc -> ar
  await execFileAsync(/-gcc$/.test(cc) ? cc.replace(/gcc$/, 'ar') : 'ar', ['rcs', archive, ...objs]);
  return { includes, archive };
}

const cache = new Map<string, Promise<Library>>();

/** CMSIS-NN built with `cc` and CPU `flags` (the code path follows from the flags: pure C on the host). */
export function cmsisLibrary(cc = 'gcc', flags: string[] = ['-O2']): Promise<Library> {
  const key = `cmsis|${cc}|${flags.join(' ')}`;
  let lib = cache.get(key);
  if (!lib) {
    const base = CMSIS_NN_PATH as string;
    lib = compileArchive('cmsisnn', cmsisSources(base), cc, ['-std=c99', ...flags], [join(base, 'Include')]);
    cache.set(key, lib);
  }
  return lib;
}

/** ESP-NN ANSI C (`optimized` false) or the generic optimised C of ESP32 / ESP32-C3 (CONFIG_NN_OPTIMIZED). */
export function espNnLibrary(optimized: boolean, cc = 'gcc', flags: string[] = ['-O2']): Promise<Library> {
  const key = `esp|${optimized}|${cc}|${flags.join(' ')}`;
  let lib = cache.get(key);
  if (!lib) {
    const base = ESP_NN_PATH as string;
    const f = ['-std=gnu99', ...flags, ...(optimized ? ['-DCONFIG_NN_OPTIMIZED'] : [])];
    lib = compileArchive(optimized ? 'espnnopt' : 'espnn', espNnSources(base), cc, f, [join(base, 'include'), join(base, 'src', 'common')]);
    cache.set(key, lib);
  }
  return lib;
}

/** Writes generated files to a fresh folder. */
export function writeFiles(files: GeneratedFile[], prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(dir, { recursive: true });
  for (const f of files) writeFileSync(join(dir, f.path), f.contents);
  return dir;
}

/**
 * Builds the sample runner for a generated model with the generated code
 * under edgec's strict flags (the library headers included) and links the
 * library archive. `defines` select the library's header mapping (ESP-NN).
 */
export function buildRunnerWithLibrary(dir: string, name: string, lib: Library | undefined, defines: string[] = []): string {
  const work = mkdtempSync(join(tmpdir(), 'edgec-librun-'));
  const harness = join(work, 'runner.c');
  writeFileSync(harness, harnessSource(name));
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).sort().map((f) => join(dir, f));
  const exe = join(work, 'runner');
  const inc = lib ? lib.includes.flatMap((d) => ['-I', d]) : [];
  execFileSync('gcc', [...STRICT_FLAGS, '-O2', ...defines, '-I', dir, ...inc, harness, ...sources, ...(lib ? [lib.archive] : []), '-o', exe, '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return exe;
}
