/**
 * ConvTranspose against onnxruntime: strides 1-3, kernels 1-4, explicit and
 * asymmetric pads, output_padding, dilations, output_shape, 1-D, per-channel
 * and per-tensor weights, with and without bias, input held channels-last or
 * not. Randomized (seeded). The kernel is TFLite Micro's TRANSPOSE_CONV
 * arithmetic (bit-exact with TFLM, see tflm-twins.test.ts); onnxruntime
 * requantizes in float: up to 1 LSB.
 */
import { describeOp, QdqBuilder, Rand, inputRms, type OpCase } from './harness.js';
import { quantizeWeights } from '../helpers/onnx-builder.js';
import { roundHalfEven } from '../../compiler/ir/quant.js';

interface TConvConfig {
  n?: number; cin: number; cout: number; in: number[]; k: number[];
  strides?: number[]; pads?: number[]; outputPadding?: number[]; dilations?: number[]; outputShape?: number[];
  bias?: boolean; perTensor?: boolean;
}

function tconvCase(r: Rand, c: TConvConfig): OpCase {
  const q = new QdqBuilder({ opset: 13 });
  const inQ = r.qparams();
  const x = q.input('x', [c.n ?? 1, c.cin, ...c.in], inQ, 'int8');
  const wShape = [c.cin, c.cout, ...c.k];
  const w = r.floats(wShape.reduce((a, b) => a * b, 1), -0.5, 0.5);
  const qw = quantizeWeights(w, wShape, c.perTensor ? -1 : 1);
  q.b.initializer('w_q', qw.data, wShape);
  q.b.initializer('w_scale', qw.scales, c.perTensor ? [] : [c.cout]);
  q.b.initializer('w_zp', new Int8Array(c.perTensor ? 1 : c.cout), c.perTensor ? [] : [c.cout]);
  const wDq = q.b.op('DequantizeLinear', ['w_q', 'w_scale', 'w_zp'], c.perTensor ? {} : { axis: 1 });
  const inputs = [q.dq(x), wDq];
  if (c.bias) {
    const bScales = Float32Array.from({ length: c.cout }, (_, o) => Math.fround(inQ.scale * qw.scales[c.perTensor ? 0 : o]!));
    q.b.initializer('b_q', Int32Array.from({ length: c.cout }, (_, o) => roundHalfEven(r.uniform(-0.3, 0.3) / bScales[o]!)), [c.cout]);
    q.b.initializer('b_scale', bScales, [c.cout]);
    q.b.initializer('b_zp', new Int32Array(c.cout), [c.cout]);
    inputs.push(q.b.op('DequantizeLinear', ['b_q', 'b_scale', 'b_zp'], { axis: 0 }));
  }
  const attrs: Record<string, number[]> = {};
  if (c.strides) attrs.strides = c.strides;
  if (c.pads) attrs.pads = c.pads;
  if (c.outputPadding) attrs.output_padding = c.outputPadding;
  if (c.dilations) attrs.dilations = c.dilations;
  if (c.outputShape) attrs.output_shape = c.outputShape;
  const y = q.b.op('ConvTranspose', inputs, attrs, { name: 'tconv' });
  const taps = c.k.reduce((a, b) => a * b, 1) / (c.strides ?? [1]).reduce((a, b) => a * b, 1);
  const std = inputRms(inQ) * Math.sqrt(Math.max(1, c.cin * taps)) * 0.29;
  q.output(q.quantize(y, r.outFor(std)), 'y', 'int8');
  const name = `ConvTranspose [${c.cin}->${c.cout}] in [${c.in.join(',')}] k [${c.k.join(',')}] ${JSON.stringify(attrs)}${c.bias ? ' bias' : ''}${c.perTensor ? ' per-tensor' : ''}`;
  return { name, model: q.toBytes() };
}

const FIXED: TConvConfig[] = [
  { cin: 4, cout: 5, in: [4, 5], k: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], bias: true },
  { cin: 3, cout: 4, in: [3, 4], k: [3, 3], strides: [2, 2], bias: true },
  { cin: 6, cout: 3, in: [5, 5], k: [2, 2] },
  { cin: 2, cout: 3, in: [4, 3], k: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1], bias: true },
  { cin: 3, cout: 2, in: [3, 3], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], outputPadding: [1, 1], bias: true },
  { cin: 2, cout: 2, in: [4, 4], k: [3, 2], strides: [3, 2], pads: [2, 0, 1, 1], outputPadding: [2, 1] },
  { cin: 3, cout: 3, in: [4, 4], k: [3, 3], dilations: [2, 2], pads: [1, 1, 1, 1], bias: true },
  { cin: 4, cout: 2, in: [6], k: [4], strides: [2], pads: [1, 1], bias: true },
  { cin: 3, cout: 4, in: [3, 3], k: [3, 3], strides: [2, 2], outputShape: [6, 6], bias: true },
  { cin: 5, cout: 3, in: [2, 3], k: [1, 1], strides: [2, 2], perTensor: true },
  { n: 2, cin: 2, cout: 3, in: [3, 3], k: [3, 3], strides: [2, 2], bias: true },
];

function randomConfig(r: Rand): TConvConfig {
  const k = [r.int(1, 4), r.int(1, 4)];
  const strides = [r.int(1, 3), r.int(1, 3)];
  const pads = [r.int(0, k[0]! - 1), r.int(0, k[1]! - 1), r.int(0, k[0]! - 1), r.int(0, k[1]! - 1)];
  const outputPadding = strides.map((s) => r.int(0, s - 1));
  return { cin: r.int(1, 6), cout: r.int(1, 6), in: [r.int(1, 5), r.int(1, 5)], k, strides, pads, outputPadding, bias: r.bool(0.7) };
}

const r = new Rand(7777);
const cases = [...FIXED, ...Array.from({ length: 8 }, () => randomConfig(r))].map((c) => tconvCase(r, c));
describeOp('ConvTranspose', cases, { maxLsb: 1 });
