/**
 * `edgec verify` of a board build that calls CMSIS-NN or ESP-NN: the exact
 * generated files, compiled with the library's own sources (their pure-C
 * code paths: CMSIS-NN without DSP/MVE extensions, ESP-NN's generic
 * optimised C or ANSI C) from a checkout the user names with CMSIS_NN_PATH /
 * ESP_NN_PATH. The library is built once per checkout into an archive in
 * the verify cache; nothing of it is shipped or committed.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Board } from '../boards.js';
import { EdgecError } from '../errors.js';

export type LibraryId = 'cmsis-nn' | 'esp-nn';

export interface KernelLibrary {
  id: LibraryId;
  /** Checkout root (from the environment variable). */
  root: string;
  sources: string[];
  includes: string[];
  /** Flags of the library's own sources (not held to edgec's strict flags). */
  libraryFlags: string[];
  /** Defines the generated code needs too (ESP-NN's header selects the code path with them). */
  defines: string[];
}

const LIBRARIES: Record<LibraryId, { header: string; env: string; marker: string; url: string }> = {
  'cmsis-nn': { header: 'arm_nnfunctions.h', env: 'CMSIS_NN_PATH', marker: join('Include', 'arm_nnfunctions.h'), url: 'https://github.com/ARM-software/CMSIS-NN' },
  'esp-nn': { header: 'esp_nn.h', env: 'ESP_NN_PATH', marker: join('include', 'esp_nn.h'), url: 'https://github.com/espressif/esp-nn' },
};

function walk(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, keep));
    else if (keep(e.name)) out.push(p);
  }
  return out.sort();
}

/** Which kernel library the generated folder calls (from its includes), if any. */
export function libraryUsedBy(dir: string): LibraryId | undefined {
  const files = readdirSync(dir).filter((f) => f.endsWith('.c') || f.endsWith('.h'));
  for (const id of Object.keys(LIBRARIES) as LibraryId[]) {
    const include = `#include "${LIBRARIES[id].header}"`;
    if (files.some((f) => readFileSync(join(dir, f), 'utf8').includes(include))) return id;
  }
  return undefined;
}

/** The library checkout from the environment, checked; one line saying what to set when missing. */
function libraryRoot(id: LibraryId): string {
  const { env, marker, url, header } = LIBRARIES[id];
  const value = process.env[env];
  if (!value) throw new EdgecError(`this build calls ${id} (${header}); set ${env} to a checkout of ${id} so verify can compile the same code`, 2, `git clone ${url} and export ${env}=<that folder>`);
  const root = resolve(value);
  if (!existsSync(join(root, marker))) throw new EdgecError(`${env}=${value}: not a checkout of ${id} (no ${marker})`, 2);
  return root;
}

/**
 * The library a folder built for `board` needs, or undefined for portable
 * builds. ESP-NN: the board's chip selects the generic optimised C
 * (CONFIG_NN_OPTIMIZED; ESP32-S3 assembly cannot run on the host, its
 * generic C computes the same results), no chip the ANSI C reference.
 */
export function kernelLibraryFor(dir: string, board: Board): KernelLibrary | undefined {
  const id = libraryUsedBy(dir);
  if (!id) return undefined;
  const root = libraryRoot(id);
  if (id === 'cmsis-nn') {
    const sources = walk(join(root, 'Source'), (n) => n.endsWith('.c') && !/_f(16|32)\.c$/.test(n) && n !== 'arm_nntables_flt.c');
    return { id, root, sources, includes: [join(root, 'Include')], libraryFlags: ['-std=c99', '-O2', '-w'], defines: [] };
  }
  const defines = board.espNnChip ? ['-DCONFIG_NN_OPTIMIZED'] : [];
  const sources = walk(join(root, 'src'), (n) => n.endsWith('.c') && !/esp32s3|esp32p4/.test(n));
  return { id, root, sources, includes: [join(root, 'include'), join(root, 'src', 'common')], libraryFlags: ['-std=gnu99', '-O2', '-w', ...defines], defines };
}

/** Compiler and archiver of an engine: emcc/emar for WebAssembly, gcc/ar natively. */
export interface Toolchain { cc: string; ar: string; env?: NodeJS.ProcessEnv; cacheDir: string }

/**
 * The library compiled with `tools` into a static archive, cached by the
 * checkout's sources (path, size, mtime) and flags: a verify pays the build
 * once per checkout and engine.
 */
export function libraryArchive(lib: KernelLibrary, tools: Toolchain): string {
  const h = createHash('sha256').update(`${tools.cc}\0${lib.libraryFlags.join(' ')}\0`);
  for (const s of lib.sources) { const st = statSync(s); h.update(`${s}\0${st.size}\0${st.mtimeMs}\0`); }
  const out = join(tools.cacheDir, `lib${lib.id}-${h.digest('hex').slice(0, 16)}.a`);
  if (existsSync(out)) return out;
  mkdirSync(tools.cacheDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), `edgec-${lib.id}-`));
  try {
    const includes = lib.includes.flatMap((d) => ['-I', d]);
    // One compiler run for all sources (emcc starts slowly): objects land in the work folder by base name.
    const names = lib.sources.map((s) => `${basename(s, '.c')}.o`);
    if (new Set(names).size !== names.length) throw new EdgecError(`${lib.root}: two ${lib.id} sources share a file name`, 1);
    execFileSync(tools.cc, [...lib.libraryFlags, ...includes, '-c', ...lib.sources], { stdio: ['ignore', 'pipe', 'pipe'], env: tools.env, cwd: work, maxBuffer: 1 << 24 });
    const objects = names.map((n) => join(work, n));
    const tmp = join(work, 'lib.a');
    execFileSync(tools.ar, ['rcs', tmp, ...objects], { stdio: ['ignore', 'pipe', 'pipe'], env: tools.env });
    renameSync(tmp, out);
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString().trim().split('\n')[0] ?? String(e);
    throw new EdgecError(`compiling ${lib.id} from ${lib.root} failed: ${stderr}`, 1);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return out;
}

/** Compiler flags and link inputs for a generated folder that calls `lib`. */
export function libraryBuildArgs(lib: KernelLibrary | undefined, tools: Toolchain): { flags: string[]; link: string[] } {
  if (!lib) return { flags: [], link: [] };
  return { flags: [...lib.defines, ...lib.includes.flatMap((d) => ['-I', d])], link: [libraryArchive(lib, tools)] };
}
