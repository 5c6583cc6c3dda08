/**
 * state-pairs alone (--stateful): the default pairs of LSTM/GRU nodes, the
 * checks on explicit --state pairs, the tie groups PTQ sees (with
 * unroll-recurrent in stateful mode: every per-step tensor tied across steps,
 * the state input with the state), and the union of overlapping tie groups.
 */
import { describe, expect, it } from 'vitest';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { parseStatePairs, statePairs } from '../../compiler/passes/state-pairs.js';
import { unrollRecurrent } from '../../compiler/passes/unroll-recurrent.js';
import { mergeOverlapping, tieRanges } from '../../compiler/quantize/ranges.js';
import { EdgecError } from '../../compiler/errors.js';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import type { Graph } from '../../compiler/ir/graph.js';

const SEQ = 3;
const HIDDEN = 4;

/** x [3, 1, 2] -> LSTM (h0, c0 graph inputs unless `states` is false) -> y_h (and y_c when listed). */
function lstm(opts: { states?: boolean; outputs?: string[]; direction?: string } = {}): Graph {
  const dirs = opts.direction === 'bidirectional' ? 2 : 1;
  const b = new OnnxBuilder({ opset: 14 })
    .input('x', 'float32', [SEQ, 1, 2])
    .initializer('W', new Float32Array(dirs * 4 * HIDDEN * 2).fill(0.1), [dirs, 4 * HIDDEN, 2])
    .initializer('R', new Float32Array(dirs * 4 * HIDDEN * HIDDEN).fill(0.1), [dirs, 4 * HIDDEN, HIDDEN]);
  const states = opts.states ?? true;
  if (states) b.input('h0', 'float32', [dirs, 1, HIDDEN]).input('c0', 'float32', [dirs, 1, HIDDEN]);
  b.node('LSTM', ['x', 'W', 'R', '', '', states ? 'h0' : '', states ? 'c0' : ''], ['', 'y_h', 'y_c'], { hidden_size: HIDDEN, direction: opts.direction ?? 'forward' }, { name: 'lstm' });
  for (const o of opts.outputs ?? ['y_h', 'y_c']) b.output(o, 'float32');
  return loadModelBytes(b.toBytes(), 'lstm.onnx');
}

describe('state-pairs', () => {
  it('pairs an LSTM\'s initial_h / initial_c inputs with its Y_h / Y_c and ties each pair', () => {
    const g = statePairs(undefined)(lstm());
    expect(g.statePairs).toEqual([{ input: 'h0', output: 'y_h' }, { input: 'c0', output: 'y_c' }]);
    expect(g.tiedRanges).toEqual([['h0', 'y_h'], ['c0', 'y_c']]);
  });

  it('makes a final state the model did not list a graph output', () => {
    const g = statePairs(undefined)(lstm({ outputs: ['y_h'] }));
    expect(g.outputs).toEqual(['y_h', 'y_c']);
  });

  it('refuses a node without state inputs, and a bidirectional one, naming the node', () => {
    expect(() => statePairs(undefined)(lstm({ states: false }))).toThrow(/node 'lstm' \(LSTM\): --stateful: the model has no state input for this node \(its initial_h is absent\)/);
    expect(() => statePairs(undefined)(lstm({ direction: 'bidirectional' }))).toThrow(/node 'lstm' \(LSTM\): --stateful: direction is 'bidirectional'/);
  });

  it('checks explicit pairs: names, shapes, one pair per tensor', () => {
    const g = (): Graph => lstm();
    expect(statePairs([{ input: 'h0', output: 'y_h' }])(g()).statePairs).toEqual([{ input: 'h0', output: 'y_h' }]);
    expect(() => statePairs([{ input: 'x', output: 'y_h' }])(g())).toThrow(/--state x=y_h: the input has 6 elements \[3, 1, 2\], the output 4 \[1, 1, 4\]/);
    expect(() => statePairs([{ input: 'h0', output: 'y_h' }, { input: 'c0', output: 'y_h' }])(g())).toThrow(/'y_h' is in two state pairs/);
    expect(() => statePairs([{ input: 'W', output: 'y_h' }])(g())).toThrow(EdgecError);
  });

  it('parses --state', () => {
    expect(parseStatePairs('a=b, c = d')).toEqual([{ input: 'a', output: 'b' }, { input: 'c', output: 'd' }]);
    expect(parseStatePairs(undefined)).toBeUndefined();
    expect(() => parseStatePairs('a=b,=c')).toThrow(/--state 'a=b,=c': expected <input>=<output>/);
  });
});

describe('unroll-recurrent with --stateful', () => {
  it('ties every per-step tensor across steps and the state inputs with the state', () => {
    const plain = unrollRecurrent(lstm());
    const stateful = unrollRecurrent(statePairs(undefined)(lstm()));
    const groups = mergeOverlapping(stateful.tiedRanges ?? []);
    const groupOf = (name: string): string[] | undefined => groups.find((gr) => gr.includes(name));
    // h of every step, h0 and y_h: one group; c likewise
    const h = groupOf('h0')!;
    expect(h).toContain('y_h');
    expect(h.filter((n) => /_t\d+_h$/.test(n))).toHaveLength(SEQ);
    expect(groupOf('c0')!.filter((n) => /_t\d+_c$/.test(n))).toHaveLength(SEQ);
    // the products of every step too (ig, fc), which the plain unroll leaves per step
    expect(groups.find((gr) => gr.some((n) => /_t1_ig$/.test(n)))?.length).toBe(SEQ);
    expect((plain.tiedRanges ?? []).some((gr) => gr.some((n) => /_ig$/.test(n)))).toBe(false);
  });
});

describe('tie groups sharing a member', () => {
  it('merge into one group whose members all get the union range', () => {
    expect(mergeOverlapping([['a', 'b'], ['c', 'd'], ['b', 'c'], ['e']])).toEqual([['a', 'b', 'c', 'd'], ['e']]);
    const ranges = new Map([['a', { lo: -1, hi: 0 }], ['b', { lo: 0, hi: 2 }], ['c', { lo: -3, hi: 0.5 }], ['e', { lo: 5, hi: 6 }]]);
    tieRanges(ranges, [['a', 'b'], ['b', 'c']]);
    expect([ranges.get('a'), ranges.get('c'), ranges.get('e')]).toEqual([{ lo: -3, hi: 2 }, { lo: -3, hi: 2 }, { lo: 5, hi: 6 }]);
  });
});
