/** Where the compiler finds its own templates and runtime sources. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

/** Repository root: works from compiler/ (vitest) and dist/compiler/ (built CLI). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('internal: edgec package root not found');
}

export const templatesDir = (): string => join(packageRoot(), 'templates');
export const runtimeDir = (): string => join(packageRoot(), 'runtime-c');
export const boardsDir = (): string => join(packageRoot(), 'boards');
