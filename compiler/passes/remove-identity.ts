/**
 * Identity and Dropout (inference mode) compute nothing: their readers read
 * the input directly. One that produces a graph output stays and is lowered
 * as a zero-copy alias, so the output keeps its name.
 */
import type { Graph, Node } from '../ir/graph.js';
import { GraphIndex, pruneTensors, removeNodes } from './graph-edit.js';

const PASS_THROUGH = new Set(['Identity', 'Dropout']);

export function removeIdentity(graph: Graph): Graph {
  const dead = new Set<Node>();
  const index = new GraphIndex(graph);
  const outputs = new Set(graph.outputs);
  for (const node of graph.nodes) {
    if (!PASS_THROUGH.has(node.opType)) continue;
    const out = node.outputs[0];
    if (outputs.has(out)) continue;
    index.replaceReads(out, node.inputs[0]);
    dead.add(node);
  }
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}
