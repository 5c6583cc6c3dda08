/**
 * `edgec build` as users run it: every example builds, the output folder is
 * self-contained and compiles warning-free with strict host gcc and with
 * arm-none-eabi-gcc for Cortex-M4; builds are byte-identical; boards that
 * are too small are refused with the overshoot in bytes.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES } from '../helpers/examples.js';
import { edgec } from '../helpers/cli.js';

const hasArmGcc = spawnSync('arm-none-eabi-gcc', ['--version']).status === 0;

function buildExample(model: string, extra: string[] = []): string {
  const out = mkdtempSync(join(tmpdir(), 'edgec-build-'));
  const r = edgec(['build', model, '-o', out, '--name', 'net', ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return out;
}

function compileAll(dir: string, cc: string, flags: string[]): void {
  const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => join(dir, f));
  // -c: the library has no main; every translation unit must compile without a warning
  const r = spawnSync(cc, [...flags, '-c', ...sources, '-I', dir], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}

describe('edgec build', () => {
  for (const ex of EXAMPLES) {
    it(`${ex.id}: builds and compiles cleanly (gcc strict${hasArmGcc ? ', arm-none-eabi-gcc -Os' : ''})`, () => {
      const dir = buildExample(ex.path);
      const files = readdirSync(dir);
      for (const f of ['net.h', 'net.c', 'net_weights.c', 'net_weights.h', 'edgec.h', 'edgec_kernels.h', 'edgec_fixedpoint.h']) expect(files).toContain(f);
      compileAll(dir, 'gcc', ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2']);
      if (hasArmGcc) compileAll(dir, 'arm-none-eabi-gcc', ['-std=c99', '-mcpu=cortex-m4', '-mthumb', '-Os', '-Wall', '-Wextra', '-Werror']);
      const header = readFileSync(join(dir, 'net.h'), 'utf8');
      expect(header).toMatch(/#define NET_ARENA_BYTES \d+/);
      expect(header).toMatch(/edgec_status_t net_invoke\(void\);/);
      expect(header).toMatch(/edgec_tensor_t \*net_input\(int index\);/);
    });
  }

  it('the same model built twice gives byte-identical files', () => {
    const a = buildExample(EXAMPLES[0].path);
    const b = buildExample(EXAMPLES[0].path);
    const files = readdirSync(a).sort();
    expect(readdirSync(b).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
  });

  it('refuses a board that is too small, saying by how many bytes', () => {
    const vww = EXAMPLES.find((e) => e.id === 'vww_mobilenet');
    if (!vww) return;
    const r = edgec(['build', vww.path, '--board', 'nucleo-f446re', '-o', mkdtempSync(join(tmpdir(), 'edgec-big-'))]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too big for board nucleo-f446re: arena needs (\d+) bytes of RAM, the board has (\d+) \((\d+) bytes over\)/);
    const [, need, have, over] = /needs (\d+) bytes of RAM, the board has (\d+) \((\d+) bytes over\)/.exec(r.stderr) ?? [];
    expect(Number(need) - Number(have)).toBe(Number(over));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('reports arena next to the lower bound', () => {
    const out = mkdtempSync(join(tmpdir(), 'edgec-rep-'));
    const r = edgec(['build', EXAMPLES[0].path, '-o', out, '--board', 'host']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/arena: \d+ bytes \(lower bound \d+, ratio \d\.\d{3}\)/);
  });

  it('the output folder compiles and links with a user main as `gcc -std=c99 *.c`', () => {
    const dir = buildExample(EXAMPLES.find((e) => e.id === 'digits')?.path ?? EXAMPLES[0].path);
    const main = join(dir, 'app_main.c');
    execFileSync('sh', ['-c', `cat > ${main} <<'EOF'
#include "net.h"
#include <stdio.h>
int main(void) {
  edgec_tensor_t *in = net_input(0);
  unsigned i;
  for (i = 0; i < in->bytes; i++) ((unsigned char *)in->data)[i] = 0;
  if (net_invoke() != EDGEC_OK) return 1;
  printf("%d %u %d\\n", net_output(0)->rank, (unsigned)net_output(0)->bytes, net_input(5) == NULL);
  return 0;
}
EOF`]);
    execFileSync('sh', ['-c', 'gcc -std=c99 -Wall -Wextra -Werror *.c -o app -lm'], { cwd: dir });
    const out = execFileSync(join(dir, 'app'), { encoding: 'utf8' });
    expect(out.trim()).toMatch(/^\d+ \d+ 1$/);
  });
});

describe('edgec CLI basics', () => {
  it('--help works everywhere with exit 0', () => {
    for (const args of [['--help'], ['build', '--help'], ['inspect', '--help'], ['boards', '--help']]) {
      const r = edgec(args);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: edgec/);
    }
  });

  it('boards lists every required board', () => {
    const r = edgec(['boards', '--json']);
    expect(r.code).toBe(0);
    const ids = (JSON.parse(r.stdout) as { id: string; ramBytes: number; flashBytes: number }[]).map((b) => b.id);
    for (const id of ['esp32', 'esp32s3', 'esp32c3', 'nano33ble', 'nucleo-f446re', 'nucleo-h743zi', 'pico', 'corstone-300', 'host']) expect(ids).toContain(id);
  });

  it('inspect --json gives per-layer MACs, kernels, arena and flash', () => {
    const r = edgec(['inspect', EXAMPLES[0].path, '--json', '--board', 'nano33ble']);
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout) as { layers: { macs: number; kernel: string; weightsBytes: number }[]; totalMacs: number; arenaBytes: number; lowerBound: number; flashBytes: number };
    expect(rep.layers.length).toBeGreaterThan(3);
    expect(rep.totalMacs).toBe(rep.layers.reduce((a, l) => a + l.macs, 0));
    expect(rep.totalMacs).toBeGreaterThan(100000);
    expect(rep.arenaBytes).toBeGreaterThanOrEqual(rep.lowerBound);
    expect(rep.flashBytes).toBeGreaterThan(rep.layers.reduce((a, l) => a + l.weightsBytes, 0) - 1);
  });

  it('bad input: one line, exit 2, no stack trace', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-bad-'));
    const garbage = join(dir, 'garbage.onnx');
    // deterministic garbage: 0xff bytes are an invalid protobuf wire type
    writeFileSync(garbage, new Uint8Array(2000).fill(0xff));
    const truncated = join(dir, 'truncated.onnx');
    execFileSync('sh', ['-c', `head -c 3000 ${EXAMPLES[0].path} > ${truncated}`]);
    const cases: [string[], RegExp][] = [
      [['build', join(dir, 'missing.onnx')], /missing\.onnx: file not found/],
      [['build', garbage], /garbage\.onnx: .*(corrupt|truncated|protobuf|not an ONNX model)/i],
      [['build', truncated], /truncated\.onnx: /],
      [['build', EXAMPLES[0].path, '--board', 'nosuchboard'], /unknown board 'nosuchboard'/],
      [['build', EXAMPLES[0].path, '--name', '9bad'], /not a valid C identifier/],
      [['build', EXAMPLES[0].path, '--shape', 'input=a,b'], /--shape/],
      [['build'], /missing required argument/],
    ];
    for (const [args, pattern] of cases) {
      const r = edgec(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(pattern);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
