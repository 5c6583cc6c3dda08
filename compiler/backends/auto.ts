/**
 * `--backend auto` (every built-in board's default): per layer, the cheaper of
 * our portable kernel and the board's kernel library, by the core's measured
 * cost table (kernel-costs.ts), with the arena taken into account. Both
 * candidates are bit-exact (every library call edgec emits is), so the choice
 * changes instructions and memory, never outputs.
 *
 * The rules (summarised in README.md, "Boards, kernel libraries and packages"):
 *  1. A library is a candidate only when the board declares it
 *     (`kernelLibrary`, or a library `backend` in a user's board file): the
 *     board's package is where the dependency can come from. No library, or
 *     no cost table for the board's core: see 5.
 *  2. A layer calls the library only when the library has a bit-exact kernel
 *     for its parameters and the table estimates it more than
 *     LIBRARY_MARGIN cheaper than ours (below that the estimate's error, the
 *     extra dependency and the library's code in flash are not worth it).
 *     A layer the table cannot estimate (no fit for its kind, or a fit over
 *     MAX_TRUSTED_FIT_ERROR) follows the library's median ratio over every
 *     shape of its precision (int8, or 16x8: the _s16 kinds; int8 where the
 *     core has no 16x8 measurements) measured on the core: the library where
 *     that is under 1 - LIBRARY_MARGIN (Helium CMSIS-NN on the M55), else ours.
 *  3. Memory: library layers whose estimated saving is under RAM_MARGIN and
 *     where ours could change the memory (a sharing kernel: in-place
 *     depthwise, overlapped pointwise; or a library scratch buffer) are all
 *     planned on ours together; if that gives a smaller arena, each is given
 *     back to the library, in op order, only where that does not grow the
 *     arena again. RAM wins a small cost difference; a tie in RAM goes to
 *     the cheaper kernel. Ours is costed as the kernel it will run: where the
 *     planner shares memory, the sharing kernel (measured apart, slower).
 *  3b. A layer left on ours that the planner runs with a sharing kernel goes
 *     to the library when the library is more than LIBRARY_MARGIN cheaper
 *     than the sharing kernel and the arena does not grow, or grows but the
 *     library saves RAM_MARGIN or more.
 *  4. The library layers together must save DEPENDENCY_MARGIN of the model's
 *     estimated instructions, else no layer calls it: a dependency to install
 *     (by hand on Arduino) and its code in flash are not worth less. Layers
 *     chosen by the median rule have no estimate to add: they keep the library.
 *  5. A board without a library gets the portable kernels everywhere; a board
 *     with a library but no measured cost table for its core keeps that
 *     library wherever it has a kernel (the behaviour before auto), and says so.
 */
import type { Op, Program } from '../ir/program.js';
import type { Board } from '../boards.js';
import { planAndOrderProgram, inPlaceDepthwiseCandidate, overlapPointwiseCandidate, type PlannedProgram, type ProgramPlanOptions } from '../plan/program.js';
import { costKindOf, costTableFor, estimateInstructions, isS16Kind, medianLibraryRatio, sharingVariantOf, type CostTable, type Precision } from './kernel-costs.js';
import type { Backend, KernelChoice } from './index.js';

export type LibraryId = 'cmsis-nn' | 'esp-nn';

/** The library must be estimated this much cheaper than ours (fraction of ours) to be called. */
export const LIBRARY_MARGIN = 0.1;
/** A library saving below this fraction of ours gives way to our kernel when ours makes the arena smaller. */
export const RAM_MARGIN = 0.25;
/** The library's layers together must save this fraction of the model's estimated instructions, or none calls it. */
export const DEPENDENCY_MARGIN = 0.02;

export interface AutoDecision {
  implementation: 'portable' | LibraryId;
  /** One line for inspect: the kernel chosen and why. */
  reason: string;
  portableEstimate?: number;
  libraryEstimate?: number;
}

