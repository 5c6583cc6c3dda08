/**
 * fold-input-affine: a float input normalised in the model (Sub / Div / Mul /
 * Add by per-channel or per-feature constants, then QuantizeLinear, as
 * onnxruntime's quantize_static leaves it) becomes one quantize op.
 * Against onnxruntime: the quantized normalised input is exact (the same
 * float32 operations, round half to even); a conv after it stays within the
 * usual 1 LSB. And our own PTQ keeps the normalisation at the edge
 * (mark-input-affine) unless --int8-io asks for an int8 input.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModelFileBytes } from '../../compiler/model-file.js';
import { foldInputAffine } from '../../compiler/passes/fold-input-affine.js';
import { compileModel, compileModelAsync } from '../../compiler/pipeline.js';
import { QdqBuilder, type QParams } from '../helpers/onnx-builder.js';
import { describeOp, type OpCase } from '../ops/harness.js';
import { Rand } from './patterns.js';
import { measureAccuracy } from '../../compiler/quantize/accuracy.js';

const r = new Rand(31);

interface Step { op: 'Mul' | 'Div' | 'Add' | 'Sub'; value: number | number[]; dims?: number[]; constFirst?: boolean }

/** float input -> steps -> Q(q) -> DQ -> [Conv 3x3 -> Q -> DQ] -> output. */
function affineModel(inputDims: number[], steps: Step[], q: QParams, conv: boolean): Uint8Array {
  const m = new QdqBuilder({ opset: 13 });
  m.b.input('image', 'float32', inputDims);
  let t = 'image';
  steps.forEach((s, i) => {
    const c = `c${i}`;
    if (Array.isArray(s.value)) m.b.float(c, s.value, s.dims ?? [1, s.value.length, 1, 1]);
    else m.b.float(c, s.value);
    t = m.b.op(s.op, s.constFirst ? [c, t] : [t, c], {}, { name: `step${i}` });
  });
  let y = m.quantize(t, q);
  if (conv) {
    const cin = inputDims[1]!;
    y = m.conv(y, { weight: Float32Array.from(r.floats(4 * cin * 9)), weightShape: [4, cin, 3, 3], bias: Float32Array.from(r.floats(4)), attrs: { pads: [1, 1, 1, 1] }, out: r.outFor(1.5) });
  }
  m.output(y, 'y');
  return m.toBytes();
}

const IMAGENET: Step[] = [{ op: 'Sub', value: [0.485, 0.456, 0.406] }, { op: 'Div', value: [0.229, 0.224, 0.225] }];
const Q: QParams = { scale: 0.0187, zeroPoint: 3, dtype: 'int8' };

const cases: OpCase[] = [
  { name: '(x - mean[c]) / std[c] -> int8, quantized input exact', model: affineModel([1, 3, 6, 5], IMAGENET, Q, false), samples: 6, maxLsb: 0 },
  { name: '(x - mean[c]) / std[c] -> conv 3x3', model: affineModel([1, 3, 6, 5], IMAGENET, Q, true), samples: 6 },
  { name: 'x * s[f] + t[f] on [2, 20] features, exact', model: affineModel([2, 20], [{ op: 'Mul', value: r.floats(20).map((v) => 0.5 + Math.abs(v)), dims: [20] }, { op: 'Add', value: r.floats(20), dims: [20] }], { scale: 0.02, zeroPoint: -5, dtype: 'int8' }, false), samples: 6, maxLsb: 0 },
  { name: 'scalar and per-channel steps mixed, constants first (c - x, c / x), exact', model: affineModel([1, 3, 4, 4], [{ op: 'Sub', value: 0.5, constFirst: true }, { op: 'Div', value: [2, 3, 4], constFirst: true }, { op: 'Add', value: 0.25 }], { scale: 0.05, zeroPoint: 0, dtype: 'int8' }, false), samples: 6, maxLsb: 0 },
  { name: 'to uint8 (onnxruntime QUInt8), exact', model: affineModel([1, 3, 4, 4], IMAGENET, { scale: 0.02, zeroPoint: 128, dtype: 'uint8' }, false), samples: 6, maxLsb: 0 },
];
describeOp('fold-input-affine', cases, { maxLsb: 1 });

const graphOf = (bytes: Uint8Array) => loadModelFileBytes(bytes, 'm.onnx');

