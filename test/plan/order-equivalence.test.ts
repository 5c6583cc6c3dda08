/**
 * plan/order.ts was rewritten from bitsets over all ops to incremental
 * frontiers (near-linear on long chains). The result must be the same: this
 * compares it with the former implementation, kept verbatim in
 * order-reference.ts, on random DAGs of every size the search handles
 * (exact, budget-capped and greedy).
 */
import { describe, expect, it } from 'vitest';
import { chooseExecutionOrder, peakOfOrder } from '../../compiler/plan/order.js';
import type { OrderNode, OrderProblem } from '../../compiler/plan/order.js';
import * as reference from './order-reference.js';
import { makeRng } from './helpers.js';

/** Random DAG with shared reads, multi-output ops, graph outputs inside the graph and unread buffers. */
function randomDag(rng: (n: number) => number, n: number, window: number): OrderProblem {
  const sizes: Record<string, number> = { in0: 1 + rng(100), in1: 1 + rng(100) };
  const avail = ['in0', 'in1'];
  const nodes: OrderNode[] = [];
  for (let i = 0; i < n; i++) {
    const pick = (): string => avail[Math.max(0, avail.length - 1 - rng(window))]!;
    const inputs = Array.from({ length: 1 + rng(3) }, pick);
    const outputs = [`b${i}`, ...(rng(5) === 0 ? [`b${i}x`] : [])];
    for (const o of outputs) sizes[o] = 1 + rng(100);
    nodes.push({ id: `op${i}`, inputs, outputs });
    avail.push(...outputs);
  }
  const outputs = avail.filter(() => rng(8) === 0);
  // Shuffle a little: the file order need not be topological.
  if (rng(4) === 0 && nodes.length > 2) [nodes[0], nodes[1]] = [nodes[1]!, nodes[0]!];
  return { nodes, sizes, outputs };
}

describe('execution order: same results as the bitset implementation', () => {
  it('on 400 random DAGs (2-60 ops, narrow and wide, with and without a state budget)', () => {
    for (let seed = 1; seed <= 400; seed++) {
      const rng = makeRng(seed);
      const p = { ...randomDag(rng, 2 + rng(59), 1 + rng(8)), maxStates: [200_000, 50, 1][rng(3)] };
      // Odd seeds key DP states by ready sets (what graphs over 512 ops use), even ones by bit masks.
      const got = chooseExecutionOrder({ ...p, maskKeysUpTo: seed % 2 === 1 ? 0 : undefined });
      const want = reference.chooseExecutionOrder(p);
      expect(got, `seed ${seed}`).toEqual(want);
      expect(peakOfOrder(p, got.order)).toBe(reference.peakOfOrder(p, want.order));
    }
  });

  it('raises the same errors', () => {
    const cycle: OrderProblem = {
      nodes: [{ id: 'x', inputs: ['in'], outputs: ['s'] }, { id: 'a', inputs: ['u', 's'], outputs: ['t'] }, { id: 'b', inputs: ['t'], outputs: ['u'] }],
      sizes: { in: 1, s: 1, t: 1, u: 1 },
    };
    expect(() => chooseExecutionOrder(cycle)).toThrow(/cycle through 'a'/);
    expect(() => reference.chooseExecutionOrder(cycle)).toThrow(/cycle through 'a'/);
    const p: OrderProblem = { nodes: [{ id: 'a', inputs: ['x'], outputs: ['t'] }, { id: 'b', inputs: ['t'], outputs: ['u'] }], sizes: { x: 1, t: 1, u: 1 } };
    expect(() => peakOfOrder(p, ['b', 'a'])).toThrow("'b' runs before");
  });

  it('plans a 100k-op chain (file order, proven optimal)', () => {
    const nodes: OrderNode[] = [];
    const sizes: Record<string, number> = { t0: 8 };
    for (let i = 1; i <= 100_000; i++) {
      nodes.push({ id: `op${i}`, inputs: [`t${i - 1}`], outputs: [`t${i}`] });
      sizes[`t${i}`] = 1 + ((i * 37) % 101);
    }
    const r = chooseExecutionOrder({ nodes, sizes, outputs: ['t100000'] });
    expect(r.order.length).toBe(100_000);
    expect(r.method).toBe('given');
    expect(r.optimal).toBe(true);
  });
});
