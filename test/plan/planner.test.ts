import { describe, expect, it } from 'vitest';
import { planMemory, PlanError } from '../../compiler/plan/index.js';
import type { Plan, PlanProblem } from '../../compiler/plan/types.js';
import { alignUp, checkPlan, makeRng, randomChain, randomProblem } from './helpers.js';

const offsets = (plan: Plan): [string, number][] => [...plan.placements.values()].map((p) => [p.id, p.offset]);
const overlaps = (plan: Plan, a: string, b: string): boolean => {
  const x = plan.placements.get(a)!;
  const y = plan.placements.get(b)!;
  return x.offset < y.offset + y.bytes && y.offset < x.offset + x.bytes;
};

describe('planMemory on random DAG problems', () => {
  it('produces valid, aligned, non-overlapping placements (600 seeded problems)', () => {
    let inPlaceApplied = 0;
    let aliased = 0;
    let atBound = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const problem = randomProblem(makeRng(seed));
      const plan = planMemory(problem);
      expect(checkPlan(problem, plan), `seed ${seed}`).toEqual([]);
      inPlaceApplied += plan.inPlace!.length;
      aliased += (problem.aliases ?? []).length;
      if (plan.arenaBytes === plan.lowerBound) atBound++;
      // Quality guard: packing is NP-hard, but the heuristics should stay close to the bound.
      expect(plan.arenaBytes, `seed ${seed}`).toBeLessThanOrEqual(Math.ceil(plan.lowerBound * 1.1));
    }
    expect(atBound).toBeGreaterThanOrEqual(582); // 97%
    // The generator must really exercise sharing, or the checks above prove little.
    expect(inPlaceApplied).toBeGreaterThan(50);
    expect(aliased).toBeGreaterThan(100);
  });

  it('is deterministic: same problem (and a deep copy) gives identical offsets', () => {
    for (let seed = 1000; seed < 1050; seed++) {
      const problem = randomProblem(makeRng(seed));
      const copy = JSON.parse(JSON.stringify(problem)) as PlanProblem;
      expect(offsets(planMemory(copy))).toEqual(offsets(planMemory(problem)));
    }
  });
});

describe('chains reach the lower bound', () => {
  it('plain chains: arena == lower bound == max(a_i + a_{i+1})', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = makeRng(seed);
      const problem = randomChain(rng, { length: 1 + rng(25), inPlaceActivations: false, scratch: false });
      const plan = planMemory(problem);
      const sizes = problem.buffers.map((b) => alignUp(b.bytes, 16));
      const expected = Math.max(...sizes.slice(1).map((s, i) => s + sizes[i]!));
      expect(plan.lowerBound, `seed ${seed}`).toBe(expected);
      expect(plan.arenaBytes, `seed ${seed}`).toBe(plan.lowerBound);
      expect(checkPlan(problem, plan)).toEqual([]);
    }
  });

  it('the chain 100, 90, 80, 85 (where size-ordered greedy stacks three) fits in 190', () => {
    const problem: PlanProblem = {
      buffers: [
        { id: 'a', bytes: 100, kind: 'input' }, { id: 'b', bytes: 90, kind: 'activation' },
        { id: 'c', bytes: 80, kind: 'activation' }, { id: 'd', bytes: 85, kind: 'output' },
      ],
      steps: [{ reads: ['a'], writes: ['b'] }, { reads: ['b'], writes: ['c'] }, { reads: ['c'], writes: ['d'] }],
      alignment: 1,
    };
    const plan = planMemory(problem);
    expect(plan.lowerBound).toBe(190);
    expect(plan.arenaBytes).toBe(190);
    expect(checkPlan(problem, plan)).toEqual([]);
  });

  it('chains with scratch: arena == lower bound == max(in + out + scratch)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = makeRng(seed);
      const problem = randomChain(rng, { length: 1 + rng(20), inPlaceActivations: false, scratch: true });
      const plan = planMemory(problem);
      const size = (id: string): number => alignUp(problem.buffers.find((b) => b.id === id)!.bytes, 16);
      const expected = Math.max(...problem.steps.map((s) => size(s.reads[0]!) + size(s.writes[0]!) + (s.scratch ? size(s.scratch[0]!) : 0)));
      expect(plan.lowerBound, `seed ${seed}`).toBe(expected);
      expect(plan.arenaBytes, `seed ${seed}`).toBe(plan.lowerBound);
      expect(checkPlan(problem, plan)).toEqual([]);
    }
  });

  it('chains with in-place activations: every activation shares its input, arena == lower bound', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = makeRng(seed);
      const problem = randomChain(rng, { length: 1 + rng(20), inPlaceActivations: true, scratch: rng(2) === 0, alignment: 16 });
      const plan = planMemory(problem);
      const declared = problem.steps.flatMap((s) => s.inPlace ?? []);
      expect(plan.inPlace).toEqual(declared);
      for (const [w, r] of declared) expect(plan.placements.get(w)!.offset).toBe(plan.placements.get(r)!.offset);
      // The activations cost nothing: the bound is the one of the conv chain alone.
      const size = (id: string): number => alignUp(problem.buffers.find((b) => b.id === id)!.bytes, 16);
      const convs = problem.steps.filter((s) => !s.inPlace);
      const expected = Math.max(...convs.map((s) => size(s.reads[0]!) + size(s.writes[0]!) + (s.scratch ? size(s.scratch[0]!) : 0)));
      expect(plan.lowerBound, `seed ${seed}`).toBe(expected);
      expect(plan.arenaBytes, `seed ${seed}`).toBe(plan.lowerBound);
      expect(checkPlan(problem, plan)).toEqual([]);
    }
  });

  it('honours a custom alignment', () => {
    const problem = randomChain(makeRng(7), { length: 12, inPlaceActivations: true, scratch: true, alignment: 64 });
    const plan = planMemory(problem);
    for (const p of plan.placements.values()) expect(p.offset % 64).toBe(0);
    expect(plan.arenaBytes % 64).toBe(0);
    expect(checkPlan(problem, plan)).toEqual([]);
  });
});

