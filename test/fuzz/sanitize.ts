/**
 * Compile a build's C with gcc under AddressSanitizer and UndefinedBehaviorSanitizer
 * (-Wall -Wextra -Werror -pedantic, every finding fatal) and run it on
 * pseudo-random inputs (sanitize_main.c). Used by the validation tests and
 * the fuzz harness to show a build is warning-free and free of run-time UB.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedFile } from '../../compiler/emit/c-emitter.js';

const HARNESS = join(import.meta.dirname, 'sanitize_main.c');
const FLAGS = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O1', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];

export interface SanitizedRun {
  /** 'compile' when gcc failed (warnings are errors), 'run' when the program or a sanitizer failed. */
  failed?: 'compile' | 'run';
  log: string;
}

export function compileAndRunSanitized(files: readonly GeneratedFile[], name: string, seed = 1): SanitizedRun {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-san-'));
  try {
    for (const f of files) writeFileSync(join(dir, f.path), f.contents);
    const sources = files.filter((f) => f.path.endsWith('.c')).map((f) => join(dir, f.path));
    const exe = join(dir, 'run');
    try {
      execFileSync('gcc', [...FLAGS, `-DMODEL=${name}`, `-DNUM_INPUTS=${name.toUpperCase()}_NUM_INPUTS`, `-DSEED=${seed}`, '-I', dir, HARNESS, ...sources, '-o', exe, '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      return { failed: 'compile', log: String((e as { stderr?: Buffer }).stderr ?? e) };
    }
    try {
      const out = execFileSync(exe, [], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
      return { log: out.toString() };
    } catch (e) {
      const err = e as { stdout?: Buffer; stderr?: Buffer };
      return { failed: 'run', log: `${err.stdout?.toString() ?? ''}${err.stderr?.toString() ?? String(e)}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
