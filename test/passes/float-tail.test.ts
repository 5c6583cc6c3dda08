/**
 * float-tail alone: an NNCF / PPQ tail left float after the last Q runs in
 * int8 (Softmax 1/256, -128; a Gemm over the range its weights give the whole
 * int8 input range) with a DQ at the model output, and a note says so; an op
 * whose range cannot be derived is refused naming the tensor.
 */
import { describe, expect, it } from 'vitest';
import { floatTail } from '../../compiler/passes/float-tail.js';
import { foldQdq } from '../../compiler/passes/fold-qdq.js';
import { propagateQuant } from '../../compiler/passes/propagate-quant.js';
import { fuseActivations } from '../../compiler/passes/fuse-activations.js';
import { representableRange } from '../../compiler/passes/qdq-edit.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { act, nncfTail, Pat, Rand } from './patterns.js';

const A = act(0.02, -10);

function canonical(g: Graph): Graph {
  return fuseActivations(foldQdq(floatTail(propagateQuant(g))));
}

function quantOf(g: Graph, name: string): { scale: number; zeroPoint: number } | undefined {
  const q = g.tensors.get(name)?.quant;
  return q && { scale: q.scale[0], zeroPoint: q.zeroPoint[0] };
}

describe('float-tail', () => {
  it('NNCF Gemm -> Softmax: Softmax at 1/256, -128, the Gemm over its weights\' range, output dequantized', () => {
    const g = canonical(nncfTail(new Rand(1), A).graph());
    const softmax = g.nodes.find((n) => n.opType === 'Softmax');
    expect(quantOf(g, softmax?.outputs[0] ?? '')).toEqual({ scale: 1 / 256, zeroPoint: -128 });
    const gemmOut = quantOf(g, softmax?.inputs[0] ?? '');
    expect(gemmOut?.scale).toBeGreaterThan(0);
    expect(g.nodes[g.nodes.length - 1].opType).toBe('DequantizeLinear');
    expect(g.outputs).toEqual(['out']);
    expect(g.notes?.[0]).toMatch(/float tail 'fc' \(Gemm\), .*Softmax.* runs in int8/);
  });

  it('the Gemm range is the exact bound over the whole int8 input range', () => {
    const r = new Rand(2);
    const g = floatTail(propagateQuant(nncfTail(r, A, { after: 'none' }).graph()));
    foldQdq(g);
    const gemm = g.nodes.find((n) => n.opType === 'Gemm');
    const w = g.tensors.get(gemm?.inputs[1] ?? '');
    const b = g.tensors.get(gemm?.inputs[2] ?? '');
    const x = representableRange({ scale: A.scale, zeroPoint: A.zeroPoint });
    let lo = Infinity;
    let hi = -Infinity;
    for (let n = 0; n < 6; n++) {
      let l = Number(b?.data?.[n]) * (b?.quant?.scale[n] ?? 0);
      let h = l;
      for (let k = 0; k < 16; k++) {
        const v = Number(w?.data?.[n * 16 + k]) * (w?.quant?.scale[n] ?? 0);
        l += Math.min(v * x.lo, v * x.hi);
        h += Math.max(v * x.lo, v * x.hi);
      }
      lo = Math.min(lo, l); hi = Math.max(hi, h);
    }
    const q = quantOf(g, gemm?.outputs[0] ?? '');
    expect(q?.scale).toBeCloseTo((Math.max(hi, 0) - Math.min(lo, 0)) / 255, 6);
  });

  it('float weights (NNCF ignored scope) are quantized symmetric per channel; a Relu after the Gemm folds into it', () => {
    const g = canonical(nncfTail(new Rand(3), A, { floatWeights: true, after: 'Relu' }).graph());
    const gemm = g.nodes.find((n) => n.opType === 'Gemm');
    const w = g.tensors.get(gemm?.inputs[1] ?? '');
    expect(w?.dtype).toBe('int8');
    expect(w?.quant?.axis).toBe(0);
    expect(g.nodes.map((n) => n.opType)).not.toContain('Relu');
    expect(quantOf(g, gemm?.outputs[0] ?? '')?.zeroPoint).toBe(-128); // Relu: range [0, hi]
  });

  it('refuses an op whose range cannot be derived, naming the tensor and the missing calibration', () => {
    const p = new Pat();
    const x = p.qdq(p.floatInput('x', [1, 4]), A);
    p.b.op('Add', [x, p.qdq(p.floatInput('y', [1, 4]), A)], {}, { output: 'out', name: 'sum' });
    expect(() => floatTail(p.floatOutput('out').graph())).toThrow(/node 'sum' \(Add\): float tail: tensor 'out' .*calibration ranges for it are missing/);
  });

  it('builds the same int8 program as the model with that Q/DQ on the logits (checked against onnxruntime in canonicalise-e2e)', () => {
    const g = floatTail(propagateQuant(nncfTail(new Rand(4), A).graph()));
    const logits = quantOf(foldQdq(g), g.nodes.find((n) => n.opType === 'Softmax')?.inputs[0] ?? '');
    if (!logits) throw new Error('logits not quantized');
    const dir = mkdtempSync(join(tmpdir(), 'edgec-tail-'));
    const program = (pat: Pat, file: string): unknown[] => {
      const c = compileModel(pat.b.save(join(dir, file)), { name: 'm' });
      return c.program.ops.map((op) => [op.kind, op.params, Object.values(op.consts).map((id) => Array.from(c.program.consts.get(id)?.data ?? []))]);
    };
    expect(program(nncfTail(new Rand(4), A), 'tail.onnx')).toEqual(program(nncfTail(new Rand(4), A, { logitsQ: act(logits.scale, logits.zeroPoint) }), 'twin.onnx'));
  });

  it('leaves a fully quantized model alone (no note)', () => {
    const p = new Pat();
    p.out(p.b.op('Softmax', [p.qdq(p.floatInput('x', [1, 4]), A)]), act(1 / 256, -128));
    const g = floatTail(p.graph());
    expect(g.notes).toBeUndefined();
  });
});
