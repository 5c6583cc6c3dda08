/**
 * The instructions `--patch auto` decides by (the board's kernel-cost table,
 * backends/kernel-costs.ts) against one inference measured on the emulated
 * core (QEMU -icount, exact; compiler/data/patch-costs/, written by
 * `node dist/compiler/bench/patch-costs.js <model> --out ...`): per grid,
 * the estimated extra instructions over the unpatched build must be the
 * measured ones within a point. This is what the per-call features of the
 * table (weights widened per call, im2col / input bytes copied per call) are
 * for: a constant per call, fitted on whole layers, charged VWW's 8x8 tiles
 * +26% for a measured +21%.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { costTableFor, estimateProgramInstructions } from '../../compiler/backends/kernel-costs.js';
import type { PatchCostMeasurements } from '../../compiler/bench/patch-costs.js';
import type { PatchMode } from '../../compiler/passes/patch-stage.js';

const data = JSON.parse(readFileSync('compiler/data/patch-costs/vww_mobilenet.json', 'utf8')) as PatchCostMeasurements;

/** The grids held to their measurement per core (a few, to keep the test fast). */
const CHECKED: Record<string, string[]> = { 'cortex-m4': ['off', '4', '6', '8x4', '8'], 'cortex-m7': ['off', '6'] };

const modeOf = (grid: string): PatchMode => {
  if (grid === 'off') return 'off';
  const [rows, cols] = grid.split('x').map(Number);
  return cols === undefined ? rows! : { rows: rows!, cols };
};

for (const core of data.cores) describe(`patch cost estimate on ${data.model}, ${core.cpu} (${core.board})`, () => {
  const table = costTableFor(core.cpu)!;
  const measuredOff = core.grids.find((g) => g.grid === 'off')!;
  const builds = CHECKED[core.cpu]!.map((grid) => {
    const c = compileModel(data.model, { name: 'm', board: core.board, backend: 'portable', int8Io: data.int8Io, inputLayout: data.inputLayout, patch: modeOf(grid) });
    return { grid, c, estimate: estimateProgramInstructions(table, c.program.ops), measured: core.grids.find((g) => g.grid === grid)! };
  });
  const offEstimate = builds.find((b) => b.grid === 'off')!.estimate;

  it('the measurements are of these builds (same arena and MACs)', () => {
    for (const b of builds) {
      expect(b.c.plan.arenaBytes, b.grid).toBe(b.measured.arenaBytes);
      expect(b.c.program.ops.reduce((a, op) => a + op.macs, 0), b.grid).toBe(b.measured.macs);
    }
  });

  it('estimates each grid\'s extra instructions within a point of the measured ones', () => {
    for (const b of builds.filter((x) => x.grid !== 'off')) {
      const estimated = (100 * (b.estimate - offEstimate)) / offEstimate;
      const measured = (100 * (b.measured.instructions - measuredOff.instructions)) / measuredOff.instructions;
      expect(Math.abs(estimated - measured), `${b.grid}: estimated +${estimated.toFixed(1)}%, measured +${measured.toFixed(1)}%`).toBeLessThanOrEqual(1);
    }
  });
});
