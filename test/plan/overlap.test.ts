/**
 * Overlapped pointwise convolutions in the planner (PlanStep.overlap) and in
 * planAndOrderProgram: the input placed inputOffset bytes into the output,
 * the output's lower bytes not reserved while the input is produced, and
 * every refusal the in-place rules imply. Real offsets are checked against
 * the kernel's inequality (runtime-c/edgec_conv_1x1_overlap_s8.c).
 */
import { describe, expect, it } from 'vitest';
import { planMemory } from '../../compiler/plan/planner.js';
import type { PlanProblem } from '../../compiler/plan/types.js';
import { overlapTempId, planAndOrderProgram, plannedProblemOf } from '../../compiler/plan/program.js';
import { compileModel } from '../../compiler/pipeline.js';
import type { Op, Program, Value } from '../../compiler/ir/program.js';
import { checkPlan, makeRng, randomProblem } from './helpers.js';

/** input (400 B) -> a (64 px x 8 ch) -> pointwise -> b (64 px x 16 ch) -> out. */
function chain(overlap = true): PlanProblem {
  return {
    buffers: [
      { id: 'in', bytes: 400, kind: 'input' }, { id: 'a', bytes: 512, kind: 'activation' },
      { id: 'b', bytes: 1024, kind: 'activation' }, { id: 't', bytes: 16, kind: 'scratch' }, { id: 'out', bytes: 16, kind: 'output' },
    ],
    steps: [
      { reads: ['in'], writes: ['a'], name: 'conv' },
      { reads: ['a'], writes: ['b'], scratch: ['t'], overlap: overlap ? [{ output: 'b', input: 'a', inputOffset: 512 }] : undefined, name: 'pw' },
      { reads: ['b'], writes: ['out'], name: 'pool' },
    ],
  };
}

/** The kernel's condition: output pixels [0, k) end at or below input pixel k's start, for every k < N. */
function kernelSafe(outAt: number, inAt: number, pixels: number, inC: number, outC: number): boolean {
  for (let k = 1; k < pixels; k++) if (outAt + k * outC > inAt + k * inC) return false;
  return true;
}

describe('planMemory with overlapped outputs', () => {
  it('places the input in the top of the output and reuses the output\'s lower bytes before the overlap step', () => {
    const problem = chain();
    const plan = planMemory(problem);
    expect(checkPlan(problem, plan)).toEqual([]);
    expect(plan.overlaps).toEqual([{ output: 'b', input: 'a', inputOffset: 512 }]);
    const at = (id: string): number => plan.placements.get(id)!.offset;
    expect(at('a') - at('b')).toBe(512);
    expect(kernelSafe(at('b'), at('a'), 64, 8, 16)).toBe(true);
    // Step 0 holds in + a inside b's 1024 bytes; step 1 holds b + the 16-byte temporary.
    expect(plan.arenaBytes).toBe(1040);
    expect(plan.lowerBound).toBe(1040);
    const plain = planMemory(chain(false));
    expect(plain.lowerBound).toBe(1552);
  });

  it('lets the output start at the input when it is smaller (offset 0)', () => {
    const problem: PlanProblem = {
      buffers: [{ id: 'in', bytes: 64, kind: 'input' }, { id: 'a', bytes: 1024, kind: 'activation' }, { id: 'b', bytes: 512, kind: 'activation' },
        { id: 't', bytes: 8, kind: 'scratch' }, { id: 'out', bytes: 8, kind: 'output' }],
      steps: [{ reads: ['in'], writes: ['a'] }, { reads: ['a'], writes: ['b'], scratch: ['t'], overlap: [{ output: 'b', input: 'a', inputOffset: 0 }] }, { reads: ['b'], writes: ['out'] }],
    };
    const plan = planMemory(problem);
    expect(checkPlan(problem, plan)).toEqual([]);
    expect(plan.placements.get('b')!.offset).toBe(plan.placements.get('a')!.offset);
    expect(plan.lowerBound).toBe(1024 + 64); // step 0: in + a; step 1: a (holding b) + t
  });

  it('refuses when the input is a model input, is read later, or shares storage with a view read later, or the output is a view', () => {
    const input = chain();
    input.buffers[1]!.kind = 'input';
    input.steps[0] = { reads: ['in'], writes: ['out2'] };
    input.buffers.push({ id: 'out2', bytes: 16, kind: 'output' });
    expect(planMemory(input).overlaps).toEqual([]);

    const readLater = chain();
    readLater.steps[2] = { reads: ['b', 'a'], writes: ['out'] };
    expect(planMemory(readLater).overlaps).toEqual([]);

    const viewLater = chain();
    viewLater.buffers.push({ id: 'av', bytes: 512, kind: 'activation' });
    viewLater.aliases = [{ id: 'av', of: 'a' }];
    viewLater.steps[2] = { reads: ['b', 'av'], writes: ['out'] };
    expect(planMemory(viewLater).overlaps).toEqual([]);
    expect(checkPlan(viewLater, planMemory(viewLater))).toEqual([]);

    const outputView = chain();
    outputView.buffers.push({ id: 'cat', bytes: 2048, kind: 'activation' });
    outputView.aliases = [{ id: 'b', of: 'cat' }];
    outputView.steps[2] = { reads: ['cat'], writes: ['out'] };
    expect(planMemory(outputView).overlaps).toEqual([]);
  });

  it('gives valid placements on random DAGs with overlaps declared (400 seeded problems)', () => {
    let applied = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const rng = makeRng(seed * 7919);
      const problem = randomProblem(rng);
      const align = problem.alignment ?? 16;
      for (const step of problem.steps) {
        if (rng(2) === 0) continue;
        step.overlap = [{ output: step.writes[0]!, input: step.reads[rng(step.reads.length)]!, inputOffset: align * rng(40) }];
      }
      const plan = planMemory(problem);
      const errors = checkPlan(problem, plan);
      expect(errors, `seed ${seed}: ${errors.join('; ')}`).toEqual([]);
      applied += plan.overlaps!.length;
    }
    expect(applied).toBeGreaterThan(30);
  });
});

