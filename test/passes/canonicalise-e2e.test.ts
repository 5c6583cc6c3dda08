/**
 * The canonicalisation passes end to end: exporter-shaped graphs (PPQ,
 * NNCF, tf2onnx --tflite, Quark) built, compiled with the whole pipeline and
 * run against onnxruntime with the per-op harness (test/ops/harness.ts).
 */
import { describeOp, inputRms, type OpCase } from '../ops/harness.js';
import { act, depthwiseBias, nncfConvBn, nncfPerChannel, nncfTail, Pat, ppqHead, quarkConvActivation, quarkPoolScale, decomposedHardSwish, Rand, tf2onnxDense } from './patterns.js';
import type { QParams } from '../helpers/onnx-builder.js';
import { floatTail } from '../../compiler/passes/float-tail.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import { propagateQuant } from '../../compiler/passes/propagate-quant.js';

const r = new Rand(11);
const A = act(0.03, -5);

/** Output parameters for a K-input linear layer on `x` (uniform [-1, 1] weights). */
function linearOut(k: number, x: QParams): QParams {
  return r.outFor(Math.sqrt(k / 3) * inputRms(x));
}

/** NNCF / PPQ: Conv -> Q -> DQ -> MaxPool -> Flatten -> Gemm, MaxPool and Flatten outputs float. */
function floatBetweenIslands(): Uint8Array {
  const p = new Pat();
  const x = p.floatInput('x', [1, 2, 6, 6]);
  const w = p.weights(r.floats(4 * 2 * 9), [4, 2, 3, 3], 0);
  const convOut = linearOut(18, A);
  const c = p.qdq(p.b.op('Conv', [p.qdq(x, A), w.name], { pads: [1, 1, 1, 1] }), convOut);
  const m = p.b.op('MaxPool', [c], { kernel_shape: [2, 2], strides: [2, 2] });
  const f = p.b.op('Flatten', [m]);
  const w2 = p.weights(r.floats(3 * 36), [3, 36], 0);
  const y = p.b.op('Gemm', [f, w2.name, p.bias(r.floats(3), w2.scales.map((s) => Math.fround(convOut.scale * s)), 0)], { transB: 1 });
  return p.out(y, linearOut(36, convOut)).bytes();
}

/** Backward: Conv with a float output -> MaxPool -> Q (the conv output takes the Q parameters). */
function convMaxPoolQ(): Uint8Array {
  const p = new Pat();
  const w = p.weights(r.floats(3 * 2 * 9), [3, 2, 3, 3], 0);
  const c = p.b.op('Conv', [p.qdq(p.floatInput('x', [1, 2, 6, 6]), A), w.name], { pads: [1, 1, 1, 1] });
  const m = p.b.op('MaxPool', [c], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] });
  return p.out(m, linearOut(18, A)).bytes();
}

/** esp-ppq: DQ -> Pad(0) -> Conv, and Concat of two equally quantized tensors -> Conv. */
function padConcatConv(): Uint8Array {
  const p = new Pat();
  const x = p.floatInput('x', [1, 2, 5, 5]);
  const padded = p.b.op('Pad', [p.qdq(x, A), p.int64([0, 0, 1, 1, 0, 0, 1, 1])]);
  const other = p.b.op('Pad', [p.qdq(p.floatInput('y', [1, 1, 5, 5]), A), p.int64([0, 0, 1, 1, 0, 0, 1, 1])]);
  const cat = p.b.op('Concat', [padded, other], { axis: 1 });
  const w = p.weights(r.floats(2 * 3 * 9), [2, 3, 3, 3], 0);
  return p.out(p.b.op('Conv', [cat, w.name]), linearOut(27, A)).bytes();
}

/** PPQ weights: DQ(W [K, N]) -> Transpose -> Gemm(transB=1). */
function transposedWeights(): Uint8Array {
  const p = new Pat();
  const w = p.weights(r.floats(12 * 6), [12, 6], 1);
  const wt = p.b.op('Transpose', [w.name], { perm: [1, 0] });
  const y = p.b.op('Gemm', [p.qdq(p.floatInput('x', [2, 12]), A), wt], { transB: 1 });
  return p.out(y, linearOut(12, A)).bytes();
}


/** NNCF Gemm -> Softmax tail with the logits Q/DQ float-tail derives (its int8 program equals the tail model's). */
function softmaxTwin(): Uint8Array {
  const g = floatTail(propagateQuant(nncfTail(new Rand(4), A).graph()));
  foldQdq(g);
  const logits = g.tensors.get(g.nodes.find((n) => n.opType === 'Softmax')?.inputs[0] ?? '')?.quant;
  if (!logits) throw new Error('logits not quantized');
  return nncfTail(new Rand(4), A, { logitsQ: act(logits.scale[0], logits.zeroPoint[0]) }).bytes();
}

const tailDifference = { minExact: 0, why: 'onnxruntime runs the tail in float; ours is int8 dequantized at the output' };

/** Quark conv outputs: mostly positive range after the activation. */
const quarkOut = act(0.012, -90);

