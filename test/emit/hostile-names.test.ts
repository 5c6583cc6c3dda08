/**
 * Names in a model file are untrusted text: every input, output, node and
 * initializer name below goes through `edgec build`, and the output must
 * compile warning-free (-std=c99 -Wall -Wextra -Werror -pedantic, gcc and
 * arm-none-eabi-gcc) with no injected C, while each tensor's `name` string
 * in the generated C still holds the model's bytes exactly (up to a NUL, or
 * C99's 4095-character literal limit).
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgec } from '../helpers/cli.js';
import { QdqBuilder, type QParams } from '../helpers/onnx-builder.js';
import { cCommentText, cIdentifier, cStringLiteral, UniqueCNames } from '../../compiler/emit/c-names.js';
import { displayLine, escapeOutputText } from '../../compiler/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-names-'));
const hasArmGcc = spawnSync('arm-none-eabi-gcc', ['--version']).status === 0;
const P: QParams = { scale: 0.05, zeroPoint: 3, dtype: 'int8' };
const OUT: QParams = { scale: 0.1, zeroPoint: -2, dtype: 'int8' };

const LONG = 'A'.repeat(100_000);
export const HOSTILE_NAMES: readonly string[] = [
  'x*/ int INJECTED = 42; /*', '/* open', '// line', 'a??/', '??=define', 'say "hi"', "it's", 'back\\slash', 'trail\\',
  'new\nline', 'carriage\rreturn', 'nul\u0000byte', '%s%n%d', '\u001b[31mred\u001b[0m', 'int', 'static', 'return',
  '1digit', 'a.b', 'a_b', 'ünïcödé ✓', LONG, `${LONG}B`, 'tab\tname', 'bell\u0007',
];

/** One Gemm per name: input, node and initializers carry the name; outputs are `out<i>` (or swapped). */
function hostileModel(file: string, namesAreInputs: boolean): string {
  const q = new QdqBuilder({ opset: 13 });
  HOSTILE_NAMES.forEach((name, i) => {
    const x = q.input(namesAreInputs ? name : `in${i}`, [1, 4], P, 'int8');
    const y = q.gemm(x, { weight: Float32Array.from({ length: 12 }, (_, k) => Math.sin(k + i)), weightShape: [3, 4], bias: Float32Array.of(0.1, -0.2, 0.3), out: OUT, name: `${name}` });
    q.output(y, namesAreInputs ? `out${i}` : name, 'int8');
  });
  return q.save(join(dir, file));
}

/** What `name` can be as a C string: its UTF-8 bytes up to a NUL, at most 4095 of them. */
function representable(name: string): Buffer {
  const bytes = Buffer.from(name, 'utf8');
  const nul = bytes.indexOf(0);
  const cut = nul >= 0 ? bytes.subarray(0, nul) : bytes;
  return cut.subarray(0, 4095);
}

const PRINT_NAMES = `#include <stdio.h>
#include "net.h"
static void hex(const char *s) { while (*s) printf("%02x", (unsigned char)*s++); printf("\\n"); }
int main(void) {
  int i;
  for (i = 0; i < NET_NUM_INPUTS; i++) hex(net_input(i)->name);
  for (i = 0; i < NET_NUM_OUTPUTS; i++) hex(net_output(i)->name);
  return 0;
}
`;