/** in → conv → c0 → conv → c1 → conv → c2; add(c0, c2) → y (in place of c2); pool → p; fc → out. */
function residualBlock(s: { input: number; c0: number; c1: number; c2: number; pool: number; out: number; scratch: number }): PlanProblem {
  return {
    buffers: [
      { id: 'in', bytes: s.input, kind: 'input' },
      { id: 'c0', bytes: s.c0, kind: 'activation' },
      { id: 'c1', bytes: s.c1, kind: 'activation' },
      { id: 's1', bytes: s.scratch, kind: 'scratch' },
      { id: 'c2', bytes: s.c2, kind: 'activation' },
      { id: 'y', bytes: s.c2, kind: 'activation' },
      { id: 'p', bytes: s.pool, kind: 'activation' },
      { id: 'out', bytes: s.out, kind: 'output' },
    ],
    steps: [
      { reads: ['in'], writes: ['c0'], name: 'conv0' },
      { reads: ['c0'], writes: ['c1'], scratch: ['s1'], name: 'conv1' },
      { reads: ['c1'], writes: ['c2'], name: 'conv2' },
      { reads: ['c0', 'c2'], writes: ['y'], inPlace: [['y', 'c2']], name: 'add' },
      { reads: ['y'], writes: ['p'], name: 'pool' },
      { reads: ['p'], writes: ['out'], name: 'fc' },
    ],
  };
}

describe('residual block', () => {
  it('reaches the hand-computed lower bound', () => {
    const problem = residualBlock({ input: 3072, c0: 4096, c1: 4096, c2: 4096, pool: 1024, out: 40, scratch: 256 });
    const plan = planMemory(problem);
    // Peak at conv2: c0 (kept for the skip) + c1 + c2.
    expect(plan.lowerBound).toBe(3 * 4096);
    expect(plan.arenaBytes).toBe(3 * 4096);
    expect(plan.inPlace).toEqual([['y', 'c2']]);
    expect(plan.placements.get('y')!.offset).toBe(plan.placements.get('c2')!.offset);
    expect(overlaps(plan, 'c0', 'c2')).toBe(false);
    expect(checkPlan(problem, plan)).toEqual([]);
  });

  it('reaches the lower bound for random layer sizes (300 seeds)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const rng = makeRng(seed);
      const c = 16 + rng(5000);
      const problem = residualBlock({ input: 1 + rng(5000), c0: c, c1: 1 + rng(5000), c2: c, pool: 1 + rng(c), out: 1 + rng(100), scratch: 1 + rng(1000) });
      const plan = planMemory(problem);
      expect(plan.arenaBytes, `seed ${seed}`).toBe(plan.lowerBound);
      expect(checkPlan(problem, plan)).toEqual([]);
    }
  });
});

