/** share-constants alone: identical const arrays are kept once, every op reads the survivor; different ones stay apart. */
import { describe, expect, it } from 'vitest';
import { shareConstants } from '../../compiler/passes/share-constants.js';
import type { ConstArray, Op, Program } from '../../compiler/ir/program.js';

function fc(name: string, filter: string, bias: string): Op {
  return { kind: 'fully_connected', name, onnxOp: 'Gemm', inputs: [], outputs: [], params: {}, consts: { filter, bias }, macs: 0 };
}

function program(consts: ConstArray[], ops: Op[]): Program {
  return { name: 'm', values: new Map(), consts: new Map(consts.map((c) => [c.id, c])), ops, inputs: [], outputs: [] };
}

describe('share-constants', () => {
  it('keeps one of two identical arrays and points both ops at it', () => {
    const p = shareConstants(program([
      { id: 'a_filter', type: 'int8', data: Int8Array.of(1, -2, 3) },
      { id: 'a_bias', type: 'int32', data: Int32Array.of(7) },
      { id: 'b_filter', type: 'int8', data: Int8Array.of(1, -2, 3) },
      { id: 'b_bias', type: 'int32', data: Int32Array.of(8) },
    ], [fc('a', 'a_filter', 'a_bias'), fc('b', 'b_filter', 'b_bias')]));
    expect([...p.consts.keys()]).toEqual(['a_filter', 'a_bias', 'b_bias']);
    expect(p.ops[1].consts).toEqual({ filter: 'a_filter', bias: 'b_bias' });
  });

  it('never merges arrays of a different type or length, even with the same bytes', () => {
    const p = shareConstants(program([
      { id: 'x', type: 'int8', data: Int8Array.of(0, 0, 0, 0) },
      { id: 'y', type: 'int32', data: Int32Array.of(0) },
      { id: 'z', type: 'int8', data: Int8Array.of(0, 0, 0) },
    ], [fc('a', 'x', 'y'), fc('b', 'z', 'y')]));
    expect(p.consts.size).toBe(3);
  });
});
