/**
 * Bridge from the lowered program to the planner: every non-alias value is a
 * buffer, every op a step; ops that may run in place offer their first input.
 *
 * `planAndOrderProgram` is what the pipeline uses. It
 *  1. picks the execution order with the lowest peak of live bytes among the
 *     topological orders (order.ts; the file's order when nothing beats it),
 *  2. lets depthwise convolutions with ch_mult 1 overwrite their input when
 *     the input dies there (runtime-c/edgec_depthwise_conv_inplace_s8.c: a
 *     temporary of a few rows of four channels instead of a whole output
 *     tensor), and
 *     pointwise convolutions overlap input and output
 *     (runtime-c/edgec_conv_1x1_overlap_s8.c: a few input pixels staged on
 *     its stack, a temporary of a few output pixels only over 1024 input
 *     channels; the input in the top of the output block), each only where
 *     it makes the arena smaller (the plain kernels stay a little faster),
 *  3. plans the file's order the same way, for the report, and the plain
 *     problem of both orders for the lower bounds "below the bound" refers to.
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
  /** Overlap input and output of eligible pointwise convolutions (default true). */
  overlapPointwise?: boolean;
  /** Scratch bytes of an op's kernel (library backends); planned in the arena for that step only. */
  scratchBytes?: (op: Op) => number;
  /** Whether an op may become the in-place depthwise or overlapped pointwise portable kernel (not when a library runs it). */
  inPlaceAllowed?: (op: Op) => boolean;
  /** `--keep-inputs`: model inputs live to the end, so invoke() leaves them intact (costs arena bytes). */
  keepInputs?: boolean;
  /**
   * Keep every sharing op the planner can apply, even where it does not make
   * the arena smaller: for measuring the sharing kernels' cost
   * (bench/measure-kernel-costs.ts), never for a build.
   */
  shareWherePossible?: boolean;
}

/**
 * `--memory` (build, inspect, bench): `min` (default) lets the planner use the
 * sharing kernels (in-place depthwise, overlapped pointwise) wherever they
 * make the arena smaller; `fast` keeps the plain kernels and separate buffers
 * (a larger arena, a few percent fewer instructions).
 */
export const MEMORY_MODES = ['min', 'fast'] as const;
export type MemoryMode = (typeof MEMORY_MODES)[number];

export function memoryModeOptions(mode: MemoryMode | undefined): ProgramPlanOptions {
  return mode === 'fast' ? { inPlaceDepthwise: false, overlapPointwise: false } : {};
}

/** Id of an op's kernel scratch buffer (library backends) in the plan. */
export const kernelScratchId = (op: Op): string => `${op.outputs[0]}__scratch`;

export interface PlannedProgram {
  /** The program with its ops in execution order and in-place depthwise ops marked. */
  program: Program;
  plan: Plan;
}

/** Id of the row-ring temporary of an in-place depthwise op (a scratch buffer of the plan). */
export const depthwiseTempId = (op: Op): string => `${op.outputs[0]}__dw_temp`;

/**
 * Bytes of the in-place depthwise kernel's temporary, as
 * edgec_depthwise_inplace_temp_bytes computes them in
 * runtime-c/edgec_depthwise_conv_inplace_s8.c (keep the two in step): a ring
 * of rows of out_w pixels of up to four channels (one channel group). A row
 * is stored in place once the last output row reading the input row under
 * its last byte was computed; the ring holds the longest such delay plus the
 * row being computed (3x3, stride 1, pad 1: two rows).
 */
