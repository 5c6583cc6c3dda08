/**
 * `edgec split-advisor` through the real CLI on the bundled KWS model: every
 * cut point listed in order, and its numbers those of the real head build
 * (`edgec build --split-at <tensor> --json` reports the same MACs, arena,
 * weights and flash); compressed sizes measured on samples never above raw.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgecAsync as edgec } from './helpers.js';
import type { AdvisorReport } from '../../compiler/split/advisor.js';

const MODEL = 'examples/kws_dscnn/kws_dscnn_int8.onnx';
const SAMPLES = 'examples/kws_dscnn/calibration.npy';

describe('split-advisor', () => {
  it('lists KWS cut points with the numbers of the real head builds', async () => {
    const r = await edgec(['split-advisor', MODEL, '--board', 'nano33ble', '--samples', SAMPLES, '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as AdvisorReport;
    expect(report.rows.length).toBe(13);
    expect(report.samples).toBe(8);
    const macs = report.rows.map((row) => row.headMacs);
    // deeper cuts run more on the device
    expect([...macs].sort((a, b) => a - b)).toEqual(macs);
    expect(macs.at(-1)).toBeLessThanOrEqual(report.totalMacs);
    for (const row of report.rows) {
      const count = row.shape.reduce((a, b) => a * b, 1);
      expect(row.rawBytes).toBe(20 + 4 * row.shape.length + count + 4);
      expect(row.compressedBytes).toBeLessThanOrEqual(row.rawBytes);
    }
    const dir = mkdtempSync(join(tmpdir(), 'edgec-advisor-'));
    for (const k of [1, 5, 12]) {
      const row = report.rows[k];
      const b = await edgec(['build', MODEL, '--board', 'nano33ble', '--split-at', row.tensor, '-o', join(dir, String(k)), '--json']);
      expect(b.code, b.stderr).toBe(0);
      const built = JSON.parse(b.stdout) as { totalMacs: number; arenaBytes: number; weightsBytes: number; flashBytes: number; split: { tensor: string; shape: number[] } };
      expect(built.split.tensor).toBe(row.tensor);
      expect(built.split.shape).toEqual(row.shape);
      expect({ macs: built.totalMacs, arena: built.arenaBytes, weights: built.weightsBytes, flash: built.flashBytes })
        .toEqual({ macs: row.headMacs, arena: row.arenaBytes, weights: row.weightsBytes, flash: row.flashBytes });
    }
  });

  it('prints a text table (raw sizes only without --samples)', async () => {
    const r = await edgec(['split-advisor', MODEL]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/13 cut points \(board host, whole model 2,664,780 MACs\)/);
    expect(lines[1]).toMatch(/^#\s+cut tensor\s+shape\s+sent raw\s+sent lzss \(no --samples\)\s+head MACs/);
    expect(lines[2]).toMatch(/^1\s+kws_dscnn_1\/conv1_1\/BiasAdd:0__1_QuantizeLinear_Output\s+1x1x49x10\s+530\s+-\s+0\s/);
    expect(lines.length).toBe(2 + 13 + 1);
  });

  it('--int8-io heads: the same numbers as build --split-at --int8-io (VWW: the float input leaves the arena)', async () => {
    const vww = 'examples/vww_mobilenet/vww_mobilenet_int8.onnx';
    const r = await edgec(['split-advisor', vww, '--int8-io', '--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const row = (JSON.parse(r.stdout) as AdvisorReport).rows[12];
    expect(row.tensor).toBe('/38/Relu_output_0_QuantizeLinear_Output');
    const b = await edgec(['build', vww, '--split-at', row.tensor, '--int8-io', '-o', mkdtempSync(join(tmpdir(), 'edgec-advisor-q-')), '--json']);
    expect(b.code, b.stderr).toBe(0);
    const built = JSON.parse(b.stdout) as { totalMacs: number; arenaBytes: number; inputs: { type: string }[]; outputs: { type: string }[] };
    expect(built.inputs.map((t) => t.type)).toEqual(['int8']);
    expect(built.outputs.map((t) => t.type)).toEqual(['int8']);
    expect({ macs: built.totalMacs, arena: built.arenaBytes }).toEqual({ macs: row.headMacs, arena: row.arenaBytes });
    // the 110,592-byte float input leaves the arena, its 27,648-byte int8 form comes in (138,240 with float input)
    expect(row.arenaBytes).toBeLessThanOrEqual(138_240 - 96 * 96 * 3 * 4 + 96 * 96 * 3);
  });
});
