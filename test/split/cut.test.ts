/**
 * Where a model can be cut (compiler/split/cut.ts), through the real CLI for
 * the refusals: one `edgec: error:` line (plus a hint), exit 2, no output
 * folder. A small residual model has a known answer: inside the residual
 * block nothing separates the graph (the skip tensor crosses), before and
 * after it the activation does.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgecAsync } from './helpers.js';
import { Attr, OnnxBuilder, QdqBuilder, type QParams } from '../helpers/onnx-builder.js';
import { compileSplit, loadSplitSource } from '../../compiler/split/index.js';
import { decodeModel } from '../../compiler/onnx/load.js';
import { cutCandidates } from '../../compiler/split/cut.js';
import { runOrt } from '../helpers/ort.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-split-cut-'));
const P: QParams = { scale: 0.05, zeroPoint: 3, dtype: 'int8' };
const OUT: QParams = { scale: 0.1, zeroPoint: -2, dtype: 'int8' };

const weights = (n: number, k: number): Float32Array => Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin(k * (i + 1)));

/** x -> conv a -> conv b -> Add(a, b) = c -> conv d -> output (all QDQ, int8). */
function residualModel(): string {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', [1, 4, 6, 6], P);
  const conv = (t: typeof x, name: string, k: number) => q.conv(t, { name, weight: weights(4 * 4 * 9, k), weightShape: [4, 4, 3, 3], bias: weights(4, k + 1), out: OUT, attrs: { pads: [1, 1, 1, 1] } });
  const a = conv(x, 'a', 1);
  const b = conv(a, 'b', 2);
  const c = q.op('Add', [a, b], {}, { name: 'c', out: { scale: 0.15, zeroPoint: 0, dtype: 'int8' } });
  const d = conv(c, 'd', 3);
  q.output(d, 'y');
  return q.save(join(dir, 'residual.onnx'));
}

const model = residualModel();

async function refused(tensor: string, pattern: RegExp): Promise<void> {
  const out = join(dir, `out-${tensor.replace(/\W/g, '_')}`);
  const r = await edgecAsync(['build', model, '--split-at', tensor, '-o', out]);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^edgec: error: .*residual\.onnx: --split-at /);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(existsSync(out)).toBe(false);
}

