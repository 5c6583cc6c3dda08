/**
 * In-process fuzzing of the whole pipeline with hostile variants of the
 * bundled examples (test/fuzz/generator.ts): 2,400 seeded cases (300 per
 * family), every one must end in a clean one-line error or a build, and a
 * sample of the builds (every 50th) must compile warning-free and run under
 * ASan/UBSan without a finding. `npm run fuzz -- --cases 100000` runs longer.
 */
import { describe, expect, it } from 'vitest';
import { formatReport, runCase, runFuzz } from './harness.js';
import { FAMILIES, generateCase } from './generator.js';

describe('fuzz: hostile models through the whole pipeline', () => {
  it('2,400 cases: only clean errors and builds; sampled builds compile warning-free and run clean under ASan/UBSan', async () => {
    const report = await runFuzz({ seed: 1, cases: 2400, sanitizeEvery: 50, maxSanitized: 6 });
    console.log(formatReport(report).join('\n'));
    for (const f of report.findings) console.log(`${f.outcome} ${f.id} [${f.family}] ${f.description}: ${f.detail}`);
    expect(report.findings.map((f) => `${f.outcome} ${f.id} ${f.description}: ${f.detail}`)).toEqual([]);
    for (const family of FAMILIES) {
      const s = report.byFamily[family];
      expect(s.cases, family).toBe(300);
      // Every family reaches both outcomes except where a family is all errors or all builds by design.
      expect(s.cleanErrors + s.builds, family).toBe(s.cases);
    }
    const total = FAMILIES.reduce((n, f) => n + report.byFamily[f].sanitized, 0);
    expect(total).toBeGreaterThanOrEqual(5);
    expect(report.byFamily.names.builds).toBeGreaterThan(200);
  }, 300_000);

  it('a .tflite whose operator options lie outside the file (seed 1, case 3711 of npm run fuzz) is a clean error naming the operator', () => {
    const c = generateCase(1, 3711);
    const r = runCase(c, false);
    expect(r.outcome, r.detail).toBe('clean-error');
    expect(r.detail).toMatch(/operator \d+ \(\w+\): corrupt or truncated TFLite flatbuffer/);
  });
});
