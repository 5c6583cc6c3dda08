// The execution-order search as it was before the near-linear rewrite (commit 2bda522), kept only as the
// reference the rewrite is compared with (test/plan/order-equivalence.test.ts). Not used by the compiler.
/**
 * Execution order selection: among the topological orders of a DAG of ops,
 * find one whose peak live memory is smallest (the planner's lower bound is
 * computed for a fixed order, so the order bounds what any placement can do).
 *
 * Memory model: before a step, a buffer is live if its producer already ran
 * (or it is a graph input) and it is a graph output or some consumer has not
 * run yet. While op v runs, that live set plus v's outputs is needed. Sizes
 * are taken as given (align them first if the arena will).
 *
 * Exact search: the live set depends only on the set of ops already run, so
 * dynamic programming over those sets ("ideals" of the DAG) with value = best
 * peak so far is optimal. A chain has n+1 ideals, a chain with a few short
 * branches not many more. The best of the file order and a greedy order is an
 * upper bound: states that cannot beat it are dropped (branch and bound), and
 * if none survives that order is itself proven optimal. Only when the
 * surviving states exceed `maxStates` do we settle for the heuristic.
 */
import { PlanError } from '../../compiler/plan/lifetimes.js';

export interface OrderNode {
  id: string;
  /** Buffer ids read. Ids no node produces are graph inputs (live from the start). */
  inputs: string[];
  /** Buffer ids produced; each buffer has at most one producer. */
  outputs: string[];
}

export interface OrderProblem {
  /** In file order; this is "the given order" and breaks ties. */
  nodes: OrderNode[];
  /** Bytes of every buffer mentioned. */
  sizes: Record<string, number>;
  /** Graph outputs: live until the end. */
  outputs?: string[];
  /** Cap on DP states before switching to greedy (default 200 000). */
  maxStates?: number;
}

export interface OrderResult {
  /** Node ids in the chosen order. */
  order: string[];
  /** Peak live bytes of the chosen order. */
  peak: number;
  /** Peak live bytes of the given (file) order. */
  givenPeak: number;
  /** Who produced the order: the exact search, the greedy rule, or the file order (kept when nothing beat it). */
  method: 'exact' | 'greedy' | 'given';
  /** True when the search proved no topological order has a lower peak. */
  optimal: boolean;
}

/** Index form of the problem; sets of nodes are bigint bit masks. */
interface Graph {
  ids: string[];
  size: number[]; // per buffer
  producer: number[]; // per buffer, -1 for graph inputs
  consumers: bigint[]; // per buffer, mask of consumer nodes
  isOutput: boolean[]; // per buffer
  ins: number[][]; // per node, distinct buffers read
  outs: number[][]; // per node
  preds: bigint[]; // per node, mask of producer nodes
  outBytes: number[]; // per node
}

const bit = (i: number): bigint => 1n << BigInt(i);

function buildGraph(p: OrderProblem): Graph {
  const ids = p.nodes.map((n) => n.id);
  if (new Set(ids).size !== ids.length) throw new PlanError('order: node ids are not unique');
  const bufIndex = new Map<string, number>();
  const size: number[] = [];
  const indexOf = (b: string): number => {
    let k = bufIndex.get(b);
    if (k === undefined) {
      const s = p.sizes[b];
      if (s === undefined || !Number.isFinite(s) || s < 0) throw new PlanError(`order: buffer '${b}' has no valid size`);
      k = size.length;
      bufIndex.set(b, k);
      size.push(s);
    }
    return k;
  };
  const ins = p.nodes.map((n) => [...new Set(n.inputs.map(indexOf))]);
  const outs = p.nodes.map((n) => n.outputs.map(indexOf));
  const producer = new Array<number>(size.length).fill(-1);
  outs.forEach((os, v) => os.forEach((b) => {
    if (producer[b] !== -1) throw new PlanError(`order: buffer '${[...bufIndex.keys()][b]}' has two producers`);
    producer[b] = v;
  }));
  for (const o of p.outputs ?? []) indexOf(o);
  const grow = <T>(arr: T[], fill: T): void => { while (arr.length < size.length) arr.push(fill); };
  grow(producer, -1);
  const consumers = new Array<bigint>(size.length).fill(0n);
  ins.forEach((is, v) => is.forEach((b) => { consumers[b] = consumers[b]! | bit(v); }));
  const isOutput = new Array<boolean>(size.length).fill(false);
  for (const o of p.outputs ?? []) isOutput[bufIndex.get(o)!] = true;
  const preds = ins.map((is) => is.reduce((m, b) => (producer[b]! >= 0 ? m | bit(producer[b]!) : m), 0n));
  const outBytes = outs.map((os) => os.reduce((s, b) => s + size[b]!, 0));
  return { ids, size, producer, consumers, isOutput, ins, outs, preds, outBytes };
}

/** Live bytes before any op runs: graph inputs that someone reads or that are outputs. */
function initialMemory(g: Graph): number {
  let m = 0;
  g.size.forEach((s, b) => { if (g.producer[b] === -1 && (g.consumers[b] !== 0n || g.isOutput[b])) m += s; });
  return m;
}

/** Live bytes after op v runs, given those before (`done` excludes v). */
function memoryAfter(g: Graph, done: bigint, mem: number, v: number): number {
  const after = done | bit(v);
  let m = mem;
  for (const b of g.outs[v]!) if (g.isOutput[b] || g.consumers[b] !== 0n) m += g.size[b]!;
  for (const b of g.ins[v]!) if (!g.isOutput[b] && (g.consumers[b]! & ~after) === 0n) m -= g.size[b]!;
  return m;
}

