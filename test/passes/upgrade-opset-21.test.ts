/**
 * upgrade-opset-21: a float graph written for opset 13 means the same at 21
 * (the opset int16 Q/DQ need): Reduce ops take `axes` as an input, Split
 * gets num_outputs. Checked by running both in onnxruntime.
 */
import { describe, expect, it } from 'vitest';
import { OnnxBuilder } from '../helpers/onnx-builder.js';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { upgradeOpset21 } from '../../compiler/passes/upgrade-opset-21.js';
import { writeOnnx } from '../../compiler/quantize/onnx-writer.js';
import { openReference, runReference } from '../../compiler/verify/reference.js';

function model(): Uint8Array {
  const b = new OnnxBuilder({ opset: 13 });
  b.input('x', 'float32', [1, 4, 3, 2]);
  const m = b.op('ReduceMean', ['x'], { axes: [1], keepdims: 1 }, { name: 'mean' });
  const mx = b.op('ReduceMax', ['x'], { axes: [1], keepdims: 0 }, { name: 'max' });
  b.node('Split', ['x'], ['s0', 's1'], { axis: 1 }, { name: 'split' });
  b.node('Add', [m, 's0'], ['y'], {}, { name: 'add' });
  b.node('Mul', [mx, mx], ['z'], {}, { name: 'mul' });
  b.output('y', 'float32', [1, 2, 3, 2]).output('z', 'float32', [1, 3, 2]).output('s1', 'float32', [1, 2, 3, 2]);
  return b.toBytes();
}

describe('upgrade-opset-21', () => {
  it('moves Reduce axes to an input, gives Split num_outputs, and computes the same in onnxruntime', async () => {
    const bytes = model();
    const g = upgradeOpset21(loadModelBytes(bytes, { fileName: 'm.onnx' }));
    expect(g.opset).toBe(21);
    const mean = g.nodes.find((n) => n.name === 'mean')!;
    expect(mean.attrs.axes).toBeUndefined();
    expect(Array.from(g.tensors.get(mean.inputs[1])!.data as Float64Array)).toEqual([1]);
    expect(g.nodes.find((n) => n.name === 'split')!.attrs.num_outputs).toBe(2);
    const x = Float32Array.from({ length: 24 }, (_, i) => Math.sin(i * 1.7));
    const sample = [{ name: 'x', type: 'float32' as const, dims: [1, 4, 3, 2], data: x }];
    const [a, b] = [await openReference(bytes), await openReference(writeOnnx(g))];
    const [ra, rb] = [await runReference(a, sample), await runReference(b, sample)];
    await a.release(); await b.release();
    for (const name of ['y', 'z', 's1']) expect(Array.from(rb.get(name) as Float32Array)).toEqual(Array.from(ra.get(name) as Float32Array));
  });

  it('leaves a graph already at 21 alone', () => {
    const g = loadModelBytes(model(), { fileName: 'm.onnx' });
    g.opset = 21;
    const before = JSON.stringify(g.nodes.map((n) => n.attrs));
    expect(JSON.stringify(upgradeOpset21(g).nodes.map((n) => n.attrs))).toBe(before);
  });
});
