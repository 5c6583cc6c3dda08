/**
 * From a PlanProblem to "storage classes": groups of buffers that occupy one
 * contiguous block of the arena (an alias tree, plus whatever was chained onto
 * it in place), each with the step interval during which the block is needed.
 * Placement then only has to pack blocks; it never sees aliases or in-place.
 */
import type { PlanBuffer, PlanOverlap, PlanProblem, PlanStageOverlap, PlanStep } from './types.js';
import type { Part } from './place.js';

/** A malformed problem: a bug in the pass that built it, not a user error. */
export class PlanError extends Error {
  constructor(message: string) {
    super(`memory plan: ${message}`);
    this.name = 'PlanError';
  }
}

export function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** Inclusive step interval. */
export interface Span {
  first: number;
  last: number;
}

/** What the steps do with one buffer. */
interface Uses {
  writer?: number;
  firstRead?: number;
  lastRead?: number;
  scratchStep?: number;
}

/** Where an alias lives: its tree root (the buffer with storage) and the byte offset into it. */
interface AliasTarget {
  root: string;
  offset: number;
}

export interface StorageClass {
  /** Aligned size of the block. */
  bytes: number;
  first: number;
  last: number;
  /** Buffer ids stored in this block. */
  members: string[];
  /**
   * The pieces of the block in use and when (offsets inside the block); one
   * part [0, bytes) x [first, last] unless an overlap was merged in.
   */
  parts: Part[];
  /** Set once this class was chained in place into another one. */
  mergedInto?: number;
}

export interface Analysis {
  alignment: number;
  stepCount: number;
  /** All classes ever created; follow `mergedInto` to the live one. */
  classes: StorageClass[];
  /** Buffer id → class index at creation (use `liveClass`). */
  classOf: Map<string, number>;
  /** Buffer id → byte offset inside its (live) class block. */
  memberOffset: Map<string, number>;
  /** Buffer id → interval its data is needed (own uses plus its aliases' uses). */
  spans: Map<string, Span>;
  /** Applied in-place pairs [writeId, readId]. */
  inPlace: [string, string][];
  /** Applied overlaps. */
  overlaps: PlanOverlap[];
  /** Applied stage overlaps. */
  stageOverlaps: PlanStageOverlap[];
}

function stepName(step: PlanStep, index: number): string {
  return step.name ? `step ${index} (${step.name})` : `step ${index}`;
}

function indexBuffers(buffers: readonly PlanBuffer[]): Map<string, PlanBuffer> {
  const byId = new Map<string, PlanBuffer>();
  for (const b of buffers) {
    if (typeof b.id !== 'string' || b.id === '') throw new PlanError('a buffer has an empty id');
    if (byId.has(b.id)) throw new PlanError(`buffer '${b.id}' is declared twice`);
    if (!Number.isInteger(b.bytes) || b.bytes <= 0) throw new PlanError(`buffer '${b.id}' has invalid size ${b.bytes}`);
    if (!['input', 'output', 'activation', 'scratch'].includes(b.kind)) throw new PlanError(`buffer '${b.id}' has unknown kind '${String(b.kind)}'`);
    byId.set(b.id, b);
  }
  return byId;
}

function checkAlignment(alignment: number | undefined): number {
  const a = alignment ?? 16;
  if (!Number.isInteger(a) || a <= 0) throw new PlanError(`alignment must be a positive integer, got ${a}`);
  return a;
}

function lookup(byId: Map<string, PlanBuffer>, id: string, where: string): PlanBuffer {
  const b = byId.get(id);
  if (!b) throw new PlanError(`${where} refers to unknown buffer '${id}'`);
  return b;
}

