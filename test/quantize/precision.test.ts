/**
 * quantize/precision.ts: which layers and tensors of a float graph get int16
 * activations under --activations int16 / --int16-layers, and the symmetric
 * int16 parameters. Graph: x -> Conv 'c1' -> Relu (fused) -> Slice 's' ->
 * Conv 'c2' -> LeakyRelu 'lk' -> Reshape 'r' -> Gemm 'fc' -> y.
 */
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { planQuantization } from '../../compiler/quantize/quantize.js';
import { int16Params, int8FallbackNote, parseActivations, parseInt16Layers, planPrecision } from '../../compiler/quantize/precision.js';
import { EdgecError } from '../../compiler/errors.js';
import type { Graph } from '../../compiler/ir/graph.js';

function graph(): Graph {
  const b = new OnnxBuilder({ opset: 13 });
  b.input('x', 'float32', [1, 2, 6, 6]);
  b.initializer('w1', new Float32Array(4 * 2 * 9).fill(0.1), [4, 2, 3, 3]);
  b.initializer('w2', new Float32Array(4 * 2 * 9).fill(0.1), [4, 2, 3, 3]);
  b.initializer('wfc', new Float32Array(3 * 144).fill(0.1), [3, 144]);
  b.int64('starts', [0]).int64('ends', [2]).int64('axes', [1]).int64('shape', [1, 144]);
  const c1 = b.op('Conv', ['x', 'w1'], { pads: [1, 1, 1, 1] }, { name: 'c1' });
  const r1 = b.op('Relu', [c1], {}, { name: 'relu' });
  const s = b.op('Slice', [r1, 'starts', 'ends', 'axes'], {}, { name: 's' });
  const c2 = b.op('Conv', [s, 'w2'], { pads: [1, 1, 1, 1] }, { name: 'c2' });
  const lk = b.op('LeakyRelu', [c2], { alpha: 0.1 }, { name: 'lk' });
  const r = b.op('Reshape', [lk, 'shape'], {}, { name: 'r' });
  b.node('Gemm', [r, 'wfc'], ['y'], { transB: 1 }, { name: 'fc' });
  b.output('y', 'float32', [1, 3]);
  return loadModelBytes(b.toBytes(), { fileName: 'p.onnx' });
}

describe('planPrecision', () => {
  it('--activations int16: layers with a 16x8 kernel int16, the others int8 and named; fused Relu and layout ops follow', () => {
    const g = graph();
    const p = planPrecision(g, planQuantization(g), 'int16', []);
    const byName = Object.fromEntries([...p.nodes]);
    expect(byName).toEqual({ c1: 'int16', relu: 'int16', s: 'int8', c2: 'int16', lk: 'int8', r: 'int8', fc: 'int16' });
    expect(p.tensors.get('x')).toBe('int16');
    expect(p.int8Fallback.map((n) => n.name)).toEqual(['s', 'lk']);
    expect(int8FallbackNote(p.int8Fallback)).toBe("--activations int16: 2 layer(s) stay int8, no 16x8 kernel in edgec: 's' (Slice), 'lk' (LeakyRelu); requantized at the int8 / int16 boundaries");
    expect(p.anyInt16).toBe(true);
  });

  it('--int16-layers: only the named layers (and their fused Relu) are int16; the input is int16 when a named layer reads it', () => {
    const g = graph();
    const plan = planQuantization(g);
    const p = planPrecision(g, plan, 'int8', ['c2']);
    expect([...p.nodes].filter(([, t]) => t === 'int16').map(([n]) => n)).toEqual(['c2']);
    expect(p.tensors.get('x')).toBe('int8');
    expect(p.int8Fallback).toEqual([]);
    expect(planPrecision(g, plan, 'int8', ['c1']).tensors.get('x')).toBe('int16');
    expect(planPrecision(g, plan, 'int8', []).anyInt16).toBe(false);
  });

  it('refuses unknown nodes and nodes without a 16x8 kernel in one line', () => {
    const g = graph();
    expect(() => planPrecision(g, planQuantization(g), 'int8', ['nope'])).toThrow(/^p\.onnx: --int16-layers: no node named 'nope' \(layers with a 16x8 kernel: 'c1', 'c2', 'fc'\)$/);
    expect(() => planPrecision(g, planQuantization(g), 'int8', ['lk'])).toThrow(/node 'lk' is a LeakyRelu, which has no 16x8 kernel in edgec/);
  });
});

describe('int16 parameters and options', () => {
  it('symmetric, zero point 0, max |range| / 32767', () => {
    expect(int16Params({ lo: -3, hi: 1.5 })).toEqual({ scale: Math.fround(3 / 32767), zeroPoint: 0 });
    expect(int16Params({ lo: 0, hi: 6 })).toEqual({ scale: Math.fround(6 / 32767), zeroPoint: 0 });
    expect(int16Params({ lo: 0, hi: 0 })).toEqual({ scale: 1, zeroPoint: 0 });
  });

  it('parses --activations and --int16-layers', () => {
    expect(parseActivations(undefined)).toBe('int8');
    expect(parseActivations('int16')).toBe('int16');
    expect(() => parseActivations('int4')).toThrow(EdgecError);
    expect(parseInt16Layers(' a, b ,a')).toEqual(['a', 'b']);
    expect(() => parseInt16Layers('a,,b')).toThrow(/--int16-layers 'a,,b': expected a comma-separated list/);
  });
});
