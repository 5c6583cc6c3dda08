// `--optimize size|speed` and `--no-sparse` on inspect and build, with the
// per-layer weight table inspect prints (zeros, pattern, storage, bytes).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgec } from '../helpers/cli.js';

const MLP90 = 'test/fixtures/pruned/mlp_l190_int8.onnx';
const CNN80 = 'test/fixtures/pruned/cnn_l180_int8.onnx';

interface Layer { kind: string; weightStorage?: { storage: string; zeroPercent: number; pattern: string; denseBytes: number; chosenBytes: number } }
interface Report { weightsBytes: number; layers: Layer[] }

function inspect(model: string, extra: string[]): Report {
  const r = edgec(['inspect', model, '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

describe('pruned weights on the command line', () => {
  it('inspect prints zeros, pattern and storage per weighted layer', () => {
    const r = edgec(['inspect', CNN80]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/#\s+layer\s+zeros\s+pattern\s+storage\s+dense B\s+chosen B\s+why/);
    // /0/Conv's pruned filter is dropped from /4/Conv's input (its input channel 1/16)
    expect(r.stdout).toMatch(/\/0\/Conv\s+79\.\d%\s+output channels 1\/16 \+ unstructured\s+bitmap-sparse\s+144\s+\d+\s+smaller/);
    expect(r.stdout).toMatch(/\/4\/Conv\s+81\.\d%\s+input channels 1\/16 \+ unstructured\s+bitmap-sparse\s+4608\s+\d+\s+smaller/);
    expect(r.stdout).toMatch(/note: pruned filters: 1 constant output channel\(s\) dropped/);
    expect(r.stdout).toMatch(/filters: \d+ bytes stored, 9872 dense \(\d+\.\d% saved\)/);
  });

  it('size (default) stores the 80 % pruned CNN sparse; speed keeps its convs dense; --no-sparse keeps all dense', () => {
    const size = inspect(CNN80, []);
    const speed = inspect(CNN80, ['--optimize', 'speed']);
    const off = inspect(CNN80, ['--no-sparse']);
    const kinds = (r: Report): string[] => r.layers.filter((l) => l.weightStorage).map((l) => l.kind);
    expect(kinds(size)).toEqual(['conv2d_sparse', 'conv2d_sparse', 'fully_connected_sparse']);
    expect(kinds(speed)).toEqual(['conv2d', 'conv2d', 'fully_connected']);
    expect(kinds(off)).toEqual(['conv2d', 'conv2d', 'fully_connected']);
    expect(size.weightsBytes).toBeLessThan(off.weightsBytes);
    expect(off.layers.find((l) => l.weightStorage)?.weightStorage?.zeroPercent).toBeGreaterThan(75);
  });

  it('speed picks the sparse fully connected kernels at 90 %; build emits their calls and edgec_sparse.h', () => {
    expect(inspect(MLP90, ['--optimize', 'speed']).layers.filter((l) => l.kind === 'fully_connected_sparse')).toHaveLength(3);
    const out = mkdtempSync(join(tmpdir(), 'edgec-sparse-cli-'));
    const r = edgec(['build', MLP90, '-o', out, '--name', 'mlp']);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(out, 'mlp.c'), 'utf8')).toMatch(/edgec_fully_connected_sparse_s8\(/);
    expect(readFileSync(join(out, 'edgec_sparse.h'), 'utf8')).toMatch(/row mask/);
    expect(edgec(['inspect', MLP90, '--optimize', 'fastest']).code).toBe(2);
  });
});