/** Records reads/writes/scratch per buffer and rejects structurally invalid steps. */
function collectUses(steps: readonly PlanStep[], byId: Map<string, PlanBuffer>): Map<string, Uses> {
  const uses = new Map<string, Uses>();
  for (const id of byId.keys()) uses.set(id, {});
  steps.forEach((step, s) => {
    const where = stepName(step, s);
    for (const id of step.reads) {
      if (lookup(byId, id, where).kind === 'scratch') throw new PlanError(`${where} reads scratch buffer '${id}'; list it in scratch`);
      const u = uses.get(id)!;
      u.firstRead = u.firstRead ?? s;
      u.lastRead = s;
    }
    for (const id of step.writes) {
      const b = lookup(byId, id, where);
      if (b.kind === 'input' || b.kind === 'scratch') throw new PlanError(`${where} writes ${b.kind} buffer '${id}'`);
      const u = uses.get(id)!;
      if (u.writer !== undefined) throw new PlanError(`buffer '${id}' is written by step ${u.writer} and ${where}`);
      u.writer = s;
    }
    for (const id of step.scratch ?? []) {
      if (lookup(byId, id, where).kind !== 'scratch') throw new PlanError(`${where} lists '${id}' as scratch but its kind is not 'scratch'`);
      const u = uses.get(id)!;
      if (u.scratchStep !== undefined) throw new PlanError(`scratch buffer '${id}' is used by step ${u.scratchStep} and ${where}`);
      u.scratchStep = s;
    }
  });
  return uses;
}

/** Resolves alias chains to their root and cumulative offset; rejects cycles and out-of-range views. */
function resolveAliases(problem: PlanProblem, byId: Map<string, PlanBuffer>): Map<string, AliasTarget> {
  const direct = new Map<string, { of: string; offset: number }>();
  for (const a of problem.aliases ?? []) {
    const view = lookup(byId, a.id, 'an alias');
    const base = lookup(byId, a.of, `alias '${a.id}'`);
    const offset = a.offset ?? 0;
    if (direct.has(a.id)) throw new PlanError(`alias '${a.id}' is declared twice`);
    if (view.kind === 'scratch' || base.kind === 'scratch') throw new PlanError(`alias '${a.id}' of '${a.of}' involves a scratch buffer`);
    if (!Number.isInteger(offset) || offset < 0) throw new PlanError(`alias '${a.id}' has invalid offset ${offset}`);
    direct.set(a.id, { of: a.of, offset });
  }
  const resolved = new Map<string, AliasTarget>();
  const resolve = (id: string, visiting: Set<string>): AliasTarget => {
    const done = resolved.get(id);
    if (done) return done;
    const d = direct.get(id);
    if (!d) return { root: id, offset: 0 };
    if (visiting.has(id)) throw new PlanError(`alias cycle through '${id}'`);
    visiting.add(id);
    const parent = resolve(d.of, visiting);
    const target = { root: parent.root, offset: parent.offset + d.offset };
    resolved.set(id, target);
    return target;
  };
  for (const id of byId.keys()) {
    const t = resolve(id, new Set());
    const root = byId.get(t.root)!;
    if (t.offset + byId.get(id)!.bytes > root.bytes) {
      throw new PlanError(`alias '${id}' (${byId.get(id)!.bytes} bytes at offset ${t.offset}) does not fit in '${t.root}' (${root.bytes} bytes)`);
    }
    if (!resolved.has(id)) resolved.set(id, t);
  }
  return resolved;
}

/** The interval of a buffer's own uses; `first` is undefined for a view nobody writes. */
function ownSpan(b: PlanBuffer, u: Uses, stepCount: number, keepInputs: boolean, keptToEnd: ReadonlySet<string>): { first?: number; last?: number } {
  if (b.kind === 'scratch') {
    if (u.scratchStep === undefined) throw new PlanError(`scratch buffer '${b.id}' is not used by any step`);
    return { first: u.scratchStep, last: u.scratchStep };
  }
  if (u.writer !== undefined && u.firstRead !== undefined && u.firstRead <= u.writer) {
    throw new PlanError(`buffer '${b.id}' is read at step ${u.firstRead} before it is written at step ${u.writer}`);
  }
  const first = u.writer ?? (b.kind === 'input' ? 0 : undefined);
  const liveToEnd = b.kind === 'output' || (keepInputs && b.kind === 'input') || keptToEnd.has(b.id);
  const ends = [u.lastRead, u.writer, liveToEnd ? stepCount : undefined, first].filter((x): x is number => x !== undefined);
  return { first, last: ends.length > 0 ? Math.max(...ends) : undefined };
}

/**
 * Data intervals: a base must live as long as any view of it is used (that is
 * what makes a Reshape free), so each buffer's interval is the hull of its own
 * uses and those of every alias resolving through it. A view that nobody
 * writes (a Reshape) exists from when its base does.
 */
