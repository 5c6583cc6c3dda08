/**
 * PlanProblem.stageOverlaps (patch-based execution): a stage output written
 * tile by tile through views shares the stage input's block, the input
 * `inputOffset` bytes in; each keeps its own lifetime inside the block.
 */
import { describe, expect, it } from 'vitest';
import { planMemory } from '../../compiler/plan/planner.js';
import type { PlanProblem } from '../../compiler/plan/types.js';

/** Input x (96 B) read by two tiles, each writing a view of y (64 B); then z (80 B) from y, w (32 B) from z. */
function stageProblem(inputOffset: number, keepInputs = false): PlanProblem {
  return {
    buffers: [
      { id: 'x', bytes: 96, kind: 'input' }, { id: 'y', bytes: 64, kind: 'activation' },
      { id: 'y0', bytes: 32, kind: 'activation' }, { id: 'y1', bytes: 32, kind: 'activation' },
      { id: 'z', bytes: 80, kind: 'activation' }, { id: 'w', bytes: 32, kind: 'output' },
    ],
    aliases: [{ id: 'y0', of: 'y', offset: 0 }, { id: 'y1', of: 'y', offset: 32 }],
    steps: [{ reads: ['x'], writes: ['y0'] }, { reads: ['x'], writes: ['y1'] }, { reads: ['y'], writes: ['z'] }, { reads: ['z'], writes: ['w'] }],
    stageOverlaps: [{ output: 'y', input: 'x', inputOffset }],
    ...(keepInputs ? { keepInputs } : {}),
  };
}

describe('stage overlaps', () => {
  it('place the input inputOffset bytes into the output block, and free its upper bytes after its last reader', () => {
    const plan = planMemory(stageProblem(32));
    const at = (id: string): number => plan.placements.get(id)!.offset;
    expect(plan.stageOverlaps).toEqual([{ output: 'y', input: 'x', inputOffset: 32 }]);
    expect(at('x') - at('y')).toBe(32);
    // x + y alone would take 96 + 64 = 160; shared: 128. At step 2, y (64) and z (80) live: 144, the arena
    expect(plan.arenaBytes).toBe(144);
    expect(at('z') >= at('y') + 64 || at('z') + 80 <= at('y')).toBe(true);
  });

  it('are ignored when the inputs must stay intact (keepInputs)', () => {
    const plan = planMemory(stageProblem(32, true));
    expect(plan.stageOverlaps).toBeUndefined();
    const [x, y] = [plan.placements.get('x')!, plan.placements.get('y')!];
    expect(x.offset >= y.offset + 64 || y.offset >= x.offset + 96).toBe(true);
  });

  it('are ignored for an input that lives to the end (--stateful state)', () => {
    const plan = planMemory({ ...stageProblem(32), liveToEnd: ['x'] });
    expect(plan.stageOverlaps).toBeUndefined();
  });

  it('reject an unaligned offset as a malformed problem', () => {
    expect(() => planMemory(stageProblem(8))).toThrow(/stage overlap offset 8/);
  });
});
