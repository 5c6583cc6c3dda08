/** Builds and drives test/update/sim_flash.c (simulated A/B NOR flash) for a `--weights blob` model. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Compiled } from '../../compiler/pipeline.js';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';

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
