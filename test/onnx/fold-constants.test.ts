/** Constant folding at import: shape plumbing folds (values checked against onnxruntime), weights and float math do not. */
import { describe, it, expect } from 'vitest';
import { foldConstants } from '../../compiler/onnx/fold-constants.js';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { OnnxBuilder, Attr } from '../helpers/onnx-builder.js';
import { runOrt } from '../helpers/ort.js';
import { randomInputs } from './check.js';

/** Values onnxruntime computes for `names` (as extra outputs) on random inputs. */
async function ortValues(bytes: Uint8Array, graph: Graph, names: string[]): Promise<Record<string, number[]>> {
  const out = await runOrt(bytes, randomInputs(graph), { extraOutputs: names, optimization: 'disabled' });
  return Object.fromEntries(names.map((n) => [n, Array.from(out[n]!.data)]));
}

describe('foldConstants', () => {
  it('folds a shape-computation chain into constants with onnxruntime-identical values', async () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', ['N', 6, 4, 2])
      .int64('i0', [0], []).int64('neg', [-1], []).int64('ax0', [0]).int64('two', [2], []).int64('three', [3], []).int64('m7', [-7], [])
      .int64('st', [1]).int64('en', [3]).int64('st2', [2]).int64('en2', [4]).int64('minus1', [-1]).int64('zero1', [0]).int64('stepneg', [-1]).int64('big', [9223372036854775807])
      .node('Shape', ['x'], ['s'])
      .node('Gather', ['s', 'neg'], ['last'], { axis: 0 })              // 2 (negative index)
      .node('Gather', ['s', 'i0'], ['n'])                              // 1
      .node('Slice', ['s', 'st', 'en'], ['mid'])                        // [6, 4]
      .node('Slice', ['s', 'big', 'zero1', 'ax0', 'stepneg'], ['rev'])    // reversed: [2, 4, 6] (excludes index 0)
      .node('Mul', ['last', 'three'], ['six'])                          // 6
      .node('Div', ['m7', 'two'], ['trunc'])                            // -3 (C truncation)
      .node('Sub', ['six', 'trunc'], ['nine'])                          // 9
      .node('Unsqueeze', ['n', 'ax0'], ['nu'])
      .node('Slice', ['s', 'st2', 'en2'], ['tail'])                     // [4, 2]
      .node('Concat', ['nu', 'mid', 'minus1'], ['cat'], { axis: 0 })    // [1, 6, 4, -1]
      .node('Cast', ['cat'], ['catf'], { to: 1 })
      .node('Cast', ['catf'], ['cati'], { to: 7 })
      .node('ConstantOfShape', ['tail'], ['ones'], { value: Attr.tensor({ data: Float32Array.of(1), dims: [1] }) })
      .node('Identity', ['cati'], ['target'])
      .node('Reshape', ['x', 'target'], ['r'])
      .node('Add', ['r', 'ones'], ['y']).output('y', 'float32')
      .node('Unsqueeze', ['nine', 'ax0'], ['nine1']).node('Concat', ['rev', 'nine1'], ['info'], { axis: 0 }).node('Cast', ['info'], ['infof'], { to: 1 })
      .node('Relu', ['infof'], ['z']).output('z', 'float32');
    const bytes = b.toBytes();
    const g = loadModelBytes(bytes);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Reshape', 'Add', 'Relu']);
    const names = ['last', 'trunc', 'rev', 'cat', 'ones', 'target', 'info', 'infof'];
    const reference = await ortValues(bytes, g, names);
    const folded = loadModelBytes(bytes);
    // Folded intermediates are pruned from the final graph, so read them via a graph that keeps them as outputs.
    for (const name of ['target', 'ones', 'infof']) expect(Array.from(folded.tensors.get(name)!.data!), name).toEqual(reference[name]);
    expect(reference.trunc).toEqual([-3]);
    expect(reference.target).toEqual([1, 6, 4, -1]);
    expect(g.tensors.get('y')!.shape).toEqual([1, 6, 4, 2]);
    expect(reference.rev).toEqual([2, 4, 6]);
    expect(reference.info).toEqual([2, 4, 6, 9]);
  });

  it('does not fold DequantizeLinear of weights or float arithmetic', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [1, 4])
      .initializer('wq', Int8Array.of(1, -2, 3, -4), [4]).float('ws', 0.5).initializer('wz', Int8Array.of(0), [])
      .float('a', [1, 2, 3, 4]).float('c', [1, 1, 1, 1])
      .node('DequantizeLinear', ['wq', 'ws', 'wz'], ['w'])
      .node('Add', ['a', 'c'], ['ac'])
      .node('Mul', ['x', 'w'], ['m']).node('Add', ['m', 'ac'], ['y']).output('y', 'float32');
    const g = loadModelBytes(b.toBytes());
    expect(g.nodes.map((n) => n.opType)).toEqual(['DequantizeLinear', 'Add', 'Mul', 'Add']);
    expect(g.tensors.get('w')!.data).toBeUndefined();
    expect(g.tensors.get('ac')!.data).toBeUndefined();
    expect(g.tensors.get('wq')!.data).toBeInstanceOf(Int8Array);
  });

  it('keeps nodes that produce graph outputs', () => {
    const b = new OnnxBuilder({ opset: 13 }).input('x', 'float32', [2, 3]).node('Shape', ['x'], ['s']).output('s', 'int64');
    const g = loadModelBytes(b.toBytes());
    expect(g.nodes.map((n) => n.opType)).toEqual(['Shape']);
    expect(g.tensors.get('s')).toMatchObject({ dtype: 'int64', shape: [2] });
  });

  it('is a pure Graph → Graph function', () => {
    const graph: Graph = {
      name: 'g', fileName: 'g.onnx', opset: 13, inputs: ['x'], outputs: ['y'],
      tensors: new Map([
        ['x', { name: 'x', dtype: 'float32', shape: [2, 3] }],
        ['s', { name: 's', dtype: 'int64', shape: [2] }],
        ['y', { name: 'y', dtype: 'float32', shape: [3, 2] }],
        ['t', { name: 't', dtype: 'int64', shape: [2] }],
        ['i', { name: 'i', dtype: 'int64', shape: [1], data: Float64Array.of(1) }],
      ]),
      nodes: [
        { name: 'shape', opType: 'Shape', domain: '', inputs: ['x'], outputs: ['s'], attrs: {} },
        { name: 'rev', opType: 'Slice', domain: '', inputs: ['s', 'i', 'i'], outputs: ['t'], attrs: {} },
        { name: 'r', opType: 'Reshape', domain: '', inputs: ['x', 's'], outputs: ['y'], attrs: {} },
      ],
    };
    graph.nodes[1]!.inputs = ['s', 'i', 'i'];
    const before = JSON.stringify({ nodes: graph.nodes, tensors: [...graph.tensors.entries()] });
    const folded = foldConstants(graph);
    expect(JSON.stringify({ nodes: graph.nodes, tensors: [...graph.tensors.entries()] })).toBe(before);
    expect(folded.nodes.map((n) => n.name)).toEqual(['r']);
    expect(Array.from(folded.tensors.get('s')!.data!)).toEqual([2, 3]);
    // 't' and 'i' are no longer referenced and are pruned.
    expect([...folded.tensors.keys()].sort()).toEqual(['s', 'x', 'y']);
  });
});
