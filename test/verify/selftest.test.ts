/**
 * `edgec build --selftest N`: the golden vectors and <name>_selftest() PASS
 * natively (gcc) and on an emulated Cortex-M4F (qemu-system-arm mps2-an386,
 * test/qemu startup + semihosting), and FAIL when the folder is corrupted.
 * The folder without -DEDGEC_SELFTEST_MAIN still compiles as a library.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../../compiler/cli/main.js';

const MODELS = [
  { id: 'digits', path: 'examples/digits/digits_int8.onnx' },
  { id: 'kws', path: 'examples/kws_dscnn/kws_dscnn_int8.onnx' },
];
const STRICT = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', '-O2'];
const M4 = ['-mcpu=cortex-m4', '-mthumb', '-mfloat-abi=hard', '-mfpu=fpv4-sp-d16'];
const QEMU_DIR = resolve('test/qemu');

const has = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const haveArm = has('arm-none-eabi-gcc') && has('qemu-system-arm');

async function build(model: string, name: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `edgec-selftest-${name}-`));
  const code = await main(['node', 'edgec', 'build', model, '--name', name, '-o', dir, '--selftest', '4'], () => undefined);
  expect(code).toBe(0);
  return dir;
}

const sources = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => join(dir, f));

function runNative(dir: string): { status: number | null; out: string } {
  const exe = join(dir, 'selftest');
  execFileSync('gcc', [...STRICT, '-DEDGEC_SELFTEST_MAIN', '-I', dir, ...sources(dir), '-o', exe, '-lm']);
  const r = spawnSync(exe, [], { encoding: 'utf8' });
  return { status: r.status, out: r.stdout };
}

function runQemu(dir: string): { status: number | null; out: string } {
  const elf = join(dir, 'selftest.elf');
  execFileSync('arm-none-eabi-gcc', [...M4, ...STRICT.filter((f) => f !== '-pedantic'), '-ffunction-sections', '-fdata-sections', '-nostartfiles',
    '-T', join(QEMU_DIR, 'mps2-an386.ld'), '-DEDGEC_SELFTEST_MAIN', '-DEDGEC_SELFTEST_PUTS=semihost_puts', '-I', dir,
    join(QEMU_DIR, 'startup.c'), ...sources(dir), '-Wl,--gc-sections', '--specs=nano.specs', '-lc', '-lgcc', '-lnosys', '-o', elf]);
  const r = spawnSync('qemu-system-arm', ['-M', 'mps2-an386', '-nographic', '-monitor', 'none', '-semihosting-config', 'enable=on,target=native', '-kernel', elf],
    { encoding: 'utf8', timeout: 120_000 });
  // QEMU writes semihosting SYS_WRITE0 text to its stderr
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** One requantization shift of the first layer, +1: that channel's outputs double. */
function corrupt(dir: string, name: string): string {
  const bad = mkdtempSync(join(tmpdir(), `edgec-selftest-bad-`));
  cpSync(dir, bad, { recursive: true });
  const file = join(bad, `${name}_weights.c`);
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace(/(_shift\[\d+\][^{]*\{\s*)(-?\d+)/, (_m, head: string, v: string) => `${head}${Number(v) + 1}`));
  return bad;
}

describe('edgec build --selftest', () => {
  const dirs = new Map<string, Promise<string>>();
  const folder = (m: { id: string; path: string }): Promise<string> => {
    if (!dirs.has(m.id)) dirs.set(m.id, build(m.path, m.id));
    return dirs.get(m.id) as Promise<string>;
  };

  for (const m of MODELS) {
    it(`${m.id}: PASS natively; library build links no main`, async () => {
      const dir = await folder(m);
      const r = runNative(dir);
      console.log(`native ${r.out.trim()}`);
      expect(r.status).toBe(0);
      expect(r.out).toContain(`${m.id} selftest: PASS (4 golden vectors)`);
      // without the macro: a library, no main (linking alone must fail for lack of one)
      const lib = spawnSync('gcc', [...STRICT, '-I', dir, ...sources(dir), '-o', join(dir, 'nomain'), '-lm'], { encoding: 'utf8' });
      expect(lib.status).not.toBe(0);
      expect(lib.stderr).toMatch(/undefined reference to `main'/);
    }, 60_000);

    it.skipIf(!haveArm)(`${m.id}: PASS on qemu-system-arm mps2-an386 (Cortex-M4F)`, async () => {
      const r = runQemu(await folder(m));
      console.log(`qemu ${r.out.trim()}`);
      expect(r.out).toContain(`${m.id} selftest: PASS (4 golden vectors)`);
      expect(r.status).toBe(0);
    }, 120_000);
  }

  it('a corrupted shift FAILs, natively and on qemu', async () => {
    const bad = corrupt(await folder(MODELS[0]), 'digits');
    const r = runNative(bad);
    console.log(`native (corrupted) ${r.out.trim()}`);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/digits selftest: FAIL, \d+ outputs beyond tolerance/);
    if (haveArm) {
      const q = runQemu(bad);
      console.log(`qemu (corrupted) ${q.out.trim()}`);
      expect(q.status).toBe(1);
      expect(q.out).toMatch(/FAIL/);
    }
  }, 120_000);
});
