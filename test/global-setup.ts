/**
 * The CLI tests run bin/edgec.js, which loads dist/: compile it once per test
 * run. Type errors do not stop the emit (`npm test` type-checks first).
 */
import { spawnSync } from 'node:child_process';

export default function setup(): void {
  const r = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { encoding: 'utf8' });
  if (r.status !== 0) process.stderr.write(`warning: tsc reported errors (dist/ emitted anyway):\n${r.stdout}`);
}