/** The library a board's package can provide: declared, or the library a (user) board names as its backend. */
export function boardLibrary(board: Board): LibraryId | undefined {
  if (board.kernelLibrary) return board.kernelLibrary;
  return board.backend === 'cmsis-nn' || board.backend === 'esp-nn' ? board.backend : undefined;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Decisions are keyed by the op's first output: planning renames op kinds (sharing variants), not values. */
const decisionKey = (op: Op): string => op.outputs[0] ?? '';

/** The library beats ours on the median shape measured on the core by more than LIBRARY_MARGIN (Helium CMSIS-NN on the M55). */
const medianFavoursLibrary = (r: { median: number } | undefined): boolean => r !== undefined && r.median < 1 - LIBRARY_MARGIN;

/**
 * Whether the board's library beats our kernels on its core by that median:
 * auto then wants the library's kernels (the pipeline keeps fully connected
 * weights int8 for it instead of widening them for ours, passes/wide-weights.ts).
 */
export function libraryFasterOnCore(board: Board): boolean {
  const lib = boardLibrary(board);
  const table = costTableFor(board.cpu);
  return !!lib && !!table && medianFavoursLibrary(medianLibraryRatio(table, lib));
}

/** The precision whose measurements speak for an op (16x8 ops: the _s16 kinds). */
function precisionOf(op: Op): Precision {
  const kind = costKindOf(op);
  return kind && isS16Kind(kind) ? 's16' : 'int8';
}

/** Cost-based choice of one op (rule 2), before the arena is looked at. */
function costDecision(op: Op, lib: Backend, libId: LibraryId, table: CostTable): AutoDecision {
  const choice = lib.kernelFor(op);
  if (choice.backend !== libId) {
    return { implementation: 'portable', reason: costKindOf(op) ? `portable: ${choice.fallbackReason ?? `${libId} has no kernel for it`}` : 'portable: no library kernel for this op' };
  }
  const ours = estimateInstructions(table, op, 'portable');
  const theirs = estimateInstructions(table, op, libId);
  if (ours === undefined || theirs === undefined) {
    // No (trusted) fit for this layer: the library's median over every shape of its precision measured on this core
    // decides; a 16x8 layer on a core measured in int8 only, the int8 median (said so).
    const what = `the ${table.cpu} cost table has no ${ours === undefined && theirs === undefined ? '' : theirs === undefined ? `${libId} ` : 'portable '}${costKindOf(op) ?? op.kind} fit`;
    const own = medianLibraryRatio(table, libId, precisionOf(op));
    const overall = own ?? (precisionOf(op) === 's16' ? medianLibraryRatio(table, libId, 'int8') : undefined);
    const shapes = own ? 'shapes' : 'int8 shapes (no 16x8 ones)';
    const ratio = overall ? `${libId} takes ${overall.median.toFixed(2)}x our instructions (median of ${overall.shapes} ${shapes} measured on this core)` : `no ${libId} measurements`;
    if (medianFavoursLibrary(overall)) return { implementation: libId, reason: `${libId}: ${what}; ${ratio}` };
    return { implementation: 'portable', reason: `portable: ${what}; ${ratio}` };
  }
  const estimates = { portableEstimate: ours, libraryEstimate: theirs };
  if (theirs < ours * (1 - LIBRARY_MARGIN)) return { implementation: libId, reason: `${libId}: ${fmt(theirs)} est. instr vs portable ${fmt(ours)}`, ...estimates };
  const margin = theirs < ours ? ` (${libId} within the ${LIBRARY_MARGIN * 100}% margin)` : '';
  return { implementation: 'portable', reason: `portable: ${fmt(ours)} est. instr vs ${libId} ${fmt(theirs)}${margin}`, ...estimates };
}

/** A backend that runs each op as `decisions` says (keyed by the op's first output: planning renames kinds, not values). */
function decidedBackend(decisions: ReadonlyMap<string, AutoDecision>, lib: Backend | undefined, portable: Backend): Backend {
  const decisionOf = (op: Op): AutoDecision | undefined => decisions.get(decisionKey(op));
  const usesLibrary = [...decisions.values()].some((d) => d.implementation !== 'portable');
  return {
    id: 'auto',
    target: lib?.target,
    includes: usesLibrary && lib ? lib.includes : [],
    kernelFor(op: Op): KernelChoice {
      const d = decisionOf(op);
      return d && d.implementation !== 'portable' && lib ? lib.kernelFor(op) : portable.kernelFor(op);
    },
    reasonFor: (op: Op): string | undefined => decisionOf(op)?.reason,
  };
}

/** Plan options that follow a backend's choices (as the pipeline plans). */
export function planOptionsFor(backend: Backend, base: ProgramPlanOptions): ProgramPlanOptions {
  return {
    ...base,
    scratchBytes: (op: Op): number => backend.kernelFor(op).scratchBytes,
    inPlaceAllowed: (op: Op): boolean => backend.kernelFor(op).backend === 'portable',
  };
}

export interface AutoContext {
  board: Board;
  /** The board's library backend (its code path), when the board declares one. */
  library?: { id: LibraryId; backend: Backend };
  portable: Backend;
  /** Defaults to the board's core's measured table. */
  table?: CostTable;
  plan: ProgramPlanOptions;
}

/** `--backend auto` for `program` (lowered, edges exposed, not yet planned). */
export function autoBackend(program: Program, ctx: AutoContext): Backend {
  const { board, library, portable } = ctx;
  const decisions = new Map<string, AutoDecision>();
  const table = ctx.table ?? costTableFor(board.cpu);
  // No library: nothing to choose, so no per-layer reason either (inspect stays as for the portable backend).
  if (!library) return { ...decidedBackend(decisions, undefined, portable), reasonFor: () => undefined };
  if (!table) {
    for (const op of program.ops) {
      const c = library.backend.kernelFor(op);
      decisions.set(decisionKey(op), c.backend === library.id
        ? { implementation: library.id, reason: `${library.id}: no measured cost table for ${board.cpu}, the board's library kept` }
        : { implementation: 'portable', reason: `portable: ${c.fallbackReason ?? `${library.id} has no kernel for it`}` });
    }
    return decidedBackend(decisions, library.backend, portable);
  }
  for (const op of program.ops) decisions.set(decisionKey(op), costDecision(op, library.backend, library.id, table));
  const rules = { library, portable, plan: ctx.plan, table, board };
  const withSharing = sharingRule(program, arenaRule(program, decisions, rules), rules);
  return decidedBackend(dependencyRule(program.ops, withSharing, library.id, table), library.backend, portable);
}

interface RuleContext { library: { id: LibraryId; backend: Backend }; portable: Backend; plan: ProgramPlanOptions; table: CostTable; board: Board }

/** The plan of `program` with the kernels `decisions` choose (as the pipeline will plan it). */
function plannedWith(program: Program, decisions: ReadonlyMap<string, AutoDecision>, ctx: RuleContext): PlannedProgram {
  return planAndOrderProgram(program, planOptionsFor(decidedBackend(decisions, ctx.library.backend, ctx.portable), ctx.plan));
}

/** Our estimate for an op the planner may run with a sharing kernel (where that shrinks the arena): the sharing kernel's, else the plain one's. */
function oursEstimate(program: Program, op: Op, table: CostTable): number | undefined {
  const sharing = inPlaceDepthwiseCandidate(program, op) || overlapPointwiseCandidate(program, op) ? sharingVariantOf(op) : undefined;
  return estimateInstructions(table, sharing ?? op, 'portable');
}

const SHARING_NAME: Partial<Record<Op['kind'], string>> = { depthwise_conv2d_inplace: 'in-place depthwise', conv2d_1x1_overlap: 'overlapped pointwise' };

/**
 * Rule 3b: a layer left on ours that the planner then runs with a sharing
 * kernel costs that kernel (measured apart: it pays for the memory it saves,
 * about 5% on the M4, a third on RV32). Where the library is estimated more
 * than LIBRARY_MARGIN cheaper than the sharing kernel, the layer goes to the
 * library if the arena does not grow; if it grows, RAM wins unless the
 * library saves RAM_MARGIN or more (and the arena still fits the board's
 * RAM). In op order, each decision planned.
 */
function sharingRule(program: Program, decisions: Map<string, AutoDecision>, ctx: RuleContext): Map<string, AutoDecision> {
  const { library, table } = ctx;
  const original = new Map(program.ops.map((op) => [decisionKey(op), op] as const));
  let current = decisions;
  let planned = plannedWith(program, current, ctx);
  for (const shared of planned.program.ops.filter((op) => SHARING_NAME[op.kind])) {
    const d = current.get(decisionKey(shared));
    const plain = original.get(decisionKey(shared));
    if (!d || !plain || d.implementation !== 'portable') continue;
    const ours = estimateInstructions(table, shared, 'portable');
    const theirs = library.backend.kernelFor(plain).backend === library.id ? estimateInstructions(table, plain, library.id) : undefined;
    if (ours === undefined || theirs === undefined) continue;
    const kernel = SHARING_NAME[shared.kind]!;
    const estimates = { portableEstimate: ours, libraryEstimate: theirs };
    if (theirs >= ours * (1 - LIBRARY_MARGIN)) {
      current = new Map(current).set(decisionKey(shared), { ...d, ...estimates, reason: `portable (${kernel}, shares memory): ${fmt(ours)} est. instr vs ${library.id} ${fmt(theirs)}` });
      continue;
    }
    const trial = new Map(current).set(decisionKey(shared), { implementation: library.id, reason: '', ...estimates });
    const trialPlan = plannedWith(program, trial, ctx);
    const [arena, trialArena] = [planned.plan.arenaBytes, trialPlan.plan.arenaBytes];
    const bigSaving = (ours - theirs) / ours >= RAM_MARGIN && trialArena <= ctx.board.ramBytes;
    if (trialArena <= arena || bigSaving) {
      const why = trialArena <= arena ? `the ${kernel} kernel saves no arena here` : `saves ${RAM_MARGIN * 100}% or more, worth ${fmt(trialArena - arena)} B more arena`;
      trial.set(decisionKey(shared), { implementation: library.id, reason: `${library.id}: ${fmt(theirs)} est. instr vs portable ${kernel} ${fmt(ours)}; ${why}`, ...estimates });
      [current, planned] = [trial, trialPlan];
      continue;
    }
    current = new Map(current).set(decisionKey(shared), {
      ...d, ...estimates,
      reason: `portable (${kernel}, shares memory): arena ${fmt(arena)} B vs ${fmt(trialArena)} B with ${library.id} here; ${library.id} ${fmt(theirs)} est. instr vs ${fmt(ours)} saves under the ${RAM_MARGIN * 100}% that would outweigh RAM`,
    });
  }
  // A layer said to share may have stopped sharing once a neighbour went to the library (sharing pays only at the peak): say what it runs.
  const stillShared = new Set(planned.program.ops.filter((op) => SHARING_NAME[op.kind]).map(decisionKey));
  for (const op of program.ops) {
    const d = current.get(decisionKey(op));
    if (!d || d.implementation !== 'portable' || stillShared.has(decisionKey(op)) || !d.reason.startsWith('portable (')) continue;
    const plainOurs = estimateInstructions(table, op, 'portable')!;
    current.set(decisionKey(op), { ...d, portableEstimate: plainOurs, reason: `portable: ${fmt(plainOurs)} est. instr vs ${library.id} ${fmt(d.libraryEstimate!)} (plain kernel: sharing saves no arena once its neighbours run ${library.id})` });
  }
  return current;
}

/** Rule 3 on the cost choices (`decisions`, keyed by op output): library layers that give way to ours for RAM. */
function arenaRule(program: Program, decisions: Map<string, AutoDecision>, ctx: RuleContext): Map<string, AutoDecision> {
  const { library } = ctx;
  const arenaWith = (d: ReadonlyMap<string, AutoDecision>): number => plannedWith(program, d, ctx).plan.arenaBytes;
  // Rule 3: only layers where ours can change the memory (a sharing kernel, or no library scratch), and whose saving is small, are worth a plan.
  const mayShrink = (op: Op): boolean => inPlaceDepthwiseCandidate(program, op) || overlapPointwiseCandidate(program, op) || library.backend.kernelFor(op).scratchBytes > 0;
  // The saving against what ours would run: the sharing kernel where it may share (it costs more than the plain one).
  const smallSaving = (op: Op, d: AutoDecision): boolean => {
    const ours = oursEstimate(program, op, ctx.table) ?? d.portableEstimate!;
    return (ours - d.libraryEstimate!) / ours < RAM_MARGIN;
  };
  const candidates = program.ops.filter((op) => {
    const d = decisions.get(decisionKey(op))!;
    return d.implementation === library.id && smallSaving(op, d) && mayShrink(op);
  });
  if (candidates.length === 0) return decisions;
  // Sharing kernels help only together (every layer at the peak must shrink): all candidates on ours first,
  // then each given back to the library, in op order, where that does not grow the arena.
  const withLibrary = arenaWith(decisions);
  const trial = new Map(decisions);
  for (const op of candidates) trial.set(decisionKey(op), { ...trial.get(decisionKey(op))!, implementation: 'portable' });
  let arena = arenaWith(trial);
  if (arena >= withLibrary) return decisions;
  for (const op of candidates) {
    const d = decisions.get(decisionKey(op))!;
    const back = new Map(trial).set(decisionKey(op), d);
    const backArena = arenaWith(back);
    if (backArena <= arena) {
      trial.set(decisionKey(op), d);
      arena = backArena;
      continue;
    }
    trial.set(decisionKey(op), {
      ...d, implementation: 'portable',
      reason: `portable: arena ${fmt(arena)} B vs ${fmt(backArena)} B with ${library.id} here; ${library.id} ${fmt(d.libraryEstimate!)} est. instr vs portable ${fmt(d.portableEstimate!)} saves under the ${RAM_MARGIN * 100}% that would outweigh RAM`,
    });
  }
  return trial;
}

/**
 * Rule 4: the library layers together must save at least DEPENDENCY_MARGIN of
 * the model's estimated instructions (every layer the table covers, on ours), or none calls it:
 * a dependency to install and its code in flash for a negligible gain.
 */
function dependencyRule(ops: readonly Op[], decisions: Map<string, AutoDecision>, libId: LibraryId, table: CostTable): Map<string, AutoDecision> {
  const chosen = ops.map((op) => decisions.get(decisionKey(op))!).filter((d) => d.implementation === libId);
  if (chosen.length === 0) return decisions;
  // A layer chosen by the library's median speed on this core (no fit for it) has no estimate to add up: it is not a marginal gain.
  if (chosen.some((d) => d.portableEstimate === undefined || d.libraryEstimate === undefined)) return decisions;
  const saving = chosen.reduce((a, d) => a + d.portableEstimate! - d.libraryEstimate!, 0);
  // Every layer the table covers, on ours (layers no library runs included: the model's cost, not the candidates').
  const total = ops.reduce((a, op) => a + (estimateInstructions(table, op, 'portable') ?? 0), 0);
  if (saving >= DEPENDENCY_MARGIN * total) return decisions;
  const out = new Map(decisions);
  const share = `${((100 * saving) / Math.max(1, total)).toFixed(2)}%`;
  for (const op of ops) {
    const d = decisions.get(decisionKey(op))!;
    if (d.implementation !== libId) continue;
    out.set(decisionKey(op), {
      ...d, implementation: 'portable',
      reason: `portable: ${libId} ${fmt(d.libraryEstimate!)} est. instr vs portable ${fmt(d.portableEstimate!)}, but its ${chosen.length} layer(s) would save ${fmt(saving)} of ${fmt(total)} (${share}), under the ${DEPENDENCY_MARGIN * 100}% worth a library dependency`,
    });
  }
  return out;
}

/** Estimated instructions of the ops auto can cost, with its choices and with every op on ours (for the build note). */
export function autoEstimate(backend: Backend, ops: readonly Op[], table: CostTable): { chosen: number; portable: number; libraryLayers: number } {
  let chosen = 0;
  let allPortable = 0;
  let libraryLayers = 0;
  for (const op of ops) {
    const ours = estimateInstructions(table, op, 'portable');
    if (ours === undefined) continue;
    const impl = backend.kernelFor(op).backend;
    const est = impl === 'portable' ? ours : estimateInstructions(table, op, impl as LibraryId) ?? ours;
    if (impl !== 'portable') libraryLayers++;
    chosen += est;
    allPortable += ours;
  }
  return { chosen, portable: allPortable, libraryLayers };
}
