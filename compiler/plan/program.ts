/**
 * Bridge from the lowered program to the planner: every non-alias value is a
 * buffer, every op a step; ops that may run in place offer their first input.
 *
 * `planAndOrderProgram` is what the pipeline uses. It
 *  1. picks the execution order with the lowest peak of live bytes among the
 *     topological orders (order.ts; the file's order when nothing beats it),
 *  2. lets depthwise convolutions with ch_mult 1 overwrite their input when
 *     the input dies there (runtime-c/edgec_depthwise_conv_inplace_s8.c: a
 *     one-channel-plane temporary instead of a whole output tensor), and
 *  3. plans the file's order the same way, for the report.
 */
import type { Op, Program } from '../ir/program.js';
import { valueBytes } from '../ir/program.js';
import { alignUp } from './lifetimes.js';
import { chooseExecutionOrder, type OrderProblem } from './order.js';
import { planMemory } from './planner.js';
import type { Plan, PlanBuffer, PlanProblem, PlanStep } from './types.js';

export const ARENA_ALIGNMENT = 16;

export interface ProgramPlanOptions {
  /** Choose the execution order with the lowest peak (default true). */
  reorder?: boolean;
  /** Run eligible depthwise convolutions in place (default true). */
  inPlaceDepthwise?: boolean;
  /** Scratch bytes of an op's kernel (library backends); planned in the arena for that step only. */
  scratchBytes?: (op: Op) => number;
  /** Whether an op may become the in-place portable depthwise kernel (not when a library runs it). */
  inPlaceAllowed?: (op: Op) => boolean;
}

/** Id of an op's kernel scratch buffer (library backends) in the plan. */
export const kernelScratchId = (op: Op): string => `${op.outputs[0]}__scratch`;

export interface PlannedProgram {
  /** The program with its ops in execution order and in-place depthwise ops marked. */
  program: Program;
  plan: Plan;
}

/** Id of the one-plane temporary of an in-place depthwise op (a scratch buffer of the plan). */
export const depthwiseTempId = (op: Op): string => `${op.outputs[0]}__dw_temp`;

function depthwiseTempBytes(op: Op): number {
  return Number(op.params.out_h) * Number(op.params.out_w);
}

/**
 * A depthwise op the in-place kernel can run: ch_mult 1 (output channel c
 * reads input channel c only), int8 in and out, output no larger than the
 * input, and more than one channel (with one, the temporary is the output).
 */
export function inPlaceDepthwiseCandidate(program: Program, op: Op): boolean {
  if (op.kind !== 'depthwise_conv2d' || op.inputs.length !== 1 || op.outputs.length !== 1) return false;
  const x = program.values.get(op.inputs[0]!);
  const y = program.values.get(op.outputs[0]!);
  if (!x || !y || x.type !== 'int8' || y.type !== 'int8' || y.aliasOf) return false;
  const c = Number(op.params.in_c);
  return Number(op.params.out_c) === c && c > 1 && valueBytes(y) <= valueBytes(x) && depthwiseTempBytes(op) < valueBytes(y);
}

function problemOf(program: Program, ops: readonly Op[], inPlaceDw: ReadonlySet<Op>, scratchBytes?: (op: Op) => number): PlanProblem {
  const buffers: PlanBuffer[] = [...program.values.values()].map((v) => ({ id: v.id, bytes: Math.max(1, valueBytes(v)), kind: v.role }));
  const aliases = [...program.values.values()].filter((v) => v.aliasOf).map((v) => ({ id: v.id, of: v.aliasOf as string }));
  const steps: PlanStep[] = ops.map((op) => withKernelScratch(op, buffers, scratchBytes, (): PlanStep => {
    if (inPlaceDw.has(op)) {
      const temp = depthwiseTempId(op);
      buffers.push({ id: temp, bytes: depthwiseTempBytes(op), kind: 'scratch' });
      return { name: op.name, reads: op.inputs.slice(), writes: op.outputs.slice(), scratch: [temp], inPlace: [[op.outputs[0]!, op.inputs[0]!]] };
    }
    return {
      name: op.name,
      reads: op.inputs.slice(),
      writes: op.outputs.slice(),
      inPlace: op.inPlace && op.inputs.length > 0 ? [[op.outputs[0]!, op.inputs[0]!]] : undefined,
    };
  }));
  return { buffers, steps, aliases, alignment: ARENA_ALIGNMENT };
}

/** Adds the op's kernel scratch (if any) to the step `make` builds, and its buffer to `buffers`. */
function withKernelScratch(op: Op, buffers: PlanBuffer[], scratchBytes: ((op: Op) => number) | undefined, make: () => PlanStep): PlanStep {
  const step = make();
  const bytes = scratchBytes?.(op) ?? 0;
  if (bytes <= 0) return step;
  const id = kernelScratchId(op);
  buffers.push({ id, bytes, kind: 'scratch' });
  return { ...step, scratch: [...(step.scratch ?? []), id] };
}

