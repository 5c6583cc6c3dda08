// The bitmap-sparse kernels (runtime-c/edgec_{fully_connected,conv,depthwise_conv}_sparse_s8.c,
// format in runtime-c/edgec_sparse.h) against the dense ones on ~1,600 random
// shapes and sparse weights (unstructured 0-100 % zeros, 2:4, pruned filters,
// pruned input channels): byte-identical outputs (test/runtime-c/sparse_kernels_test.c),
// natively (plain C dense kernels) and on QEMU's Cortex-M4 (the dense kernels' DSP paths).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const runtimeDir = resolve(here, '..', '..', 'runtime-c');
const strict = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', '-I', runtimeDir];
const sources = [join(here, 'sparse_kernels_test.c'), ...['fully_connected', 'conv', 'depthwise_conv']
  .flatMap((k) => [join(runtimeDir, `edgec_${k}_s8.c`), join(runtimeDir, `edgec_${k}_sparse_s8.c`)])];
const has = (cmd: string): boolean => spawnSync(cmd, ['--version']).status === 0;

function expectAllMatch(stdout: string): void {
  expect(stdout).toMatch(/cases \d+ mismatches 0/);
  expect(Number(/cases (\d+)/.exec(stdout)?.[1])).toBeGreaterThan(1000);
}

describe('sparse kernels', () => {
  // -DEDGEC_SPARSE_NO_CTZ: the bit loop of cores without a count-trailing-zeros instruction (Cortex-M0+, plain RISC-V)
  it.skipIf(!has('gcc')).each([{ flags: [] as string[] }, { flags: ['-DEDGEC_SPARSE_NO_CTZ'] }])('equal the dense kernels byte for byte on random sparse weights (native $flags)', ({ flags }) => {
    const exe = join(mkdtempSync(join(tmpdir(), 'edgec-sparse-')), 'sparse');
    const cc = spawnSync('gcc', [...strict, ...flags, ...sources, '-o', exe], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const r = spawnSync(exe, [], { encoding: 'utf8' });
    expectAllMatch(r.stdout);
    expect(r.status).toBe(0);
  });

  it.skipIf(!has('arm-none-eabi-gcc') || !has('qemu-system-arm'))('equal the dense kernels on Cortex-M4 (DSP dense paths, QEMU mps2-an386)', () => {
    const elf = join(mkdtempSync(join(tmpdir(), 'edgec-sparse-m4-')), 'sparse.elf');
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
