/**
 * Backends decide, per op, which kernel implements it. `portable` is edgec's
 * own runtime-c kernels (bit-exact with CMSIS-NN / TFLite Micro); library
 * backends (cmsis-nn, esp-nn) call the library where compiler/ops/<op>.ts
 * declares a call for the op kind and its parameters suit it, and fall back
 * to the portable kernel per layer otherwise.
 */
import type { Op, OpKind } from '../ir/program.js';
import { OP_DEFINITIONS, portableKernel } from '../ops/index.js';
import type { KernelSpec, LibraryKernelSpec, OpDefinition } from '../ops/types.js';
import type { Board } from '../boards.js';
import { EdgecError } from '../errors.js';
import { CMSIS_NN_VARIANTS } from './cmsis-nn.js';
import { ESP_NN_CHIPS } from './esp-nn.js';

export interface KernelChoice {
  /** 'portable', 'cmsis-nn' or 'esp-nn': who implements this layer. */
  backend: string;
  /** Folder under templates/ holding the call template. */
  templateDir: string;
  spec: KernelSpec;
  /** Why a library backend runs this layer on the portable kernel. */
  fallbackReason?: string;
  /** Scratch bytes the call needs (planned in the arena). */
  scratchBytes: number;
  /** Zero elements appended to the op's const arrays, by role (library over-reads). */
  constPadding: Record<string, number>;
}

export interface Backend {
  id: string;
  /** Library code path the scratch sizes are for (CMSIS-NN variant, ESP-NN chip). */
  target?: string;
  /** Headers the generated model includes. */
  includes: string[];
  kernelFor(op: Op): KernelChoice;
  /** Why this op got its kernel (auto: the cost estimates or the arena); inspect prints it. */
  reasonFor?(op: Op): string | undefined;
}

function portableChoice(op: Op, fallbackReason?: string): KernelChoice {
  const spec = portableKernel(op.kind);
  return { backend: 'portable', templateDir: 'portable', spec, fallbackReason, scratchBytes: spec.scratchBytes?.(op) ?? 0, constPadding: {} };
}

export const portableBackend: Backend = { id: 'portable', includes: [], kernelFor: (op) => portableChoice(op) };

type LibraryField = 'cmsisNn' | 'espNn';

function libraryKernel(field: LibraryField, kind: OpKind): LibraryKernelSpec | undefined {
  for (const d of OP_DEFINITIONS as OpDefinition[]) {
    const k = d[field]?.[kind];
    if (k) return k;
  }
  return undefined;
}

/** The declared reason no library implements `kind` (ops/types.ts libraryMissing). */
function missingReason(kind: OpKind): string | undefined {
  return OP_DEFINITIONS.map((d) => d.libraryMissing?.[kind]).find((r) => r !== undefined);
}

function libraryBackend(id: 'cmsis-nn' | 'esp-nn', field: LibraryField, header: string, target: string): Backend {
  return {
    id, target, includes: [header],
    kernelFor(op: Op): KernelChoice {
      const lib = libraryKernel(field, op.kind);
      if (!lib) return portableChoice(op, missingReason(op.kind) ?? `${id} has no ${op.kind} kernel`);
      const reason = lib.unsupported(op, target);
      if (reason) return portableChoice(op, `${id} does not support ${reason}`);
      return {
        backend: id, templateDir: id,
        spec: { sources: [], template: lib.template, view: (o, env) => lib.view(o, env, target) },
        scratchBytes: lib.scratchBytes(op, target), constPadding: lib.constPadding?.(op, target) ?? {},
      };
    },
  };
}

/** Backends `--backend` accepts; 'auto' is resolved per program by backends/auto.ts (the pipeline), the others here. */
export const BACKEND_IDS = ['auto', 'portable', 'cmsis-nn', 'esp-nn'] as const;
export type BackendId = (typeof BACKEND_IDS)[number];

/**
 * The backend for a board. `id` overrides the board's own; a library backend
 * uses the board's code path (cmsisNnVariant / espNnChip), or the most
 * conservative one when the board has none (CMSIS-NN pure C, ESP-NN ANSI C).
 */