describe('split: cut points', () => {
  it('lists the articulation points of a residual model, in order', () => {
    const cuts = cutCandidates(decodeModel(readFileSync(model), model), model).map((c) => c.tensor);
    // b (inside the block) is no cut: a reaches the Add around it
    expect(cuts).toEqual(['a_output_quantized', 'c_output_quantized']);
  });

  it('lists the known cut points of the bundled KWS model', () => {
    const path = 'examples/kws_dscnn/kws_dscnn_int8.onnx';
    const cuts = cutCandidates(decodeModel(readFileSync(path), path), path).map((c) => c.tensor);
    // every block's ReLU output, then the pooled, flattened and FC tensors; the input and the softmax output are model edges
    expect(cuts.length).toBe(13);
    expect(cuts).toContain('kws_dscnn_1/pw2_relu_1/Relu:0_QuantizeLinear_Output');
    expect(cuts.indexOf('kws_dscnn_1/relu1_1/Relu:0_QuantizeLinear_Output')).toBeLessThan(cuts.indexOf('kws_dscnn_1/pw4_relu_1/Relu:0_QuantizeLinear_Output'));
    expect(cuts.at(-1)).toBe('kws_dscnn_1/fc_1/MatMul_Gemm:0__20_QuantizeLinear_Output');
    expect(cuts).not.toContain('input_QuantizeLinear_Output');
  });

  it('refuses an unknown tensor, a model input or output, a constant and a cut the graph goes around', async () => {
    await refused('nope', /'nope': no tensor of that name/);
    await refused('x', /'x': is a model input/);
    await refused('x_quantized', /is the model input 'x' quantized/);
    await refused('y', /'y': is a model output/);
    await refused('d_output_quantized', /quantized form of\) a model output/);
    await refused('a_weight_quantized', /is a constant/);
    await refused('b_output_quantized', /does not separate the graph: tensor 'a_output_quantized_dequantized' also crosses the cut/);
  });

  it('splits the residual model at the Add: head + tail give the whole model', async () => {
    const out = join(dir, 'split-c');
    // the float tensor before the QuantizeLinear names the same cut
    const r = await edgecAsync(['build', model, '--split-at', 'c_output', '-o', out, '--name', 'res']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/split: head of residual\.onnx up to 'c_output_quantized' int8\[1,4,6,6\]/);
    for (const f of ['res.c', 'res_split.c', 'res_split.h', 'edgec_wire.c', 'edgec_wire.h', 'tail.onnx', 'edgec_wire.py']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'res_split.h'), 'utf8')).toContain('edgec_wire_status_t res_encode_cut(uint8_t *buf, size_t cap, size_t *len, int compress);');
    // tail.onnx from the exact dequantized cut gives the whole model's output (onnxruntime on both sides)
    const x = Float32Array.from({ length: 144 }, (_, i) => Math.cos(i));
    const whole = await runOrt(model, { x: { data: x, dims: [1, 4, 6, 6] } }, { extraOutputs: ['c_output_quantized'] });
    const cq = whole.c_output_quantized.data as Int8Array;
    const cut = Float32Array.from(cq, (v) => Math.fround(0.15 * v));
    const tailBytes = readFileSync(join(out, 'tail.onnx'));
    const tailInputs = decodeModel(tailBytes, 'tail.onnx').graph?.input ?? [];
    // the model already has a 'c_output_quantized_dequantized': the tail's input takes a fresh name, as the report says
    expect(tailInputs.map((v) => v.name)).toEqual(['c_output_quantized_dequantized_2']);
    expect(r.stdout).toContain(`input 'c_output_quantized_dequantized_2', float`);
    const tail = await runOrt(tailBytes, { c_output_quantized_dequantized_2: { data: cut, dims: [1, 4, 6, 6] } });
    expect(Array.from(tail.y.data)).toEqual(Array.from(whole.y.data));
  });

  it('carries the Constant nodes of the cut\'s scale and zero point into the tail', async () => {
    const b = new OnnxBuilder({ opset: 13 });
    b.input('x', 'float32', [1, 8]).float('xs', 0.05).initializer('xz', Int8Array.of(0), []);
    // the cut's QuantizeLinear reads its own Constant nodes (ns, nz); every other Q/DQ reads rs, rz of the same values
    for (const [scale, zeroPoint] of [['ns', 'nz'], ['rs', 'rz']]) {
      b.node('Constant', [], [scale], { value: Attr.tensor({ data: Float32Array.of(0.04), dims: [] }) });
      b.node('Constant', [], [zeroPoint], { value: Attr.tensor({ data: Int8Array.of(-3), dims: [] }) });
    }
    b.node('QuantizeLinear', ['x', 'xs', 'xz'], ['xq']).node('DequantizeLinear', ['xq', 'xs', 'xz'], ['xf']);
    b.node('Neg', ['xf'], ['n']).node('QuantizeLinear', ['n', 'ns', 'nz'], ['nq']).node('DequantizeLinear', ['nq', 'rs', 'rz'], ['nf']);
    b.node('Relu', ['nf'], ['r']).node('QuantizeLinear', ['r', 'rs', 'rz'], ['rq']).node('DequantizeLinear', ['rq', 'rs', 'rz'], ['y']);
    b.output('y', 'float32', [1, 8]);
    const path = b.save(join(dir, 'constants.onnx'));
    const split = compileSplit(loadSplitSource(path, {}), 'nq', {});
    const x = Float32Array.of(-2, -1, -0.5, 0, 0.25, 0.5, 1, 3);
    const whole = await runOrt(path, { x: { data: x, dims: [1, 8] } }, { extraOutputs: ['nq'] });
    const cut = Float32Array.from(whole.nq.data as Int8Array, (v) => Math.fround(Math.fround(0.04) * (v + 3)));
    const tail = await runOrt(split.tailOnnx, { [split.cut.dequantizedName]: { data: cut, dims: [1, 8] } });
    expect(Array.from(tail.y.data)).toEqual(Array.from(whole.y.data));
  });
});
