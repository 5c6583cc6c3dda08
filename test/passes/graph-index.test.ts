/**
 * GraphIndex (passes/graph-edit.ts) answers "who reads / who produces" in
 * O(1) for the passes that used to scan every node per node (fold-qdq,
 * fuse-activations, remove-identity). It must give what a scan of the
 * current graph would, through every edit.
 */
import { describe, expect, it } from 'vitest';
import type { Graph, Node } from '../../compiler/ir/graph.js';
import { GraphIndex } from '../../compiler/passes/graph-edit.js';
import { compileModel } from '../../compiler/pipeline.js';
import { chainModelBytes } from '../../compiler/bench/chain-model.js';

const node = (name: string, inputs: string[], outputs: string[]): Node => ({ name, opType: 'Relu', domain: '', inputs, outputs, attrs: {} });

function scanReaders(g: Graph, t: string): string[] {
  return g.nodes.filter((n) => n.inputs.includes(t)).map((n) => n.name).sort();
}

describe('GraphIndex', () => {
  it('agrees with a scan of the graph through setInputs, replaceReads and setFirstOutput', () => {
    const g: Graph = { name: 'g', fileName: 'g.onnx', opset: 13, tensors: new Map(), inputs: ['x'], outputs: ['d'], nodes: [
      node('a', ['x'], ['t1']), node('b', ['t1', 't1'], ['t2']), node('c', ['t1', 't2'], ['t3']), node('d', ['t3'], ['d']),
    ] };
    const index = new GraphIndex(g);
    const check = (): void => { for (const t of ['x', 't1', 't2', 't3', 'd']) expect(index.readersOf(t).map((n) => n.name).sort(), t).toEqual(scanReaders(g, t)); };
    check();
    index.replaceReads('t1', 'x');
    check();
    index.setInputs(g.nodes[2]!, ['t2']);
    check();
    expect(index.producerOf('t2')?.name).toBe('b');
    index.setFirstOutput(g.nodes[1]!, 't9');
    expect(index.producerOf('t2')).toBeUndefined();
    expect(index.producerOf('t9')?.name).toBe('b');
  });

  it('a 3,000-node chain compiles: every layer lowered, the arena two small buffers', () => {
    const c = compileModel('chain.onnx', { modelBytes: chainModelBytes(1000) });
    expect(c.program.ops.length).toBe(1002); // 1000 layers + the float edges (quantize, dequantize)
    expect(c.plan.arenaBytes).toBeLessThanOrEqual(64);
  });
});
