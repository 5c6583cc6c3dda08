/**
 * passes/float-layers.ts: `--float-layers` on a QDQ model turns the named
 * layers' dequantized weights into the float constants onnxruntime computes,
 * marks them (float-tail then leaves a named tail layer float), and refuses
 * names it cannot honour in one line.
 */
import { describe, expect, it } from 'vitest';
import { loadModelBytes } from '../../compiler/onnx/load.js';
import { KEEP_FLOAT_ATTR, keepLayersFloat, parseFloatLayers } from '../../compiler/passes/float-layers.js';
import { floatTail } from '../../compiler/passes/float-tail.js';
import { EdgecError } from '../../compiler/errors.js';
import { compileModel } from '../../compiler/pipeline.js';
import { QdqBuilder, type QParams } from '../helpers/onnx-builder.js';
import { runMixed } from '../helpers/mixed-run.js';
import { Rand } from '../ops/harness.js';

const act = (scale: number, zeroPoint = 0): QParams => ({ scale, zeroPoint, dtype: 'int8' });

/** x -> Q -> conv 'c1' (int8 QDQ) -> conv 'c2' (int8 QDQ) -> DQ -> Gemm 'fc' with float weights (a float tail) -> y. */
function qdqModel(): Uint8Array {
  const r = new Rand(3);
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', [1, 3, 6, 6], act(0.04, 2));
  const c1 = q.conv(x, { weight: r.floats(4 * 3 * 9, -0.4, 0.4), weightShape: [4, 3, 3, 3], bias: r.floats(4, -0.1, 0.1), out: act(0.05, -3), attrs: { pads: [1, 1, 1, 1] }, name: 'c1' });
  const c2 = q.conv(c1, { weight: r.floats(2 * 4 * 9, -0.4, 0.4), weightShape: [2, 4, 3, 3], bias: r.floats(2, -0.1, 0.1), out: act(0.06, 1), attrs: { strides: [2, 2], pads: [1, 1, 1, 1] }, name: 'c2' });
  const f = q.b.op('Flatten', [q.dq(c2)], { axis: 1 });
  q.b.initializer('fc_W', r.floats(3 * 18, -0.5, 0.5), [3, 18]);
  q.b.node('Gemm', [f, 'fc_W'], ['y'], { transB: 1 }, { name: 'fc' });
  q.b.output('y', 'float32');
  return q.toBytes();
}

