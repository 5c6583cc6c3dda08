/**
 * Patch-based execution (passes/patch-stage.ts, plan/patch-geometry.ts):
 * the geometry, the plan of a patched program (no two live buffers overlap),
 * the arena it saves on the VWW fixture, and bit-exactness: the generated C
 * of a patched build gives byte-identical outputs to the unpatched build's on
 * random inputs, for VWW and for a synthetic stack with stride 2, dilation,
 * odd sizes, SAME / VALID / asymmetric padding and tiles that do not divide.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type Compiled, type CompileOptions } from '../../compiler/pipeline.js';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';
import { inputSpan, patchAxes, splitEvenly, tilePlans, type AxisWindow } from '../../compiler/plan/patch-geometry.js';
import { plannedProblemOf } from '../../compiler/plan/program.js';
import { valueBytes } from '../../compiler/ir/program.js';
import { checkPlan, makeRng } from '../plan/helpers.js';
import { QdqBuilder } from '../helpers/onnx-builder.js';
import { Rand, inputRms } from '../ops/harness.js';
import { benchModel } from '../../compiler/bench/bench.js';
import { BENCH_CORES } from '../../compiler/bench/cores.js';
import { toolAvailable } from '../../compiler/bench/cortex-m.js';

const haveM4 = BENCH_CORES.m4.tools.every(toolAvailable) && toolAvailable('gcc');

const VWW = 'examples/vww_mobilenet/vww_mobilenet_int8.onnx';
const VWW_OPTIONS: CompileOptions = { int8Io: true, inputLayout: 'nhwc', board: 'nucleo-f446re' };

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** Reference of the geometry: which input indices an output span reads, tap by tap. */
function readIndices(out: { start: number; end: number }, a: AxisWindow): number[] {
  const seen = new Set<number>();
  for (let o = out.start; o < out.end; o++) {
    for (let t = 0; t < a.kernel; t++) {
      const i = o * a.stride - a.padBefore + t * a.dilation;
      if (i >= 0 && i < a.inSize) seen.add(i);
    }
  }
  return [...seen].sort((x, y) => x - y);
}

describe('patch geometry', () => {
  it('input spans hold every tap read (the hull of the taps, clipped to the input); patch padding maps patch output 0 onto the tile start', () => {
    const rng = makeRng(7);
    for (let trial = 0; trial < 300; trial++) {
      const kernel = 1 + rng(5);
      const stride = 1 + rng(3);
      const dilation = 1 + rng(3);
      const inSize = 4 + rng(30);
      const padBefore = rng(kernel * dilation);
      const outSize = Math.floor((inSize + padBefore + rng(kernel * dilation) - (kernel - 1) * dilation - 1) / stride) + 1;
      if (outSize < 1) continue;
      const axis: AxisWindow = { inSize, outSize, kernel, stride, dilation, padBefore };
      const start = rng(outSize);
      const out = { start, end: start + 1 + rng(outSize - start) };
      const idx = readIndices(out, axis);
      if (idx.length === 0) continue;
      const span = inputSpan(out, axis);
      // from the first index read (or the input's start, when dilated taps fall before it) to after the last one read (or the input's end)
      expect(span.start === idx[0] || (span.start === 0 && span.start < idx[0]!)).toBe(true);
      expect(span.end === idx[idx.length - 1]! + 1 || (span.end === inSize && span.end > idx[idx.length - 1]!)).toBe(true);
      const [p] = patchAxes([axis], out);
      // output o of the patch reads patch index o * stride - pad: the image index o' * stride - padBefore shifted by the span start
      expect(out.start * stride - padBefore).toBe(span.start - p!.padBefore);
      expect(p!.padBefore).toBeGreaterThanOrEqual(0);
    }
  });

  it('tiles cover the stage output exactly once, with spans differing by at most one', () => {
    for (const [size, parts] of [[24, 5], [7, 7], [13, 4], [1, 1]] as const) {
      const spans = splitEvenly(size, parts);
      expect(spans[0]!.start).toBe(0);
      expect(spans[spans.length - 1]!.end).toBe(size);
      spans.slice(1).forEach((s, i) => expect(s.start).toBe(spans[i]!.end));
      const lengths = spans.map((s) => s.end - s.start);
      expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
    }
    const layer = { inSize: 9, outSize: 5, kernel: 3, stride: 2, dilation: 1, padBefore: 1 };
    expect(tilePlans([{ rows: layer, cols: layer }], { rows: 2, cols: 3 })).toHaveLength(6);
  });
});

