/**
 * Process hygiene of the CLI: a closed stdout is not a crash, every
 * file-system problem is one line naming the path (exit 2, never "internal
 * error"), and arguments that would be silently ignored or would clobber
 * something are refused.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { edgec, type CliResult } from '../helpers/cli.js';
import { encodeNpy, readNpy } from '../../compiler/data/npy.js';
import { validateName } from '../../compiler/pipeline.js';
import { EdgecError } from '../../compiler/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-hygiene-'));
const INT8 = resolve('examples/digits/digits_int8.onnx');
const FLOAT = resolve('examples/digits/digits_float.onnx');
const CALIBRATION = resolve('examples/digits/calibration.npy');
const BIN = resolve('bin/edgec.js');

function expectOneLine(r: CliResult, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^edgec: error: /);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

describe('closed stdout', () => {
  it('edgec boards into a pipe nobody reads (| head -1, | true): no stack trace, exit 0', () => {
    for (const reader of ['head -1', 'true']) {
      const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" boards 2>"${dir}/err" | ${reader} >/dev/null; echo "\${PIPESTATUS[0]}"`], { encoding: 'utf8' });
      expect(readFileSync(join(dir, 'err'), 'utf8')).toBe('');
      expect(r.stdout.trim()).toBe('0');
    }
  });

  it('stdout closed altogether: the build still happens, quietly', () => {
    const out = join(dir, 'closed-stdout');
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${BIN}" build "${INT8}" -o "${out}" >&-`], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'model.c'))).toBe(true);
  });
});

describe('file-system errors are one line naming the path', () => {
  it('-o naming an existing file (EEXIST), a path through a file (ENOTDIR), a name too long', () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'keep me');
    expectOneLine(edgec(['build', INT8, '-o', file]), /a-file: exists and is not a folder/);
    expectOneLine(edgec(['build', INT8, '-o', join(file, 'sub')]), /a-file: exists and is not a folder/);
    expect(readFileSync(file, 'utf8')).toBe('keep me');
    expectOneLine(edgec(['build', INT8, '-o', join(dir, 'x'.repeat(300))]), /x{50}.*name too long/);
  });

  it('-o /proc/x returns (it used to spin forever in mkdir)', () => {
    if (!existsSync('/proc/self')) return;
    expectOneLine(edgec(['build', INT8, '-o', '/proc/edgec-x']), /\/proc\/edgec-x: cannot create the output folder/);
  });

  it('a folder without write permission (EACCES)', () => {
    if (process.getuid?.() === 0) return; // root writes anywhere
    const ro = join(dir, 'read-only');
    mkdirSync(ro, { mode: 0o555 });
    expectOneLine(edgec(['build', INT8, '-o', join(ro, 'out')]), /read-only.*permission denied/);
  });
});

describe('arguments that would be ignored or clobber something are refused', () => {
  it('-o "" (it used to build into the current folder over its README.md)', () => {
    const cwd = join(dir, 'cwd');
    mkdirSync(cwd);
    writeFileSync(join(cwd, 'README.md'), 'my project\n');
    const r2 = spawnSync(process.execPath, [BIN, 'build', INT8, '-o', ''], { cwd, encoding: 'utf8' });
    expectOneLine({ code: r2.status ?? -1, stdout: r2.stdout, stderr: r2.stderr }, /-o needs a folder name/);
    expect(readFileSync(join(cwd, 'README.md'), 'utf8')).toBe('my project\n');
    const q = spawnSync(process.execPath, [BIN, 'quantize', FLOAT, '--calibration', CALIBRATION, '-o', ''], { cwd, encoding: 'utf8' });
    expect(q.status).toBe(2);
  });

  it('--name values that collide with the runtime, C or its headers', () => {
    for (const name of ['edgec', 'edgec_conv_s8', 'stdint']) {
      const out = join(dir, `name-${name}`);
      expectOneLine(edgec(['build', INT8, '--name', name, '-o', out]), /--name/);
      expect(existsSync(out)).toBe(false);
    }
    for (const name of ['edgec_kernels', 'edgec_runtime', 'EDGEC_blob', 'Edgec', 'string', 'arm_nnfunctions', 'esp_nn', 'selftest_main', 'int', '__x', '_Model', 'a'.repeat(40)]) {
      expect(() => validateName(name), name).toThrow(EdgecError);
    }
    for (const name of ['model', 'kws', 'my_edgec', 'Net2', '_x']) expect(validateName(name)).toBe(name);
  });

  it('a second model (inspect; build takes several, test/cli/multi-model.test.ts), and --shape for an input the model does not have (also __proto__)', () => {
    const r = edgec(['inspect', INT8, INT8]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too many arguments/);
    for (const bad of ['__proto__=1', 'constructor=1', 'nope=1,1,8,8']) {
      expectOneLine(edgec(['build', INT8, '--shape', bad, '-o', join(dir, 'shape')]), /--shape .*: the model has no graph input/);
    }
  });

  it('keygen does not write over an existing key pair, and refuses -o ""', () => {
    const keys = join(dir, 'keys');
    expect(edgec(['keygen', '-o', keys]).code).toBe(0);
    const pem = readFileSync(join(keys, 'key.pem'), 'utf8');
    expectOneLine(edgec(['keygen', '-o', keys]), /key\.pem: already exists; not overwriting a key/);
    expect(readFileSync(join(keys, 'key.pem'), 'utf8')).toBe(pem);
    expectOneLine(edgec(['keygen', '-o', '']), /-o needs a folder name/);
  });

  it('bare `edgec` prints the usage and exits 2', () => {
    const r = edgec([]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: edgec/);
  });
});

describe('calibration data and quantize output', () => {
  it('quantize -o q/x.onnx creates q/; [N, 1, ...] calibration stacks (np.stack of batch-1 inputs) are accepted', () => {
    const a = readNpy(CALIBRATION);
    expect(a.shape).toEqual([64, 1, 8, 8]);
    const stacked = join(dir, 'stacked.npy');
    writeFileSync(stacked, encodeNpy({ ...a, shape: [64, 1, 1, 8, 8] }));
    const out = join(dir, 'q', 'sub', 'digits_q.onnx');
    const r = edgec(['quantize', FLOAT, '--calibration', stacked, '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('--calibration with --weights blob builds and reports accuracy (it was an internal error)', () => {
    const out = join(dir, 'blob-calibrated');
    const r = edgec(['build', FLOAT, '--calibration', CALIBRATION, '--weights', 'blob', '-o', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/output 'logits': SQNR \d+\.\d+ dB/);
    expect(existsSync(join(out, 'model.weights'))).toBe(true);
  });
});
