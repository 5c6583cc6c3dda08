/** Small graph-editing helpers shared by the passes. */
import type { Graph, Node, Tensor } from '../ir/graph.js';

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

/** `base`, or `base_<i>`, a name no node of the graph nor of `pending` (nodes about to be added) has. */
export function uniqueNodeName(graph: Graph, pending: readonly Node[], base: string): string {
  const taken = (n: string): boolean => graph.nodes.some((x) => x.name === n) || pending.some((x) => x.name === n);
  if (!taken(base)) return base;
  for (let i = 1; ; i++) if (!taken(`${base}_${i}`)) return `${base}_${i}`;
}

/** Input `slot` of `node`, or undefined when the model omits it (absent or ''). */
export function optionalInput(graph: Graph, node: Node, slot: number): Tensor | undefined {
  const name = node.inputs[slot];
  return name === undefined || name === '' ? undefined : graph.tensors.get(name);
}

/** A constant whose every element is zero. */
export function allZero(t: Tensor): boolean {
  return !!t.data && Array.from(t.data).every((v) => Number(v) === 0);
}

/** Whether a node or the graph's outputs read tensor `name` ('' or undefined: an omitted output). */
export function isRead(graph: Graph, name: string | undefined): name is string {
  return name !== undefined && name !== '' && (graph.outputs.includes(name) || graph.nodes.some((n) => n.inputs.includes(name)));
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

/**
 * Who reads and who produces each tensor, kept current through the edits a
 * pass makes, so a pass asks in O(1) instead of scanning every node (passes
 * that scanned per node were quadratic on long graphs). Readers include
 * nodes a pass has marked dead but not removed yet, as a scan of
 * graph.nodes would.
 */
export class GraphIndex {
  private readonly readers = new Map<string, Set<Node>>();
  private readonly firstOutputOf = new Map<string, Node>();

  constructor(graph: Graph) {
    for (const node of graph.nodes) {
      for (const input of node.inputs) this.addReader(input, node);
      // The first node in graph order whose first output is the tensor, as graph.nodes.find would give.
      const first = node.outputs[0];
      if (first !== undefined && !this.firstOutputOf.has(first)) this.firstOutputOf.set(first, node);
    }
  }

  private addReader(name: string, node: Node): void {
    let set = this.readers.get(name);
    if (!set) this.readers.set(name, (set = new Set()));
    set.add(node);
  }

  /** Nodes with `name` among their inputs. */
  readersOf(name: string): Node[] {
    return [...(this.readers.get(name) ?? [])];
  }

  /** The node whose first output is `name`. */
  producerOf(name: string): Node | undefined {
    return this.firstOutputOf.get(name);
  }

  /** node.inputs = inputs, index updated. */
  setInputs(node: Node, inputs: string[]): void {
    for (const input of node.inputs) if (!inputs.includes(input)) this.readers.get(input)?.delete(node);
    node.inputs = inputs;
    for (const input of inputs) this.addReader(input, node);
  }

  /** replaceNodeUses through the index: every node reading `from` now reads `to`. */
  replaceReads(from: string, to: string): void {
    if (from === to) return;
    for (const node of this.readersOf(from)) this.setInputs(node, node.inputs.map((i) => (i === from ? to : i)));
  }

  /** node's first output becomes `name` (a fused node takes over its consumer's output). */
  setFirstOutput(node: Node, name: string): void {
    const old = node.outputs[0];
    if (old !== undefined && this.firstOutputOf.get(old) === node) this.firstOutputOf.delete(old);
    node.outputs[0] = name;
    this.firstOutputOf.set(name, node);
  }
}
