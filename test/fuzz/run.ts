/**
 * Long fuzz runs for local use: npm run fuzz -- --cases 100000 [--seed 7]
 * [--all-examples] [--sanitize-every 50]. Prints figures by family and
 * every finding (crash, unclean error, hang, sanitizer finding) with its
 * case id (seed:index) so `generateCase(seed, index)` reproduces it.
 */
import { formatReport, runFuzz } from './harness.js';
import { ALL_EXAMPLES, SMALL_EXAMPLES } from './generator.js';

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${name} needs a non-negative integer`);
  return v;
}

const report = await runFuzz({
  seed: flag('seed', 1),
  cases: flag('cases', 10_000),
  sanitizeEvery: flag('sanitize-every', 50),
  examples: process.argv.includes('--all-examples') ? ALL_EXAMPLES : SMALL_EXAMPLES,
  onProgress: (done, r) => process.stderr.write(`${done} cases, ${r.findings.length} findings\n`),
});
for (const line of formatReport(report)) console.log(line);
for (const f of report.findings) console.log(`${f.outcome} ${f.id} [${f.family}] ${f.description}\n    ${f.detail}`);
process.exitCode = report.findings.length > 0 ? 1 : 0;