function dataSpans(
  problem: PlanProblem, byId: Map<string, PlanBuffer>, uses: Map<string, Uses>, stepCount: number,
): Map<string, Span> {
  const parentOf = new Map<string, string>();
  for (const a of problem.aliases ?? []) parentOf.set(a.id, a.of);
  const lo = new Map<string, number | undefined>();
  const hi = new Map<string, number | undefined>();
  const keptToEnd = new Set(problem.liveToEnd ?? []);
  for (const b of byId.values()) {
    const own = ownSpan(b, uses.get(b.id)!, stepCount, problem.keepInputs ?? false, keptToEnd);
    // Push this buffer's own interval into itself and every ancestor view/base.
    for (let id: string | undefined = b.id; id !== undefined; id = parentOf.get(id)) {
      if (own.first !== undefined) lo.set(id, Math.min(lo.get(id) ?? Infinity, own.first));
      if (own.last !== undefined) hi.set(id, Math.max(hi.get(id) ?? -Infinity, own.last));
    }
  }
  const spans = new Map<string, Span>();
  const spanOf = (id: string): Span => {
    const known = spans.get(id);
    if (known) return known;
    let first = lo.get(id);
    if (first === undefined) {
      const parent = parentOf.get(id);
      if (parent === undefined) throw new PlanError(`buffer '${id}' is never written and is not a model input`);
      first = spanOf(parent).first;
    }
    const last = Math.max(first, hi.get(id) ?? first);
    const u = uses.get(id)!;
    if (u.firstRead !== undefined && u.firstRead < first) {
      throw new PlanError(`buffer '${id}' is read at step ${u.firstRead} before its data exists (step ${first})`);
    }
    const span = { first, last };
    spans.set(id, span);
    return span;
  };
  for (const id of byId.keys()) spanOf(id);
  return spans;
}

/** Follows in-place merges to the class that currently owns the block. */
export function liveClass(classes: readonly StorageClass[], index: number): number {
  let i = index;
  while (classes[i]!.mergedInto !== undefined) i = classes[i]!.mergedInto!;
  return i;
}

interface InPlaceContext {
  step: PlanStep;
  s: number;
  byId: Map<string, PlanBuffer>;
  aliases: Map<string, AliasTarget>;
  spans: Map<string, Span>;
  classes: StorageClass[];
  classOf: Map<string, number>;
  memberOffset: Map<string, number>;
  alignment: number;
}

/**
 * Whether output `w` of step `s` may share storage with input `r`, `r`
 * starting `inputOffset` bytes into `w` (0 for in place). Safe only when the
 * whole block holding `r` is dead after this step (no later reader of `r` or
 * of any view sharing its storage), the block is not a model input or output
 * (the caller exposes those to the user), and `w` is a fresh block that starts
 * at this step. In place (`grow` false) `w` must fit in `r`'s bytes; an
 * overlap (`grow` true) may enlarge the block, and the kernel guarantees
 * that it never overwrites input it still has to read.
 */
function canShare(ctx: InPlaceContext, w: string, r: string, inputOffset: number, grow: boolean): boolean {
  const { s, byId, classes, classOf, memberOffset } = ctx;
  if (ctx.aliases.get(w)!.root !== w) return false; // a view already has a home
  const cw = classOf.get(w)!;
  const cr = liveClass(classes, classOf.get(r)!);
  if (classes[cw]!.mergedInto !== undefined || cw === cr) return false;
  const wc = classes[cw]!;
  const rc = classes[cr]!;
  if (wc.first !== s || wc.members.some((m) => byId.get(m)!.kind === 'input')) return false;
  if (rc.last !== s) return false;
  // Every member of r's block must already exist: a member written at this
  // same step would be overwritten by w while being produced.
  if (rc.members.some((m) => byId.get(m)!.kind === 'input' || byId.get(m)!.kind === 'output' || ctx.spans.get(m)!.first >= s)) return false;
  if (!grow && byId.get(w)!.bytes > byId.get(r)!.bytes) return false;
  // w's block must start aligned. In place it then fits in r's block: r lies
  // inside it, so offR + align(r.bytes) <= block bytes, and align(w) <= align(r).
  const offR = memberOffset.get(r)!;
  if (offR % ctx.alignment !== 0 || inputOffset % ctx.alignment !== 0 || inputOffset < 0) return false;
  // The kernel reads r's element (pixel) i before writing w's element i;
  // another input of this step overlapping w's bytes at a different offset
  // would be read after being overwritten.
  const wStart = offR - inputOffset;
  const wEnd = wStart + byId.get(w)!.bytes;
  for (const x of ctx.step.reads) {
    if (x === r || liveClass(classes, classOf.get(x)!) !== cr) continue;
    const xo = memberOffset.get(x)!;
    if (xo !== offR && xo < wEnd && wStart < xo + byId.get(x)!.bytes) return false;
  }
  return true;
}

