/**
 * Backends decide, per op, which kernel implements it. `portable` is edgec's
 * own runtime-c kernels (bit-exact with CMSIS-NN / TFLite Micro); library
 * backends (cmsis-nn, esp-nn) fall back to it for what they lack.
 */
import type { Op } from '../ir/program.js';
import { portableKernel } from '../ops/index.js';
import type { KernelSpec } from '../ops/types.js';
import { EdgecError } from '../errors.js';

export interface KernelChoice {
  backend: string;
  /** Folder under templates/ holding the call template. */
  templateDir: string;
  spec: KernelSpec;
}

export interface Backend {
  id: string;
  kernelFor(op: Op): KernelChoice;
}

export const portableBackend: Backend = {
  id: 'portable',
  kernelFor: (op) => ({ backend: 'portable', templateDir: 'portable', spec: portableKernel(op.kind) }),
};

const BACKENDS: Record<string, Backend> = { portable: portableBackend };

export function backendById(id: string): Backend {
  const b = BACKENDS[id];
  if (!b) {
    throw new EdgecError(`backend '${id}' is not available in this build`, 2, `available: ${Object.keys(BACKENDS).join(', ')}`);
  }
  return b;
}
