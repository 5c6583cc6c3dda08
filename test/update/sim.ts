/** Builds and drives test/update/sim_flash.c (simulated A/B NOR flash) for a `--weights blob` model. */
import { expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Compiled } from '../../compiler/pipeline.js';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';
import { compareWithReference } from '../../compiler/verify/golden.js';
import { randomSamples } from '../../compiler/verify/samples.js';

/** Model sources of a blob build + the harness, compiled strictly. */
export function buildSim(dir: string, c: Compiled, flags: string[] = [], extra: string[] = []): string {
  mkdirSync(dir, { recursive: true });
  for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  const sources = c.emitted.files.filter((f) => f.path.endsWith('.c')).map((f) => join(dir, f.path));
  const exe = join(dir, 'sim');
  execFileSync('gcc', [...STRICT_FLAGS, '-O2', ...flags, '-I', dir, 'test/update/sim_flash.c', ...sources, ...extra, '-o', exe, '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return exe;
}

/** Runs the harness; "word value word value ..." lines become `word` / `word.key` fields. */
export function sim(exe: string, args: string[], env: Record<string, string> = {}): Record<string, string> {
  const out = execFileSync(exe, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  const fields: Record<string, string> = {};
  for (const line of out.trim().split('\n')) {
    const words = line.split(' ');
    for (let i = 0; i + 1 < words.length; i += 2) fields[i === 0 ? words[0] : `${words[0]}.${words[i]}`] = words[i + 1];
  }
  return fields;
}

/**
 * Applies `patch` onto the slot-A blob `base` in the simulated flash, runs the
 * model bound to slot B on random samples and compares it with onnxruntime on
 * the target ONNX: the apply succeeds, slot A stays intact, slot B binds, and
 * outputs are within 2 LSB with no top-1 disagreement.
 */
export async function expectAppliedModelMatches(exe: string, base: string, patch: string, targetModel: string, target: Compiled, work: string, seed: number): Promise<void> {
  const samples = randomSamples(target.program, 20, seed);
  const result = await compareWithReference(targetModel, target.program, (input, n) => {
    writeFileSync(join(work, 'in.bin'), input);
    const r = sim(exe, ['apply', base, patch, join(work, 'in.bin'), join(work, 'out.bin'), String(n)]);
    expect(r.apply).toBe('ok');
    expect(r.active).toBe('intact');
    expect(r['bind-b']).toBe('ok');
    return readFileSync(join(work, 'out.bin'));
  }, samples);
  for (const o of result.outputs) {
    expect(o.maxDiffLsb).toBeLessThanOrEqual(2);
    expect(o.top1Mismatches ?? 0).toBe(0);
  }
}
