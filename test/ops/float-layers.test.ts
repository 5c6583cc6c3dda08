/**
 * Float32 kernels of layers kept in float (runtime-c/edgec_*_f32.c,
 * compiler/ops/float-layer.ts) against onnxruntime, per op: each case is a
 * QDQ model with one layer (or two in a row) whose weights are float
 * initializers, the form an exporter leaves and `--float-layers` produces:
 * `DQ -> Conv(float W) -> Q`. The int8 parts must stay within 1 LSB of
 * onnxruntime (they are the same int8 kernels as always); a float layer's own
 * float output must match to float rounding (relative 1e-5).
 */
import { describe, expect, it } from 'vitest';
import { QdqBuilder, type QParams, type QTensor } from '../helpers/onnx-builder.js';
import { runMixed } from '../helpers/mixed-run.js';
import { Rand } from './harness.js';

const act = (scale: number, zeroPoint = 0): QParams => ({ scale, zeroPoint, dtype: 'int8' });

/** A float layer between int8 tensors: DQ(x) -> op(float weights) [-> activation] -> Q (or a float graph output). */
function floatLayer(q: QdqBuilder, x: string, opType: 'Conv' | 'Gemm' | 'MatMul', w: Float32Array, wShape: number[], bias: Float32Array | undefined, attrs: Record<string, number | number[]>, name: string): string {
  q.b.initializer(`${name}_W`, w, wShape);
  const inputs = [x, `${name}_W`];
  if (bias) { q.b.initializer(`${name}_B`, bias, [bias.length]); inputs.push(`${name}_B`); }
  return q.b.op(opType, inputs, attrs, { name, output: `${name}_out` });
}

interface Case { name: string; model: Uint8Array; floatKinds: string[]; floatLayers?: string[] }

function convCase(r: Rand, name: string, inShape: number[], cout: number, k: number[], attrs: Record<string, number | number[]>, relu: boolean): Case {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', inShape, act(0.05, 3));
  const group = Number(attrs.group ?? 1);
  const wShape = [cout, inShape[1] / group, ...k];
  const n = wShape.reduce((a, b) => a * b, 1);
  const y = floatLayer(q, q.dq(x), 'Conv', r.floats(n, -0.5, 0.5), wShape, r.floats(cout, -0.2, 0.2), attrs, 'conv');
  const z = relu ? q.b.op('Relu', [y], {}, { output: 'conv_relu' }) : y;
  q.output(q.quantize(z, act(0.04, relu ? -128 : -5)), 'y');
  return { name, model: q.toBytes(), floatKinds: [group === inShape[1] && group > 1 ? 'depthwise_conv2d_f32' : 'conv2d_f32'] };
}

