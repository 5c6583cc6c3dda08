/**
 * planMemory: lifetimes → storage blocks → offsets in one static arena.
 * See lifetimes.ts for aliases and in-place sharing, place.ts for packing.
 */
import { analyse, liveClass } from './lifetimes.js';
import { lowerBound, packBlocks, type Block } from './place.js';
import type { Placement, Plan, PlanProblem } from './types.js';

export function planMemory(problem: PlanProblem): Plan {
  const a = analyse(problem);
  // Only classes that were not chained into another one own storage.
  const owners = a.classes.map((_, i) => i).filter((i) => a.classes[i]!.mergedInto === undefined);
  const blockOf = new Map<number, number>(owners.map((c, k) => [c, k]));
  const blocks: Block[] = owners.map((c) => {
    const cls = a.classes[c]!;
    return { bytes: cls.bytes, first: cls.first, last: cls.last, parts: cls.parts.length === 1 && cls.parts[0]!.bytes === cls.bytes ? undefined : cls.parts };
  });
  const bound = lowerBound(blocks, a.stepCount);
  const packing = packBlocks(blocks, bound);

  const placements = new Map<string, Placement>();
  for (const b of problem.buffers) {
    const block = blockOf.get(liveClass(a.classes, a.classOf.get(b.id)!))!;
    const span = a.spans.get(b.id)!;
    placements.set(b.id, {
      id: b.id,
      offset: packing.offsets[block]! + a.memberOffset.get(b.id)!,
      bytes: b.bytes,
      first: span.first,
      last: span.last,
    });
  }
  return { arenaBytes: packing.arena, lowerBound: bound, placements, inPlace: a.inPlace, overlaps: a.overlaps, heuristic: packing.heuristic,
    ...(a.stageOverlaps.length > 0 ? { stageOverlaps: a.stageOverlaps } : {}) };
}
