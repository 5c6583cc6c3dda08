/**
 * --stateful / --state through the real CLI (issue 14, streaming state):
 * a ring-buffer QDQ model (no recurrent node) whose buffer is an explicit
 * --state pair streams frame by frame in C (reset() writes the zero point,
 * not byte 0); inspect reports the persistent bytes; bad pairs and models
 * without state inputs are refused with one line, exit 2.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgec } from '../helpers/cli.js';
import { QdqBuilder, type QParams } from '../helpers/onnx-builder.js';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-stateful-cli-'));
const P: QParams = { scale: 0.05, zeroPoint: 3, dtype: 'int8' };
const FRAME = 4;
const HISTORY = 8;

/** buf_out = Concat(buf[:, 4:8], x): the last two frames; y = Gemm(buf_out). `outScale` != P.scale quantizes buf_out differently. */
function ringBuffer(file: string, outScale = P.scale): string {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', [1, FRAME], P);
  const buf = q.input('buf', [1, HISTORY], P);
  q.b.initializer('starts', BigInt64Array.of(4n), [1]).initializer('ends', BigInt64Array.of(8n), [1]).initializer('axes', BigInt64Array.of(1n), [1]);
  const older = q.op('Slice', [buf], {}, { extraInputs: ['starts', 'ends', 'axes'] });
  const next = q.op('Concat', [older, x], { axis: 1 }, { out: { ...P, scale: outScale } });
  const y = q.gemm(next, { weight: Float32Array.from({ length: 2 * HISTORY }, (_, i) => Math.sin(i + 1) / 4), weightShape: [2, HISTORY], out: { scale: 0.02, zeroPoint: 0, dtype: 'int8' } });
  q.output(y, 'y').output(next, 'buf_out');
  return q.save(join(dir, file));
}

function expectOneLineError(args: string[], pattern: RegExp): void {
  const r = edgec(args);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^edgec: error: /);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

/** Feeds frames 1, 2, 3 (int8 values 10+f, 20+f, ...), then reset() and frame 4; prints buf_out after each invoke. */
const MAIN = `#include <stdio.h>
#include "ring.h"
static void frame(int f) {
  int i;
  for (i = 0; i < ${FRAME}; i++) ((int8_t *)ring_input(0)->data)[i] = (int8_t)(10 * (i + 1) + f);
  if (ring_invoke() != EDGEC_OK) return;
  for (i = 0; i < ${HISTORY}; i++) printf("%d ", ((const int8_t *)ring_output(1)->data)[i]);
  printf("\\n");
}
int main(void) {
  frame(1); frame(2); frame(3);
  ring_reset();
  frame(4);
  return RING_NUM_INPUTS == 1 ? 0 : 1;
}
`;

describe('--state on a ring-buffer model', () => {
  it('streams frame by frame: the buffer carries over, reset() refills it with the zero point', () => {
    const model = ringBuffer('ring.onnx');
    const out = join(dir, 'ring');
    const r = edgec(['build', model, '--state', 'buf=buf_out', '--int8-io', '--name', 'ring', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/stateful: buf <- buf_out \(8 B\); 16 persistent bytes/);
    writeFileSync(join(out, 'main.c'), MAIN);
    const sources = readdirSync(out).filter((f) => f.endsWith('.c')).map((f) => join(out, f));
    const exe = join(out, 'run');
    // warning-free: the project's strict flags (-Wall -Wextra -Werror -pedantic, C99)
    execFileSync('gcc', [...STRICT_FLAGS, '-O2', '-I', out, ...sources, '-o', exe, '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = execFileSync(exe, { encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(' ').map(Number));
    const f = (k: number): number[] => [11 + k - 1, 21 + k - 1, 31 + k - 1, 41 + k - 1].map((v) => v);
    const zp = [3, 3, 3, 3];
    expect(lines).toEqual([[...zp, ...f(1)], [...f(1), ...f(2)], [...f(2), ...f(3)], [...zp, ...f(4)]]);
  });

  it('inspect reports the persistent bytes and leaves the state out of the inputs', () => {
    const r = edgec(['inspect', ringBuffer('ring2.onnx'), '--state', 'buf=buf_out', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { persistentBytes: number; arenaBytes: number; inputs: { name: string }[] };
    expect(report.persistentBytes).toBe(16);
    expect(report.arenaBytes).toBeGreaterThanOrEqual(16);
    expect(report.inputs.map((i) => i.name)).toEqual(['x']);
  });
});

describe('bad state pairs: one line, exit 2', () => {
  const model = ringBuffer('ring_bad.onnx');
  it.each([
    [['--state', 'buf=y'], /--state buf=y: the input has 8 elements \[1, 8\], the output 2 \[1, 2\]/],
    [['--state', 'nope=buf_out'], /--state nope=buf_out: 'nope' is not a graph input/],
    [['--state', 'buf=x'], /--state buf=x: 'x' is not a graph output/],
    [['--state', 'buf'], /--state 'buf': expected <input>=<output>/],
    [['--stateful'], /--stateful: the model has no LSTM or GRU node; name the state pairs with --state/],
  ] as [string[], RegExp][])('%s', (extra, pattern) => {
    expectOneLineError(['build', model, ...extra, '-o', join(dir, 'bad')], pattern);
  });

  it('a QDQ pair with different scales is refused, not requantized', () => {
    expectOneLineError(['build', ringBuffer('ring_scales.onnx', 0.1), '--state', 'buf=buf_out', '-o', join(dir, 'bad2')],
      /--state buf=buf_out: input and output are quantized differently \(int8, scale 0\.05.* vs int8, scale 0\.1/);
  });

  it('an LSTM exported without a state input is refused naming the node', () => {
    expectOneLineError(['build', 'test/fixtures/recurrent/torch_lstm.onnx', '--calibration', 'test/fixtures/recurrent/calib_torch_lstm.npy', '--stateful', '-o', join(dir, 'bad3')],
      /node '\/rnn\/LSTM' \(LSTM\): --stateful: the model has no state input for this node \(its initial_h is the constant '\/rnn\/Expand_output_0' \(a zero state the exporter folded in\)\)/);
  });
});
