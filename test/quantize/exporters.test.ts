/**
 * Post-training quantization of real exporter output (issue 4 gaps):
 * 1-D convolutions (PyTorch Conv1d as a rank-3 Conv; Keras Conv1D through
 * tf2onnx as Unsqueeze → Conv(H=1) → Squeeze), BatchNormalization with
 * nothing to fold into, Clip/Pad with attributes from an opset-10 export.
 * Each float fixture is quantized and built by edgec and checked with
 * `edgec verify --calibration` (LSB against the QDQ model, SQNR against the
 * float model); onnxruntime's own QDQ versions of the Conv1d models compile
 * and match; the layout of the Squeeze/Unsqueeze pairs costs no copies.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadModel } from '../../compiler/onnx/load.js';
import { edgec } from '../helpers/cli.js';
import { prepareFloatGraph } from '../../compiler/quantize/index.js';
import { isInputEdgeNode } from '../../compiler/passes/mark-input-affine.js';
import { writeOnnx } from '../../compiler/quantize/onnx-writer.js';
import { loadCalibration } from '../../compiler/quantize/calibration-data.js';
import { ttyProgress, type ProgressStream } from '../../compiler/quantize/calibrate.js';
import { quantizeModel } from '../../compiler/quantize/index.js';
import { unitReshapePerm } from '../../compiler/ops/layout-ops.js';
import { openReference, runReference } from '../../compiler/verify/reference.js';

const FX = 'test/fixtures/quantize';

/** Max |difference| of every output between the original float model and the float passes' result. */
async function floatPassDiff(model: string, calib: string): Promise<number> {
  const g = prepareFloatGraph(model);
  const samples = loadCalibration(calib, g.inputs.map((name) => ({ name, shape: g.tensors.get(name)!.shape }))).slice(0, 4);
  const a = await openReference(model);
  const b = await openReference(writeOnnx(g));
  let diff = 0;
  for (const s of samples) {
    const ra = await runReference(a, s);
    const rb = await runReference(b, s);
    for (const [name, va] of ra) for (let i = 0; i < va.length; i++) diff = Math.max(diff, Math.abs(Number(va[i]) - Number(rb.get(name)![i])));
  }
  await a.release();
  await b.release();
  return diff;
}

