/** `edgec verify` from the command line: figures, --inputs (.npy/.npz/folder), exit codes, emcc missing. */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../compiler/cli/main.js';
import { hasEmcc } from '../../compiler/verify/wasm.js';

const MODEL = 'examples/digits/digits_int8.onnx';
const NPY = 'examples/digits/calibration.npy';

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const lines: string[] = [];
  const errs: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((s: string | Uint8Array): boolean => { errs.push(String(s)); return true; }) as typeof process.stderr.write;
  try {
    const code = await main(['node', 'edgec', 'verify', ...args], (s) => lines.push(s));
    return { code, out: lines.join('\n'), err: errs.join('') };
  } finally {
    process.stderr.write = write;
  }
}

const hasNumpy = pythonHas('numpy');

describe.skipIf(!hasEmcc())('edgec verify (CLI)', () => {
  const saved = process.env.EMCC;
  afterEach(() => { if (saved === undefined) delete process.env.EMCC; else process.env.EMCC = saved; });

  it('prints the figures per output and passes (random inputs)', async () => {
    const r = await cli([MODEL, '--samples', '8']);
    console.log(r.out);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/output 'logits': exact [\d.]+%, max \|diff\| \d+ LSB \(tolerance 12\), mean \|diff\| [\d.]+ LSB, top-1 agreement 100.00%/);
    expect(r.out).toMatch(/layers \(isolated.*\): \d+ compared, max \|diff\| [01] LSB, all within tolerance/);
    expect(r.out).toMatch(/^PASS/m);
  }, 60_000);

  it('--inputs .npy, a folder of them, and --json', async () => {
    const r = await cli([MODEL, '--inputs', NPY, '--samples', '10', '--json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.out) as { samples: number; inputSource: string; outputs: { top1Agree: number }[] };
    expect(report.samples).toBe(10);
    expect(report.inputSource).toBe(NPY);
    const dir = mkdtempSync(join(tmpdir(), 'edgec-inputs-'));
    copyFileSync(NPY, join(dir, 'a.npy'));
    copyFileSync(NPY, join(dir, 'b.npy'));
    const d = await cli([MODEL, '--inputs', dir, '--json']);
    expect(d.code).toBe(0);
    expect((JSON.parse(d.out) as { samples: number }).samples).toBe(128);
  }, 60_000);

  it.skipIf(!hasNumpy)('--inputs .npz (compressed, array named after the input)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-npz-'));
    const npz = join(dir, 's.npz');
    execFileSync(testPython(), ['-c', `import numpy as np; a=np.load('${NPY}'); np.savez_compressed('${npz}', input=a[:5])`]);
    const r = await cli([MODEL, '--inputs', npz, '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.out) as { samples: number }).samples).toBe(5);
  }, 60_000);

  it('bad input is one line and exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [[MODEL, '--samples', '0'], /--samples 0: need a positive integer/],
      [[MODEL, '--inputs', 'nope.npy'], /nope.npy: cannot read --inputs/],
      [[MODEL, '--inputs', 'examples/kws_dscnn/calibration.npy'], /does not hold samples of input 'input'/],
      [[MODEL, '--from', '/nonexistent-edgec'], /--from \/nonexistent-edgec: no such folder/],
      [[MODEL, '--max-lsb', 'x'], /--max-lsb 'x'/],
    ];
    for (const [args, msg] of cases) {
      const r = await cli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(msg);
      expect(r.err.trim().split('\n').filter((l) => !l.startsWith('hint:')).length).toBe(1);
    }
    const empty = mkdtempSync(join(tmpdir(), 'edgec-empty-'));
    mkdirSync(join(empty, 'x'));
    const r = await cli([MODEL, '--from', empty]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no <name>.edgec.json manifest/);
  }, 60_000);

  it('without emcc: a clear message, exit 2', async () => {
    process.env.EMCC = '/nonexistent/emcc';
    const r = await cli([MODEL, '--samples', '2']);
    expect(r.code).toBe(2);
    expect(r.err).toContain("emcc not found: install Debian's emscripten (apt-get install emscripten)");
  }, 60_000);
});
