/**
 * describeOp for several ops at once: every case of every op is compiled
 * into ONE runner (one gcc / emcc build instead of one per op), then each op
 * gets its own figures (exact rate, max LSB), per-case checks and overall
 * exact-rate check, as describeOp gives a single op.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCases, summary, type CaseResult, type OpCase, type OpRequirement } from './harness.js';
import { emccPath } from '../../compiler/verify/wasm.js';

export function describeOpGroups(title: string, groups: Record<string, { cases: OpCase[]; req: OpRequirement }>, seed = 1): void {
  const all = Object.values(groups).flatMap((g) => g.cases);
  describe(`${title} against onnxruntime`, () => {
    let results: CaseResult[] = [];
    beforeAll(async () => { results = await runCases(title, all, seed); }, 600_000);
    const resultsOf = (cases: OpCase[]): CaseResult[] => cases.map((c) => results[all.indexOf(c)] as CaseResult);
    afterAll(() => {
      for (const [op, g] of Object.entries(groups)) {
        const s = summary(resultsOf(g.cases));
        console.log(`[ops] ${op}: ${g.cases.length} cases, ${s.elements} values, exact ${(100 * s.exactRate).toFixed(2)}%, max ${s.maxDiffLsb} LSB`);
        for (const [k, r] of resultsOf(g.cases).entries()) {
          if (r.error || r.exact < r.elements) console.log(`[ops]   ${g.cases[k]!.name}: ${r.error ? 'error' : `exact ${(100 * r.exact / r.elements).toFixed(2)}% of ${r.elements}, max ${r.maxDiffLsb} LSB`}`);
        }
      }
    });
    for (const [op, g] of Object.entries(groups)) {
      g.cases.forEach((cs, k) => {
        it(`${op} ${k}: ${cs.name}`, () => {
          const r = results[all.indexOf(cs)] as CaseResult;
          if (r.error) throw new Error(`${cs.name}: ${r.error}`);
          expect(r.elements).toBeGreaterThan(0);
          expect(r.maxDiffLsb, `${cs.name}: exact ${(100 * r.exact / r.elements).toFixed(2)}% of ${r.elements}`).toBeLessThanOrEqual(cs.maxLsb ?? g.req.maxLsb);
          if (emccPath()) expect(r.wasmIdentical, `${cs.name}: WebAssembly output differs from native`).toBe(true);
        });
      });
      it(`${op}: overall exact rate >= ${100 * (g.req.minExact ?? 0.99)}%`, () => {
        const s = summary(resultsOf(g.cases).filter((r) => !r.error));
        expect(s.elements).toBeGreaterThan(0);
        expect(s.exactRate).toBeGreaterThanOrEqual(g.req.minExact ?? 0.99);
      });
    }
  });
}
