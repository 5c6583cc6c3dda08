/**
 * Packing blocks (fixed step interval, fixed aligned size) into one arena so
 * that blocks live at the same time never overlap. This is dynamic storage
 * allocation, NP-hard in general, so we run a few cheap deterministic
 * heuristics and keep the smallest result, stopping early at the lower bound.
 */

export interface Block {
  /** Aligned size; offsets built from sums of aligned sizes stay aligned. */
  bytes: number;
  first: number;
  last: number;
}

export interface Packing {
  offsets: number[];
  arena: number;
  heuristic: string;
}

interface Interval {
  start: number;
  /** Exclusive; Infinity for the open space above every neighbour. */
  end: number;
}

function overlapInTime(a: Block, b: Block): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** Max over steps of the total size of blocks live at that step (difference array). */
export function lowerBound(blocks: readonly Block[], stepCount: number): number {
  const delta = new Array<number>(stepCount + 2).fill(0);
  for (const b of blocks) {
    delta[b.first]! += b.bytes;
    delta[b.last + 1]! -= b.bytes;
  }
  let live = 0;
  let peak = 0;
  for (const d of delta) {
    live += d;
    peak = Math.max(peak, live);
  }
  return peak;
}

/** Free intervals for block `i`, given the already placed blocks it meets in time. */
function freeIntervals(blocks: readonly Block[], offsets: readonly (number | undefined)[], i: number): Interval[] {
  const busy: Interval[] = [];
  blocks.forEach((b, j) => {
    const o = offsets[j];
    if (o !== undefined && j !== i && overlapInTime(b, blocks[i]!)) busy.push({ start: o, end: o + b.bytes });
  });
  busy.sort((a, b) => a.start - b.start || a.end - b.end);
  const free: Interval[] = [];
  let cursor = 0;
  for (const u of busy) {
    if (u.start > cursor) free.push({ start: cursor, end: u.start });
    cursor = Math.max(cursor, u.end);
  }
  free.push({ start: cursor, end: Infinity });
  return free;
}

type Fit = 'best' | 'first';

/**
 * Best fit takes the tightest finite gap (keeps big gaps for big blocks, as
 * TFLite Micro's GreedyMemoryPlanner does); first fit takes the lowest one.
 * Both fall back to the open space above all neighbours.
 */
function chooseOffset(free: readonly Interval[], bytes: number, fit: Fit): number {
  let best: Interval | undefined;
  for (const f of free) {
    if (f.end - f.start < bytes) continue;
    if (fit === 'first') return f.start;
    if (best === undefined || f.end - f.start < best.end - best.start) best = f;
  }
  return best!.start; // the last interval is unbounded, so best is always set
}

function greedy(blocks: readonly Block[], order: readonly number[], fit: Fit): number[] {
  const offsets: (number | undefined)[] = new Array<number | undefined>(blocks.length).fill(undefined);
  for (const i of order) offsets[i] = chooseOffset(freeIntervals(blocks, offsets, i), blocks[i]!.bytes, fit);
  return offsets as number[];
}

/** Lowest offset that fits below `limit`, or undefined. */
function bottomFit(free: readonly Interval[], bytes: number, limit: number): number | undefined {
  for (const f of free) if (f.start + bytes <= Math.min(f.end, limit)) return f.start;
  return undefined;
}

/** Highest offset whose block ends at or below `limit`, or undefined. */
function topFit(free: readonly Interval[], bytes: number, limit: number): number | undefined {
  for (let k = free.length - 1; k >= 0; k--) {
    const top = Math.min(free[k]!.end, limit) - bytes;
    if (top >= free[k]!.start) return top;
  }
  return undefined;
}

/**
 * Places blocks in order of first use, alternating between the bottom of the
 * arena and the top of a target size: the block just before in time sits on
 * one side, so this one goes to the other. On a chain (each block meets only
 * its neighbours) this achieves max(a_i + a_{i+1}) exactly, where size-ordered
 * greedy can stack three blocks (e.g. sizes 100, 90, 80, 85).
 */
function twoEnded(blocks: readonly Block[], target: number): number[] {
  const order = blocks.map((_, i) => i).sort((a, b) => blocks[a]!.first - blocks[b]!.first || blocks[b]!.last - blocks[a]!.last || a - b);
  const offsets: (number | undefined)[] = new Array<number | undefined>(blocks.length).fill(undefined);
  const onTop: boolean[] = new Array<boolean>(blocks.length).fill(false);
  for (const i of order) {
    const b = blocks[i]!;
    let recent = -1;
    for (const j of order) {
      if (offsets[j] === undefined || !overlapInTime(b, blocks[j]!)) continue;
      if (recent < 0 || blocks[j]!.first > blocks[recent]!.first || (blocks[j]!.first === blocks[recent]!.first && blocks[j]!.last > blocks[recent]!.last)) recent = j;
    }
    const free = freeIntervals(blocks, offsets, i);
    const preferTop = recent >= 0 && !onTop[recent];
    const top = topFit(free, b.bytes, target);
    const bottom = bottomFit(free, b.bytes, target);
    if (preferTop ? top !== undefined : bottom === undefined && top !== undefined) {
      offsets[i] = top;
      onTop[i] = true;
    } else {
      offsets[i] = bottom ?? chooseOffset(free, b.bytes, 'first');
    }
  }
  return offsets as number[];
}

function arenaOf(blocks: readonly Block[], offsets: readonly number[]): number {
  return blocks.reduce((m, b, i) => Math.max(m, offsets[i]! + b.bytes), 0);
}

type Order = (blocks: readonly Block[]) => number[];

function sortedBy(cmp: (a: Block, b: Block) => number): Order {
  return (blocks) => blocks.map((_, i) => i).sort((a, b) => cmp(blocks[a]!, blocks[b]!) || a - b);
}

const ORDERS: [string, Order][] = [
  ['size', sortedBy((a, b) => b.bytes - a.bytes || a.first - b.first)],
  ['first-use', sortedBy((a, b) => a.first - b.first || b.bytes - a.bytes)],
  ['lifetime', sortedBy((a, b) => b.last - b.first - (a.last - a.first) || b.bytes - a.bytes)],
  ['area', sortedBy((a, b) => b.bytes * (b.last - b.first + 1) - a.bytes * (a.last - a.first + 1) || b.bytes - a.bytes)],
];

/**
 * Runs every heuristic in a fixed order and keeps the first smallest arena,
 * so identical input always gives identical offsets.
 */
export function packBlocks(blocks: readonly Block[], bound: number): Packing {
  const candidates: [string, () => number[]][] = [];
  for (const [name, order] of ORDERS) {
    for (const fit of ['best', 'first'] as const) candidates.push([`greedy-${name}-${fit}-fit`, () => greedy(blocks, order(blocks), fit)]);
  }
  candidates.push(['two-ended', () => twoEnded(blocks, bound)]);
  let best: Packing | undefined;
  for (const [heuristic, run] of candidates) {
    const offsets = run();
    const arena = arenaOf(blocks, offsets);
    if (best === undefined || arena < best.arena) best = { offsets, arena, heuristic };
    if (best.arena <= bound) break;
  }
  return best ?? { offsets: [], arena: 0, heuristic: 'empty' };
}