/** Kernel-call rows of `edgec inspect` as [onnx op, kernel] pairs. */
function inspectOps(args: string[]): { onnx: string; kernel: string }[] {
  const r = edgec(['inspect', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  // the layer table is the first block of the output (the weight-storage table and others follow a blank line)
  const table = r.stdout.split('\n\n')[0] ?? '';
  const rows = table.split('\n').filter((l) => /^\d+\s/.test(l));
  expect(rows.length).toBeGreaterThan(2);
  return rows.map((l) => { const f = l.trim().split(/\s{2,}/); return { onnx: f[2], kernel: f[3] }; });
}

describe('float passes on exporter output', () => {
  it('Keras Conv1D (tf2onnx): bias Add and Relu move before the Squeeze, Squeeze→Unsqueeze pairs cancel', async () => {
    const g = prepareFloatGraph(`${FX}/keras_conv1d.onnx`);
    const ops = g.nodes.map((n) => n.opType);
    // Unsqueeze → Transpose → Conv (+bias, Relu) → Conv (+bias) → Clip → Squeeze → GAP → Squeeze → Gemm
    expect(ops).toEqual(['Unsqueeze', 'Transpose', 'Conv', 'Relu', 'Conv', 'Clip', 'Squeeze', 'GlobalAveragePool', 'Squeeze', 'Gemm']);
    expect(await floatPassDiff(`${FX}/keras_conv1d.onnx`, `${FX}/calib_keras_conv1d.npy`)).toBeLessThan(1e-5);
  });
  it('standalone BatchNormalization becomes per-channel Mul + Add', async () => {
    const g = prepareFloatGraph(`${FX}/torch_bn_standalone.onnx`);
    expect(g.nodes.map((n) => n.opType)).not.toContain('BatchNormalization');
    const muls = g.nodes.filter((n) => n.opType === 'Mul');
    expect(muls.length).toBe(2);
    expect(muls.map((n) => g.tensors.get(n.inputs[1])!.shape)).toEqual([[1, 3, 1, 1], [1, 8, 1, 1]]);
    expect(await floatPassDiff(`${FX}/torch_bn_standalone.onnx`, `${FX}/calib_torch_bn_standalone.npy`)).toBeLessThan(1e-4);
  });
  it('input normalisation stays at the input edge (folds into the first Gemm for --int8-io); an input BatchNorm with widely spread scales stays a Mul', async () => {
    // (x - mean) / std: kept float at the input edge, as onnxruntime keeps Sub/Div (passes/mark-input-affine.ts)
    const edge = prepareFloatGraph(`${FX}/mlp_dynamic.onnx`);
    expect(edge.nodes.map((n) => n.opType)).toEqual(['Add', 'Mul', 'Gemm', 'Relu', 'Gemm', 'Tanh', 'Gemm']);
    expect(edge.nodes.slice(0, 2).every(isInputEdgeNode)).toBe(true);
    // --int8-io: the Gemm reads x, quantized once
    expect(prepareFloatGraph(`${FX}/mlp_dynamic.onnx`, undefined, { inputAffineEdge: false }).nodes.map((n) => n.opType)).toEqual(['Gemm', 'Relu', 'Gemm', 'Tanh', 'Gemm']);
    // variances 4, 0.25, 9: folding the scale into conv1 would coarsen its weights per input channel (5 dB lost);
    // the shift cannot fold into a padded Conv
    const g = prepareFloatGraph(`${FX}/torch_bn_standalone.onnx`);
    expect(g.nodes.slice(0, 3).map((n) => n.opType)).toEqual(['Mul', 'Add', 'Conv']);
    expect(g.tensors.get(g.nodes[2].inputs[1])!.data).toEqual(g.tensors.get('conv1.weight')?.data);
  });
  it('an opset-10 export is raised to opset 13: Clip and Pad attributes become inputs', async () => {
    const g = prepareFloatGraph(`${FX}/torch_opset10.onnx`);
    expect(g.opset).toBe(13);
    const clips = g.nodes.filter((n) => n.opType === 'Clip');
    expect(clips.map((n) => [Number(g.tensors.get(n.inputs[1])!.data![0]), Number(g.tensors.get(n.inputs[2])!.data![0])])).toEqual([[0, 6], [-1, 1]]);
    for (const n of [...clips, ...g.nodes.filter((x) => x.opType === 'Pad')]) expect(Object.keys(n.attrs).filter((k) => k !== 'mode')).toEqual([]);
    expect(await floatPassDiff(`${FX}/torch_opset10.onnx`, `${FX}/calib_torch_opset10.npy`)).toBeLessThan(1e-5);
  });
});

describe('unit reshapes keep the layout', () => {
  it('Squeeze of an NHWC [1,C,1,W] is channels-last [1,C,W]; Unsqueeze back is NHWC again', () => {
    const sq = unitReshapePerm([1, 8, 1, 32], [1, 8, 32], [0, 2, 3, 1]);
    expect(sq).toEqual([0, 2, 1]);
    const un = unitReshapePerm([1, 8, 32], [1, 8, 1, 32], [0, 2, 1]);
    // memory order of the non-unit axes: W (3) then C (1), as NHWC
    expect(un!.filter((a) => a === 3 || a === 1)).toEqual([3, 1]);
    expect(unitReshapePerm([1, 8, 4, 4], [1, 128], [0, 2, 3, 1])).toBeUndefined();
  });
});

/** `edgec verify <model> --native [...]`: exit code, max LSB of the output and the SQNR line, if any. */
function verify(args: string[]): { code: number; lsb: number; sqnr?: number; stdout: string } {
  const r = edgec(['verify', ...args, '--native', '--samples', '10']);
  expect(r.stderr).toBe('');
  const lsb = Number(/max \|diff\| (\d+) LSB/.exec(r.stdout)?.[1]);
  const sqnr = /SQNR ([\d.]+) dB vs float/.exec(r.stdout)?.[1];
  return { code: r.code, lsb, sqnr: sqnr === undefined ? undefined : Number(sqnr), stdout: r.stdout };
}

describe('quantized builds of exporter output', () => {
  // measured (minmax): keras_conv1d 38.8 dB, torch_conv1d 48.3, torch_bn_standalone 44.5, torch_opset10 34.4
  // (onnxruntime quantize_static: 37.5, 48.1, 42.9, 34.3 — examples/scripts/ptq_vs_ort.py)
  it.each([
    ['keras_conv1d', 37],
    ['torch_conv1d', 46.5],
    ['torch_bn_standalone', 42.5],
    ['torch_opset10', 32.5],
  ])('%s: edgec verify --calibration passes, SQNR vs float >= %s dB', (name, minDb) => {
    const r = verify([`${FX}/${name}.onnx`, '--calibration', `${FX}/calib_${name}.npy`]);
    expect(r.code).toBe(0);
    expect(r.lsb).toBeLessThanOrEqual(2);
    expect(r.sqnr).toBeGreaterThanOrEqual(minDb);
  });

  it('onnxruntime quantize_static versions of the Conv1d models compile and match within 1 LSB', () => {
    for (const name of ['keras_conv1d', 'torch_conv1d']) {
      const r = verify([`${FX}/${name}_ort_int8.onnx`]);
      expect(r.code, name).toBe(0);
      expect(r.lsb, name).toBeLessThanOrEqual(1);
    }
  });

  it('no layout copies around the Squeeze/Unsqueeze of 1-D convolutions', () => {
    const kernels = (ops: { onnx: string; kernel: string }[]): string[] => ops.map((o) => o.kernel.split(' ')[0]);
    // Keras: NWC input → Unsqueeze → Transpose to NCHW(H=1) is NHWC in memory already; Squeeze keeps channels-last
    const keras = kernels(inspectOps([`${FX}/keras_conv1d.onnx`, '--calibration', `${FX}/calib_keras_conv1d.npy`]));
    expect(keras).toEqual(['quantize', 'conv2d', 'conv2d', 'global_avg_pool', 'fully_connected', 'dequantize']);
    expect(kernels(inspectOps([`${FX}/keras_conv1d_ort_int8.onnx`]))).not.toContain('transpose');
    // PyTorch: the NCW input needs one copy to channels-last, nothing else; ReLU6 (Clip) fused into the Conv
    const torch = inspectOps([`${FX}/torch_conv1d.onnx`, '--calibration', `${FX}/calib_torch_conv1d.npy`]);
    expect(kernels(torch)).toEqual(['quantize', 'transpose', 'conv2d', 'conv2d', 'global_avg_pool', 'fully_connected', 'dequantize']);
    // opset 10: Clip with attributes (ReLU6, Hardtanh) fused as well
    const old = inspectOps([`${FX}/torch_opset10.onnx`, '--calibration', `${FX}/calib_torch_opset10.npy`]);
    expect(old.map((o) => o.onnx)).not.toContain('Clip');
    expect(kernels(old).filter((k) => k === 'conv2d').length).toBe(2);
  });
});

describe('QDQ output', () => {
  it('every Conv/Gemm bias is int32 with scale = input scale × weight scale (as quantize_static writes it)', async () => {
    for (const [model, calib] of [[`${FX}/torch_cnn.onnx`, `${FX}/calib_torch_cnn.npy`], [`${FX}/mlp_dynamic.onnx`, `${FX}/calib_mlp.npz`]]) {
      const q = await quantizeModel(model, { calibration: calib });
      const dir = mkdtempSync(join(tmpdir(), 'edgec-qdq-'));
      writeFileSync(join(dir, 'q.onnx'), q.qdqBytes);
      const g = loadModel(join(dir, 'q.onnx'));
      const dqOf = new Map(g.nodes.filter((n) => n.opType === 'DequantizeLinear').map((n) => [n.outputs[0], n]));
      const weighted = g.nodes.filter((n) => n.opType === 'Conv' || n.opType === 'Gemm');
      expect(weighted.length).toBeGreaterThan(1);
      for (const op of weighted) {
        const [x, w, b] = op.inputs.map((i) => dqOf.get(i));
        expect(b, `${model} ${op.name} bias`).toBeDefined();
        expect(g.tensors.get(b!.inputs[0])!.dtype).toBe('int32');
        const xs = Number(g.tensors.get(x!.inputs[1])!.data![0]);
        const ws = Array.from(g.tensors.get(w!.inputs[1])!.data!, Number);
        const bs = Array.from(g.tensors.get(b!.inputs[1])!.data!, Number);
        bs.forEach((s, c) => expect(s).toBeCloseTo(Math.fround(xs * ws[c]), 12));
      }
    }
  });
});

describe('calibration progress and inspect --calibration', () => {
  const stream = (isTTY: boolean): ProgressStream & { text: string } => {
    const s = { isTTY, text: '', write(t: string): boolean { s.text += t; return true; } };
    return s;
  };
  it('a non-TTY stream gets no progress; a terminal gets a line per sample ending in a newline', async () => {
    expect(ttyProgress(stream(false))).toBeUndefined();
    const tty = stream(true);
    const progress = ttyProgress(tty);
    expect(progress).toBeDefined();
    await quantizeModel(`${FX}/mlp_dynamic.onnx`, { calibration: `${FX}/calib_mlp.npz`, method: 'entropy', progress });
    // two passes over the 24 samples for a histogram method
    expect(tty.text).toContain('\rcalibrating (ranges) 1/24');
    expect(tty.text).toContain('\rcalibrating (histograms) 24/24\x1b[K\n');
    expect(tty.text.split('\n').filter((l) => l !== '').length).toBe(2);
    expect(tty.text.match(/\r/g)!.length).toBe(48);
  });
  it('inspect --calibration prints the int8 layer table (no progress on a pipe)', () => {
    const ops = inspectOps([`${FX}/torch_cnn.onnx`, '--calibration', `${FX}/calib_torch_cnn.npy`]);
    expect(ops.filter((o) => o.onnx === 'Conv').length).toBe(2);
    expect(ops.map((o) => o.onnx)).not.toContain('BatchNormalization');
    const json = edgec(['inspect', `${FX}/torch_cnn.onnx`, '--calibration', `${FX}/calib_torch_cnn.npy`, '--json']);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout).inputs[0].type).toBe('float32');
  });
});
