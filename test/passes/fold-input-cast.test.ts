/**
 * fold-input-cast: an integer model input cast to float, scaled by scalar
 * constants and quantized (PyTorch's `x.float() / 255`) becomes one table
 * from the input bytes. End to end against onnxruntime: the table is
 * onnxruntime's float32 chain with round-half-even QuantizeLinear, and the
 * conv after it is held to the usual 1 LSB (onnxruntime requantizes in float).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFileBytes } from '../../compiler/model-file.js';
import { foldInputCast } from '../../compiler/passes/fold-input-cast.js';
import { compileModel } from '../../compiler/pipeline.js';
import { QdqBuilder, type QParams, type QType } from '../helpers/onnx-builder.js';
import { describeOp, type OpCase } from '../ops/harness.js';
import { Rand } from './patterns.js';

const r = new Rand(23);

interface Step { op: 'Mul' | 'Div' | 'Add' | 'Sub'; value: number | number[]; constFirst?: boolean }

/** input(inType) -> Cast(float) -> steps -> Q(q) -> DQ -> Conv 3x3 -> Q -> DQ output. */
function castModel(inType: QType, steps: Step[], q: QParams, castTo = 1): Uint8Array {
  const m = new QdqBuilder({ opset: 13 });
  m.b.input('image', inType, [1, 3, 6, 6]);
  let t = m.b.op('Cast', ['image'], { to: castTo }, { name: 'to_float' });
  steps.forEach((s, i) => {
    const c = `c${i}`;
    if (Array.isArray(s.value)) m.b.float(c, s.value, [1, s.value.length, 1, 1]);
    else m.b.float(c, s.value);
    t = m.b.op(s.op, s.constFirst ? [c, t] : [t, c], {}, { name: `step${i}` });
  });
  const x = m.quantize(t, q);
  const y = m.conv(x, { weight: Float32Array.from(r.floats(4 * 3 * 9)), weightShape: [4, 3, 3, 3], bias: Float32Array.from(r.floats(4)), attrs: { pads: [1, 1, 1, 1] }, out: r.outFor(1.5) });
  m.output(y, 'y');
  return m.toBytes();
}

const DIV255: Step[] = [{ op: 'Div', value: 255 }];
const centred: Step[] = [{ op: 'Sub', value: 127.5 }, { op: 'Mul', value: 1 / 127.5 }];

const cases: OpCase[] = [
  { name: 'uint8 / 255 -> int8', model: castModel('uint8', DIV255, { scale: 1 / 255, zeroPoint: -128, dtype: 'int8' }), samples: 6 },
  { name: 'uint8 (x - 127.5) / 127.5 -> int8, scale off the grid', model: castModel('uint8', centred, { scale: 0.0081, zeroPoint: 3, dtype: 'int8' }), samples: 6 },
  { name: 'uint8 / 255 -> uint8 (onnxruntime QUInt8)', model: castModel('uint8', DIV255, { scale: 1 / 255, zeroPoint: 0, dtype: 'uint8' }), samples: 6 },
  { name: 'int8 * 0.05 + 1 -> int8', model: castModel('int8', [{ op: 'Mul', value: 0.05 }, { op: 'Add', value: 1, constFirst: true }], { scale: 0.03, zeroPoint: -30, dtype: 'int8' }), samples: 6 },
  { name: 'uint8 2 - x / 100 (constant first) -> int8', model: castModel('uint8', [{ op: 'Div', value: 100 }, { op: 'Sub', value: 2, constFirst: true }], { scale: 0.01, zeroPoint: 72, dtype: 'int8' }), samples: 6 },
];
describeOp('fold-input-cast', cases, { maxLsb: 1 });

function graphOf(bytes: Uint8Array) {
  return loadModelFileBytes(bytes, 'm.onnx');
}

describe('fold-input-cast on the graph', () => {
  it('Cast -> Div -> Q becomes one edgec.Lut from the uint8 input, which reads as scale 1, zero point 0', () => {
    const g = foldInputCast(graphOf(castModel('uint8', DIV255, { scale: 1 / 255, zeroPoint: -128, dtype: 'int8' })));
    const lut = g.nodes[0];
    expect(lut?.opType).toBe('edgec.Lut');
    expect(lut?.inputs).toEqual(['image']);
    expect(g.nodes.some((n) => n.opType === 'Cast' || n.opType === 'Div')).toBe(false);
    expect(g.tensors.get('image')?.quant).toEqual({ scale: [1], zeroPoint: [0], axis: -1 });
    const table = (lut?.attrs.table as { data: Int8Array }).data;
    expect(table[0]).toBe(-128); // x = 0 -> 0.0 -> -128
    expect(table[255]).toBe(127); // x = 255 -> 1.0 -> 127
  });

  it('a per-channel constant (image mean) is not folded: the Cast stays', () => {
    const g = foldInputCast(graphOf(castModel('uint8', [{ op: 'Sub', value: [120, 115, 100] }], { scale: 0.5, zeroPoint: 0, dtype: 'int8' })));
    expect(g.nodes.some((n) => n.opType === 'Cast')).toBe(true);
  });

  it('a chain the pass leaves alone fails the build with one line naming the Cast', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'edgec-cast-')), 'm.onnx');
    const bytes = castModel('uint8', [{ op: 'Sub', value: [120, 115, 100] }], { scale: 0.5, zeroPoint: 0, dtype: 'int8' });
    writeFileSync(file, bytes);
    expect(() => compileModel(file, { name: 'm' })).toThrow(/to_float|Cast/);
  });
});
