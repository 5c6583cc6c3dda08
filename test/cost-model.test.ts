/**
 * Latency and energy estimates (compiler/cost-model.ts, data in
 * compiler/data/cost-model.json from `npm run measure:cost-model`): the fit
 * recovers known coefficients, the stored fit explains the measured layers,
 * the Cortex-M4 cycles per instruction is the calibration the data says, and
 * inspect / build print the estimate with its basis.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { costKindOf, costTableFor, estimateInstructions, type Implementation } from '../compiler/backends/kernel-costs.js';
import { boardTime, costModelData, costVariant, fitCoefficients, fitVariant, medianCpi, predict } from '../compiler/cost-model.js';
import { listBoards } from '../compiler/boards.js';
import { compileModel } from '../compiler/pipeline.js';
import { modelReport } from '../compiler/report.js';
import { edgec } from './helpers/cli.js';

const data = costModelData();
const KWS = 'examples/kws_dscnn/kws_dscnn_int8.onnx';

describe('cost model fit', () => {
  it('recovers non-negative coefficients from exact data', () => {
    const samples = [[1000, 100, 50, 100], [5000, 40, 400, 5000], [200, 800, 800, 20], [9000, 900, 10, 900], [64, 64, 64, 64], [3000, 30, 300, 100]].map(([macs, out, inp, loops]) => ({ macs: macs!, outputElements: out!, inputElements: inp!, innerLoops: loops!, instructions: 2.5 * macs! + 7 * loops! + 12 * out! + 30 }));
    const c = fitCoefficients(samples);
    expect(c.perMac).toBeCloseTo(2.5, 4);
    expect(c.perInnerLoop).toBeCloseTo(7, 3);
    expect(c.perOutput).toBeCloseTo(12, 3);
    expect(c.perInput).toBeCloseTo(0, 4);
    expect(c.perCall).toBeCloseTo(30, 1);
  });

  it('never returns a negative coefficient, even when plain least squares would', () => {
    const samples = [[100, 10, 0], [200, 10, 0], [300, 30, 0]].map(([macs, out]) => ({ macs: macs!, outputElements: out!, inputElements: 0, innerLoops: 0, instructions: 3 * macs! - 5 * out! + 400 }));
    const c = fitCoefficients(samples);
    for (const v of [c.perMac, c.perInnerLoop, c.perOutput, c.perInput, c.perCall]) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('median cycles per instruction', () => {
    expect(medianCpi([2.8, 1.9, 2.9, 2.85])).toBeCloseTo(2.825, 6);
    expect(medianCpi([3, 1, 2])).toBe(2);
  });

  it('time and energy: instructions x CPI / clock, x power', () => {
    const t = boardTime({ clockHz: 100_000_000, cyclesPerInstruction: 2, activePowerMw: 50 }, 1_000_000);
    expect(t!.ms).toBeCloseTo(20, 9);
    expect(t!.mJ).toBeCloseTo(1, 9);
    expect(boardTime({}, 1000)).toBeUndefined();
  });
});

describe('stored cost model', () => {
  it('exists with the three measured variants', () => {
    expect(data).toBeDefined();
    for (const v of ['portable-dsp', 'portable-c', 'cmsis-nn-dsp'] as const) expect(data!.variants[v]!.layers.length).toBeGreaterThan(50);
  });

  it('its coefficients are the fit of its own measured layers (regenerating the fit changes nothing)', () => {
    for (const v of Object.values(data!.variants)) {
      const refit = fitVariant(v!.layers);
      expect(refit.coefficients).toEqual(v!.coefficients);
      expect(refit.generic).toEqual(v!.generic);
    }
  });

  it('explains each measured model: MLPerf Tiny models within 6%, digits within 15% (sum of layer estimates vs the traced count)', () => {
    for (const [name, v] of Object.entries(data!.variants)) {
      for (const t of v!.totals) {
        // the model's layers of its first (--memory min) run: the traced run the untraced total belongs to
        const all = v!.layers.filter((l) => l.model === t.model);
        const second = all.findIndex((l, i) => i > 0 && l.index === 0);
        const layers = second === -1 ? all : all.slice(0, second);
        const est = layers.reduce((a, l) => a + predict(v!.coefficients[l.key]!, l), 0);
        const measured = layers.reduce((a, l) => a + l.instructions, 0);
        expect(measured).toBe(t.tracedSum);
        // the four MLPerf Tiny models within 6%; the small digits model (one conv dominates) within 15%
        const tolerance = t.model === 'digits' ? 0.15 : 0.06;
        expect(Math.abs(est / measured - 1), `${name} ${t.model}: estimate ${Math.round(est)} vs measured ${measured}`).toBeLessThan(tolerance);
        // the stamps between layers cost almost nothing: traced sum within 0.1% of the untraced inference
        expect(Math.abs(t.tracedSum / t.instructions - 1)).toBeLessThan(0.001);
      }
    }
  });

  it('calibration: cycles per instruction = published ms x clock / our CMSIS-NN instruction count, median over the four models', () => {
    const cal = data!.calibration;
    expect(cal.published.map((p) => p.model)).toEqual(['kws', 'vww', 'ic', 'ad']);
    for (const p of cal.published) expect(cal.cyclesPerInstruction[p.model]).toBeCloseTo(((p.ms / 1000) * p.clockHz) / cal.instructions[p.model]!, 3);
    expect(cal.median).toBeCloseTo(medianCpi(Object.values(cal.cyclesPerInstruction)), 4);
  });

  it('every Cortex-M4 board uses the calibrated figure, and every board with a CPI says where it comes from', () => {
    for (const b of listBoards()) {
      if (b.cpu === 'cortex-m4') expect(b.cyclesPerInstruction, b.id).toBe(Number(data!.calibration.median.toFixed(2)));
      if (b.cyclesPerInstruction !== undefined) expect(b.sources?.cyclesPerInstruction, b.id).toBeTruthy();
      if (b.activePowerMw !== undefined) expect(b.sources?.activePowerMw, b.id).toBeTruthy();
      if (b.arch !== 'host') expect(b.clockHz, b.id).toBeGreaterThan(0);
    }
  });
});

describe('estimates in the report', () => {
  it('per layer and in total on nano33ble (CMSIS-NN layers costed as CMSIS-NN)', () => {
    const c = compileModel(KWS, { name: 'kws', board: 'nano33ble', backend: 'cmsis-nn' });
    const r = modelReport(c, KWS);
    expect(costVariant(c.board, 'cmsis-nn').variant).toBe('cmsis-nn-dsp');
    const e = r.estimate!;
    expect(e.instructions).toBe(r.layers.reduce((a, l) => a + l.estimate!.instructions, 0));
    expect(e.ms).toBeCloseTo((e.instructions * c.board.cyclesPerInstruction! * 1000) / c.board.clockHz!, 6);
    expect(e.mJ).toBeCloseTo((e.ms! * c.board.activePowerMw!) / 1000, 9);
    expect(e.basis).toMatch(/^ESTIMATE: .*QEMU Cortex-M4.*2\.82 cycles\/instruction \(calibrated\) at 64 MHz, 9\.9 mW active/);
    // against the emulator: the CMSIS-NN KWS inference measured whole
    const measured = data!.calibration.instructions.kws!;
    expect(Math.abs(e.instructions / measured - 1)).toBeLessThan(0.1);
  });

  it('on a core with a kernel cost table (esp32c3: rv32imc) the layers it covers come from that table, as auto chose them', () => {
    const c = compileModel(KWS, { name: 'kws', board: 'esp32c3' });
    const r = modelReport(c, KWS);
    const table = costTableFor('rv32imc')!;
    let covered = 0;
    c.program.ops.forEach((op, i) => {
      const impl = c.backend.kernelFor(op).backend as Implementation;
      const fromTable = estimateInstructions(table, op, impl);
      if (fromTable === undefined) return;
      covered++;
      expect(r.layers[i]!.estimate!.instructions, op.name).toBe(fromTable);
      expect(r.layers[i]!.estimate!.from).toBe(`rv32imc kernel-cost table: ${costKindOf(op)} ${impl}`);
    });
    expect(covered).toBeGreaterThan(8);
    expect(r.estimate!.basis).toMatch(new RegExp(`^ESTIMATE: instructions from the rv32imc kernel-cost table measured on QEMU for ${covered} of ${c.program.ops.length} layers`));
  });

  it('inspect prints est. columns and the basis; build prints the estimate', () => {
    const i = edgec(['inspect', KWS, '--board', 'nano33ble']);
    expect(i.code).toBe(0);
    expect(i.stdout).toMatch(/est\. instr\s+est\. ms\s+est\. mJ/);
    expect(i.stdout).toMatch(/estimated: ~[\d,]+ instructions, ~[\d.]+ ms, ~[\d.]+ mJ per inference on nano33ble/);
    expect(i.stdout).toMatch(/basis: ESTIMATE:/);
    const b = edgec(['build', KWS, '--board', 'nano33ble', '-o', mkdtempSync(join(tmpdir(), 'edgec-est-')), '--name', 'kws']);
    expect(b.code).toBe(0);
    expect(b.stdout).toMatch(/estimated: ~[\d,]+ instructions, ~[\d.]+ ms/);
    expect(b.stdout).toMatch(/estimated heaviest layers: #\d+ \w+ ~[\d.]+ ms ~[\d.]+ mJ/);
  }, 60_000);
});