function ready(g: Graph, done: bigint, v: number): boolean {
  return (done & bit(v)) === 0n && (g.preds[v]! & ~done) === 0n;
}

/** Peak of an order given as node indices (must be topological). */
function peakOf(g: Graph, order: readonly number[]): number {
  let done = 0n;
  let mem = initialMemory(g);
  let peak = mem;
  for (const v of order) {
    if (!ready(g, done, v)) throw new PlanError(`order: '${g.ids[v]}' runs before one of its inputs is produced`);
    peak = Math.max(peak, mem + g.outBytes[v]!);
    mem = memoryAfter(g, done, mem, v);
    done |= bit(v);
  }
  return peak;
}

interface DpState {
  peak: number;
  mem: number;
  prev: bigint;
  node: number;
}

/**
 * DP over executed sets, layer by layer, keeping only states whose peak stays
 * below `bound`. Returns an order strictly better than `bound`, 'none' when
 * no order beats it (so the bound is optimal), or 'budget' when over budget.
 */
function exactOrder(g: Graph, bound: number, maxStates: number): number[] | 'none' | 'budget' {
  const n = g.ids.length;
  const start = initialMemory(g);
  if (start >= bound) return 'none';
  const layers: Map<bigint, DpState>[] = [new Map([[0n, { peak: start, mem: start, prev: 0n, node: -1 }]])];
  let states = 1;
  for (let k = 0; k < n; k++) {
    const next = new Map<bigint, DpState>();
    for (const [done, st] of layers[k]!) {
      for (let v = 0; v < n; v++) {
        if (!ready(g, done, v)) continue;
        const peak = Math.max(st.peak, st.mem + g.outBytes[v]!);
        if (peak >= bound) continue;
        const key = done | bit(v);
        const old = next.get(key);
        // Strictly better only: on ties the first found (file-order-most) path stays.
        if (old === undefined || peak < old.peak) {
          if (old === undefined && ++states > maxStates) return 'budget';
          next.set(key, { peak, mem: memoryAfter(g, done, st.mem, v), prev: done, node: v });
        }
      }
    }
    if (next.size === 0) return 'none';
    layers.push(next);
  }
  const order: number[] = [];
  let key = (1n << BigInt(n)) - 1n;
  for (let k = n; k > 0; k--) {
    const st = layers[k]!.get(key)!;
    order.push(st.node);
    key = st.prev;
  }
  return order.reverse();
}

/**
 * Greedy: run the ready op whose step needs the least memory, then the one
 * leaving the least live afterwards, then file order.
 */
function greedyOrder(g: Graph): number[] {
  const n = g.ids.length;
  const order: number[] = [];
  let done = 0n;
  let mem = initialMemory(g);
  for (let k = 0; k < n; k++) {
    let best = -1;
    let bestStep = Infinity;
    let bestAfter = Infinity;
    for (let v = 0; v < n; v++) {
      if (!ready(g, done, v)) continue;
      const step = mem + g.outBytes[v]!;
      const after = memoryAfter(g, done, mem, v);
      if (step < bestStep || (step === bestStep && after < bestAfter)) [best, bestStep, bestAfter] = [v, step, after];
    }
    if (best < 0) throw new PlanError('order: the graph has a cycle');
    order.push(best);
    mem = bestAfter;
    done |= bit(best);
  }
  return order;
}

/** Peak live bytes of the given order of node ids (validated as topological). */
export function peakOfOrder(problem: OrderProblem, order: readonly string[]): number {
  const g = buildGraph(problem);
  const index = new Map(g.ids.map((id, i) => [id, i]));
  if (order.length !== g.ids.length || new Set(order).size !== order.length) throw new PlanError('order: not a permutation of the nodes');
  return peakOf(g, order.map((id) => {
    const i = index.get(id);
    if (i === undefined) throw new PlanError(`order: unknown node '${id}'`);
    return i;
  }));
}

/** Kahn's algorithm; the DP and greedy both assume a DAG. */
function assertAcyclic(g: Graph): void {
  let done = 0n;
  for (let progress = true; progress;) {
    progress = false;
    for (let v = 0; v < g.ids.length; v++) {
      if (ready(g, done, v)) { done |= bit(v); progress = true; }
    }
  }
  const stuck = g.ids.findIndex((_, v) => (done & bit(v)) === 0n);
  if (stuck >= 0) throw new PlanError(`order: the graph has a cycle through '${g.ids[stuck]}'`);
}

export function chooseExecutionOrder(problem: OrderProblem): OrderResult {
  const g = buildGraph(problem);
  assertAcyclic(g);
  const given = g.ids.map((_, i) => i);
  // The file order need not be topological; if it is not, there is no given peak to compare with.
  let givenPeak: number;
  try {
    givenPeak = peakOf(g, given);
  } catch {
    givenPeak = Infinity;
  }
  const greedy = greedyOrder(g);
  const greedyPeak = peakOf(g, greedy);
  // Incumbent: the file order unless greedy is strictly better (keep the author's order when it costs nothing).
  const incumbent: OrderResult = greedyPeak < givenPeak
    ? { order: greedy.map((i) => g.ids[i]!), peak: greedyPeak, givenPeak, method: 'greedy', optimal: false }
    : { order: g.ids.slice(), peak: givenPeak, givenPeak, method: 'given', optimal: false };
  const exact = exactOrder(g, incumbent.peak, problem.maxStates ?? 200_000);
  if (exact === 'budget') return incumbent;
  if (exact === 'none') return { ...incumbent, optimal: true };
  return { order: exact.map((i) => g.ids[i]!), peak: peakOf(g, exact), givenPeak, method: 'exact', optimal: true };
}