export function backendFor(id: string, board?: Board, target?: string): Backend {
  switch (id) {
    case 'portable': return portableBackend;
    case 'cmsis-nn': {
      const t = target ?? board?.cmsisNnVariant ?? 'c';
      if (!(CMSIS_NN_VARIANTS as string[]).includes(t)) throw new EdgecError(`unknown CMSIS-NN variant '${t}'`, 2, `known: ${CMSIS_NN_VARIANTS.join(', ')}`);
      return libraryBackend('cmsis-nn', 'cmsisNn', 'arm_nnfunctions.h', t);
    }
    case 'esp-nn': {
      const t = target ?? board?.espNnChip ?? 'ansi';
      if (!(ESP_NN_CHIPS as string[]).includes(t)) throw new EdgecError(`unknown ESP-NN chip '${t}'`, 2, `known: ${ESP_NN_CHIPS.join(', ')}`);
      return libraryBackend('esp-nn', 'espNn', 'esp_nn.h', t);
    }
    case 'auto':
      throw new Error('internal: --backend auto is chosen per program (backends/auto.ts autoBackend), not by backendFor');
    default:
      throw new EdgecError(`backend '${id}' is not available in this build`, 2, `available: ${BACKEND_IDS.join(', ')}`);
  }
}

/** Kept for callers that know no board: the library's most conservative code path. */
export function backendById(id: string): Backend {
  return backendFor(id);
}

/** One line for `edgec build/inspect`: library layers, and the layers that fall back to portable with the reason. */
export function backendSummary(backend: Backend, program: { ops: Op[] }): string | undefined {
  // auto: which layers call the library, or that none does (inspect has the per-layer reasons)
  if (backend.id === 'portable') return undefined;
  if (backend.id === 'auto') return autoSummary(backend, program.ops);
  const choices = program.ops.map((op) => ({ op, choice: backend.kernelFor(op) }));
  const lib = choices.filter((c) => c.choice.backend === backend.id).length;
  // Data movement the libraries do not cover (quantize, transpose, pad, ...) is expected; name only compute layers that fell back.
  const computeKinds = new Set<OpKind>(['conv2d', 'depthwise_conv2d', 'fully_connected', 'conv2d_wzp', 'fully_connected_wzp', 'conv2d_sparse', 'depthwise_conv2d_sparse', 'fully_connected_sparse', 'max_pool', 'avg_pool', 'add', 'mul', 'softmax', 'batch_matmul', 'transpose_conv',
    'conv2d_s16', 'depthwise_conv2d_s16', 'fully_connected_s16', 'max_pool_s16', 'avg_pool_s16', 'add_s16', 'mul_s16', 'softmax_s16', 'logistic_s16', 'tanh_s16']);
  const fallbacks = choices.filter((c) => c.choice.backend === 'portable' && computeKinds.has(c.op.kind) && c.choice.fallbackReason);
  const head = `${backend.id} (${backend.target}): ${lib} of ${program.ops.length} layers call the library`;
  if (fallbacks.length === 0) return head;
  return `${head}; portable fallback: ${fallbacks.map((c) => `${c.op.name} (${c.choice.fallbackReason})`).join(', ')}`;
}

/** The kernel library a build's generated code calls, if any (auto: only when some layer chose it). */
export function libraryUsed(backend: Backend, ops: readonly Op[]): 'cmsis-nn' | 'esp-nn' | undefined {
  if (backend.id === 'cmsis-nn' || backend.id === 'esp-nn') return backend.id;
  const used = ops.map((op) => backend.kernelFor(op).backend).find((b) => b === 'cmsis-nn' || b === 'esp-nn');
  return used === 'cmsis-nn' || used === 'esp-nn' ? used : undefined;
}

/** auto's build note: which library layers it chose, or that none uses a library. */
function autoSummary(backend: Backend, ops: readonly Op[]): string | undefined {
  const lib = libraryUsed(backend, ops);
  // A board without a library: auto is the portable backend, nothing to note.
  if (!lib && ops.every((op) => backend.reasonFor?.(op) === undefined)) return undefined;
  if (!lib) return `auto: portable kernels on all ${ops.length} layers, no library dependency`;
  const count = ops.filter((op) => backend.kernelFor(op).backend === lib).length;
  return `auto: ${lib} (${backend.target}) on ${count} of ${ops.length} layers, portable on the rest (edgec inspect says why per layer)`;
}