/**
 * Moves w's class into r's, w starting `inputOffset` bytes before r.
 *
 * In place (`grow` false) w lies inside r's block, which stays whole until
 * w's last use. An overlap may start w before the block's start: r's members
 * move up instead (by an aligned amount, since offR and inputOffset are
 * aligned) and the block grows. Its occupancy is then two-part: r's storage
 * from r's producer to the step before this one, and w's bytes (covering r's)
 * from this step on, so the bytes of w below r are not reserved while r is
 * being produced and read by others (that is what takes the arena below the
 * bound of separate buffers).
 */
function mergeInto(ctx: InPlaceContext, w: string, r: string, inputOffset: number, grow: boolean): void {
  const { classes, classOf, memberOffset, s } = ctx;
  const cw = classOf.get(w)!;
  const cr = liveClass(classes, classOf.get(r)!);
  const rc = classes[cr]!;
  const wc = classes[cw]!;
  const wStart = memberOffset.get(r)! - inputOffset;
  const lift = Math.max(0, -wStart);
  if (lift > 0) {
    for (const m of rc.members) memberOffset.set(m, memberOffset.get(m)! + lift);
    for (const p of rc.parts) p.offset += lift;
  }
  for (const m of wc.members) {
    memberOffset.set(m, memberOffset.get(m)! + wStart + lift);
    rc.members.push(m);
  }
  if (!grow) {
    for (const p of rc.parts) if (p.last === rc.last) p.last = Math.max(p.last, wc.last);
  } else {
    const wFrom = wStart + lift;
    // Parts of r's block that end here and lie at or above w's start are
    // covered by w's part at this step (r is read while w is written).
    const covered = rc.parts.filter((p) => p.last === s && p.offset >= wFrom);
    const wTo = Math.max(wFrom + wc.bytes, ...covered.map((p) => p.offset + p.bytes));
    for (const p of covered) p.last = s - 1;
    rc.parts = rc.parts.filter((p) => p.first <= p.last);
    rc.parts.push({ offset: wFrom, bytes: wTo - wFrom, first: s, last: wc.last });
    rc.bytes = Math.max(rc.bytes + lift, wTo);
  }
  rc.last = Math.max(rc.last, wc.last);
  wc.mergedInto = cr;
}

function applyInPlace(problem: PlanProblem, ctxBase: Omit<InPlaceContext, 'step' | 's'>): { inPlace: [string, string][]; overlaps: PlanOverlap[] } {
  const inPlace: [string, string][] = [];
  const overlaps: PlanOverlap[] = [];
  const check = (step: PlanStep, s: number, w: string, r: string): void => {
    const where = stepName(step, s);
    if (!step.writes.includes(w)) throw new PlanError(`${where}: in-place output '${w}' is not written by the step`);
    if (!step.reads.includes(r)) throw new PlanError(`${where}: in-place input '${r}' is not read by the step`);
  };
  problem.steps.forEach((step, s) => {
    const ctx: InPlaceContext = { ...ctxBase, step, s };
    for (const [w, r] of step.inPlace ?? []) {
      check(step, s, w, r);
      if (canShare(ctx, w, r, 0, false)) {
        mergeInto(ctx, w, r, 0, false);
        inPlace.push([w, r]);
      }
    }
    for (const o of step.overlap ?? []) {
      check(step, s, o.output, o.input);
      if (!Number.isInteger(o.inputOffset) || o.inputOffset < 0) throw new PlanError(`${stepName(step, s)}: overlap offset ${o.inputOffset} is invalid`);
      if (canShare(ctx, o.output, o.input, o.inputOffset, true)) {
        mergeInto(ctx, o.output, o.input, o.inputOffset, true);
        overlaps.push({ ...o });
      }
    }
  });
  return { inPlace, overlaps };
}

