// The overlapped pointwise kernel (runtime-c/edgec_conv_1x1_overlap_s8.c)
// against edgec_conv_s8 on ~1,500 random shapes with the input placed inside
// the output block as the planner places it (test/runtime-c/conv_1x1_overlap_test.c):
// natively (plain C path) and on QEMU's Cortex-M4 (DSP path), each with the
// default stack copy and with a 32-lane one (two, one staged pixels and the
// run fallback through the arena temporary).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const runtimeDir = resolve(here, '..', '..', 'runtime-c');
const strict = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', '-I', runtimeDir];
const sources = [join(here, 'conv_1x1_overlap_test.c'), join(runtimeDir, 'edgec_conv_s8.c'), join(runtimeDir, 'edgec_conv_1x1_overlap_s8.c')];
const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;

function expectAllMatch(stdout: string): void {
  expect(stdout).toMatch(/cases \d+ mismatches 0/);
  expect(Number(/cases (\d+)/.exec(stdout)?.[1])).toBeGreaterThan(1000);
}

describe('edgec_conv_1x1_overlap_s8', () => {
  it.skipIf(!has('gcc')).each(['default stack copy', '-DEDGEC_PW_STAGE_HALVES=32'])('equals edgec_conv_s8 byte for byte with the input inside the output (native, %s)', (variant: string) => {
    const defines = variant.startsWith('-D') ? [variant] : [];
    const exe = join(mkdtempSync(join(tmpdir(), 'edgec-pw-overlap-')), 'pw_overlap');
    const cc = spawnSync('gcc', [...strict, ...defines, ...sources, '-o', exe], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const r = spawnSync(exe, [], { encoding: 'utf8' });
    expectAllMatch(r.stdout);
    expect(r.status).toBe(0);
  });

  it.skipIf(!has('arm-none-eabi-gcc') || !has('qemu-system-arm')).each(['default stack copy', '-DEDGEC_PW_STAGE_HALVES=32'])('equals edgec_conv_s8 on Cortex-M4 (DSP path, QEMU mps2-an386, %s)', (variant: string) => {
    const defines = variant.startsWith('-D') ? [variant] : [];
    const elf = join(mkdtempSync(join(tmpdir(), 'edgec-pw-overlap-m4-')), 'pw_overlap.elf');
    const cc = spawnSync('arm-none-eabi-gcc', [...strict, ...defines, '-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16',
      '-ffunction-sections', '-fdata-sections', '-Wl,--gc-sections', '-nostartfiles', '--specs=rdimon.specs',
      '-T', join(here, 'm4', 'm4.ld'), join(here, 'm4', 'startup.c'), ...sources, '-o', elf], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const r = spawnSync('qemu-system-arm', ['-M', 'mps2-an386', '-semihosting-config', 'enable=on,target=native', '-nographic',
      '-monitor', 'none', '-serial', 'none', '-kernel', elf], { encoding: 'utf8', timeout: 120_000 });
    expectAllMatch(r.stdout);
    expect(r.status).toBe(0);
  }, 150_000);
});