function strictCompile(out: string, cc: string, flags: string[]): void {
  const sources = readdirSync(out).filter((f) => f.endsWith('.c')).map((f) => join(out, f));
  const r = spawnSync(cc, ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic', ...flags, '-c', ...sources, '-I', out], { cwd: out, encoding: 'utf8' });
  expect(r.stderr.slice(0, 4000)).toBe('');
  expect(r.status).toBe(0);
}

describe('model-provided names in generated C', () => {
  for (const namesAreInputs of [true, false]) {
    it(`hostile ${namesAreInputs ? 'input' : 'output'}, node and initializer names compile cleanly and keep their bytes`, () => {
      const model = hostileModel(`hostile-${namesAreInputs ? 'in' : 'out'}.onnx`, namesAreInputs);
      const out = join(dir, `out-${namesAreInputs ? 'in' : 'out'}`);
      const r = edgec(['build', model, '-o', out, '--name', 'net']);
      expect(r.stderr.slice(0, 2000)).toBe('');
      expect(r.code).toBe(0);
      // the build report names tensors too: no control character reaches the terminal, no 100k-character line
      expect(/[\u0000-\u0008\u000b-\u001f\u007f]/.test(r.stdout)).toBe(false);
      expect(Math.max(...r.stdout.split('\n').map((l) => l.length))).toBeLessThan(4000);
      strictCompile(out, 'gcc', ['-O1']);
      if (hasArmGcc) strictCompile(out, 'arm-none-eabi-gcc', ['-mcpu=cortex-m4', '-mthumb', '-Os']);
      const exe = join(out, 'names');
      writeFileSync(join(out, 'print_names.c.txt'), PRINT_NAMES);
      const sources = readdirSync(out).filter((f) => f.endsWith('.c')).map((f) => join(out, f));
      const cc = spawnSync('gcc', ['-std=c99', '-Wall', '-Werror', '-x', 'c', join(out, 'print_names.c.txt'), '-x', 'none', ...sources, '-I', out, '-o', exe], { encoding: 'utf8' });
      expect(cc.stderr).toBe('');
      const nm = spawnSync('nm', [exe], { encoding: 'utf8' });
      expect(/ INJECTED$/m.test(nm.stdout)).toBe(false); // only as part of a sanitised weight name
      const printed = spawnSync(exe, [], { encoding: 'utf8' }).stdout.trimEnd().split('\n');
      const named = HOSTILE_NAMES.map((n) => representable(n).toString('hex'));
      const others = HOSTILE_NAMES.map((_, i) => Buffer.from(namesAreInputs ? `out${i}` : `in${i}`).toString('hex'));
      expect(printed).toEqual(namesAreInputs ? [...named, ...others] : [...others, ...named]);
    });
  }

  it('error lines show a hostile node name escaped and shortened, on one line', () => {
    const q = new QdqBuilder({ opset: 13 });
    const x = q.input('x', [1, 2, 8, 8], P, 'int8');
    const evil = `pool\n\u001b[2J${'Z'.repeat(5000)}`;
    q.output(q.op('MaxPool', [x], { kernel_shape: [2, 2], dilations: [2, 2] }, { name: evil }), 'y', 'int8');
    const r = edgec(['build', q.save(join(dir, 'evil-error.onnx')), '-o', join(dir, 'evil-error-out')]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^edgec: error: .*node 'pool\\n\\x1b\[2JZZZ.*\.\.\.' \(MaxPool\): .*dilations/);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(r.stderr).not.toMatch(/\u001b/);
    expect(lines[0]!.length).toBeLessThan(1000);
  });
});

describe('c-names', () => {
  it('identifiers: sanitised, not keywords, bounded, and distinct for distinct long names', () => {
    expect(cIdentifier('conv1/weights:0')).toBe('conv1_weights_0');
    expect(cIdentifier('1x')).toBe('v1x');
    expect(cIdentifier('int')).toBe('int_');
    expect(cIdentifier('')).toBe('v');
    expect(cIdentifier(LONG).length).toBeLessThanOrEqual(63);
    expect(cIdentifier(LONG)).not.toBe(cIdentifier(`${LONG}B`));
    const names = new UniqueCNames();
    expect(['a.b', 'a_b', 'a-b', 'a_b_1'].map((n) => names.take(n))).toEqual(['a_b', 'a_b_1', 'a_b_2', 'a_b_1_1']);
  });

  it('literals escape everything that could end or bend them; comments cannot close', () => {
    expect(cStringLiteral('plain name:0')).toBe('"plain name:0"');
    expect(cStringLiteral('a"b\\c\n??/')).toBe('"a\\042b\\134c\\012\\077\\077/"');
    expect(cStringLiteral('x'.repeat(5000)).length).toBe(4095 + 2);
    const comment = cCommentText('x*/ y /* z ??/ \n');
    expect(comment).not.toMatch(/\*\/|\/\*|\?\?|\n/);
    expect(cCommentText('y'.repeat(500)).length).toBeLessThan(100);
  });
});

describe('names in messages', () => {
  it('a long quoted name is shortened where it stands, so the reason after it survives', () => {
    const line = displayLine(`m.onnx: tensor '${'n'.repeat(100_000)}' has invalid dims [0]`);
    expect(line).toMatch(/^m\.onnx: tensor 'n{80}\.\.\.' has invalid dims \[0\]$/);
    expect(displayLine("x 'a\nb\u001b[1m' y")).toBe("x 'a\\nb\\x1b[1m' y");
  });

  it('report text keeps its tabs and line breaks; JSON stays JSON', () => {
    expect(escapeOutputText('a\tb\nc\u001bd\u0085e\u2028f')).toBe('a\tb\nc\\x1bd\\u0085e\\u2028f');
    const json = JSON.stringify({ name: 'x\u007f\u0085\u2028\u202e' });
    expect(JSON.parse(escapeOutputText(json))).toEqual({ name: 'x\u007f\u0085\u2028\u202e' });
  });
});