/**
 * Stage overlaps (patch-based execution): the output's class moves into the
 * input's, the input's members `inputOffset` bytes up, the output at the
 * block's start. Each keeps its own part (bytes and steps), so the bytes of
 * the input above the output are free once the input's last reader ran, and
 * the output's bytes only count from its first tile on. Applied when both are
 * storage roots in classes of their own (not with keepInputs); the caller
 * vouches for the order of writes and reads.
 */
function applyStageOverlaps(problem: PlanProblem, ctx: Omit<InPlaceContext, 'step' | 's'>): PlanStageOverlap[] {
  if (problem.keepInputs) return [];
  const applied: PlanStageOverlap[] = [];
  for (const o of problem.stageOverlaps ?? []) {
    lookup(ctx.byId, o.output, 'a stage overlap');
    lookup(ctx.byId, o.input, 'a stage overlap');
    if (!Number.isInteger(o.inputOffset) || o.inputOffset < 0 || o.inputOffset % ctx.alignment !== 0) throw new PlanError(`stage overlap offset ${o.inputOffset} is invalid`);
    if (ctx.aliases.get(o.output)!.root !== o.output || ctx.aliases.get(o.input)!.root !== o.input) continue;
    // a state input keeps its bytes for the next invoke: never overwritten
    if ((problem.liveToEnd ?? []).includes(o.input)) continue;
    const cx = ctx.classOf.get(o.input)!;
    const cy = ctx.classOf.get(o.output)!;
    const xc = ctx.classes[cx]!;
    const yc = ctx.classes[cy]!;
    if (cx === cy || xc.mergedInto !== undefined || yc.mergedInto !== undefined) continue;
    for (const m of xc.members) ctx.memberOffset.set(m, ctx.memberOffset.get(m)! + o.inputOffset);
    for (const p of xc.parts) p.offset += o.inputOffset;
    xc.members.push(...yc.members);
    xc.parts.push(...yc.parts.map((p) => ({ ...p })));
    xc.bytes = Math.max(xc.bytes + o.inputOffset, yc.bytes);
    xc.first = Math.min(xc.first, yc.first);
    xc.last = Math.max(xc.last, yc.last);
    yc.mergedInto = cx;
    applied.push({ ...o });
  }
  return applied;
}

export function analyse(problem: PlanProblem): Analysis {
  const alignment = checkAlignment(problem.alignment);
  const byId = indexBuffers(problem.buffers);
  const stepCount = problem.steps.length;
  const uses = collectUses(problem.steps, byId);
  const aliases = resolveAliases(problem, byId);
  const spans = dataSpans(problem, byId, uses, stepCount);

  // One class per alias tree, in buffer order so that results are deterministic.
  const classes: StorageClass[] = [];
  const classOf = new Map<string, number>();
  const memberOffset = new Map<string, number>();
  for (const b of problem.buffers) {
    if (aliases.get(b.id)!.root !== b.id) continue;
    const span = spans.get(b.id)!;
    classOf.set(b.id, classes.length);
    const bytes = alignUp(b.bytes, alignment);
    classes.push({ bytes, first: span.first, last: span.last, members: [], parts: [{ offset: 0, bytes, first: span.first, last: span.last }] });
  }
  for (const b of problem.buffers) {
    const t = aliases.get(b.id)!;
    const c = classOf.get(t.root)!;
    classOf.set(b.id, c);
    memberOffset.set(b.id, t.offset);
    classes[c]!.members.push(b.id);
  }
  const stageOverlaps = applyStageOverlaps(problem, { byId, aliases, spans, classes, classOf, memberOffset, alignment });
  const { inPlace, overlaps } = applyInPlace(problem, { byId, aliases, spans, classes, classOf, memberOffset, alignment });
  return { alignment, stepCount, classes, classOf, memberOffset, spans, inPlace, overlaps, stageOverlaps };
}
