/**
 * Packing blocks (fixed step interval, fixed aligned size) into one arena so
 * that blocks live at the same time never overlap. This is dynamic storage
 * allocation, NP-hard in general, so we run a few cheap deterministic
 * heuristics and keep the smallest result, stopping early at the lower bound.
 */

export interface Block {
  /** Aligned size (extent of all parts); offsets built from sums of aligned sizes stay aligned. */
  bytes: number;
  first: number;
  last: number;
  /**
   * When not the whole block is needed for the whole interval: the pieces of
   * it in use, each at a fixed offset inside the block for its own steps (an
   * overlapped pointwise conv: the input's part from its producer on, the
   * rest of the output's bytes only from the conv on). Absent: one part, the
   * whole block for [first, last].
   */
  parts?: Part[];
}

export interface Part {
  offset: number;
  bytes: number;
  first: number;
  last: number;
}

function partsOf(b: Block): Part[] {
  return b.parts ?? [{ offset: 0, bytes: b.bytes, first: b.first, last: b.last }];
}

export interface Packing {
  offsets: number[];
  arena: number;
  heuristic: string;
}

/** Offsets a block may start at: [start, end], end inclusive; Infinity above every neighbour. */
interface Interval {
  start: number;
  end: number;
}

function overlapInTime(a: { first: number; last: number }, b: { first: number; last: number }): boolean {
  return a.first <= b.last && b.first <= a.last;
}

/** Length of the union of the parts' byte ranges. */
function unionBytes(parts: readonly Part[]): number {
  const sorted = [...parts].sort((a, b) => a.offset - b.offset);
  let total = 0;
  let cursor = -Infinity;
  for (const p of sorted) {
    const from = Math.max(p.offset, cursor);
    if (p.offset + p.bytes > from) total += p.offset + p.bytes - from;
    cursor = Math.max(cursor, p.offset + p.bytes);
  }
  return total;
}

/** Max over steps of the total size of blocks live at that step (difference array). */
export function lowerBound(blocks: readonly Block[], stepCount: number): number {
  const delta = new Array<number>(stepCount + 2).fill(0);
  for (const b of blocks) {
    if (!b.parts) {
      delta[b.first]! += b.bytes;
      delta[b.last + 1]! -= b.bytes;
      continue;
    }
    // Parts may overlap (a piece of the input's storage still live at the
    // step that starts the output's part): count the bytes in use once.
    for (let t = b.first; t <= b.last; t++) {
      const used = unionBytes(b.parts.filter((p) => p.first <= t && t <= p.last));
      delta[t]! += used;
      delta[t + 1]! -= used;
    }
  }
  let live = 0;
  let peak = 0;
  for (const d of delta) {
    live += d;
    peak = Math.max(peak, live);
  }
  return peak;
}

/**
 * Offsets at which block `i` fits among the already placed blocks: each part
 * of it must miss every placed part it meets in time. A placed part at
 * [bs, be) forbids the starts in the open interval (bs - part.offset -
 * part.bytes, be - part.offset); the rest, from 0 up, is allowed.
 */
function freeIntervals(blocks: readonly Block[], offsets: readonly (number | undefined)[], i: number, neighbours: readonly number[][]): Interval[] {
  const forbidden: Interval[] = [];
  const mine = partsOf(blocks[i]!);
  // Only blocks live at the same time can forbid anything (their order does not matter: sorted below).
  for (const j of neighbours[i]!) {
    const o = offsets[j];
    if (o === undefined) continue;
    for (const q of partsOf(blocks[j]!)) {
      for (const p of mine) {
        if (overlapInTime(p, q)) forbidden.push({ start: o + q.offset - p.offset - p.bytes, end: o + q.offset + q.bytes - p.offset });
      }
    }
  }
  forbidden.sort((a, b) => a.start - b.start || a.end - b.end);
  const free: Interval[] = [];
  let cursor = 0;
  for (const f of forbidden) {
    if (f.start >= cursor) free.push({ start: cursor, end: f.start });
    cursor = Math.max(cursor, f.end);
  }
  free.push({ start: cursor, end: Infinity });
  return free;
}

/**
 * For each block, the other blocks whose intervals meet it in time. A sweep
 * over first use costs the number of such pairs, which on long graphs is
 * linear (each buffer meets a few neighbours), where testing every pair was
 * quadratic.
 */
export function timeNeighbours(blocks: readonly Block[]): number[][] {
  const byFirst = blocks.map((_, i) => i).sort((a, b) => blocks[a]!.first - blocks[b]!.first || a - b);
  const neighbours = blocks.map((): number[] => []);
  byFirst.forEach((i, k) => {
    const last = blocks[i]!.last;
    for (let m = k + 1; m < byFirst.length && blocks[byFirst[m]!]!.first <= last; m++) {
      const j = byFirst[m]!;
      if (!overlapInTime(blocks[i]!, blocks[j]!)) continue;
      neighbours[i]!.push(j);
      neighbours[j]!.push(i);
    }
  });
  return neighbours;
}

type Fit = 'best' | 'first';

/**
 * Best fit takes the tightest finite gap (keeps big gaps for big blocks, as
 * TFLite Micro's GreedyMemoryPlanner does); first fit takes the lowest one.
 * Both fall back to the open space above all neighbours. (Allowed starts
 * [start, end] of a one-part block are the gaps of at least its size, and
 * end - start is the gap's size minus the block's.)
 */
function chooseOffset(free: readonly Interval[], fit: Fit): number {
  let best: Interval | undefined;
  for (const f of free) {
    if (fit === 'first') return f.start;
    if (best === undefined || f.end - f.start < best.end - best.start) best = f;
  }
  return best!.start; // the last interval is unbounded, so best is always set
}

