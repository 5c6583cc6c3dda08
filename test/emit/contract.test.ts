/**
 * The contract the generated header states, checked against what the code
 * does: invoke() consumes its inputs unless built with --keep-inputs (and
 * the report prints what keeping them costs), dims[] follow --input-layout,
 * and the status codes listed are the ones the build can return.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { edgec } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-contract-'));
const INT8 = resolve('examples/digits/digits_int8.onnx');

function build(name: string, extra: string[] = []): { out: string; stdout: string; header: string } {
  const out = join(dir, name);
  const r = edgec(['build', INT8, '-o', out, ...extra]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return { out, stdout: r.stdout, header: readFileSync(join(out, 'model.h'), 'utf8') };
}

/** Fills the input, invokes twice without refilling, and prints: input intact after invoke? outputs equal? */
const TWICE = `#include <stdio.h>
#include <string.h>
#include "model.h"
int main(void) {
  static unsigned char before[4096], first[4096];
  edgec_tensor_t *in = model_input(0), *out = model_output(0);
  uint32_t i;
  for (i = 0; i < in->bytes; i++) ((unsigned char *)in->data)[i] = (unsigned char)(i * 37u + 11u);
  for (i = 0; i + 4 <= in->bytes; i += 4) { float v = (float)((int)(i % 17) - 8) * 0.1f; memcpy((unsigned char *)in->data + i, &v, 4); }
  memcpy(before, in->data, in->bytes);
  if (model_invoke() != EDGEC_OK) return 1;
  printf("input intact: %d\\n", memcmp(before, in->data, in->bytes) == 0);
  memcpy(first, out->data, out->bytes);
  if (model_invoke() != EDGEC_OK) return 1;
  printf("same outputs: %d\\n", memcmp(first, out->data, out->bytes) == 0);
  printf("aligned: %d\\n", (int)(((uintptr_t)in->data % 16u) == 0 && ((uintptr_t)out->data % 16u) == 0));
  return 0;
}
`;

function runTwice(out: string): string {
  writeFileSync(join(out, 'twice.c.txt'), TWICE);
  const sources = readdirSync(out).filter((f) => f.endsWith('.c')).map((f) => join(out, f));
  const exe = join(out, 'twice');
  const cc = spawnSync('gcc', ['-std=c99', '-O1', '-x', 'c', join(out, 'twice.c.txt'), '-x', 'none', ...sources, '-I', out, '-o', exe, '-lm'], { encoding: 'utf8' });
  expect(cc.stderr).toBe('');
  return spawnSync(exe, [], { encoding: 'utf8' }).stdout;
}

describe('the generated header contract', () => {
  it('by default invoke() consumes its inputs, and the header says so', () => {
    const b = build('default');
    expect(b.header).toMatch(/Inputs are consumed\. .* invoke\(\) may write other values\s+\* \(including outputs\) over it/s);
    expect(b.header).toMatch(/Reentrancy and threads\. .* not\s+\* reentrant/s);
    expect(b.header).toMatch(/returns EDGEC_OK \(0\) after a complete inference,\s+\* and no other value/);
    // what the header warns about does happen with this model
    expect(runTwice(b.out)).toBe('input intact: 0\nsame outputs: 0\naligned: 1\n');
  });

  it('--keep-inputs: inputs survive invoke(), a second invoke() repeats the first, and the report prints the cost', () => {
    const b = build('keep', ['--keep-inputs']);
    expect(b.header).toMatch(/Inputs are kept\. Built with --keep-inputs/);
    const m = /keep-inputs: invoke\(\) leaves the inputs intact; arena (\d+) bytes, (\d+) more than without --keep-inputs \((\d+)\)/.exec(b.stdout);
    expect(m, b.stdout).not.toBeNull();
    const [arena, extra, without] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(arena - without).toBe(extra);
    expect(extra).toBeGreaterThan(0);
    expect(b.header).toMatch(new RegExp(`#define MODEL_ARENA_BYTES ${arena}\\b`));
    expect(runTwice(b.out)).toBe('input intact: 1\nsame outputs: 1\naligned: 1\n');
  });

  it('dims[] under --input-layout nhwc are channels-last, and the header says which layout each tensor has', () => {
    const b = build('nhwc', ['--input-layout', 'nhwc', '--int8-io']);
    expect(b.header).toMatch(/input 0: 'input' int8 \[1, 8, 8, 1\].*\n \*   dims\[\]: channels-last \(--input-layout nhwc\), row-major; the model declares \[1, 1, 8, 8\]/);
    expect(b.header).toMatch(/output 0: 'logits' int8 \[1, 10\].*\n \*   dims\[\]: the model's declared shape and order/);
    const c = readFileSync(join(b.out, 'model.c'), 'utf8');
    expect(c).toMatch(/EDGEC_INT8, 4, \{ 1, 8, 8, 1 \}/);
  });

  it('status codes: library builds and blob builds list when EDGEC_ERROR comes back', () => {
    const esp = build('esp', ['--board', 'esp32']).header;
    expect(esp).toMatch(/or EDGEC_ERROR \(1\) when a kernel-library call fails/);
    expect(esp).toMatch(/ESP-NN keeps its scratch pointer in\s+\* a library global/);
    expect(readFileSync(join(dir, 'esp', 'model.c'), 'utf8')).toMatch(/return EDGEC_ERROR/);
    const blob = build('blob', ['--weights', 'blob']).header;
    expect(blob).toMatch(/or EDGEC_ERROR \(1\) without running any layer when no valid weights blob is\s+\* bound/);
    const runtime = readFileSync(join(dir, 'blob', 'edgec.h'), 'utf8');
    expect(runtime).not.toMatch(/dims\[\] are in the ONNX model's declared layout\./);
  });
});