describe('in-place sharing', () => {
  const base = (readLater: boolean, wBytes = 64): PlanProblem => ({
    buffers: [
      { id: 'x', bytes: 64, kind: 'input' },
      { id: 'r', bytes: 64, kind: 'activation' },
      { id: 'w', bytes: wBytes, kind: 'activation' },
      { id: 'o', bytes: 64, kind: 'output' },
    ],
    steps: [
      { reads: ['x'], writes: ['r'] },
      { reads: ['r'], writes: ['w'], inPlace: [['w', 'r']] },
      { reads: readLater ? ['w', 'r'] : ['w'], writes: ['o'] },
    ],
  });

  it('is applied when the input dies at the step', () => {
    const plan = planMemory(base(false));
    expect(plan.inPlace).toEqual([['w', 'r']]);
    expect(plan.placements.get('w')!.offset).toBe(plan.placements.get('r')!.offset);
    expect(checkPlan(base(false), plan)).toEqual([]);
  });

  it('is refused when the input is read later', () => {
    const plan = planMemory(base(true));
    expect(plan.inPlace).toEqual([]);
    expect(overlaps(plan, 'w', 'r')).toBe(false);
    expect(checkPlan(base(true), plan)).toEqual([]);
  });

  it('is refused when the output is larger than the input', () => {
    const plan = planMemory(base(false, 80));
    expect(plan.inPlace).toEqual([]);
    expect(overlaps(plan, 'w', 'r')).toBe(false);
  });

  it('is refused on a model input (the caller owns it)', () => {
    const problem: PlanProblem = {
      buffers: [{ id: 'x', bytes: 64, kind: 'input' }, { id: 'y', bytes: 64, kind: 'activation' }, { id: 'o', bytes: 64, kind: 'output' }],
      steps: [{ reads: ['x'], writes: ['y'], inPlace: [['y', 'x']] }, { reads: ['y'], writes: ['o'] }],
    };
    const plan = planMemory(problem);
    expect(plan.inPlace).toEqual([]);
    expect(overlaps(plan, 'x', 'y')).toBe(false);
  });

  it('is refused when a view of the input is read later', () => {
    const problem = base(false);
    problem.buffers.push({ id: 'rv', bytes: 64, kind: 'activation' });
    problem.aliases = [{ id: 'rv', of: 'r' }];
    problem.steps[2]!.reads.push('rv');
    const plan = planMemory(problem);
    expect(plan.inPlace).toEqual([]);
    expect(overlaps(plan, 'w', 'r')).toBe(false);
    expect(checkPlan(problem, plan)).toEqual([]);
  });

  it('is refused for the second of two outputs claiming the same input', () => {
    const problem: PlanProblem = {
      buffers: [
        { id: 'x', bytes: 64, kind: 'input' }, { id: 'r', bytes: 64, kind: 'activation' },
        { id: 'w1', bytes: 32, kind: 'output' }, { id: 'w2', bytes: 32, kind: 'output' },
      ],
      steps: [{ reads: ['x'], writes: ['r'] }, { reads: ['r'], writes: ['w1', 'w2'], inPlace: [['w1', 'r'], ['w2', 'r']] }],
    };
    const plan = planMemory(problem);
    expect(plan.inPlace).toEqual([['w1', 'r']]);
    expect(overlaps(plan, 'w1', 'w2')).toBe(false);
    expect(checkPlan(problem, plan)).toEqual([]);
  });

  it('is refused when another input of the step overlaps the output at a different offset', () => {
    // p and q are overlapping views of one buffer; an elementwise op writing
    // over p would clobber bytes of q it has not read yet. A view at the same
    // offset is harmless (element i is read before it is written).
    const make = (qOffset: number): PlanProblem => ({
      buffers: [
        { id: 'x', bytes: 16, kind: 'input' }, { id: 'c', bytes: 128, kind: 'activation' },
        { id: 'p', bytes: 64, kind: 'activation' }, { id: 'q', bytes: 64, kind: 'activation' },
        { id: 'w', bytes: 64, kind: 'activation' }, { id: 'o', bytes: 16, kind: 'output' },
      ],
      aliases: [{ id: 'p', of: 'c' }, { id: 'q', of: 'c', offset: qOffset }],
      steps: [{ reads: ['x'], writes: ['c'] }, { reads: ['p', 'q'], writes: ['w'], inPlace: [['w', 'p']] }, { reads: ['w'], writes: ['o'] }],
    });
    const clash = planMemory(make(32));
    expect(clash.inPlace).toEqual([]);
    expect(overlaps(clash, 'w', 'c')).toBe(false);
    const same = planMemory(make(0));
    expect(same.inPlace).toEqual([['w', 'p']]);
    expect(checkPlan(make(0), same)).toEqual([]);
  });

  it('rejects a pair that is not a write/read of its step', () => {
    const problem = base(false);
    problem.steps[1]!.inPlace = [['o', 'r']];
    expect(() => planMemory(problem)).toThrow(PlanError);
  });
});

