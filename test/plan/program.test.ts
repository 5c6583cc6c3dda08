/**
 * Planning a real program: the chosen execution order, in-place depthwise
 * and the file-order figures, and the generated C giving the same bytes
 * with and without in-place depthwise and reordering.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { depthwiseTempId, orderProblemOf, planAndOrderProgram } from '../../compiler/plan/program.js';
import type { Op, Program, Value } from '../../compiler/ir/program.js';
import { peakOfOrder } from '../../compiler/plan/order.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import type { ProgramPlanOptions } from '../../compiler/plan/program.js';

const KWS = 'examples/kws_dscnn/kws_dscnn_int8.onnx';
const RESNET = 'examples/ic_resnet8/ic_resnet8_int8.onnx';
const hasGcc = spawnSync('gcc', ['--version']).status === 0;

function build(model: string, plan: ProgramPlanOptions): Compiled {
  return compileModel(model, { name: 'm', plan });
}

/** Output bytes of the host build on `samples` random inputs (same seed for every build). */
function hostOutputs(c: Compiled, samples: number): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-plan-'));
  for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  const input = randomSamples(c.program, samples, 7).flat().map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const joined = new Uint8Array(input.reduce((a, b) => a + b.length, 0));
  let at = 0;
  for (const b of input) { joined.set(b, at); at += b.length; }
  return runNative(buildNativeRunner(dir, 'm'), joined, samples);
}

describe('planAndOrderProgram on example models', () => {
  it('runs a depthwise layer in place when that lowers the arena, with a row-ring temporary', () => {
    // conv 1x1 (4 -> 16 ch) then depthwise 3x3 (16 ch) then a pool: the
    // depthwise step holds input + output (2048 B) unless it runs in place
    // (1024 B + a 64 B ring: two rows of 8 pixels x 4 channels, as
    // edgec_depthwise_inplace_temp_bytes says for stride 1, pad 1); the conv
    // step (256 + 1024) then sets the peak.
    const v = (id: string, role: Value['role'], shape: number[]): Value => ({ id, type: 'int8', shape, scale: 1, zeroPoint: 0, role, onnxName: id, logicalShape: shape });
    const values = new Map([v('x', 'input', [1, 8, 8, 4]), v('a', 'activation', [1, 8, 8, 16]), v('b', 'activation', [1, 8, 8, 16]), v('y', 'output', [1, 16])].map((x) => [x.id, x]));
    const geo = { batches: 1, in_h: 8, in_w: 8, out_h: 8, out_w: 8, k_h: 3, k_w: 3, stride_h: 1, stride_w: 1, pad_top: 1, pad_left: 1 };
    const ops: Op[] = [
      { kind: 'conv2d', name: 'pw', onnxOp: 'Conv', inputs: ['x'], outputs: ['a'], params: { ...geo, in_c: 4, out_c: 16 }, consts: {}, macs: 0 },
      { kind: 'depthwise_conv2d', name: 'dw', onnxOp: 'Conv', inputs: ['a'], outputs: ['b'], params: { ...geo, in_c: 16, out_c: 16 }, consts: {}, macs: 0 },
      { kind: 'global_avg_pool', name: 'gap', onnxOp: 'GlobalAveragePool', inputs: ['b'], outputs: ['y'], params: {}, consts: {}, macs: 0 },
    ];
    const program: Program = { name: 'm', values, consts: new Map(), ops, inputs: ['x'], outputs: ['y'] };
    const plain = planAndOrderProgram(program, { inPlaceDepthwise: false });
    const c = planAndOrderProgram(program, {});
    expect(plain.plan.arenaBytes).toBe(2048);
    expect(c.plan.arenaBytes).toBe(1280);
    const dw = c.program.ops[1]!;
    expect(dw.kind).toBe('depthwise_conv2d_inplace');
    const temp = c.plan.placements.get(depthwiseTempId(dw))!;
    expect(temp.bytes).toBe(64);
    const x = c.plan.placements.get('a')!;
    expect(c.plan.placements.get('b')!.offset).toBe(x.offset);
    expect(temp.offset + temp.bytes <= x.offset || temp.offset >= x.offset + x.bytes).toBe(true);
  });

  it('keeps the ordinary depthwise kernel where in place would not lower the arena (DS-CNN without overlapped pointwise: those steps set the peak)', () => {
    const c = build(KWS, { overlapPointwise: false });
    expect(c.program.ops.some((op) => op.kind === 'depthwise_conv2d_inplace')).toBe(false);
    expect(c.plan.arenaBytes).toBeLessThanOrEqual(c.plan.fileOrder!.lowerBound);
  });

  it('reports the file order figures and never plans worse than the file order', () => {
    for (const model of [KWS, RESNET]) {
      const c = build(model, {});
      expect(c.plan.fileOrder).toBeDefined();
      expect(c.plan.arenaBytes).toBeLessThanOrEqual(c.plan.fileOrder!.arenaBytes);
      expect(c.plan.arenaBytes).toBeGreaterThanOrEqual(c.plan.lowerBound);
    }
  });

  it('keeps a topological order whose peak is no worse than the file order', () => {
    const plain = build(RESNET, { reorder: false, inPlaceDepthwise: false });
    const problem = orderProblemOf(plain.program)!;
    const c = build(RESNET, {});
    // Separate compilations: match ops by name (unique per program).
    const index = new Map(plain.program.ops.map((op, i) => [op.name, String(i)]));
    expect(index.size).toBe(plain.program.ops.length);
    const chosen = c.program.ops.map((op) => index.get(op.name)!);
    expect(new Set(chosen).size).toBe(plain.program.ops.length);
    expect(peakOfOrder(problem, chosen)).toBeLessThanOrEqual(peakOfOrder(problem, problem.nodes.map((n) => n.id)));
  });

  it('without in-place depthwise the same ops plan as ordinary depthwise convolutions', () => {
    const c = build(KWS, { inPlaceDepthwise: false });
    expect(c.program.ops.some((op) => op.kind === 'depthwise_conv2d_inplace')).toBe(false);
    expect(c.program.ops.filter((op) => op.kind === 'depthwise_conv2d').length).toBe(4);
  });

  it.skipIf(!hasGcc)('generated C gives the same bytes with and without in-place depthwise, overlapped pointwise and reordering', () => {
    const a = hostOutputs(build(KWS, {}), 4);
    const b = hostOutputs(build(KWS, { inPlaceDepthwise: false, overlapPointwise: false, reorder: false }), 4);
    expect(a.length).toBeGreaterThan(0);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});
