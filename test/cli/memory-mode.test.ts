// `--memory min|fast` on build and inspect (bench shares the option and the
// plan options; its QEMU figures are in `npm run bench`): min (default) runs
// DS-CNN's depthwise layers in place and its pointwise convs overlapped in
// about half the plain arena, fast keeps the plain kernels and separate buffers.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgec } from '../helpers/cli.js';

const KWS = 'examples/kws_dscnn/kws_dscnn_int8.onnx';

interface Layer { kind: string }
interface Report { arenaBytes: number; layers: Layer[] }

function inspect(extra: string[]): Report {
  const r = edgec(['inspect', KWS, '--json', ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Report;
}

describe('--memory', () => {
  it('min (default) uses the sharing kernels, fast the plain ones with a larger arena', () => {
    const min = inspect([]);
    expect(inspect(['--memory', 'min']).arenaBytes).toBe(min.arenaBytes);
    const fast = inspect(['--memory', 'fast']);
    const kernels = (r: Report): string => JSON.stringify(r.layers.map((l) => l.kind));
    expect(kernels(min)).toMatch(/depthwise_conv2d_inplace/);
    expect(kernels(min)).toMatch(/conv2d_1x1_overlap/);
    expect(kernels(fast)).not.toMatch(/inplace|overlap/);
    expect(min.arenaBytes).toBe(8496);
    expect(fast.arenaBytes).toBe(16000);
  });

  it('build --memory fast emits no sharing kernel calls; a bad mode is a usage error', () => {
    const out = mkdtempSync(join(tmpdir(), 'edgec-memory-'));
    const r = edgec(['build', KWS, '--memory', 'fast', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    const c = readFileSync(join(out, 'model.c'), 'utf8');
    expect(c).toMatch(/edgec_depthwise_conv_s8\(/);
    expect(c).not.toMatch(/inplace|overlap/);
    expect(edgec(['build', '--help']).stdout).toMatch(/--memory <mode>/);
    const bad = edgec(['inspect', KWS, '--memory', 'small']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/min, fast/);
  });
});