describe('fold-input-affine on the graph', () => {
  it('Sub -> Div -> Q becomes one edgec.QuantizeAffine with one row of constants per step along the channel axis', () => {
    const g = foldInputAffine(graphOf(affineModel([1, 3, 6, 5], IMAGENET, Q, false)));
    const node = g.nodes[0]!;
    expect(node.opType).toBe('edgec.QuantizeAffine');
    expect(node.inputs).toEqual(['image']);
    expect(node.attrs.steps).toEqual(['sub', 'div']);
    expect(node.attrs.axis).toBe(1);
    expect(Array.from((node.attrs.constants as { data: Float32Array }).data)).toEqual([0.485, 0.456, 0.406, 0.229, 0.224, 0.225].map(Math.fround));
    expect(g.nodes.some((n) => n.opType === 'Sub' || n.opType === 'Div' || n.opType === 'QuantizeLinear')).toBe(false);
  });

  it('constants along two different axes are not folded, and the build names the float op', () => {
    const bytes = affineModel([1, 3, 4, 4], [{ op: 'Sub', value: [1, 2, 3] }, { op: 'Mul', value: [1, 2, 3, 4], dims: [1, 1, 1, 4] }], Q, false);
    expect(foldInputAffine(graphOf(bytes)).nodes.some((n) => n.opType === 'Sub')).toBe(true);
    const file = join(mkdtempSync(join(tmpdir(), 'edgec-affine-')), 'm.onnx');
    writeFileSync(file, bytes);
    expect(() => compileModel(file, { name: 'm' })).toThrow(/step0|Sub|not quantized/);
  });
});

describe('onnxruntime quantize_static output of models that normalise their input (test/fixtures/input-affine/make_fixtures.py)', () => {
  for (const name of ['torch_cnn_norm_ort_qdq', 'mlp_dynamic_ort_qdq']) {
    it(`${name} builds, its first op the normalising quantize`, () => {
      const c = compileModel(`test/fixtures/input-affine/${name}.onnx`, { name: 'm', board: 'host' });
      expect(c.program.ops[0]?.kind).toBe('quantize_affine');
      expect(c.program.ops[0]?.onnxOp).toBe('/Sub -> /Div -> QuantizeLinear');
    });

    it(`${name} with --int8-io keeps its input float and says so`, () => {
      const c = compileModel(`test/fixtures/input-affine/${name}.onnx`, { name: 'm', board: 'host', int8Io: true });
      expect(c.program.values.get(c.program.inputs[0]!)?.type).toBe('float32');
      expect(c.notes.join('\n')).toMatch(/--int8-io: input 'x' stays float: the model normalises it \(\/Sub -> \/Div -> QuantizeLinear\)/);
    });
  }
});

describe('our PTQ keeps the normalisation float at the input edge', () => {
  const MLP = 'test/fixtures/quantize/mlp_dynamic.onnx';
  const CALIB = 'test/fixtures/quantize/calib_mlp.npz';

  it('quantizes the normalised tensor, not the raw input: mlp_dynamic output SQNR 41.94 dB (41.76 folded into the first layer)', async () => {
    const c = await compileModelAsync(MLP, { name: 'mlp', board: 'host', calibration: CALIB });
    expect(c.program.ops[0]?.kind).toBe('quantize_affine');
    expect(c.quantized!.ranges.has('x')).toBe(false);
    const accuracy = await measureAccuracy(c, c.quantized!);
    expect(accuracy.outputs[0]!.sqnrDb).toBeGreaterThan(41.85);
  }, 60_000);

  it('with --int8-io the normalisation folds into the first layer, whose int8 input is the raw input\'s quantization', async () => {
    const c = await compileModelAsync(MLP, { name: 'mlp', board: 'host', calibration: CALIB, int8Io: true });
    expect(c.program.ops.some((op) => op.kind === 'quantize_affine')).toBe(false);
    expect(c.program.values.get(c.program.inputs[0]!)?.type).toBe('int8');
    // the accuracy report feeds the int8 input the quantized samples (it fed float bytes before: 13.6 dB on torch_cnn_norm)
    expect((await measureAccuracy(c, c.quantized!)).outputs[0]!.sqnrDb).toBeGreaterThan(41.5);
  }, 60_000);

  it('an image model normalised per channel: 45.2 dB with the normalisation at the edge, also with an NHWC input (44.2 folded)', async () => {
    const model = 'test/fixtures/input-affine/torch_cnn_norm.onnx';
    const calibration = 'test/fixtures/input-affine/calib_torch_cnn_norm.npy';
    for (const inputLayout of ['declared', 'nhwc'] as const) {
      const c = await compileModelAsync(model, { name: 'cnn', board: 'host', calibration, inputLayout });
      expect(c.program.ops[0]?.kind, inputLayout).toBe('quantize_affine');
      expect((await measureAccuracy(c, c.quantized!)).outputs[0]!.sqnrDb, inputLayout).toBeGreaterThan(45);
    }
    const folded = await compileModelAsync(model, { name: 'cnn', board: 'host', calibration, int8Io: true });
    expect((await measureAccuracy(folded, folded.quantized!)).outputs[0]!.sqnrDb).toBeGreaterThan(44);
  }, 90_000);
});
