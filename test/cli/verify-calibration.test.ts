/** `edgec verify float.onnx --calibration ...`: LSB checks against the QDQ model edgec compiled, SQNR against the float model. */
import { describe, expect, it } from 'vitest';
import { edgec } from '../helpers/cli.js';

describe('edgec verify --calibration', () => {
  it('checks the quantized build and reports SQNR per output and per layer against the float model', () => {
    const r = edgec(['verify', 'examples/digits/digits_float.onnx', '--calibration', 'examples/digits/calibration.npy', '--native', '--layers', '--samples', '10']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/output 'logits': exact [\d.]+%, max \|diff\| [01] LSB/);
    const sqnr = Number(/output 'logits': SQNR ([\d.]+) dB vs float, top-1 agreement 100\.0%/.exec(r.stdout)?.[1]);
    expect(sqnr).toBeGreaterThan(30);
    expect(r.stdout).toMatch(/per-layer SQNR/);
    expect(r.stdout).toMatch(/weights \d+ B float -> \d+ B int8/);
  });

  it('refuses --from with --calibration', () => {
    const r = edgec(['verify', 'examples/digits/digits_float.onnx', '--calibration', 'examples/digits/calibration.npy', '--from', '/tmp']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from and --calibration do not combine/);
  });
});