/** Input [1, 3, 23, 19] int8 through five convolutions with every geometry the patches must handle. */
function syntheticStack(seed: number): Uint8Array {
  const r = new Rand(seed);
  const q = new QdqBuilder({ opset: 13 });
  let x = q.input('x', [1, 3, 23, 19], r.qparams(), 'int8');
  let channels = 3;
  const layer = (cout: number, k: [number, number], attrs: Record<string, number[] | number>, depthwise = false): void => {
    const group = depthwise ? channels : 1;
    const shape = [cout, channels / group, k[0], k[1]];
    const std = Math.sqrt((channels / group) * k[0] * k[1] / 3) * inputRms(x);
    x = q.conv(x, {
      weight: r.floats(shape.reduce((a, b) => a * b, 1)), weightShape: shape, bias: r.floats(cout, -std / 2, std / 2),
      out: r.outFor(std), attrs: depthwise ? { ...attrs, group } : attrs,
    });
    channels = cout;
  };
  layer(8, [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }); // 12 x 10, SAME-like
  layer(8, [3, 3], { dilations: [2, 2], pads: [2, 2, 2, 2] }, true); // dilated depthwise
  layer(6, [3, 2], { pads: [0, 0, 0, 0] }); // VALID, non-square kernel: 10 x 9
  layer(6, [3, 3], { strides: [2, 2], pads: [0, 1, 1, 0] }, true); // asymmetric padding, stride 2: 5 x 4
  layer(5, [1, 1], {}); // pointwise
  q.output(x, 'y', 'int8');
  return q.toBytes();
}