describe('aliases', () => {
  /**
   * a is produced at step 0 and only read through its reshape view v at step 3.
   * b and c are created in between; without lifetime extension a would be dead
   * after step 0 and b or c would be placed on top of it.
   */
  const problem = (viaAlias: boolean): PlanProblem => ({
    buffers: [
      { id: 'in', bytes: 256, kind: 'input' },
      { id: 'a', bytes: 256, kind: 'activation' },
      { id: 'v', bytes: 256, kind: 'activation' },
      { id: 'b', bytes: 256, kind: 'activation' },
      { id: 'c', bytes: 256, kind: 'activation' },
      { id: 'out', bytes: 16, kind: 'output' },
    ],
    steps: [
      { reads: ['in'], writes: ['a'] },
      { reads: ['in'], writes: ['b'] },
      { reads: ['b'], writes: ['c'] },
      { reads: viaAlias ? ['v', 'c'] : ['c'], writes: ['out'] },
    ],
    aliases: viaAlias ? [{ id: 'v', of: 'a' }] : [],
  });

  it('reading a view extends the base lifetime', () => {
    const plan = planMemory(problem(true));
    expect(plan.placements.get('a')!.last).toBe(3);
    expect(plan.placements.get('v')!.offset).toBe(plan.placements.get('a')!.offset);
    expect(overlaps(plan, 'a', 'b')).toBe(false);
    expect(overlaps(plan, 'a', 'c')).toBe(false);
    expect(checkPlan(problem(true), plan)).toEqual([]);
    // Sanity: when nobody reads a later, its memory is reused, so the check above is meaningful.
    const dead = planMemory({ ...problem(false), buffers: problem(false).buffers.filter((b) => b.id !== 'v') });
    expect(dead.arenaBytes).toBeLessThan(plan.arenaBytes);
    expect(overlaps(dead, 'a', 'b') || overlaps(dead, 'a', 'c')).toBe(true);
  });

  it('resolves chains of aliases with offsets', () => {
    const p: PlanProblem = {
      buffers: [
        { id: 'in', bytes: 64, kind: 'input' }, { id: 'a', bytes: 256, kind: 'activation' },
        { id: 'v1', bytes: 128, kind: 'activation' }, { id: 'v2', bytes: 64, kind: 'activation' },
        { id: 'b', bytes: 256, kind: 'activation' }, { id: 'out', bytes: 16, kind: 'output' },
      ],
      aliases: [{ id: 'v1', of: 'a', offset: 64 }, { id: 'v2', of: 'v1', offset: 32 }],
      steps: [{ reads: ['in'], writes: ['a'] }, { reads: ['in'], writes: ['b'] }, { reads: ['b', 'v2'], writes: ['out'] }],
    };
    const plan = planMemory(p);
    expect(plan.placements.get('v2')!.offset).toBe(plan.placements.get('a')!.offset + 96);
    expect(plan.placements.get('a')!.last).toBe(2);
    expect(checkPlan(p, plan)).toEqual([]);
  });

  it('supports Concat by construction: two producers write slices of one base', () => {
    const p: PlanProblem = {
      buffers: [
        { id: 'in', bytes: 64, kind: 'input' }, { id: 'cat', bytes: 96, kind: 'activation' },
        { id: 'l', bytes: 40, kind: 'activation' }, { id: 'r', bytes: 48, kind: 'activation' },
        { id: 'out', bytes: 96, kind: 'output' },
      ],
      aliases: [{ id: 'l', of: 'cat' }, { id: 'r', of: 'cat', offset: 48 }],
      steps: [{ reads: ['in'], writes: ['l'] }, { reads: ['in'], writes: ['r'] }, { reads: ['cat'], writes: ['out'] }],
    };
    const plan = planMemory(p);
    const cat = plan.placements.get('cat')!;
    expect([cat.first, cat.last]).toEqual([0, 2]);
    expect(plan.placements.get('l')!.offset).toBe(cat.offset);
    expect(plan.placements.get('r')!.offset).toBe(cat.offset + 48);
    expect(overlaps(plan, 'cat', 'in')).toBe(false);
    expect(overlaps(plan, 'cat', 'out')).toBe(false);
    expect(checkPlan(p, plan)).toEqual([]);
  });

  it('a model output that is a view keeps its base alive to the end', () => {
    const p: PlanProblem = {
      buffers: [
        { id: 'in', bytes: 64, kind: 'input' }, { id: 't', bytes: 64, kind: 'activation' },
        { id: 'o1', bytes: 64, kind: 'output' }, { id: 'u', bytes: 64, kind: 'activation' }, { id: 'o2', bytes: 16, kind: 'output' },
      ],
      aliases: [{ id: 'o1', of: 't' }],
      steps: [{ reads: ['in'], writes: ['t'] }, { reads: ['in'], writes: ['u'] }, { reads: ['u'], writes: ['o2'] }],
    };
    const plan = planMemory(p);
    expect(plan.placements.get('t')!.last).toBe(3);
    expect(overlaps(plan, 't', 'o2')).toBe(false);
    expect(checkPlan(p, plan)).toEqual([]);
  });
});

