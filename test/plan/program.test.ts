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
import { depthwiseTempId, orderProblemOf } from '../../compiler/plan/program.js';
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
  it('runs the depthwise layers of DS-CNN in place, each with a one-plane temporary', () => {
    const c = build(KWS, {});
    const dw = c.program.ops.filter((op) => op.kind === 'depthwise_conv2d_inplace');
    expect(dw.length).toBe(4);
    for (const op of dw) {
      const temp = c.plan.placements.get(depthwiseTempId(op));
      expect(temp?.bytes).toBe(Number(op.params.out_h) * Number(op.params.out_w));
      // Output shares the input's storage; the temporary lies outside it.
      const x = c.plan.placements.get(op.inputs[0]!)!;
      const y = c.plan.placements.get(op.outputs[0]!)!;
      expect(y.offset).toBe(x.offset);
      expect(temp!.offset + temp!.bytes <= x.offset || temp!.offset >= x.offset + x.bytes).toBe(true);
    }
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

  it.skipIf(!hasGcc)('generated C gives the same bytes with and without in-place depthwise and reordering', () => {
    const a = hostOutputs(build(KWS, {}), 4);
    const b = hostOutputs(build(KWS, { inPlaceDepthwise: false, reorder: false }), 4);
    expect(a.length).toBeGreaterThan(0);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});
