/**
 * The integer helper behind TFLM's RSQRT table (the tables
 * themselves are checked byte for byte against TFLite Micro on
 * test/fixtures/tflite/rsqrt_abs.tflite in test/tflite/ops.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { invSqrtMultiplierExp, rsqrtTable } from '../../compiler/ops/tflm-tables.js';

describe('TFLM integer RSQRT', () => {
  it('invSqrtMultiplierExp gives 1/sqrt(v) as a Q0.31 multiplier and a left shift', () => {
    for (let v = 2; v <= 1 << 20; v = Math.ceil(v * 1.37)) {
      const { mult, shift } = invSqrtMultiplierExp(v);
      expect(mult).toBeGreaterThan(0);
      const real = (mult / 2 ** 31) * 2 ** shift;
      expect(Math.abs(real * Math.sqrt(v) - 1), `v=${v}`).toBeLessThan(1e-5); // five Newton steps in Q3.28: about 1e-6
    }
  });

  it('inputs <= 1 take the largest multiplier, as TFLite does', () => {
    expect(invSqrtMultiplierExp(1)).toEqual({ mult: 2 ** 31 - 1, shift: 0 });
    expect(invSqrtMultiplierExp(0)).toEqual({ mult: 2 ** 31 - 1, shift: 0 });
  });

  it('the table follows 1/sqrt(x) within one output step, 127 at the zero point', () => {
    const input = { scale: 0.02, zeroPoint: -128 };
    const output = { scale: 0.05, zeroPoint: -128 };
    const t = rsqrtTable(input, output);
    expect(t[0]).toBe(127);
    for (let q = -120; q <= 127; q++) {
      const real = 1 / Math.sqrt((q - input.zeroPoint) * input.scale);
      const expected = Math.max(-128, Math.min(127, Math.round(real / output.scale) + output.zeroPoint));
      expect(Math.abs((t[q + 128] as number) - expected), `q=${q}`).toBeLessThanOrEqual(1);
    }
  });
});
