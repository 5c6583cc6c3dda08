// The in-place depthwise kernel (runtime-c/edgec_depthwise_conv_inplace_s8.c)
// against the ordinary one on ~2,700 random shapes (stride, dilation,
// asymmetric pads, batches) and DS-CNN's layer: byte-identical outputs,
// temporary bounded by edgec_depthwise_inplace_temp_bytes
// (test/runtime-c/depthwise_inplace_test.c); natively (plain C rows) and on
// QEMU's Cortex-M4 (DSP path: rows of four-channel groups through a ring).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const runtimeDir = resolve(here, '..', '..', 'runtime-c');
const strict = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', '-I', runtimeDir];
const sources = [join(here, 'depthwise_inplace_test.c'), join(runtimeDir, 'edgec_depthwise_conv_s8.c'),
  join(runtimeDir, 'edgec_depthwise_conv_inplace_s8.c')];
const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;

function expectAllMatch(stdout: string): void {
  expect(stdout).toMatch(/cases \d+ mismatches 0/);
  expect(Number(/cases (\d+)/.exec(stdout)?.[1])).toBeGreaterThan(1000);
}

describe('edgec_depthwise_conv_inplace_s8', () => {
  it.skipIf(!has('gcc'))('equals edgec_depthwise_conv_s8 byte for byte on random shapes (native)', () => {
    const exe = join(mkdtempSync(join(tmpdir(), 'edgec-dw-inplace-')), 'dw_inplace');
    const cc = spawnSync('gcc', [...strict, ...sources, '-o', exe], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const r = spawnSync(exe, [], { encoding: 'utf8' });
    expectAllMatch(r.stdout);
    expect(r.status).toBe(0);
  });

  it.skipIf(!has('arm-none-eabi-gcc') || !has('qemu-system-arm'))('equals edgec_depthwise_conv_s8 on Cortex-M4 (DSP path, QEMU mps2-an386)', () => {
    const elf = join(mkdtempSync(join(tmpdir(), 'edgec-dw-inplace-m4-')), 'dw_inplace.elf');
    const cc = spawnSync('arm-none-eabi-gcc', [...strict, '-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16',
      '-ffunction-sections', '-fdata-sections', '-Wl,--gc-sections', '-nostartfiles', '--specs=rdimon.specs',
      '-T', join(here, 'm4', 'm4.ld'), join(here, 'm4', 'startup.c'), ...sources, '-o', elf], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const r = spawnSync('qemu-system-arm', ['-M', 'mps2-an386', '-semihosting-config', 'enable=on,target=native', '-nographic',
      '-monitor', 'none', '-serial', 'none', '-kernel', elf], { encoding: 'utf8', timeout: 120_000 });
    expectAllMatch(r.stdout);
    expect(r.status).toBe(0);
  }, 150_000);
});
