/**
 * ArgMax / ArgMin -> Cast(to int32) (tf2onnx writes TFLite's int32 ARG_MAX
 * output this way): the index op writes int32 itself and the Cast goes. Our
 * index kernel writes int32 (indices of an int8 tensor's axis always fit), so
 * this is the only form lowered; an int64 index output fails with a message
 * naming the node.
 */
import type { Graph, Node } from '../ir/graph.js';
import { pruneTensors, removeNodes } from './graph-edit.js';

const INT32 = 6;

export function foldArgCast(graph: Graph): Graph {
  const readers = new Map<string, Node[]>();
  for (const n of graph.nodes) for (const i of n.inputs) readers.set(i, [...(readers.get(i) ?? []), n]);
  const dead = new Set<Node>();
  for (const arg of graph.nodes) {
    if (arg.opType !== 'ArgMax' && arg.opType !== 'ArgMin') continue;
    const idx = arg.outputs[0];
    const users = readers.get(idx) ?? [];
    const cast = users[0];
    if (users.length !== 1 || !cast || cast.opType !== 'Cast' || cast.attrs.to !== INT32 || graph.outputs.includes(idx)) continue;
    const castOut = graph.tensors.get(cast.outputs[0]);
    if (!castOut) continue;
    // the index op writes the Cast's output (it keeps its name, it may be a graph output)
    castOut.dtype = 'int32';
    arg.outputs = [cast.outputs[0]];
    dead.add(cast);
  }
  if (dead.size === 0) return graph;
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}