function greedy(blocks: readonly Block[], order: readonly number[], fit: Fit, neighbours: readonly number[][]): number[] {
  const offsets: (number | undefined)[] = new Array<number | undefined>(blocks.length).fill(undefined);
  for (const i of order) offsets[i] = chooseOffset(freeIntervals(blocks, offsets, i, neighbours), fit);
  return offsets as number[];
}

/** Lowest offset that fits below `limit`, or undefined. */
function bottomFit(free: readonly Interval[], bytes: number, limit: number): number | undefined {
  for (const f of free) if (f.start + bytes <= limit) return f.start;
  return undefined;
}

/** Highest offset whose block ends at or below `limit`, or undefined. */
function topFit(free: readonly Interval[], bytes: number, limit: number): number | undefined {
  for (let k = free.length - 1; k >= 0; k--) {
    const top = Math.min(free[k]!.end, limit - bytes);
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
function twoEnded(blocks: readonly Block[], target: number, neighbours: readonly number[][]): number[] {
  const order = blocks.map((_, i) => i).sort((a, b) => blocks[a]!.first - blocks[b]!.first || blocks[b]!.last - blocks[a]!.last || a - b);
  const rank = new Array<number>(blocks.length);
  order.forEach((i, k) => { rank[i] = k; });
  const offsets: (number | undefined)[] = new Array<number | undefined>(blocks.length).fill(undefined);
  const onTop: boolean[] = new Array<boolean>(blocks.length).fill(false);
  for (const i of order) {
    const b = blocks[i]!;
    // The placed block live with this one that started last (ties: the one placed first).
    let recent = -1;
    for (const j of neighbours[i]!) {
      if (offsets[j] === undefined) continue;
      const [bj, br] = [blocks[j]!, blocks[recent] ?? blocks[j]!];
      const later = recent < 0 || bj.first > br.first || (bj.first === br.first && (bj.last > br.last || (bj.last === br.last && rank[j]! < rank[recent]!)));
      if (later) recent = j;
    }
    const free = freeIntervals(blocks, offsets, i, neighbours);
    const preferTop = recent >= 0 && !onTop[recent];
    const top = topFit(free, b.bytes, target);
    const bottom = bottomFit(free, b.bytes, target);
    if (preferTop ? top !== undefined : bottom === undefined && top !== undefined) {
      offsets[i] = top;
      onTop[i] = true;
    } else {
      offsets[i] = bottom ?? chooseOffset(free, 'first');
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

/** Same mulberry32 generator as the tests use; a fixed seed keeps the search deterministic. */
function seededRandom(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

/**
 * Hill climbing on the placement order: swap two blocks, re-run best fit,
 * keep the order if the arena did not grow (plateaus let it drift). The
 * budget shrinks with the square of the block count, since one greedy run
 * costs about that, so large graphs stay fast.
 */
function improveOrder(blocks: readonly Block[], start: number[], startArena: number, bound: number, neighbours: readonly number[][]): { offsets: number[]; arena: number } | undefined {
  const tries = Math.min(400, Math.floor(4_000_000 / Math.max(1, blocks.length * blocks.length)));
  if (blocks.length < 3 || tries === 0) return undefined;
  const rnd = seededRandom(0x5eed);
  let order = start;
  let arena = startArena;
  let best: { offsets: number[]; arena: number } | undefined;
  for (let t = 0; t < tries && arena > bound; t++) {
    const next = order.slice();
    const i = rnd(next.length);
    const j = rnd(next.length);
    [next[i], next[j]] = [next[j]!, next[i]!];
    const offsets = greedy(blocks, next, 'best', neighbours);
    const a = arenaOf(blocks, offsets);
    if (a <= arena) {
      order = next;
      if (a < arena) best = { offsets, arena: a };
      arena = a;
    }
  }
  return best;
}

/**
 * Runs every heuristic in a fixed order and keeps the first smallest arena,
 * then, if that is still above the lower bound, tries to improve the best
 * greedy order by local search. Everything is seeded, so identical input
 * always gives identical offsets.
 */
export function packBlocks(blocks: readonly Block[], bound: number): Packing {
  let best: Packing | undefined;
  let bestGreedy: { order: number[]; arena: number } | undefined;
  const neighbours = timeNeighbours(blocks);
  const consider = (heuristic: string, offsets: number[]): void => {
    const arena = arenaOf(blocks, offsets);
    if (best === undefined || arena < best.arena) best = { offsets, arena, heuristic };
  };
  for (const [name, orderOf] of ORDERS) {
    for (const fit of ['best', 'first'] as const) {
      const order = orderOf(blocks);
      const offsets = greedy(blocks, order, fit, neighbours);
      consider(`greedy-${name}-${fit}-fit`, offsets);
      const arena = arenaOf(blocks, offsets);
      if (fit === 'best' && (bestGreedy === undefined || arena < bestGreedy.arena)) bestGreedy = { order, arena };
      if (best!.arena <= bound) return best!;
    }
  }
  consider('two-ended', twoEnded(blocks, bound, neighbours));
  if (best === undefined) return { offsets: [], arena: 0, heuristic: 'empty' };
  if (best.arena <= bound || bestGreedy === undefined) return best;
  const improved = improveOrder(blocks, bestGreedy.order, bestGreedy.arena, bound, neighbours);
  if (improved && improved.arena < best.arena) best = { ...improved, heuristic: 'local-search' };
  return best;
}
