/**
 * Output folders: a rebuild replaces the previous edgec build (only the
 * files its manifest lists), leaves everything else alone with a note, and
 * never overwrites a file edgec did not write. Files are moved into place
 * from a temporary folder, so none is left behind.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { edgec } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-outdir-'));
const INT8 = resolve('examples/digits/digits_int8.onnx');

function build(out: string, extra: string[] = []): { stdout: string } {
  const r = edgec(['build', INT8, '-o', out, ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r;
}

const manifestFiles = (out: string, name = 'model'): string[] => (JSON.parse(readFileSync(join(out, `${name}.edgec.json`), 'utf8')) as { files: string[] }).files;

describe('output folder', () => {
  it('the manifest lists every file of the build, itself included, and no temporary folder stays', () => {
    const out = join(dir, 'fresh');
    build(out);
    const files = readdirSync(out).sort();
    expect([...manifestFiles(out)].sort()).toEqual(files);
    expect(readdirSync(dir).filter((f) => f.startsWith('.edgec-tmp'))).toEqual([]);
  });

  it('a rebuild after a board change leaves no stale kernels; a stale <name>_selftest.c is removed', () => {
    const out = join(dir, 'rebuild');
    build(out, ['--selftest', '2']);
    expect(existsSync(join(out, 'model_selftest.c'))).toBe(true);
    expect(existsSync(join(out, 'edgec_conv_s8.c'))).toBe(true);
    const r = build(out, ['--board', 'nano33ble', '--backend', 'cmsis-nn']);
    const files = readdirSync(out).sort();
    expect(files).toEqual([...manifestFiles(out)].sort());
    for (const stale of ['model_selftest.c', 'model_selftest.h', 'selftest_main.c', 'edgec_conv_s8.c']) expect(files).not.toContain(stale);
    expect(r.stdout).toMatch(/note: removed \d+ file\(s\) of the previous edgec build/);
    // and a different --name into the same folder replaces the old model's files too
    build(out, ['--name', 'other']);
    expect(readdirSync(out).filter((f) => f.startsWith('model'))).toEqual([]);
  });

  it('other files in the folder are left alone, with a note', () => {
    const out = join(dir, 'shared');
    mkdirSync(out);
    writeFileSync(join(out, 'notes.txt'), 'mine\n');
    mkdirSync(join(out, 'app'));
    writeFileSync(join(out, 'app', 'main.c'), 'int main(void) { return 0; }\n');
    build(out);
    const r = build(out);
    expect(r.stdout).toMatch(/note: .* also holds 2 file\(s\) edgec did not write, left alone: app\/main.c, notes.txt/);
    expect(readFileSync(join(out, 'notes.txt'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(out, 'app', 'main.c'), 'utf8')).toMatch(/int main/);
  });

  it('never overwrites a file edgec did not write: the build is refused and nothing changes', () => {
    const out = join(dir, 'foreign');
    mkdirSync(out);
    writeFileSync(join(out, 'model.c'), '/* my own model.c */\n');
    const r = edgec(['build', INT8, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^edgec: error: .*foreign\/model\.c: exists and was not written by edgec; not overwriting it\nhint: /);
    expect(readdirSync(out)).toEqual(['model.c']);
    expect(readFileSync(join(out, 'model.c'), 'utf8')).toBe('/* my own model.c */\n');
  });

  it('a manifest cannot make edgec delete files outside its folder', () => {
    const out = join(dir, 'tampered');
    build(out);
    const victim = join(dir, 'victim.txt');
    writeFileSync(victim, 'precious\n');
    const m = JSON.parse(readFileSync(join(out, 'model.edgec.json'), 'utf8')) as { files: string[] };
    m.files.push('../victim.txt', victim);
    writeFileSync(join(out, 'model.edgec.json'), JSON.stringify(m));
    build(out);
    expect(readFileSync(victim, 'utf8')).toBe('precious\n');
  });
});
