/**
 * mark-input-affine (our PTQ's float passes): a float input's normalisation
 * chain is marked to stay float at the input edge; chains the quantize edge
 * cannot run (constants along two axes, a chain that is itself a model
 * output, an op reading the input and something else) are not.
 */
import { describe, expect, it } from 'vitest';
import { loadModelFileBytes } from '../../compiler/model-file.js';
import { isInputEdgeNode, markInputAffine } from '../../compiler/passes/mark-input-affine.js';
import { OnnxBuilder } from '../helpers/onnx-builder.js';

/** x [1, 3, 4, 4] -> Sub(c0) -> Mul(c1) -> Relu -> y (or y straight after the chain). */
function chain(c1Dims: number[], reluAfter = true, secondReader = false): Uint8Array {
  const b = new OnnxBuilder({ opset: 13 });
  b.input('x', 'float32', [1, 3, 4, 4]);
  b.float('c0', [0.1, 0.2, 0.3], [1, 3, 1, 1]);
  b.float('c1', Array.from({ length: c1Dims.reduce((a, d) => a * d, 1) }, (_, i) => 1 + i), c1Dims);
  const s = b.op('Sub', ['x', 'c0'], {}, { name: 'sub' });
  const m = b.op('Mul', [s, 'c1'], {}, { name: 'mul' });
  const y = reluAfter ? b.op('Relu', [m], {}, { name: 'relu' }) : m;
  if (secondReader) b.node('Add', [s, 'x'], ['z'], {}, { name: 'second' }).output('z', 'float32', [1, 3, 4, 4]);
  b.rename(y, 'y').output('y', 'float32', [1, 3, 4, 4]);
  return b.toBytes();
}

const marked = (bytes: Uint8Array): string[] => markInputAffine(loadModelFileBytes(bytes, 'm.onnx')).nodes.filter(isInputEdgeNode).map((n) => n.name);

describe('mark-input-affine', () => {
  it('marks Sub -> Mul by per-channel constants after a float input', () => {
    expect(marked(chain([1, 3, 1, 1]))).toEqual(['sub', 'mul']);
    expect(marked(chain([1]))).toEqual(['sub', 'mul']);
  });

  it('stops where a constant varies along another axis', () => {
    expect(marked(chain([1, 1, 1, 4]))).toEqual(['sub']);
  });

  it('marks nothing when the chain ends in a model output or a link is read twice', () => {
    expect(marked(chain([1, 3, 1, 1], false))).toEqual([]);
    expect(marked(chain([1, 3, 1, 1], true, true))).toEqual([]);
  });
});