export function depthwiseTempBytes(op: Op): number {
  const n = (k: string): number => Number(op.params[k]);
  const [inH, inW, outH, outW] = [n('in_h'), n('in_w'), n('out_h'), n('out_w')];
  const storeAfter = (r: number): number => {
    const lastPx = (r + 1) * outW - 1; // the row's last pixel, flat over batches; it lies on input pixel lastPx
    const bIn = Math.floor(lastPx / (inH * inW));
    const b = Math.floor(r / outH);
    if (bIn < b) return r;
    const iy = Math.floor((lastPx % (inH * inW)) / inW);
    const last = Math.min(outH - 1, Math.floor((iy + n('pad_top')) / n('stride_h')));
    return Math.max(r, b * outH + last);
  };
  let slots = 1;
  for (let r = 0; r < n('batches') * outH; r++) slots = Math.max(slots, storeAfter(r) - r + 1);
  return slots * outW * Math.min(n('in_c'), 4);
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

/** Id of the pixel-run temporary of an overlapped pointwise conv (a scratch buffer of the plan, when it needs one). */
export const overlapTempId = (op: Op): string => `${op.outputs[0]}__pw_temp`;

/**
 * Input channels up to which the overlapped pointwise kernel copies a pixel's
 * input to its stack and needs no arena temporary: EDGEC_PW_STAGE_HALVES in
 * runtime-c/edgec_conv_1x1_overlap_s8.c (keep the two in step).
 */
export const OVERLAP_STAGE_MAX_IN_C = 1024;

/** Arena temporary of an overlapped pointwise conv with runs of `block` pixels, as edgec_conv_1x1_overlap_temp_bytes says. */
export function overlapTempBytes(op: Op, block: number): number {
  return Number(op.params.in_c) <= OVERLAP_STAGE_MAX_IN_C ? 0 : Math.max(1, block) * Number(op.params.out_c);
}

const pixelsOf = (op: Op): number => Number(op.params.batches) * Number(op.params.in_h) * Number(op.params.in_w);

/**
 * A conv the overlapped pointwise kernel can run: 1x1, stride 1, no padding,
 * groups 1 (output pixel p reads input pixel p only), int8 in and out, and a
 * one-pixel temporary smaller than either tensor (else nothing is saved).
 */
export function overlapPointwiseCandidate(program: Program, op: Op): boolean {
  // conv2d_1x1_wide (passes/wide-conv-weights.ts) keeps the overlap contract with its own kernel
  if ((op.kind !== 'conv2d' && op.kind !== 'conv2d_1x1_wide') || op.inputs.length !== 1 || op.outputs.length !== 1) return false;
  const n = (k: string): number => Number(op.params[k]);
  if (n('k_h') !== 1 || n('k_w') !== 1 || n('stride_h') !== 1 || n('stride_w') !== 1 || n('pad_top') !== 0 || n('pad_left') !== 0) return false;
  if (n('groups') !== 1 || n('in_h') !== n('out_h') || n('in_w') !== n('out_w')) return false;
  const x = program.values.get(op.inputs[0]!);
  const y = program.values.get(op.outputs[0]!);
  if (!x || !y || x.type !== 'int8' || y.type !== 'int8' || y.aliasOf) return false;
  const px = pixelsOf(op);
  if (valueBytes(x) !== px * n('in_c') || valueBytes(y) !== px * n('out_c')) return false;
  return n('out_c') < Math.min(valueBytes(x), valueBytes(y));
}

/**
 * Where the input starts inside the output block. Output pixels are written
 * in runs after their inputs were read, so output pixel q must end at or
 * below input pixel q + 1's start: N * (out_c - in_c) bytes suffice when
 * out_c >= in_c (aligned up: more distance is also safe), 0 otherwise (the
 * output in the bottom of the input). See the kernel's header comment.
 */
export function overlapInputOffset(op: Op): number {
  const d = Number(op.params.out_c) - Number(op.params.in_c);
  return d > 0 ? alignUp(pixelsOf(op) * d, ARENA_ALIGNMENT) : 0;
}

/** An op the planner overlapped: the int8 sharing kernel, or a widened pointwise conv given a run length (it overlaps with its own kernel). */
const overlappedPointwise = (op: Op): boolean => op.kind === 'conv2d_1x1_overlap' || (op.kind === 'conv2d_1x1_wide' && op.params.block !== undefined);

/** Which ops run the sharing kernels: in-place depthwise ops, overlapped pointwise ops with their run length in pixels. */
interface Sharing {
  dw: ReadonlySet<Op>;
  pw: ReadonlyMap<Op, number>;
}

const NO_SHARING: Sharing = { dw: new Set(), pw: new Map() };

function problemOf(program: Program, ops: readonly Op[], sharing: Sharing, scratchBytes?: (op: Op) => number, keepInputs = false): PlanProblem {
  const buffers: PlanBuffer[] = [...program.values.values()].map((v) => ({ id: v.id, bytes: Math.max(1, valueBytes(v)), kind: v.role }));
  const aliases = [...program.values.values()].filter((v) => v.aliasOf).map((v) => ({ id: v.id, of: v.aliasOf as string, offset: v.aliasOffset ?? 0 }));
  const steps: PlanStep[] = ops.map((op) => withKernelScratch(op, buffers, scratchBytes, (): PlanStep => {
    const block = sharing.pw.get(op);
    if (block !== undefined) {
      const overlap = [{ output: op.outputs[0]!, input: op.inputs[0]!, inputOffset: overlapInputOffset(op) }];
      const tempBytes = overlapTempBytes(op, block);
      if (tempBytes > 0) buffers.push({ id: overlapTempId(op), bytes: tempBytes, kind: 'scratch' });
      const scratch = tempBytes > 0 ? [overlapTempId(op)] : undefined;
      return { name: op.name, reads: op.inputs.slice(), writes: op.outputs.slice(), scratch, overlap };
    }
    if (sharing.dw.has(op)) {
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
  const liveToEnd = stateValueIds(program);
  const stageOverlaps = program.patchOverlap ? { stageOverlaps: [{ ...program.patchOverlap }] } : {};
  return { buffers, steps, aliases, alignment: ARENA_ALIGNMENT, ...(keepInputs ? { keepInputs } : {}), ...(liveToEnd.length ? { liveToEnd } : {}), ...stageOverlaps };
}

/**
 * `--stateful`: the state inputs hold the state between invokes and the state
 * outputs are copied into them after the last op, so both live to the end:
 * no value reuses their bytes (passes/stateful-program.ts).
 */
export function stateValueIds(program: Program): string[] {
  return (program.state ?? []).flatMap((s) => [s.input, s.output]);
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

/**
 * The plan problem of a program as planAndOrderProgram returned it: its op
 * order, and the sharing its op kinds say (in-place depthwise, overlapped
 * pointwise with their run length). For checks of a finished plan.
 */
export function plannedProblemOf(program: Program, scratchBytes?: (op: Op) => number, keepInputs = false): PlanProblem {
  const dw = new Set(program.ops.filter((op) => op.kind === 'depthwise_conv2d_inplace'));
  const pw = new Map(program.ops.filter(overlappedPointwise).map((op) => [op, Number(op.params.block)] as const));
  return problemOf(program, program.ops, { dw, pw }, scratchBytes, keepInputs);
}

export function planProblemOf(program: Program): PlanProblem {
  return problemOf(program, program.ops, NO_SHARING);
}

/** Plans the file's order with the elementwise in-place rules only (no reordering, no in-place depthwise). */
export function planProgram(program: Program): Plan {
  return planMemory(planProblemOf(program));
}

const applied = (plan: Plan, op: Op): boolean => (plan.inPlace ?? []).some(([w, r]) => w === op.outputs[0] && r === op.inputs[0])
  || (plan.overlaps ?? []).some((o) => o.output === op.outputs[0] && o.input === op.inputs[0]);

const without = (sharing: Sharing, op: Op): Sharing => {
  const dw = new Set(sharing.dw);
  const pw = new Map(sharing.pw);
  dw.delete(op);
  pw.delete(op);
  return { dw, pw };
};

/** Largest run of pixels for an overlapped conv's temporary (the conv kernel's weight expansion is amortised over it). */
const MAX_OVERLAP_BLOCK = 32;

/**
 * Plans `ops` in this order, choosing which ops run the sharing kernels.
 * Both are permissions the planner grants only where the input dies at the
 * op; they help only in combination (every layer at the peak must shrink), so
 * start with every candidate on, drop the ones the planner refused, then drop
 * one at a time, in op order, every sharing op whose removal does not grow
 * the arena (the sharing kernels cost a little: in-place depthwise copies
 * its rows out of a ring, the overlapped conv stages its input pixels). Kept
 * overlapped convs then get the longest run of pixels (up to
 * MAX_OVERLAP_BLOCK, binary search) that still leaves the arena as it is. Deterministic:
 * fixed orders, and the planner is seeded.
 */
function planOps(program: Program, ops: readonly Op[], options: ProgramPlanOptions = {}): { ops: Op[]; plan: Plan } {
  const allowed = options.inPlaceAllowed ?? ((): boolean => true);
  const planOf = (sh: Sharing): Plan => planMemory(problemOf(program, ops, sh, options.scratchBytes, options.keepInputs));
  const dwOn = options.inPlaceDepthwise ?? true;
  const pwOn = options.overlapPointwise ?? true;
  let sharing: Sharing = {
    dw: new Set(dwOn ? ops.filter((op) => inPlaceDepthwiseCandidate(program, op) && allowed(op)) : []),
    pw: new Map(pwOn ? ops.filter((op) => overlapPointwiseCandidate(program, op) && allowed(op)).map((op) => [op, 1] as const) : []),
  };
  const plain = planOf(NO_SHARING);
  if (sharing.dw.size + sharing.pw.size === 0) return { ops: ops.slice(), plan: plain };
  let plan = planOf(sharing);
  // Refused candidates merged nothing, so dropping them cannot change the others; check rather than assume.
  for (let round = 0; round < 4; round++) {
    const refused = ops.filter((op) => (sharing.dw.has(op) || sharing.pw.has(op)) && !applied(plan, op));
    if (refused.length === 0) break;
    sharing = refused.reduce(without, sharing);
    plan = planOf(sharing);
  }
  for (const op of options.shareWherePossible ? [] : ops) {
    if (!sharing.dw.has(op) && !sharing.pw.has(op)) continue;
    const trial = planOf(without(sharing, op));
    if (trial.arenaBytes <= plan.arenaBytes) [sharing, plan] = [without(sharing, op), trial];
  }
  const noGain = plain.arenaBytes <= plan.arenaBytes && !options.shareWherePossible;
  if (ops.some((op) => (sharing.dw.has(op) || sharing.pw.has(op)) && !applied(plan, op)) || noGain) {
    return { ops: ops.slice(), plan: plain };
  }
  for (const op of ops) {
    // Binary search for the longest run that keeps the arena (a longer run only adds temporary bytes).
    let lo = 1;
    let hi = Math.min(MAX_OVERLAP_BLOCK, pixelsOf(op));
    // Without an arena temporary (the kernel stages pixels on its stack) the run length is unused.
    while (sharing.pw.has(op) && overlapTempBytes(op, 1) > 0 && lo < hi) {
      const block = Math.ceil((lo + hi) / 2);
      const pw = new Map(sharing.pw).set(op, block);
      const trial = planOf({ dw: sharing.dw, pw });
      if (trial.arenaBytes > plan.arenaBytes || !applied(trial, op)) {
        hi = block - 1;
      } else {
        lo = block;
        [sharing, plan] = [{ dw: sharing.dw, pw }, trial];
      }
    }
  }
  const out = ops.map((op): Op => {
    if (sharing.dw.has(op)) return { ...op, kind: 'depthwise_conv2d_inplace', params: { ...op.params, scratch: depthwiseTempId(op) } };
    const block = sharing.pw.get(op);
    if (block !== undefined && op.kind === 'conv2d_1x1_wide') return { ...op, params: { ...op.params, block } };
    if (block !== undefined) {
      const params: Op['params'] = { ...op.params, block };
      if (overlapTempBytes(op, block) > 0) params.scratch = overlapTempId(op);
      return { ...op, kind: 'conv2d_1x1_overlap', params };
    }
    return op;
  });
  return { ops: out, plan };
}

/** The order problem: values resolved to their alias roots, sizes aligned like the arena. */
export function orderProblemOf(program: Program, keepInputs = false): OrderProblem | undefined {
  const root = (id: string): string => program.values.get(id)?.aliasOf ?? id;
  // A view written by an op (not just read) would give its base two producers; keep the file order then.
  if (program.ops.some((op) => op.outputs.some((o) => program.values.get(o)?.aliasOf))) return undefined;
  // No prototype: a value id from the model ('__proto__', 'constructor') is a key like any other.
  const sizes = Object.create(null) as Record<string, number>;
  for (const v of program.values.values()) if (!v.aliasOf) sizes[v.id] = alignUp(Math.max(1, valueBytes(v)), ARENA_ALIGNMENT);
  return {
    nodes: program.ops.map((op, i) => ({ id: String(i), inputs: op.inputs.map(root), outputs: op.outputs.map(root) })),
    sizes,
    // kept inputs are live to the end, as outputs are
    outputs: [...program.outputs, ...(keepInputs ? program.inputs : []), ...stateValueIds(program)].map(root),
  };
}

/** Lower bound of `ops` planned with no in-place depthwise and no overlaps (the kernels' own scratch included). */
function plainBound(program: Program, ops: readonly Op[], options: ProgramPlanOptions): number {
  const original = new Map(program.ops.map((op) => [op.outputs[0], op] as const));
  // Sharing ops were rebuilt with another kind; plan the op they came from.
  const plainOps = ops.map((op) => original.get(op.outputs[0]) ?? op);
  return planMemory(problemOf(program, plainOps, NO_SHARING, options.scratchBytes, options.keepInputs)).lowerBound;
}

export function planAndOrderProgram(program: Program, options: ProgramPlanOptions = {}): PlannedProgram {
  const problem = options.reorder === false ? undefined : orderProblemOf(program, options.keepInputs);
  const order = problem ? chooseExecutionOrder(problem) : undefined;
  const ordered = order ? order.order.map((i) => program.ops[Number(i)]!) : program.ops;
  const file = planOps(program, program.ops, options);
  const chosen = ordered === program.ops || order?.method === 'given' ? file : planOps(program, ordered, options);
  // The order model does not see in-place sharing; keep the file order when it plans smaller anyway.
  const best = chosen.plan.arenaBytes <= file.plan.arenaBytes ? chosen : file;
  const method = best === file ? 'given' : order?.method ?? 'given';
  return {
    program: { ...program, ops: best.ops },
    plan: {
      ...best.plan,
      order: { method, optimal: order?.optimal ?? false },
      fileOrder: { arenaBytes: file.plan.arenaBytes, lowerBound: file.plan.lowerBound },
      plainLowerBound: {
        chosen: plainBound(program, best.ops, options),
        fileOrder: plainBound(program, program.ops, options),
      },
      ...(options.keepInputs ? { keepInputs: true } : {}),
    },
  };
}

/** Arena offset of a value (aliases resolve to their base). */
export function offsetOf(plan: Plan, id: string): number {
  const p = plan.placements.get(id);
  if (!p) throw new Error(`internal: value '${id}' was not placed`);
  return p.offset;
}
