/**
 * Models edgec cannot compile, through the real CLI: one `edgec: error:`
 * line (plus an optional hint) naming the node and the reason, exit 2,
 * never a stack trace, never an output folder.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgec } from '../helpers/cli.js';
import { OnnxBuilder, QdqBuilder, type QParams } from '../helpers/onnx-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-bad-model-'));
const P: QParams = { scale: 0.05, zeroPoint: 3, dtype: 'int8' };
const OUT: QParams = { scale: 0.1, zeroPoint: -2, dtype: 'int8' };

function weights(n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i + 1));
}

/** DQ(x) → <op> → Q, with int8 I/O. */
function qdqOp(file: string, opset: number, build: (q: QdqBuilder) => void): string {
  const q = new QdqBuilder({ opset });
  build(q);
  return q.save(join(dir, file));
}

function expectOneLineError(model: string, pattern: RegExp): string {
  const out = join(dir, `${model.split('/').pop()}-out`);
  const r = edgec(['build', model, '-o', out]);
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^edgec: error: /);
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^hint: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(existsSync(join(out, 'model.c'))).toBe(false);
  return r.stderr;
}

describe('edgec build on models it cannot compile', () => {
  it('unsupported op: names the op, the node and the opset', () => {
    const model = qdqOp('erf.onnx', 13, (q) => {
      const x = q.input('x', [1, 8], P, 'int8');
      q.output(q.op('Erf', [x], {}, { out: OUT, name: 'my_erf' }), 'y', 'int8');
    });
    expectOneLineError(model, /node 'my_erf' \(Erf\): unsupported op Erf \(opset 13\)/);
  });

  it('weights quantized along the wrong axis: names the weights and the axis', () => {
    // (A non-zero weight zero point used to be refused here; it now compiles exactly: ops/weights.ts.)
    const b = new OnnxBuilder({ opset: 13 });
    b.input('x', 'int8', [1, 2, 4, 4]).float('xs', 0.05).initializer('xz', Int8Array.of(0), [])
      .initializer('w', Int8Array.from({ length: 3 * 2 * 9 }, (_, i) => (i % 7) - 3), [3, 2, 3, 3])
      .float('ws', [0.02, 0.03]).initializer('wz', Int8Array.of(0, 0), [2])
      .float('ys', 0.1).initializer('yz', Int8Array.of(0), []);
    b.node('DequantizeLinear', ['x', 'xs', 'xz'], ['xf']).node('DequantizeLinear', ['w', 'ws', 'wz'], ['wf'], { axis: 1 })
      .node('Conv', ['xf', 'wf'], ['yf'], { pads: [1, 1, 1, 1] }, { name: 'conv_axis' }).node('QuantizeLinear', ['yf', 'ys', 'yz'], ['y'])
      .output('y', 'int8');
    const model = b.save(join(dir, 'weight-axis.onnx'));
    expectOneLineError(model, /node 'conv_axis' \(Conv\): weights 'wf?' are quantized along axis 1; the output-channel axis 0 is required/);
  });

  it('float model without calibration data: says it must be quantized', () => {
    const b = new OnnxBuilder({ opset: 13 });
    b.input('x', 'float32', [1, 2, 5, 5]).initializer('w', weights(3 * 2 * 9), [3, 2, 3, 3])
      .node('Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] }, { name: 'float_conv' }).output('y', 'float32');
    const model = b.save(join(dir, 'float.onnx'));
    expectOneLineError(model, /quantiz|calibrat/i);
  });

  it('Pad mode reflect', () => {
    const model = qdqOp('pad-reflect.onnx', 13, (q) => {
      const x = q.input('x', [1, 2, 4, 4], P, 'int8');
      q.b.int64('pads', [0, 0, 1, 1, 0, 0, 1, 1]);
      q.output(q.op('Pad', [x], { mode: 'reflect' }, { extraInputs: ['pads'], name: 'pad_reflect' }), 'y', 'int8');
    });
    expectOneLineError(model, /node 'pad_reflect' \(Pad\): Pad mode 'reflect' is not supported/);
  });

  it('MaxPool with dilations', () => {
    const model = qdqOp('maxpool-dilated.onnx', 13, (q) => {
      const x = q.input('x', [1, 2, 8, 8], P, 'int8');
      q.output(q.op('MaxPool', [x], { kernel_shape: [2, 2], dilations: [2, 2] }, { name: 'pool_dil' }), 'y', 'int8');
    });
    expectOneLineError(model, /node 'pool_dil' \(MaxPool\): .*dilations 2x2 is not supported/);
  });

  it('Gemm with transA', () => {
    const model = qdqOp('gemm-transa.onnx', 13, (q) => {
      const x = q.input('x', [6, 1], P, 'int8');
      q.output(q.gemm(x, { weight: weights(4 * 6), weightShape: [4, 6], out: OUT, attrs: { transA: 1 }, name: 'fc_ta' }), 'y', 'int8');
    });
    expectOneLineError(model, /node 'fc_ta' \(Gemm\): Gemm with transA=1 is not supported/);
  });
});
