/**
 * The Python the tests use for numpy / onnx / tflite-micro: the repo's .venv
 * (made by .ci/setup from test/requirements.txt) when present, else python3.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export function testPython(): string {
  const venv = resolve('.venv/bin/python');
  return existsSync(venv) ? venv : 'python3';
}

/** True when testPython() can import every module named. */
export function pythonHas(...modules: string[]): boolean {
  return spawnSync(testPython(), ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' }).status === 0;
}