function cases(): Case[] {
  const r = new Rand(14);
  const list: Case[] = [
    convCase(r, 'conv 3x3 pad 1 + Relu', [1, 3, 8, 8], 4, [3, 3], { pads: [1, 1, 1, 1] }, true),
    convCase(r, 'conv 3x3 stride 2 dilation 2 pads [2,1,0,2]', [1, 4, 11, 9], 5, [3, 3], { strides: [2, 2], dilations: [2, 2], pads: [2, 1, 0, 2] }, false),
    convCase(r, 'grouped conv g2 5x3', [1, 4, 7, 7], 6, [5, 3], { group: 2, pads: [2, 1, 2, 1] }, false),
    convCase(r, 'depthwise 3x3 multiplier 2 + Relu', [1, 3, 6, 6], 6, [3, 3], { group: 3, pads: [1, 1, 1, 1] }, true),
    convCase(r, 'conv 1-D k5', [1, 3, 20], 4, [5], { pads: [2, 2] }, false),
  ];
  {
    // Gemm (transB = 1, PyTorch Linear) after Flatten of an int8 NCHW conv output: the flatten folds into the float weights' columns
    const q = new QdqBuilder({ opset: 13 });
    const x = q.input('x', [1, 2, 4, 4], act(0.05, 0));
    const c = q.conv(x, { weight: r.floats(3 * 2 * 9, -0.4, 0.4), weightShape: [3, 2, 3, 3], bias: r.floats(3, -0.1, 0.1), out: act(0.05, -10), attrs: { pads: [1, 1, 1, 1] }, name: 'c0' });
    const f = q.op('Flatten', [c], { axis: 1 });
    const y = floatLayer(q, q.dq(f), 'Gemm', r.floats(5 * 48, -0.3, 0.3), [5, 48], r.floats(5, -0.1, 0.1), { transB: 1 }, 'fc');
    q.output(q.quantize(y, act(0.06, 2)), 'y');
    list.push({ name: 'int8 conv -> Flatten -> float Gemm', model: q.toBytes(), floatKinds: ['fully_connected_f32'] });
  }
  {
    // MatMul [K, N] with float weights, float output straight to the graph output (no Q): float tolerance.
    // Without --float-layers the float-tail pass runs such a tail in int8 (kept); named, it stays float.
    const q = new QdqBuilder({ opset: 13 });
    const x = q.input('x', [2, 12], act(0.03, -7));
    floatLayer(q, q.dq(x), 'MatMul', r.floats(12 * 7, -1, 1), [12, 7], undefined, {}, 'mm');
    q.b.rename('mm_out', 'y');
    q.b.output('y', 'float32');
    list.push({ name: 'float MatMul with a float graph output (--float-layers mm)', model: q.toBytes(), floatKinds: ['fully_connected_f32'], floatLayers: ['mm'] });
  }
  {
    // two float convs in a row, no Q between (a float region), then an int8 conv
    const q = new QdqBuilder({ opset: 13 });
    const x = q.input('x', [1, 2, 6, 6], act(0.05, 1));
    const a = floatLayer(q, q.dq(x), 'Conv', r.floats(4 * 2 * 9, -0.5, 0.5), [4, 2, 3, 3], r.floats(4, -0.1, 0.1), { pads: [1, 1, 1, 1] }, 'f1');
    const b = floatLayer(q, a, 'Conv', r.floats(3 * 4, -0.5, 0.5), [3, 4, 1, 1], r.floats(3, -0.1, 0.1), {}, 'f2');
    const t: QTensor = q.quantize(b, act(0.05, 0));
    const c = q.conv(t, { weight: r.floats(2 * 3 * 9, -0.4, 0.4), weightShape: [2, 3, 3, 3], bias: r.floats(2, -0.1, 0.1), out: act(0.05, 4), attrs: { pads: [1, 1, 1, 1] }, name: 'c2' });
    q.output(c, 'y');
    list.push({ name: 'float conv -> float conv -> int8 conv', model: q.toBytes(), floatKinds: ['conv2d_f32', 'conv2d_f32'] });
  }
  {
    // an exporter's float region: float conv -> Relu -> float depthwise -> Clip(0, 6) -> float conv, no Q between (clamps fuse in float)
    const q = new QdqBuilder({ opset: 13 });
    const x = q.input('x', [1, 3, 6, 6], act(0.05, -2));
    const a = floatLayer(q, q.dq(x), 'Conv', r.floats(4 * 3 * 9, -0.5, 0.5), [4, 3, 3, 3], r.floats(4, -0.1, 0.1), { pads: [1, 1, 1, 1] }, 'r1');
    const ar = q.b.op('Relu', [a], {}, { output: 'r1_relu' });
    const b = floatLayer(q, ar, 'Conv', r.floats(4 * 9, -1, 1), [4, 1, 3, 3], r.floats(4, -0.1, 0.1), { group: 4, pads: [1, 1, 1, 1] }, 'r2');
    q.b.float('six', 6).float('zero', 0);
    const br = q.b.op('Clip', [b, 'zero', 'six'], {}, { output: 'r2_clip' });
    const c = floatLayer(q, br, 'Conv', r.floats(2 * 4, -0.5, 0.5), [2, 4, 1, 1], r.floats(2, -0.1, 0.1), {}, 'r3');
    q.output(q.quantize(c, act(0.03, 0)), 'y');
    list.push({ name: 'float region: conv -> Relu -> depthwise -> Clip -> conv', model: q.toBytes(), floatKinds: ['conv2d_f32', 'depthwise_conv2d_f32', 'conv2d_f32'] });
  }
  {
    // the model's float input read directly by a float conv (no Q before it), the first layer left float by an exporter
    const q = new QdqBuilder({ opset: 13 });
    q.b.input('x', 'float32', [1, 3, 5, 5]);
    const a = floatLayer(q, 'x', 'Conv', r.floats(4 * 3 * 9, -0.5, 0.5), [4, 3, 3, 3], r.floats(4, -0.1, 0.1), { pads: [1, 1, 1, 1] }, 'first');
    const t = q.quantize(a, act(0.05, 0));
    const m = q.op('MaxPool', [t], { kernel_shape: [2, 2], strides: [2, 2] });
    q.output(m, 'y');
    list.push({ name: 'float input -> float conv -> int8 MaxPool', model: q.toBytes(), floatKinds: ['conv2d_f32'] });
  }
  return list;
}

describe('float32 layers against onnxruntime (per op)', () => {
  for (const cs of cases()) {
    it(cs.name, async () => {
      const { compiled, outputs } = await runMixed(cs.model, { count: 4, floatLayers: cs.floatLayers });
      expect(compiled.program.ops.filter((op) => op.kind.endsWith('_f32')).map((op) => op.kind)).toEqual(cs.floatKinds);
      for (const o of outputs) {
        console.log(`[float-layers] ${cs.name}: ${o.name} ${o.elements} values, ${Number.isNaN(o.maxLsb) ? `float, max rel error ${o.maxRelError.toExponential(2)}` : `exact ${(100 * o.exactRate).toFixed(2)}%, max ${o.maxLsb} LSB`}`);
        expect(o.elements).toBeGreaterThan(0);
        if (Number.isNaN(o.maxLsb)) {
          expect(o.maxRelError, `${o.name} float output`).toBeLessThan(1e-5);
        } else {
          expect(o.maxLsb, `${o.name}: exact ${(100 * o.exactRate).toFixed(1)}%`).toBeLessThanOrEqual(1);
          expect(o.exactRate).toBeGreaterThanOrEqual(0.97);
        }
      }
    }, 60_000);
  }
});
