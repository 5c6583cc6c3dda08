/**
 * int16 QDQ ONNX (onnxruntime quantize_static with QInt16 activations,
 * symmetric, QInt8 per-channel weights; test/fixtures/qdq16/make_fixtures.py)
 * builds through the same 16x8 kernels as .tflite models and matches
 * onnxruntime, which requantizes in float: every layer within its ±1-2 LSB
 * tolerance fed onnxruntime's own input, the output within its tolerance.
 * Asymmetric int16 activations (quantize_static's default) and ops without
 * an int16 kernel are refused in one line.
 */
import { describe, expect, it } from 'vitest';
import { EdgecError } from '../../compiler/errors.js';
import { compileModel } from '../../compiler/pipeline.js';
import { verifyModel } from '../../compiler/verify/verify.js';

const FX = 'test/fixtures/qdq16';

/** The one EdgecError line (exit 2) compiling `model` ends in. */
function refusal(model: string): string {
  try {
    compileModel(model, { name: 'm' });
  } catch (e) {
    if (!(e instanceof EdgecError)) throw e;
    expect(e.exitCode).toBe(2);
    expect(e.message.includes('\n')).toBe(false);
    return e.message;
  }
  throw new Error(`${model} compiled`);
}

describe('int16 QDQ ONNX (onnxruntime QInt16)', () => {
  it('keras_dense: every layer runs a 16x8 kernel and matches onnxruntime layer by layer', async () => {
    const model = `${FX}/keras_dense_ort_int16.onnx`;
    const kinds = compileModel(model, { name: 'm' }).program.ops.map((op) => op.kind);
    expect(kinds).toEqual(['quantize_s16', 'conv2d_s16', 'mul_s16', 'add_s16', 'fully_connected_s16', 'add_s16', 'softmax_s16', 'dequantize_s16']);
    const r = await verifyModel({ model, samples: 20, engine: 'native' });
    for (const l of r.layers) console.log(`${l.op} (${l.kind}): exact ${(100 * l.exactRate).toFixed(1)}%, max ${l.maxDiffLsb} LSB (tolerance ${l.toleranceLsb})`);
    for (const o of r.outputs) console.log(`output ${o.name}: max ${o.maxDiffLsb} LSB, top-1 mismatches ${o.top1Mismatches}`);
    expect(r.layers.length).toBe(7);
    expect(r.layers.every((l) => l.pass)).toBe(true);
    // int16 layers agree with onnxruntime's float requantization on most elements, not by a wide tolerance
    expect(Math.min(...r.layers.map((l) => l.exactRate))).toBeGreaterThan(0.5);
    expect(r.pass).toBe(true);
  }, 60_000);

  // tf2onnx's Conv1D (Unsqueeze -> Transpose -> Conv -> Squeeze: propagate-quant re-quantizes across the
  // Unsqueeze and must keep int16) and PyTorch's Conv1d with ReLU6 and AdaptiveAvgPool1d (int16 MEAN)
  for (const name of ['keras_conv1d', 'torch_conv1d']) {
    it(`${name}: int16 throughout, every layer within tolerance of onnxruntime`, async () => {
      const model = `${FX}/${name}_ort_int16.onnx`;
      const c = compileModel(model, { name: 'm' });
      const touched = c.program.ops.flatMap((op) => [...op.inputs, ...op.outputs]).map((id) => c.program.values.get(id)!.type);
      expect(touched.filter((t) => t !== 'int16' && t !== 'float32')).toEqual([]);
      expect(c.program.ops.map((op) => op.kind)).toContain('reduce_sum_s16');
      const r = await verifyModel({ model, samples: 20, engine: 'native' });
      for (const l of r.layers) console.log(`${name} ${l.op} (${l.kind}): exact ${(100 * l.exactRate).toFixed(1)}%, max ${l.maxDiffLsb} LSB (tolerance ${l.toleranceLsb})`);
      expect(r.layers.length).toBeGreaterThanOrEqual(5);
      expect(r.layers.every((l) => l.pass)).toBe(true);
      expect(Math.min(...r.layers.map((l) => l.exactRate))).toBeGreaterThan(0.5);
      expect(r.pass).toBe(true);
    }, 60_000);
  }

  it('an op without an int16 kernel (LeakyRelu) is refused in one line naming the node', () => {
    expect(refusal(`${FX}/leaky_relu_ort_int16.onnx`)).toMatch(/: node 'LeakyRelu_\d+' \(LeakyRelu\): LeakyRelu on int16 data is not supported \(16x8 kernels: /);
  });

  it('asymmetric int16 activations are refused in one line naming the tensor', () => {
    expect(refusal(`${FX}/keras_dense_ort_int16_asym.onnx`)).toMatch(/^test\/fixtures\/qdq16\/keras_dense_ort_int16_asym\.onnx: node '.*' \(\w+\): int16 tensor '.*' has zero point -?\d+; 16x8 activations must be symmetric \(zero point 0\)$/);
  });
});