const cases: OpCase[] = [
  { name: 'propagate-quant: PPQ head DQ -> Transpose -> Reshape -> Gemm', model: ppqHead(r, A, linearOut(36, A)).bytes() },
  { name: 'propagate-quant: MaxPool / Flatten float between islands', model: floatBetweenIslands() },
  { name: 'propagate-quant: Conv -> MaxPool -> Q (backward)', model: convMaxPoolQ() },
  { name: 'propagate-quant: Pad(0) and equal-scale Concat', model: padConcatConv() },
  { name: 'propagate-quant: DQ(W) -> Transpose -> Gemm', model: transposedWeights() },
  { name: 'matmul-add-to-fc: tf2onnx Dense + Relu, exact bias', model: tf2onnxDense(r, A, linearOut(8, A), { relu: true }).bytes() },
  { name: 'matmul-add-to-fc: bias in another scale (TFLite requantization)', model: tf2onnxDense(r, A, linearOut(8, A), { bias: 'rescaled' }).bytes() },
  { name: 'matmul-add-to-fc: rank-3 input, float bias, per-tensor weights', model: tf2onnxDense(r, A, linearOut(8, A), { bias: 'float', inDims: [1, 3, 8], perChannel: false }).bytes() },
  // axis=3 itself: onnxruntime-node rejects it at run time; matmul-add-to-fc.test.ts checks it builds the same C as axis=0
  { name: 'depthwise with a rank-1 per-channel bias DQ (axis=0 twin of tf2onnx axis=3)', model: depthwiseBias(new Rand(12), A, linearOut(9, A), 0).bytes() },
  // Quark: the conv output gets the range the activation's output Q implies (one more rounding than onnxruntime's float path)
  {
    name: 'unquantized-activation: Quark Conv -> LeakyRelu(0.1) -> Q', model: quarkConvActivation(r, A, quarkOut, 'LeakyRelu').bytes(), maxLsb: 2,
    knownDifference: { minExact: 0.85, why: 'the int8 conv output (10x the output range on the negative side) is rounded once more than in onnxruntime, as in TFLite' },
  },
  {
    name: 'unquantized-activation: Quark Conv -> HardSwish -> Q', model: quarkConvActivation(r, A, quarkOut, 'HardSwish').bytes(), maxLsb: 2,
    knownDifference: { minExact: 0.5, why: 'the int8 conv output over [-3, 2.3] has about twice the output scale: one more rounding than onnxruntime, as in TFLite' },
  },
  {
    name: 'fuse-hard-swish: NNCF Conv -> HardSigmoid(1/6, 1/2) * conv -> Q', model: decomposedHardSwish(r, A, quarkOut).bytes(), maxLsb: 2,
    knownDifference: { minExact: 0.5, why: 'as Quark HardSwish: the int8 conv output is one more rounding than onnxruntime, as in TFLite' },
  },
  { name: 'fold-constant-scale: Quark GlobalAveragePool -> Mul(1.0625) -> Q', model: quarkPoolScale(A, act(0.02, 3), 1.0625).bytes() },
  { name: 'fold-constant-scale: Quark ReduceMean -> Mul(0.8) -> Q', model: quarkPoolScale(A, act(0.025, -7), 0.8, 'ReduceMean').bytes() },
  { name: 'Quark Conv -> Relu -> Q (fuse-activations)', model: quarkConvActivation(r, A, quarkOut, 'Relu').bytes() },
  { name: 'Quark Conv -> Clip(0, 6) -> Q (fuse-activations)', model: quarkConvActivation(r, A, quarkOut, 'Clip').bytes() },
  { name: 'fold-batchnorm-qdq: NNCF Conv -> BatchNormalization -> Relu -> Q (one negative gamma)', model: nncfConvBn(r, A, act(0.02, -128), -1).bytes() },
  { name: 'per-channel-activation: NNCF Conv -> Clip(0,6) -> per-channel Q -> depthwise', model: nncfPerChannel(r, A, linearOut(9, act(0.02, -128))).bytes() },
  // float tail: onnxruntime keeps the tail float, so no value is "exact"; the LSB is our int8 output's dequantize scale.
  // The Gemm layer is within 1 LSB of its float result. Softmax is checked on its twin with the logits' Q/DQ the pass
  // derives (float-tail.test.ts: same int8 program), since with float logits the worst-case logit grid (no calibration)
  // moves the probabilities by several 1/256.
  { name: 'float-tail: PPQ last Gemm without Q (int8 weights)', model: nncfTail(r, A, { after: 'none' }).bytes(), knownDifference: tailDifference },
  { name: 'float-tail: float weights, Gemm -> Relu', model: nncfTail(r, A, { floatWeights: true, after: 'Relu' }).bytes(), knownDifference: tailDifference },
  { name: 'float-tail: NNCF Gemm -> Softmax, logits on the derived grid', model: softmaxTwin(), knownDifference: tailDifference },
];

describeOp('canonicalisation', cases, { maxLsb: 1 });
