/**
 * The compile-time parameters of the integer LSTM (compiler/ops/lstm.ts), as
 * TFLite Micro's lstm_eval_common.cc / lstm_eval.cc derive them; the whole
 * kernel's TFLM-exactness is test/tflite/lstm.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { cellScalePower, cellTanhScaling, lstmScratchBytes, quantizedCellClip } from '../../compiler/ops/lstm.js';
import type { Op } from '../../compiler/ir/program.js';

describe('integer LSTM parameters', () => {
  it('cell state scale: a power of two within TFLM CheckedLog2 tolerance, else refused', () => {
    expect(cellScalePower(2 ** -11)).toBe(-11);
    expect(cellScalePower(Math.fround(0.00048828125))).toBe(-11);
    expect(cellScalePower(2 ** -15 * 1.0001)).toBe(-15);
    expect(cellScalePower(0.0003)).toBeUndefined();
  });

  it('tanh of the cell state: x * 3 << (12 + power), or (x * 3 + round) >> -(12 + power)', () => {
    expect(cellTanhScaling(-12)).toEqual({ mult: 3, shift: 0 });
    expect(cellTanhScaling(-11)).toEqual({ mult: 6, shift: 0 });
    expect(cellTanhScaling(-9)).toEqual({ mult: 24, shift: 0 });
    expect(cellTanhScaling(-13)).toEqual({ mult: 3, shift: 1 });
    expect(cellTanhScaling(-15)).toEqual({ mult: 3, shift: 3 });
  });

  it('cell clip: clip / scale clamped to int16 and truncated; 0 means none', () => {
    expect(quantizedCellClip(10, 2 ** -11)).toBe(20480);
    expect(quantizedCellClip(10, 2 ** -12)).toBe(32767);
    expect(quantizedCellClip(0.3, 2 ** -11)).toBe(614); // 614.4 truncated
    expect(quantizedCellClip(0, 2 ** -11)).toBe(0);
  });

  it('scratch: int16 cell state per batch, three int16 gate rows, int8 hidden state per batch', () => {
    const op = { params: { batches: 3, hidden: 10 } } as unknown as Op;
    expect(lstmScratchBytes(op)).toBe(2 * 3 * 10 + 2 * 3 * 10 + 3 * 10);
  });
});
