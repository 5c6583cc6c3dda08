/** Small graph-editing helpers shared by the passes. */
import type { Graph, Node } from '../ir/graph.js';

/** Every read of `from` (in nodes and graph outputs) now reads `to`. */
export function replaceUses(graph: Graph, from: string, to: string): void {
  for (const node of graph.nodes) {
    node.inputs = node.inputs.map((i) => (i === from ? to : i));
  }
  graph.outputs = graph.outputs.map((o) => (o === from ? to : o));
}

/** Every read of `from` by nodes (not graph outputs) now reads `to`. */
export function replaceNodeUses(graph: Graph, from: string, to: string): void {
  for (const node of graph.nodes) {
    node.inputs = node.inputs.map((i) => (i === from ? to : i));
  }
}

export function removeNodes(graph: Graph, dead: ReadonlySet<Node>): void {
  graph.nodes = graph.nodes.filter((n) => !dead.has(n));
}

export function uniqueTensorName(graph: Graph, base: string): string {
  if (!graph.tensors.has(base)) return base;
  for (let i = 1; ; i++) {
    const name = `${base}_${i}`;
    if (!graph.tensors.has(name)) return name;
  }
}

/** Remove tensors no node or graph boundary mentions any more. */
export function pruneTensors(graph: Graph): void {
  const used = new Set<string>([...graph.inputs, ...graph.outputs]);
  for (const n of graph.nodes) { n.inputs.forEach((i) => used.add(i)); n.outputs.forEach((o) => used.add(o)); }
  for (const name of [...graph.tensors.keys()]) if (!used.has(name)) graph.tensors.delete(name);
}

/** Topological re-sort (passes that insert nodes append them; order fixes it). */
export function sortTopologically(graph: Graph): void {
  const produced = new Map<string, Node>();
  graph.nodes.forEach((n) => n.outputs.forEach((o) => produced.set(o, n)));
  const done = new Set<Node>();
  const order: Node[] = [];
  const visit = (n: Node, stack: Set<Node>): void => {
    if (done.has(n)) return;
    if (stack.has(n)) throw new Error(`internal: cycle at node '${n.name}'`);
    stack.add(n);
    for (const i of n.inputs) { const p = produced.get(i); if (p) visit(p, stack); }
    stack.delete(n);
    done.add(n);
    order.push(n);
  };
  graph.nodes.forEach((n) => visit(n, new Set()));
  graph.nodes = order;
}
