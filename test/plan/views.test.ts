/**
 * Split / Slice / Gather parts that are one contiguous block of their input
 * are zero-copy views: the plan places each part inside the input's storage
 * at the part's byte offset, and nothing else may overwrite the input while
 * any part is still read. Parts that are not contiguous get their own copy.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { QdqBuilder, type QParams } from '../helpers/onnx-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-views-'));
const P: QParams = { scale: 0.05, zeroPoint: 3, dtype: 'int8' };

function offsetOf(c: Compiled, onnxName: string): number {
  const v = [...c.program.values.values()].find((x) => x.onnxName === onnxName && x.perm !== undefined);
  if (!v) throw new Error(`no value for ${onnxName}`);
  const p = c.plan.placements.get(v.id);
  if (!p) throw new Error(`no placement for ${v.id}`);
  return p.offset;
}

/** x [1, 6, 4, 4] (NCHW, identity layout) → Split on C [2, 4] → MaxPool of each part. */
function splitModel(file: string, dims: number[], axis: number, split: number[]): string {
  const q = new QdqBuilder({ opset: 13 });
  const x = q.input('x', dims, P, 'int8');
  const sp = q.b.fresh('split');
  q.b.int64(sp, split);
  const outs = split.map((_, i) => `part${i}`);
  q.b.node('Split', [q.dq(x), sp], outs, { axis });
  outs.forEach((o, i) => {
    const part = q.quantize(o, P, `${o}_q`);
    q.output(q.op('MaxPool', [part], { kernel_shape: [2, 2], strides: [2, 2] }), `y${i}`, 'int8');
  });
  return q.save(join(dir, file));
}

describe('zero-copy Split views', () => {
  it('splitting the channels of an N=1 NCHW tensor places each part inside the input at its byte offset', () => {
    const c = compileModel(splitModel('split-c.onnx', [1, 6, 4, 4], 1, [2, 4]), { name: 'm' });
    const x = offsetOf(c, 'x');
    expect(c.program.ops.some((op) => op.kind === 'gather')).toBe(false);
    expect(offsetOf(c, 'part0_q')).toBe(x);
    expect(offsetOf(c, 'part1_q')).toBe(x + 2 * 16);
    // no op may write over a part while that part is still to be read
    const parts = ['part0_q', 'part1_q'].map((n) => [...c.program.values.values()].find((v) => v.onnxName === n && v.perm !== undefined)!);
    const region = (id: string): [number, number] => {
      const v = c.program.values.get(id)!;
      const at = c.plan.placements.get(id)!.offset;
      return [at, at + v.shape.reduce((a, b) => a * b, 1)];
    };
    c.program.ops.forEach((op, i) => {
      for (const out of op.outputs) {
        const [a, b] = region(out);
        for (const part of parts) {
          const readLater = c.program.ops.slice(i + 1).some((later) => later.inputs.includes(part.id));
          const [pa, pb] = region(part.id);
          if (readLater) expect(b <= pa || a >= pb, `${op.name} writes over ${part.onnxName}`).toBe(true);
        }
      }
    });
  });

  it('splitting along W of an NCHW tensor is not contiguous: each part is a gather copy', () => {
    const c = compileModel(splitModel('split-w.onnx', [1, 2, 4, 6], 3, [4, 2]), { name: 'm' });
    expect(c.program.ops.filter((op) => op.kind === 'gather').length).toBe(2);
    const x = offsetOf(c, 'x');
    expect(offsetOf(c, 'part0_q')).not.toBe(x);
  });
});