const v = (id: string, role: Value['role'], shape: number[]): Value => ({ id, type: 'int8', shape, scale: 1, zeroPoint: 0, role, onnxName: id, logicalShape: shape });

/** x (8x8x4) -> conv 3x3 -> a (8x8x8) -> pointwise -> b (8x8x16) -> global pool -> y. */
function pointwiseProgram(): Program {
  const values = new Map([v('x', 'input', [1, 8, 8, 4]), v('a', 'activation', [1, 8, 8, 8]), v('b', 'activation', [1, 8, 8, 16]), v('y', 'output', [1, 16])].map((x) => [x.id, x]));
  const geo = { batches: 1, in_h: 8, in_w: 8, out_h: 8, out_w: 8, stride_h: 1, stride_w: 1, pad_top: 0, pad_left: 0, groups: 1 };
  const ops: Op[] = [
    { kind: 'conv2d', name: 'c3', onnxOp: 'Conv', inputs: ['x'], outputs: ['a'], params: { ...geo, k_h: 3, k_w: 3, pad_top: 1, pad_left: 1, in_c: 4, out_c: 8 }, consts: {}, macs: 0 },
    { kind: 'conv2d', name: 'pw', onnxOp: 'Conv', inputs: ['a'], outputs: ['b'], params: { ...geo, k_h: 1, k_w: 1, in_c: 8, out_c: 16 }, consts: {}, macs: 0 },
    { kind: 'global_avg_pool', name: 'gap', onnxOp: 'GlobalAveragePool', inputs: ['b'], outputs: ['y'], params: {}, consts: {}, macs: 0 },
  ];
  return { name: 'm', values, consts: new Map(), ops, inputs: ['x'], outputs: ['y'] };
}

