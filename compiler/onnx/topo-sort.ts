/** Stable topological order: nodes keep their file order unless a dependency forces otherwise. */
import type { Node } from '../ir/graph.js';
import { modelError } from '../errors.js';

/**
 * `available` holds tensors that exist before any node runs (graph inputs,
 * initializers, Constant outputs). Inputs produced by no node and not
 * available are reported by the caller before sorting; here they would show up
 * as a cycle, so the check is repeated for a precise message.
 */
export function topoSort(nodes: readonly Node[], available: ReadonlySet<string>, file: string): Node[] {
  const producer = new Map<string, number>();
  nodes.forEach((n, i) => n.outputs.forEach((o) => { if (o !== '') producer.set(o, i); }));
  const waiting = nodes.map((n) => new Set(n.inputs.filter((x) => x !== '' && !available.has(x))));
  const consumers = new Map<number, number[]>();
  waiting.forEach((deps, i) => {
    for (const d of deps) {
      const p = producer.get(d);
      if (p === undefined) throw modelError(file, nodes[i], `input '${d}' is not a graph input, an initializer or the output of any node`);
      consumers.set(p, [...(consumers.get(p) ?? []), i]);
    }
  });
  const remaining = waiting.map((deps) => new Set([...deps].map((d) => producer.get(d)!)));
  // Ready nodes, kept sorted by file position so the order is deterministic and close to the original.
  const ready = remaining.flatMap((r, i) => (r.size === 0 ? [i] : []));
  const order: Node[] = [];
  const done = new Set<number>();
  while (ready.length > 0) {
    const i = ready.shift()!;
    done.add(i);
    order.push(nodes[i]!);
    for (const c of consumers.get(i) ?? []) {
      const r = remaining[c]!;
      r.delete(i);
      if (r.size === 0 && !done.has(c) && !ready.includes(c)) {
        const at = ready.findIndex((x) => x > c);
        ready.splice(at === -1 ? ready.length : at, 0, c);
      }
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.find((_, i) => !done.has(i));
    throw modelError(file, stuck, 'graph has a cycle through this node');
  }
  return order;
}
