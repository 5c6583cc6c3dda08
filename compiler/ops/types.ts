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
}

export interface KernelSpec {
  /** Runtime sources (runtime-c/) the call needs. */
  sources: string[];
  /** Handlebars template under templates/<backend>/ rendering the call. */
  template: string;
  /** Data handed to the template. */
  view(op: Op, env: EmitEnv): Record<string, unknown>;
}

export interface OpDefinition {
  lowerings: OnnxLowering[];
  /** Portable kernels (runtime-c) for the IR op kinds this file defines. */
  portable: Partial<Record<OpKind, KernelSpec>>;
}