describe('planAndOrderProgram with overlapped pointwise convolutions', () => {
  it('overlaps a pointwise conv at the peak and reports the plain bound it goes below', () => {
    const c = planAndOrderProgram(pointwiseProgram(), {});
    const pw = c.program.ops[1]!;
    expect(pw.kind).toBe('conv2d_1x1_overlap');
    expect(c.program.ops[0]!.kind).toBe('conv2d');
    expect(c.plan.arenaBytes).toBe(1024 + 16); // b and the pool's output; the conv needs no arena temporary
    expect(c.plan.plainLowerBound).toEqual({ chosen: 512 + 1024, fileOrder: 512 + 1024 });
    const at = (id: string): number => c.plan.placements.get(id)!.offset;
    expect(at('a') - at('b')).toBe(64 * 8);
    expect(kernelSafe(at('b'), at('a'), 64, 8, 16)).toBe(true);
    expect(c.plan.placements.has(overlapTempId(pw))).toBe(false);
    expect(pw.params.scratch).toBeUndefined();
    expect(checkPlan(plannedProblemOf(c.program), c.plan)).toEqual([]);
    // Off: the ordinary conv and separate buffers.
    const off = planAndOrderProgram(pointwiseProgram(), { overlapPointwise: false });
    expect(off.program.ops[1]!.kind).toBe('conv2d');
    expect(off.plan.arenaBytes).toBe(512 + 1024);
  });

  it('plans runs of pixels through an arena temporary over 1024 input channels (the kernel\'s stack copy limit)', () => {
    // x (1x1x4x8) -> conv -> a (1x1x4x1032) -> pointwise -> b (1x1x4x1040) -> pool: the overlap saves most of a.
    const values = new Map([v('x', 'input', [1, 1, 4, 8]), v('a', 'activation', [1, 1, 4, 1032]), v('b', 'activation', [1, 1, 4, 1040]), v('y', 'output', [1, 1040])].map((x) => [x.id, x]));
    const geo = { batches: 1, in_h: 1, in_w: 4, out_h: 1, out_w: 4, stride_h: 1, stride_w: 1, pad_top: 0, pad_left: 0, groups: 1, k_h: 1, k_w: 1 };
    const ops: Op[] = [
      { kind: 'conv2d', name: 'c0', onnxOp: 'Conv', inputs: ['x'], outputs: ['a'], params: { ...geo, in_c: 8, out_c: 1032 }, consts: {}, macs: 0 },
      { kind: 'conv2d', name: 'pw', onnxOp: 'Conv', inputs: ['a'], outputs: ['b'], params: { ...geo, in_c: 1032, out_c: 1040 }, consts: {}, macs: 0 },
      { kind: 'global_avg_pool', name: 'gap', onnxOp: 'GlobalAveragePool', inputs: ['b'], outputs: ['y'], params: {}, consts: {}, macs: 0 },
    ];
    const c = planAndOrderProgram({ name: 'm', values, consts: new Map(), ops, inputs: ['x'], outputs: ['y'] }, {});
    const pw = c.program.ops[1]!;
    expect(pw.kind).toBe('conv2d_1x1_overlap');
    const temp = c.plan.placements.get(overlapTempId(pw))!;
    expect(temp.bytes).toBe(1040 * Number(pw.params.block));
    expect(checkPlan(plannedProblemOf(c.program), c.plan)).toEqual([]);
  });

  it('keeps the ordinary conv where overlapping would not lower the arena, and for library kernels', () => {
    // A 4 KB input makes the first conv the peak: nothing to gain at the pointwise step.
    const p = pointwiseProgram();
    p.values.set('x', v('x', 'input', [1, 8, 8, 64]));
    p.ops[0] = { ...p.ops[0]!, params: { ...p.ops[0]!.params, in_c: 64 } };
    expect(planAndOrderProgram(p, {}).program.ops[1]!.kind).toBe('conv2d');
    expect(planAndOrderProgram(pointwiseProgram(), { inPlaceAllowed: () => false }).program.ops[1]!.kind).toBe('conv2d');
  });

  it('DS-CNN: every pointwise conv overlapped, depthwise in place, arena about half the plain bound; real offsets satisfy the kernel', () => {
    const c = compileModel('examples/kws_dscnn/kws_dscnn_int8.onnx', { name: 'm' });
    const overlapped = c.program.ops.filter((op) => op.kind === 'conv2d_1x1_overlap');
    expect(overlapped.length).toBe(4);
    expect(c.program.ops.filter((op) => op.kind === 'depthwise_conv2d_inplace').length).toBe(4);
    expect(c.plan.plainLowerBound!.fileOrder).toBe(16000);
    expect(c.plan.arenaBytes).toBeLessThan(0.6 * c.plan.plainLowerBound!.fileOrder);
    expect(checkPlan(plannedProblemOf(c.program), c.plan)).toEqual([]);
    for (const op of overlapped) {
      const px = Number(op.params.batches) * Number(op.params.in_h) * Number(op.params.in_w);
      const inAt = c.plan.placements.get(op.inputs[0]!)!.offset;
      const outAt = c.plan.placements.get(op.outputs[0]!)!.offset;
      expect(kernelSafe(outAt, inAt, px, Number(op.params.in_c), Number(op.params.out_c))).toBe(true);
    }
  });
});
