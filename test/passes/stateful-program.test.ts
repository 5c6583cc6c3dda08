/**
 * stateful-program alone (--stateful on the lowered program): the state
 * input leaves the user inputs as its int8 value (the edge's QuantizeLinear
 * dropped), the state output stays a readable output and its int8 source is
 * the new state, the planner keeps both live to the end (no value reuses the
 * state's bytes), and a pair quantized differently is refused.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { lowerGraph } from '../../compiler/passes/lower.js';
import { statefulProgram } from '../../compiler/passes/stateful-program.js';
import { QdqBuilder, type QParams } from '../helpers/onnx-builder.js';

const P: QParams = { scale: 0.05, zeroPoint: 3, dtype: 'int8' };

/** buf_out = Concat(buf[:, 4:8], Relu(x)) as a QDQ model with float I/O; buf_out quantized with `outScale`. */
function ring(outScale = P.scale): Uint8Array {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', [1, 4], P);
  const buf = q.input('buf', [1, 8], P);
  q.b.initializer('starts', BigInt64Array.of(4n), [1]).initializer('ends', BigInt64Array.of(8n), [1]).initializer('axes', BigInt64Array.of(1n), [1]);
  const older = q.op('Slice', [buf], {}, { extraInputs: ['starts', 'ends', 'axes'] });
  const next = q.op('Concat', [older, q.op('Relu', [x])], { axis: 1 }, { out: { ...P, scale: outScale } });
  q.output(next, 'buf_out');
  return q.toBytes();
}

describe('stateful-program', () => {
  it('turns the pair into a persistent state buffer that is no user input', () => {
    const c = compileModel('ring.onnx', { modelBytes: ring(), name: 'r', stateful: { pairs: [{ input: 'buf', output: 'buf_out' }] } });
    const { program, plan } = c;
    expect(program.inputs.map((id) => program.values.get(id)!.onnxName)).toEqual(['x']);
    expect(program.outputs.map((id) => program.values.get(id)!.onnxName)).toEqual(['buf_out']);
    const [s] = program.state!;
    expect(s).toMatchObject({ bytes: 8, zeroPoint: 3, onnxInput: 'buf', onnxOutput: 'buf_out' });
    expect([program.values.get(s.input)!.type, program.values.get(s.output)!.type]).toEqual(['int8', 'int8']);
    // no op quantizes the state input any more: the int8 bytes are the state
    expect(program.ops.some((op) => op.kind === 'quantize' && op.outputs.includes(s.input))).toBe(false);
    // both live to the end: nothing else overlaps the state's bytes at any step
    const steps = program.ops.length;
    for (const id of [s.input, s.output]) expect(plan.placements.get(id)!.last).toBe(steps);
    const stateAt = plan.placements.get(s.input)!;
    for (const [id, p] of plan.placements) {
      if (id === s.input || program.values.get(id)?.aliasOf === s.input) continue;
      const disjoint = p.offset + p.bytes <= stateAt.offset || stateAt.offset + stateAt.bytes <= p.offset;
      expect(disjoint, `${id} overlaps the state`).toBe(true);
    }
    // the generated reset() writes the zero point, the end of invoke() copies the new state
    const source = c.emitted.files.find((f) => f.path === 'r.c')!.contents;
    expect(source).toContain(`((int8_t *)(r_arena + ${stateAt.offset}))[i] = (int8_t)(3);`);
    expect(source).toMatch(new RegExp(`\\(\\(int8_t \\*\\)\\(r_arena \\+ ${stateAt.offset}\\)\\)\\[i\\] = \\(\\(const int8_t \\*\\)\\(r_arena \\+ ${plan.placements.get(s.output)!.offset}\\)\\)\\[i\\];`));
  });

  it('refuses a pair whose two sides are quantized differently', () => {
    expect(() => compileModel('ring.onnx', { modelBytes: ring(0.1), name: 'r', stateful: { pairs: [{ input: 'buf', output: 'buf_out' }] } }))
      .toThrow(/ring.onnx: --state buf=buf_out: input and output are quantized differently \(int8, scale 0.05\d*, zero point 3 vs int8, scale 0.1\d*, zero point 3\)/);
  });

  it('refuses a pair that names no input of the lowered program', () => {
    const c = compileModel('ring.onnx', { modelBytes: ring(), name: 'r' });
    const lowered = lowerGraph(c.graph, 'r', {});
    expect(() => statefulProgram(lowered, [{ input: 'nope', output: 'buf_out' }], 'ring.onnx')).toThrow(/'nope' is not an input of the compiled model/);
  });
});
