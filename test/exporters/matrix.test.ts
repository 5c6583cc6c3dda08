/**
 * The exporter matrix (issue 10): every committed cell — an architecture
 * pushed through a mainstream exporter/quantizer — against its expectation in
 * expected.json. "pass" cells must build, agree with onnxruntime (top-1 end
 * to end, 1 LSB per isolated layer) and be byte-exact with TFLite Micro where
 * a .tflite twin exists; "refused: ..." cells must get edgec's one-line error;
 * "todo" cells are reported as skipped with their current first error, and
 * fail as soon as they pass (so they get promoted and cannot regress).
 * EDGEC_WRITE_MATRIX=1 (npm run matrix) rewrites examples/scripts/exporters/MATRIX.md;
 * EDGEC_MATRIX_OUTCOMES=<file> dumps the outcomes as JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { judge, outcomeText, readExpected, readManifest, runCell, tflmReferences, type CellOutcome } from './matrix.js';
import type { TflmOutput } from '../helpers/tflm.js';
import { MATRIX_DOC, renderMatrix } from './matrix-doc.js';

const manifest = readManifest();
const expected = readExpected();
const outcomes = new Map<string, CellOutcome>();

describe('exporter matrix fixtures', () => {
  it('every cell has an expectation, every expectation a cell', () => {
    const ids = manifest.cells.map((c) => c.id).sort();
    expect(Object.keys(expected).sort()).toEqual(ids);
  });

  it('every committed model exists and the fixtures stay small', () => {
    let total = 0;
    for (const c of manifest.cells) {
      for (const f of [c.model, c.tflite, c.samples].filter((p): p is string => !!p)) {
        expect(existsSync(f), f).toBe(true);
        const size = statSync(f).size;
        expect(size, f).toBeLessThan(200_000);
        total += size;
      }
    }
    expect(total).toBeLessThan(8_000_000);
  });
});

describe('exporter matrix', () => {
  let tflmOutputs = new Map<string, TflmOutput[] | Error>();
  beforeAll(async () => { tflmOutputs = await tflmReferences(manifest.cells); }, 120_000);
  for (const cell of manifest.cells) {
    it(cell.id, async (ctx) => {
      const outcome = await runCell(cell, { tflmOutputs });
      outcomes.set(cell.id, outcome);
      const want = expected[cell.id] ?? '(missing)';
      const verdict = judge(want, outcome);
      console.log(`${cell.id}: ${outcomeText(outcome)}`);
      if (outcome.status === 'skipped') ctx.skip(outcome.error); // no tflite-micro here: the TFLM check cannot run
      if (verdict.todo) ctx.skip(`todo: ${verdict.reason}`);
      expect(verdict.ok, `${cell.id} (expected ${want}): ${verdict.reason}`).toBe(true);
    }, 60_000);
  }
});

afterAll(() => {
  // EDGEC_MATRIX_OUTCOMES=<file>: every measured outcome as JSON (to update expected.json after a pass lands)
  const dump = process.env.EDGEC_MATRIX_OUTCOMES;
  if (dump) writeFileSync(dump, JSON.stringify(Object.fromEntries(outcomes), null, 1) + '\n');
  if (process.env.EDGEC_WRITE_MATRIX === '1' && outcomes.size === manifest.cells.length) {
    writeFileSync(MATRIX_DOC, renderMatrix(manifest, outcomes, expected));
  }
});