export function planProblemOf(program: Program): PlanProblem {
  return problemOf(program, program.ops, new Set());
}

/** Plans the file's order with the elementwise in-place rules only (no reordering, no in-place depthwise). */
export function planProgram(program: Program): Plan {
  return planMemory(planProblemOf(program));
}

const applied = (plan: Plan, op: Op): boolean => (plan.inPlace ?? []).some(([w, r]) => w === op.outputs[0] && r === op.inputs[0]);

/**
 * Plans `ops` in this order. In-place depthwise is a permission the planner
 * grants only where the input dies at the op; candidates it refused are
 * planned again as ordinary ops so they carry no temporary.
 */
function planOps(program: Program, ops: readonly Op[], inPlaceDepthwise: boolean, options: ProgramPlanOptions = {}): { ops: Op[]; plan: Plan } {
  const allowed = options.inPlaceAllowed ?? ((): boolean => true);
  const problem = (set: ReadonlySet<Op>): PlanProblem => problemOf(program, ops, set, options.scratchBytes);
  let chosen = new Set(inPlaceDepthwise ? ops.filter((op) => inPlaceDepthwiseCandidate(program, op) && allowed(op)) : []);
  let plan = planMemory(problem(chosen));
  // Dropping refused candidates cannot change the decisions on the others
  // (refused ones merged nothing), but check rather than assume.
  for (let round = 0; round < 4 && [...chosen].some((op) => !applied(plan, op)); round++) {
    chosen = new Set([...chosen].filter((op) => applied(plan, op)));
    plan = planMemory(problem(chosen));
  }
  if ([...chosen].some((op) => !applied(plan, op))) {
    chosen = new Set();
    plan = planMemory(problem(chosen));
  }
  // The in-place kernel reads channel by channel (slower than the 4-channel
  // ordinary kernel); use it only when it makes the arena smaller.
  if (chosen.size > 0) {
    const plain = planMemory(problem(new Set()));
    if (plain.arenaBytes <= plan.arenaBytes) {
      chosen = new Set();
      plan = plain;
    }
  }
  const out = ops.map((op): Op => (chosen.has(op)
    ? { ...op, kind: 'depthwise_conv2d_inplace', params: { ...op.params, scratch: depthwiseTempId(op) } }
    : op));
  return { ops: out, plan };
}

/** The order problem: values resolved to their alias roots, sizes aligned like the arena. */
export function orderProblemOf(program: Program): OrderProblem | undefined {
  const root = (id: string): string => program.values.get(id)?.aliasOf ?? id;
  // A view written by an op (not just read) would give its base two producers; keep the file order then.
  if (program.ops.some((op) => op.outputs.some((o) => program.values.get(o)?.aliasOf))) return undefined;
  const sizes: Record<string, number> = {};
  for (const v of program.values.values()) if (!v.aliasOf) sizes[v.id] = alignUp(Math.max(1, valueBytes(v)), ARENA_ALIGNMENT);
  return {
    nodes: program.ops.map((op, i) => ({ id: String(i), inputs: op.inputs.map(root), outputs: op.outputs.map(root) })),
    sizes,
    outputs: program.outputs.map(root),
  };
}

export function planAndOrderProgram(program: Program, options: ProgramPlanOptions = {}): PlannedProgram {
  const inPlaceDw = options.inPlaceDepthwise ?? true;
  const problem = options.reorder === false ? undefined : orderProblemOf(program);
  const order = problem ? chooseExecutionOrder(problem) : undefined;
  const ordered = order ? order.order.map((i) => program.ops[Number(i)]!) : program.ops;
  const file = planOps(program, program.ops, inPlaceDw, options);
  const chosen = ordered === program.ops || order?.method === 'given' ? file : planOps(program, ordered, inPlaceDw, options);
  // The order model does not see in-place sharing; keep the file order when it plans smaller anyway.
  const best = chosen.plan.arenaBytes <= file.plan.arenaBytes ? chosen : file;
  const method = best === file ? 'given' : order?.method ?? 'given';
  return {
    program: { ...program, ops: best.ops },
    plan: {
      ...best.plan,
      order: { method, optimal: order?.optimal ?? false },
      fileOrder: { arenaBytes: file.plan.arenaBytes, lowerBound: file.plan.lowerBound },
    },
  };
}

/** Arena offset of a value (aliases resolve to their base). */
export function offsetOf(plan: Plan, id: string): number {
  const p = plan.placements.get(id);
  if (!p) throw new Error(`internal: value '${id}' was not placed`);
  return p.offset;
}