/** A C program running models m0..m<n-1> on the same input bytes, writing each one's outputs. */
function runnerSource(count: number): string {
  const names = Array.from({ length: count }, (_, i) => `m${i}`);
  const run = names.map((n) => `
  for (i = 0; i < ${n.toUpperCase()}_NUM_INPUTS; i++) memcpy(${n}_input(i)->data, buf, ${n}_input(i)->bytes);
  if (${n}_invoke() != EDGEC_OK) return 3;
  for (i = 0; i < ${n.toUpperCase()}_NUM_OUTPUTS; i++) fwrite(${n}_output(i)->data, 1, ${n}_output(i)->bytes, out);`).join('\n');
  return `#include <stdio.h>
#include <string.h>
${names.map((n) => `#include "${n}.h"`).join('\n')}
static int8_t buf[1 << 17];
int main(int argc, char **argv) {
  FILE *in = fopen(argv[1], "rb");
  FILE *out = fopen(argv[2], "wb");
  size_t n;
  int i;
  if (argc != 3 || !in || !out) return 2;
  n = fread(buf, 1, sizeof buf, in);
  (void)n;
${run}
  fclose(in);
  fclose(out);
  return 0;
}
`;
}

/** Compiles every build into one native runner, feeds each the same random input, returns each build's output bytes. */
function runBuilds(builds: Compiled[], seed: number): Uint8Array[] {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-patch-'));
  dirs.push(dir);
  const src = join(dir, 'src');
  mkdirSync(src);
  for (const c of builds) for (const f of c.emitted.files) writeFileSync(join(src, f.path), f.contents);
  writeFileSync(join(src, 'runner.c'), runnerSource(builds.length));
  const sources = [...new Set(builds.flatMap((c) => c.emitted.files.map((f) => f.path)))].filter((f) => f.endsWith('.c')).sort();
  const exe = join(dir, 'runner');
  execFileSync('gcc', [...STRICT_FLAGS, '-O1', '-I', src, join(src, 'runner.c'), ...sources.map((f) => join(src, f)), '-o', exe, '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const rng = makeRng(seed);
  // random int8 bytes, or floats in [-4, 4) for a float input (no NaN bit patterns)
  const parts = builds[0]!.program.inputs.map((id): Uint8Array => {
    const v = builds[0]!.program.values.get(id)!;
    const n = v.shape.reduce((a, b) => a * b, 1);
    if (v.type === 'float32') return new Uint8Array(Float32Array.from({ length: n }, () => rng(8192) / 1024 - 4).buffer);
    return Uint8Array.from({ length: valueBytes(v) }, () => rng(256));
  });
  const input = Uint8Array.from(parts.flatMap((p) => [...p]));
  writeFileSync(join(dir, 'in.bin'), input);
  execFileSync(exe, [join(dir, 'in.bin'), join(dir, 'out.bin')]);
  const all = readFileSync(join(dir, 'out.bin'));
  const each = all.length / builds.length;
  return builds.map((_, i) => new Uint8Array(all.subarray(i * each, (i + 1) * each)));
}

/**
 * Every step of the build's plan: no two live buffers share bytes (the
 * planner tests' independent checker), except the stage input and output
 * declared to share a block, whose order stageOverlapHazards checks.
 */
function planViolations(c: Compiled): string[] {
  const problem = plannedProblemOf(c.program, (op) => c.backend.kernelFor(op).scratchBytes);
  const shared = c.program.patchOverlap;
  const rootOf = (id: string): string => c.program.values.get(id)?.aliasOf ?? id;
  const sharing = (msg: string): boolean => {
    const ids = [...msg.matchAll(/(\S+) \[\d+,\d+\]@/g)].map((m) => rootOf(m[1]!));
    return shared !== undefined && ids.length === 2 && ids.includes(shared.input) && ids.includes(shared.output);
  };
  return checkPlan(problem, c.plan).filter((e) => !sharing(e));
}

/** Arena byte ranges [start, end) of a window of `rows` x `cols` pixels of `channels` in a `width`-pixel-wide buffer at `base`. */
function windowRanges(base: number, width: number, y: number, x: number, rows: number, cols: number, channels: number): [number, number][] {
  return Array.from({ length: rows }, (_, r): [number, number] => {
    const start = base + ((y + r) * width + x) * channels;
    return [start, start + cols * channels];
  });
}

/**
 * Stage input and output in one block: replays the stage op by op and lists
 * every output byte written while a later op still reads the input byte at
 * that address (empty when the sharing is safe).
 */
function stageOverlapHazards(c: Compiled): string[] {
  const shared = c.program.patchOverlap;
  if (!shared) return [];
  const at = (id: string): number => c.plan.placements.get(id)!.offset;
  const rootOf = (id: string): string => c.program.values.get(id)?.aliasOf ?? id;
  const n = (op: Compiled['program']['ops'][number], k: string): number => Number(op.params[k]);
  const reads: { step: number; range: [number, number] }[] = [];
  const writes: { step: number; range: [number, number] }[] = [];
  c.program.ops.forEach((op, step) => {
    if (!op.patch) return;
    const [input, output] = [op.inputs[0]!, op.outputs[0]!];
    if (op.kind === 'copy_window') {
      const src = windowRanges(at(input), n(op, 'src_w'), n(op, 'src_y'), n(op, 'src_x'), n(op, 'rows'), n(op, 'cols'), n(op, 'channels'));
      const dst = windowRanges(at(output), n(op, 'dst_w'), n(op, 'dst_y'), n(op, 'dst_x'), n(op, 'rows'), n(op, 'cols'), n(op, 'channels'));
      if (rootOf(input) === shared.input) src.forEach((range) => reads.push({ step, range }));
      if (rootOf(output) === shared.output) dst.forEach((range) => writes.push({ step, range }));
      return;
    }
    if (rootOf(input) === shared.input) reads.push({ step, range: [at(input), at(input) + valueBytes(c.program.values.get(input)!)] });
    if (rootOf(output) === shared.output) writes.push({ step, range: [at(output), at(output) + n(op, 'out_h') * n(op, 'out_w') * n(op, 'out_c')] });
  });
  expect(reads.length).toBeGreaterThan(0);
  expect(writes.length).toBeGreaterThan(0);
  const hazards: string[] = [];
  for (const w of writes) {
    for (const r of reads) {
      if (r.step > w.step && r.range[0] < w.range[1] && w.range[0] < r.range[1]) hazards.push(`step ${w.step} writes [${w.range}] before step ${r.step} reads [${r.range}]`);
    }
  }
  return hazards;
}

describe('patch-stage on a synthetic conv / depthwise stack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-patch-model-'));
  dirs.push(dir);
  const model = join(dir, 'stack.onnx');
  writeFileSync(model, syntheticStack(3));
  const variants: CompileOptions['patch'][] = [
    { layers: 2, grid: { rows: 2, cols: 2 } },
    { layers: 3, grid: { rows: 3, cols: 2 } },
    { layers: 4, grid: { rows: 2, cols: 3 } },
    { layers: 5, grid: { rows: 5, cols: 4 } },
    { layers: 5, grid: { rows: 3, cols: 1 } },
    { layers: 4, grid: { rows: 1, cols: 4 } },
  ];
  const plain = compileModel(model, { name: 'm0', patch: 'off' });
  const patched = variants.map((patch, i) => compileModel(model, { name: `m${i + 1}`, patch }));

  it('runs every layer of the stage once per tile and plans without overlapping live buffers', () => {
    patched.forEach((c, i) => {
      const v = variants[i] as { layers: number; grid: { rows: number; cols: number } };
      expect(c.patch?.layers).toBe(v.layers);
      const tiles = v.grid.rows * v.grid.cols;
      expect(c.program.ops.filter((op) => op.patch && op.patch.layer >= 0)).toHaveLength(tiles * v.layers);
      expect(c.patch!.macsAfter).toBeGreaterThanOrEqual(c.patch!.macsBefore);
      expect(planViolations(c)).toEqual([]);
      expect(stageOverlapHazards(c)).toEqual([]);
    });
  });

  it('gives byte-identical outputs to the unpatched build on random inputs', () => {
    for (const seed of [1, 2, 3]) {
      const [reference, ...others] = runBuilds([plain, ...patched], seed);
      expect(reference!.length).toBe(5 * 5 * 4);
      others.forEach((o) => expect(Buffer.from(o).equals(Buffer.from(reference!))).toBe(true));
    }
  });
});

describe('patch-stage on KWS (DS-CNN, float input: the stage input is the Quantize output), forced grids', () => {
  const KWS = 'examples/kws_dscnn/kws_dscnn_int8.onnx';
  const plain = compileModel(KWS, { name: 'm0', patch: 'off' });
  const forced = [2, 3, { layers: 3, grid: { rows: 4, cols: 2 } }].map((patch, i) => compileModel(KWS, { name: `m${i + 1}`, patch }));

  it('plans without overlapping live buffers and gives the unpatched build\'s bytes', () => {
    for (const c of forced) {
      expect(c.patch).toBeDefined();
      expect(planViolations(c)).toEqual([]);
      expect(stageOverlapHazards(c)).toEqual([]);
    }
    const [reference, ...others] = runBuilds([plain, ...forced], 21);
    others.forEach((o) => expect(Buffer.from(o).equals(Buffer.from(reference!))).toBe(true));
  });
});

// The Cortex-M4 build takes the kernels' DSP paths (SMLAD, other borders and im2col) that the host build does not.
describe.skipIf(!haveM4)('patch-stage on the emulated Cortex-M4 (QEMU)', () => {
  it('patched builds of the synthetic stack give the unpatched host build\'s bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-patch-m4-'));
    dirs.push(dir);
    const model = join(dir, 'stack.onnx');
    writeFileSync(model, syntheticStack(5));
    // our kernels on every layer (auto may call CMSIS-NN outside the stage, which needs CMSIS_NN_PATH to link)
    const base = { board: 'nucleo-f446re', backend: 'portable', opts: ['-O2'], seed: 3 };
    const off = benchModel(model, { ...base, patch: 'off', checkHost: true });
    expect(off.builds[0]!.matchesHost).toBe(true);
    for (const patch of [{ layers: 5, grid: { rows: 3, cols: 3 } }, { layers: 3, grid: { rows: 2, cols: 4 } }]) {
      const r = benchModel(model, { ...base, patch, expected: off.hostOutputs });
      expect(r.ops).toBeGreaterThan(off.ops);
      expect(r.builds[0]!.matchesHost).toBe(true);
    }
  }, 120_000);
});

describe('patch-stage on VWW (MobileNetV1-0.25 96x96, --int8-io --input-layout nhwc)', () => {
  const plain = compileModel(VWW, { ...VWW_OPTIONS, name: 'm0', patch: 'off' });
  // auto (the default): 8x4 tiles, estimated +13.5% instructions (measured on the M4: +13.3%,
  // compiler/data/patch-costs/vww_mobilenet.json); an oblong grid beats 6x6 on arena and instructions
  const auto = compileModel(VWW, { ...VWW_OPTIONS, name: 'm1' });

  it('auto tiles the first stage by itself: an arena below the unpatched one, within 15% more MACs and estimated instructions', () => {
    expect(auto.patch).toBeDefined();
    expect(auto.patch!.instructionsAfter!).toBeLessThanOrEqual(auto.patch!.instructionsBefore! * 1.15);
    expect(auto.patch!.instructionsAfter!).toBeGreaterThan(auto.patch!.instructionsBefore!);
    expect(auto.plan.arenaBytes).toBeLessThan(plain.plan.arenaBytes);
    expect(auto.patch!.arenaBefore).toBe(plain.plan.arenaBytes);
    expect(auto.patch!.arenaAfter).toBe(auto.plan.arenaBytes);
    expect(auto.patch!.macsAfter).toBeLessThan(auto.patch!.macsBefore * 1.15);
    expect(planViolations(auto)).toEqual([]);
    // the stage input and output share one block (the input's rows are used up before output rows land on them)
    expect(auto.plan.stageOverlaps).toHaveLength(1);
    expect(stageOverlapHazards(auto)).toEqual([]);
  });

  it('off keeps the program as it was', () => {
    expect(plain.patch).toBeUndefined();
    expect(plain.program.ops.some((op) => op.patch)).toBe(false);
  });

  it('gives byte-identical outputs to the unpatched build on random inputs', () => {
    for (const seed of [11, 12]) {
      const [a, b] = runBuilds([plain, auto], seed);
      expect(a!.length).toBe(2);
      expect(Buffer.from(b!).equals(Buffer.from(a!))).toBe(true);
    }
  });
});
