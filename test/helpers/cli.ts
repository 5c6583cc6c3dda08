/** Runs the real CLI (bin/edgec.js) as a user would. */
import { spawnSync } from 'node:child_process';

export interface CliResult { code: number; stdout: string; stderr: string }

export function edgec(args: string[], cwd = process.cwd()): CliResult {
  const r = spawnSync(process.execPath, ['bin/edgec.js', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
