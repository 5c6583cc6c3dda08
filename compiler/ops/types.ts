/**
 * How an op is declared: its ONNX lowering (layout and quantization rules)
 * and its kernel call per backend live together in compiler/ops/<op>.ts.
 * Shape rules of the ONNX ops live in compiler/onnx (one entry per ONNX op).
 */
import type { Node } from '../ir/graph.js';
import type { Op, OpKind, Program } from '../ir/program.js';
import type { LoweringContext } from '../passes/lower-context.js';

export interface OnnxLowering {
  /** ONNX op types (edgec.* for ops our own passes create). */
  onnxOps: string[];
  lower(node: Node, ctx: LoweringContext): void;
}

/** What the emitter knows about where things live. */
export interface EmitEnv {
  program: Program;
  /** C expression of a value's address, cast to `ctype *`. */
  ptr(valueId: string, ctype: string): string;
  /** C identifier of a constant array. */
  constName(constId: string): string;
  /** C expression (`void *`) of the op's planned scratch buffer, `NULL` when it has none. */
  scratch(op: Op): string;
}

export interface KernelSpec {
  /** Runtime sources (runtime-c/) the call needs. */
  sources: string[];
  /** Handlebars template under templates/<backend>/ rendering the call. */
  template: string;
  /** Data handed to the template. */
  view(op: Op, env: EmitEnv): Record<string, unknown>;
  /** Arena bytes the kernel works in during the call (env.scratch), when it needs any. */
  scratchBytes?(op: Op): number;
}

/**
 * A kernel-library call (CMSIS-NN, ESP-NN) for one IR op kind. `target` is
 * the board's code path: CMSIS-NN 'c' | 'dsp' | 'mve', ESP-NN chip id.
 */
export interface LibraryKernelSpec {
  /** Why this op's parameters cannot use the library on `target` (the layer then runs the portable kernel); undefined when they can. */
  unsupported(op: Op, target: string): string | undefined;
  /** Handlebars template under templates/<library>/. */
  template: string;
  /** Scratch bytes the call needs on `target` (planned in the arena). */
  scratchBytes(op: Op, target: string): number;
  /** Zero elements appended to const arrays (by role) that the library may read past their end. */
  constPadding?(op: Op, target: string): Record<string, number>;
  view(op: Op, env: EmitEnv, target: string): Record<string, unknown>;
}

export interface OpDefinition {
  lowerings: OnnxLowering[];
  /** Portable kernels (runtime-c) for the IR op kinds this file defines. */
  portable: Partial<Record<OpKind, KernelSpec>>;
  /** CMSIS-NN calls (compiler/backends/cmsis-nn.ts); kinds absent here run portable. */
  cmsisNn?: Partial<Record<OpKind, LibraryKernelSpec>>;
  /** ESP-NN calls (compiler/backends/esp-nn.ts); kinds absent here run portable. */
  espNn?: Partial<Record<OpKind, LibraryKernelSpec>>;
  /** Kinds no kernel library implements, with the reason the build report gives for the portable fallback. */
  libraryMissing?: Partial<Record<OpKind, string>>;
}
