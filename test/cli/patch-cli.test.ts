/** `--patch auto|off|<n>` on the real CLI: inspect's line, off, a forced grid, a bad value (exit 2, one line). */
import { describe, expect, it } from 'vitest';
import { edgec } from '../helpers/cli.js';

const VWW = 'examples/vww_mobilenet/vww_mobilenet_int8.onnx';
const EDGES = ['--int8-io', '--input-layout', 'nhwc', '--board', 'nucleo-f446re'];

const arenaOf = (stdout: string): number => Number(/^arena: (\d+) bytes/m.exec(stdout)?.[1]);

describe('--patch', () => {
  it('auto (default) chooses a stage by itself: named with its grid, arenas, extra MACs and estimated extra instructions (within 15%)', () => {
    const auto = edgec(['inspect', VWW, ...EDGES]);
    expect(auto.code).toBe(0);
    const line = /^patch-based execution: (\S+) \.\. (\S+) \(\d+ layers, output [\dx]+\) as (\d+)x(\d+) tiles; arena (\d+) -> (\d+) bytes; MACs [\d,]+ -> [\d,]+ \(\+([\d.]+)%, halo recomputation\); est\. instructions ([\d,]+) -> ([\d,]+) \(\+([\d.]+)%/m.exec(auto.stdout);
    expect(line, auto.stdout.split('\n').filter((l) => l.startsWith('patch')).join('\n')).not.toBeNull();
    expect(line![1]).toBe('/0/Conv');
    expect(Number(line![5])).toBe(46080);
    expect(Number(line![6])).toBe(arenaOf(auto.stdout));
    expect(arenaOf(auto.stdout)).toBeLessThan(46080);
    expect(Number(line![7])).toBeLessThan(15);
    const [before, after] = [Number(line![8]!.replace(/,/g, '')), Number(line![9]!.replace(/,/g, ''))];
    expect(after).toBeGreaterThan(before);
    expect(Number(line![10])).toBeCloseTo((100 * (after - before)) / before, 1);
    expect(Number(line![10])).toBeLessThanOrEqual(15);
    // a forced grid reports the same figures
    const r = edgec(['inspect', VWW, ...EDGES, '--patch', '8']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^patch-based execution: \/0\/Conv .* as 8x8 tiles; .*; est\. instructions [\d,]+ -> [\d,]+ \(\+[\d.]+%/m);
    expect(arenaOf(r.stdout)).toBeLessThan(46080);
  });

  it('off keeps the layer-wise arena; <n> forces an n x n grid, <rows>x<cols> any grid', () => {
    const off = edgec(['inspect', VWW, ...EDGES, '--patch', 'off']);
    expect(off.stdout).toMatch(/^patch-based execution: off/m);
    expect(arenaOf(off.stdout)).toBe(46080);
    const forced = edgec(['inspect', VWW, ...EDGES, '--patch', '2']);
    expect(forced.stdout).toMatch(/as 2x2 tiles/);
    const strips = edgec(['inspect', VWW, ...EDGES, '--patch', '8x1']);
    expect(strips.code).toBe(0);
    expect(strips.stdout).toMatch(/as 8x1 tiles/);
  });

  it('a bad value is one line and exit 2', () => {
    const bad = edgec(['inspect', VWW, '--patch', '3x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--patch '3x'/);
    expect(edgec(['bench', '--help']).stdout).toMatch(/--patch <mode>[\s\S]*--int8-io/);
  });
});
