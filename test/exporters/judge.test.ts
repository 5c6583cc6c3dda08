/** The matrix's verdicts: a cell can only be green for the reason its expectation names. */
import { describe, expect, it } from 'vitest';
import { judge, type CellOutcome } from './matrix.js';

const pass: CellOutcome = { status: 'pass', figures: { samples: 10, top1Agree: 1, tflmElements: 100, tflmMismatches: 0 } };
const refused: CellOutcome = { status: 'refused', error: "m.onnx: node 'h' (HardSwish): tf2onnx wrote HardSwish into an opset-13 model" };
const layerFail: CellOutcome = { status: 'fail', stage: 'layers', error: "layer 3 'conv' (Conv, t): 2 LSB from onnxruntime in isolation" };

describe('matrix verdicts', () => {
  it('"pass" holds only for a passing cell', () => {
    expect(judge('pass', pass).ok).toBe(true);
    expect(judge('pass', refused).ok).toBe(false);
    expect(judge('pass', layerFail).ok).toBe(false);
    expect(judge('pass', { status: 'export-failed', error: 'x' }).ok).toBe(false);
  });

  it('"refused: ..." needs edgec\'s own error containing the text', () => {
    expect(judge('refused: HardSwish into an opset-13', refused).ok).toBe(true);
    expect(judge('refused: LeakyRelu', refused).ok).toBe(false);
    expect(judge('refused: 2 LSB', layerFail).ok).toBe(false); // a failed check is not a refusal
    expect(judge('refused: x', pass).ok).toBe(false);
  });

  it('"todo" skips a failing cell and fails once the cell passes', () => {
    expect(judge('todo', layerFail)).toMatchObject({ ok: true, todo: true });
    expect(judge('todo: .tflite front end', refused)).toMatchObject({ ok: true, todo: true });
    const promoted = judge('todo', pass);
    expect(promoted.ok).toBe(false);
    expect(promoted.reason).toContain('mark it "pass"');
  });

  it('an unknown expectation is an error', () => {
    expect(judge('maybe', pass).ok).toBe(false);
  });
});
