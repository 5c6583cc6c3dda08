// The in-place depthwise kernel (runtime-c/edgec_depthwise_conv_inplace_s8.c)
// against the ordinary one on ~2,700 random shapes: byte-identical outputs,
// temporary bounded by out_h * out_w (test/runtime-c/depthwise_inplace_test.c).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const runtimeDir = resolve(here, '..', '..', 'runtime-c');
const hasGcc = spawnSync('gcc', ['--version']).status === 0;

describe.skipIf(!hasGcc)('edgec_depthwise_conv_inplace_s8', () => {
  it('equals edgec_depthwise_conv_s8 byte for byte on random shapes', () => {
    const exe = join(mkdtempSync(join(tmpdir(), 'edgec-dw-inplace-')), 'dw_inplace');
    const cc = spawnSync('gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2', '-I', runtimeDir,
      join(here, 'depthwise_inplace_test.c'), join(runtimeDir, 'edgec_depthwise_conv_s8.c'),
      join(runtimeDir, 'edgec_depthwise_conv_inplace_s8.c'), '-o', exe], { encoding: 'utf8' });
    expect(cc.status, cc.stderr).toBe(0);
    const r = spawnSync(exe, [], { encoding: 'utf8' });
    expect(r.stdout).toMatch(/cases \d+ mismatches 0/);
    expect(Number(/cases (\d+)/.exec(r.stdout)?.[1])).toBeGreaterThan(1000);
    expect(r.status).toBe(0);
  });
});