describe('validation', () => {
  const ok = (): PlanProblem => ({
    buffers: [{ id: 'x', bytes: 8, kind: 'input' }, { id: 'y', bytes: 8, kind: 'output' }],
    steps: [{ reads: ['x'], writes: ['y'] }],
  });
  const cases: [string, (p: PlanProblem) => void][] = [
    ['duplicate id', (p) => p.buffers.push({ id: 'x', bytes: 8, kind: 'activation' })],
    ['non-positive size', (p) => { p.buffers[0]!.bytes = 0; }],
    ['unknown buffer', (p) => p.steps[0]!.reads.push('nope')],
    ['written twice', (p) => p.steps.push({ reads: ['x'], writes: ['y'] })],
    ['read before written', (p) => { p.steps.unshift({ reads: ['y'], writes: [] }); }],
    ['writing an input', (p) => p.steps[0]!.writes.push('x')],
    ['never written', (p) => p.buffers.push({ id: 'z', bytes: 8, kind: 'activation' })],
    ['unused scratch', (p) => p.buffers.push({ id: 's', bytes: 8, kind: 'scratch' })],
    ['alias cycle', (p) => { p.buffers.push({ id: 'a', bytes: 8, kind: 'activation' }, { id: 'b', bytes: 8, kind: 'activation' }); p.aliases = [{ id: 'a', of: 'b' }, { id: 'b', of: 'a' }]; }],
    ['alias out of range', (p) => { p.buffers.push({ id: 'a', bytes: 8, kind: 'activation' }); p.aliases = [{ id: 'a', of: 'y', offset: 4 }]; }],
    ['bad alignment', (p) => { p.alignment = 0; }],
  ];
  it.each(cases)('rejects %s', (_name, mutate) => {
    const p = ok();
    expect(() => planMemory(p)).not.toThrow();
    mutate(p);
    expect(() => planMemory(p)).toThrow(PlanError);
  });

  it('plans an empty problem as an empty arena', () => {
    const plan = planMemory({ buffers: [], steps: [] });
    expect(plan.arenaBytes).toBe(0);
    expect(plan.lowerBound).toBe(0);
  });
});
