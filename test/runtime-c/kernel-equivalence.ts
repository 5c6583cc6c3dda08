/**
 * The kernel-equivalence C tests (a `*_test.c` that runs an optimised or
 * sharing kernel against its plain twin on random shapes and prints
 * `cases N mismatches M`): built with strict flags and run natively, or
 * built for Cortex-M4 with test/runtime-c/m4 and run on QEMU mps2-an386.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const testDir = dirname(fileURLToPath(import.meta.url));
export const runtimeDir = resolve(testDir, '..', '..', 'runtime-c');
const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', '-I', runtimeDir];
const CORTEX_M4 = ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'];

export const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;
export const hasCortexM4 = (): boolean => has('arm-none-eabi-gcc') && has('qemu-system-arm');

/** The test program's summary: no mismatch, and more than a thousand cases run. */
function expectAllMatch(stdout: string): void {
  expect(stdout).toMatch(/cases \d+ mismatches 0/);
  expect(Number(/cases (\d+)/.exec(stdout)?.[1])).toBeGreaterThan(1000);
}

/** Builds `sources` with gcc and the extra flags, runs the program and checks its summary. */
export function expectEquivalentNatively(sources: string[], flags: string[], name: string): void {
  const exe = join(mkdtempSync(join(tmpdir(), `edgec-${name}-`)), name);
  const cc = spawnSync('gcc', [...STRICT, ...flags, ...sources, '-o', exe], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  const r = spawnSync(exe, [], { encoding: 'utf8' });
  expectAllMatch(r.stdout);
  expect(r.status).toBe(0);
}

/** Builds `sources` for Cortex-M4 (DSP paths), runs them on QEMU mps2-an386 and checks the summary. */
export function expectEquivalentOnCortexM4(sources: string[], flags: string[], name: string): void {
  const elf = join(mkdtempSync(join(tmpdir(), `edgec-${name}-m4-`)), `${name}.elf`);
  const cc = spawnSync('arm-none-eabi-gcc', [...STRICT, ...flags, ...CORTEX_M4,
    '-ffunction-sections', '-fdata-sections', '-Wl,--gc-sections', '-nostartfiles', '--specs=rdimon.specs',
    '-T', join(testDir, 'm4', 'm4.ld'), join(testDir, 'm4', 'startup.c'), ...sources, '-o', elf], { encoding: 'utf8' });
  expect(cc.status, cc.stderr).toBe(0);
  const r = spawnSync('qemu-system-arm', ['-M', 'mps2-an386', '-semihosting-config', 'enable=on,target=native', '-nographic',
    '-monitor', 'none', '-serial', 'none', '-kernel', elf], { encoding: 'utf8', timeout: 120_000 });
  expectAllMatch(r.stdout);
  expect(r.status).toBe(0);
}