describe('float-layers pass', () => {
  it('turns a named layer\'s DequantizeLinear weights and bias into the float values onnxruntime computes', () => {
    const g = loadModelBytes(qdqModel(), { fileName: 'm.onnx' });
    const c1 = g.nodes.find((n) => n.name === 'c1')!;
    const dqW = g.nodes.find((n) => n.outputs[0] === c1.inputs[1])!;
    const q = g.tensors.get(dqW.inputs[0])!;
    const scales = g.tensors.get(dqW.inputs[1])!.data!;
    keepLayersFloat(['c1'])(g);
    const w = g.tensors.get(c1.inputs[1])!;
    const b = g.tensors.get(c1.inputs[2])!;
    expect(w.dtype).toBe('float32');
    expect(b.dtype).toBe('float32');
    expect(w.quant).toBeUndefined();
    const per = 3 * 9;
    for (let i = 0; i < w.data!.length; i++) expect(w.data![i]).toBe(Math.fround(Number(q.data![i]) * Number(scales[Math.floor(i / per)])));
    expect(c1.attrs[KEEP_FLOAT_ATTR]).toBe(1);
    // the weights' DequantizeLinear had no other reader: gone
    expect(g.nodes.includes(dqW)).toBe(false);
    // c2 untouched
    const c2 = g.nodes.find((n) => n.name === 'c2')!;
    expect(g.nodes.find((n) => n.outputs[0] === c2.inputs[1])?.opType).toBe('DequantizeLinear');
  });

  it('a named float tail layer stays float; unnamed, float-tail runs it in int8 as before', () => {
    const named = floatTail(keepLayersFloat(['fc'])(loadModelBytes(qdqModel(), { fileName: 'm.onnx' })));
    expect(named.nodes.find((n) => n.name === 'fc')!.inputs[1]).toBe('fc_W');
    // (the Flatten before it still runs int8, on c2's quantization)
    expect((named.notes ?? []).join(' ')).not.toMatch(/'fc'/);
    const plain = floatTail(loadModelBytes(qdqModel(), { fileName: 'm.onnx' }));
    expect(plain.notes?.[0]).toMatch(/float tail .*'fc' \(Gemm\)/);
  });

  it('refuses unknown names, ops without a float kernel and empty lists in one line', () => {
    const g = loadModelBytes(qdqModel(), { fileName: 'm.onnx' });
    const fail = (f: () => unknown): EdgecError => {
      try { f(); } catch (e) { return e as EdgecError; }
      throw new Error('no error');
    };
    const unknown = fail(() => keepLayersFloat(['c3'])(g));
    expect(unknown.message).toBe("m.onnx: --float-layers: no node named 'c3' (layers that can stay float: 'c1', 'c2', 'fc')");
    expect(unknown.exitCode).toBe(2);
    const flatten = g.nodes.find((n) => n.opType === 'Flatten')!;
    expect(fail(() => keepLayersFloat([flatten.name])(g)).message).toMatch(/is a Flatten; only Conv, Gemm, MatMul, LSTM and GRU layers can stay float/);
    expect(fail(() => parseFloatLayers('c1,,c2')).message).toMatch(/comma-separated list/);
    expect(parseFloatLayers(' c1 , c2,c1')).toEqual(['c1', 'c2']);
  });

  it('an imported .tflite: the named layers\' quantized constants become float too (not silently left int8)', () => {
    const c = compileModel('examples/tf2onnx_int8/tf2onnx_int8.tflite', { floatLayers: ['conv_2d_3', 'fully_connected_5'] });
    expect(c.program.ops.filter((op) => op.kind.endsWith('_f32')).map((op) => `${op.name}:${op.kind}`)).toEqual(['conv_2d_3:conv2d_f32', 'fully_connected_5:fully_connected_f32']);
    // the TFLite fused RELU became the float clamp
    expect(c.program.ops.find((op) => op.name === 'conv_2d_3')!.params.act_min).toBe(0);
  });

  it('refuses float weights that are not finite and a quantized bias next to float weights, naming the node', () => {
    const build = (bias: 'nan-weights' | 'quantized-bias'): Uint8Array => {
      const q = new QdqBuilder({ opset: 13 });
      const x = q.input('x', [1, 2, 4, 4], act(0.05, 0));
      const w = new Rand(5).floats(3 * 2 * 9, -0.5, 0.5);
      if (bias === 'nan-weights') w[4] = NaN;
      q.b.initializer('w', w, [3, 2, 3, 3]);
      const inputs = [q.dq(x), 'w'];
      if (bias === 'quantized-bias') {
        q.b.initializer('bq', Int32Array.of(10, 20, 30), [3]).float('bs', 0.001).initializer('bz', Int32Array.of(0), []);
        inputs.push(q.b.op('DequantizeLinear', ['bq', 'bs', 'bz'], {}, { output: 'b_dq' }));
      }
      const y = q.b.op('Conv', inputs, { pads: [1, 1, 1, 1] }, { name: 'fconv', output: 'fconv_out' });
      q.output(q.quantize(y, act(0.05, 0)), 'y');
      return q.toBytes();
    };
    const fail = (bytes: Uint8Array): string => {
      try { compileModel('bad.onnx', { modelBytes: bytes }); } catch (e) { expect(e).toBeInstanceOf(EdgecError); return (e as EdgecError).message; }
      throw new Error('compiled');
    };
    expect(fail(build('nan-weights'))).toBe("bad.onnx: node 'fconv' (Conv): weights 'w' element 4 is NaN; float weights must be finite");
    expect(fail(build('quantized-bias'))).toMatch(/^bad\.onnx: node 'fconv' \(Conv\): bias '.*' is quantized but the layer's weights are float/);
  });

  it('a QDQ model with every layer named runs them in float and matches onnxruntime on the unchanged QDQ model to float rounding', async () => {
    // every layer float: what remains int8 are the model's Q/DQ pairs, which quantize the same float values as onnxruntime
    const { compiled, outputs } = await runMixed(qdqModel(), { floatLayers: ['c1', 'c2', 'fc'], count: 6 });
    expect(compiled.program.ops.filter((op) => op.kind.endsWith('_f32')).map((op) => `${op.name}:${op.kind}`)).toEqual(['c1:conv2d_f32', 'c2:conv2d_f32', 'fc:fully_connected_f32']);
    expect(outputs[0].type).toBe('float32');
    console.log(`[float-layers] QDQ --float-layers c1,c2,fc: ${outputs[0].elements} values, max rel error ${outputs[0].maxRelError.toExponential(2)}`);
    expect(outputs[0].maxRelError).toBeLessThan(1e-5);
  }, 60_000);
});
