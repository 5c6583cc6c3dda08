/**
 * Test helpers for the memory planner: a seeded PRNG, random problem
 * generators and an independent checker that recomputes lifetimes from the
 * problem (it does not trust the planner's reported spans).
 */
import type { Plan, PlanBuffer, PlanProblem, PlanStep } from '../../compiler/plan/types.js';

/** mulberry32: tiny deterministic PRNG, returns an integer in [0, n). */
export function makeRng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(r * n);
  };
}

export const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

export interface Span {
  first: number;
  last: number;
}

/** Alias root and cumulative byte offset of every buffer. */
export function aliasRoots(problem: PlanProblem): Map<string, { root: string; offset: number }> {
  const parent = new Map((problem.aliases ?? []).map((a) => [a.id, a] as const));
  const out = new Map<string, { root: string; offset: number }>();
  for (const b of problem.buffers) {
    let id = b.id;
    let offset = 0;
    for (let a = parent.get(id); a !== undefined; a = parent.get(id)) {
      offset += a.offset ?? 0;
      id = a.of;
    }
    out.set(b.id, { root: id, offset });
  }
  return out;
}

/** Lifetimes straight from the semantics in the brief, written independently of the planner. */
export function expectedSpans(problem: PlanProblem): Map<string, Span> {
  const n = problem.steps.length;
  const own = new Map<string, { first?: number; last?: number }>();
  for (const b of problem.buffers) own.set(b.id, b.kind === 'input' ? { first: 0, last: 0 } : b.kind === 'output' ? { last: n } : {});
  const touch = (id: string, s: number, writes: boolean): void => {
    const o = own.get(id)!;
    if (writes) o.first = s;
    o.last = Math.max(o.last ?? s, s);
  };
  problem.steps.forEach((st, s) => {
    st.reads.forEach((id) => touch(id, s, false));
    st.writes.forEach((id) => touch(id, s, true));
    (st.scratch ?? []).forEach((id) => touch(id, s, true));
  });
  const parent = new Map((problem.aliases ?? []).map((a) => [a.id, a.of] as const));
  const lo = new Map<string, number>();
  const hi = new Map<string, number>();
  for (const b of problem.buffers) {
    const o = own.get(b.id)!;
    for (let id: string | undefined = b.id; id !== undefined; id = parent.get(id)) {
      if (o.first !== undefined) lo.set(id, Math.min(lo.get(id) ?? Infinity, o.first));
      if (o.last !== undefined) hi.set(id, Math.max(hi.get(id) ?? -Infinity, o.last));
    }
  }
  const spans = new Map<string, Span>();
  const get = (id: string): Span => {
    const known = spans.get(id);
    if (known) return known;
    const first = lo.get(id) ?? get(parent.get(id)!).first;
    const s = { first, last: Math.max(first, hi.get(id) ?? first) };
    spans.set(id, s);
    return s;
  };
  for (const b of problem.buffers) get(b.id);
  return spans;
}

function writerStep(problem: PlanProblem, id: string): number {
  return problem.steps.findIndex((s) => s.writes.includes(id));
}

/** Total length of the union of [start, end) intervals. */
function unionLength(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cursor = -Infinity;
  for (const [s, e] of sorted) {
    const from = Math.max(s, cursor);
    if (e > from) total += e - from;
    cursor = Math.max(cursor, e);
  }
  return total;
}

/**
 * Every property a valid plan must have; returns human-readable violations
 * (empty when the plan is valid).
 */
export function checkPlan(problem: PlanProblem, plan: Plan): string[] {
  const errors: string[] = [];
  const align = problem.alignment ?? 16;
  const roots = aliasRoots(problem);
  const spans = expectedSpans(problem);
  const byId = new Map<string, PlanBuffer>(problem.buffers.map((b) => [b.id, b]));
  const applied = plan.inPlace ?? [];

  if (plan.placements.size !== problem.buffers.length) errors.push(`expected ${problem.buffers.length} placements, got ${plan.placements.size}`);
  if (plan.arenaBytes < plan.lowerBound) errors.push(`arena ${plan.arenaBytes} < lower bound ${plan.lowerBound}`);
  for (const b of problem.buffers) {
    const p = plan.placements.get(b.id);
    if (!p) { errors.push(`no placement for ${b.id}`); continue; }
    const exp = spans.get(b.id)!;
    if (p.first !== exp.first || p.last !== exp.last) errors.push(`${b.id}: span [${p.first},${p.last}] expected [${exp.first},${exp.last}]`);
    if (p.bytes !== b.bytes) errors.push(`${b.id}: bytes ${p.bytes} != ${b.bytes}`);
    const r = roots.get(b.id)!;
    if (r.root === b.id) {
      if (p.offset % align !== 0) errors.push(`${b.id}: offset ${p.offset} not aligned to ${align}`);
    } else if (p.offset !== plan.placements.get(r.root)!.offset + r.offset) {
      errors.push(`${b.id}: alias offset ${p.offset} != base ${r.root} + ${r.offset}`);
    }
    // Storage is reserved in aligned units; a view (possibly at an odd offset) only spans its own bytes inside it.
    const extent = r.root === b.id ? alignUp(b.bytes, align) : b.bytes;
    if (p.offset < 0 || p.offset + extent > plan.arenaBytes) errors.push(`${b.id}: [${p.offset}, +${b.bytes}) outside arena ${plan.arenaBytes}`);
  }

  // Applied in-place pairs must be legal: the read data (and every view of its storage) dies at this step.
  for (const [w, r] of applied) {
    const s = writerStep(problem, w);
    if (s < 0 || !problem.steps[s]!.reads.includes(r)) { errors.push(`in-place [${w},${r}] not a write/read of one step`); continue; }
    const rRoot = roots.get(r)!.root;
    for (const b of problem.buffers) {
      if (roots.get(b.id)!.root !== rRoot) continue;
      if (spans.get(b.id)!.last > s) errors.push(`in-place [${w},${r}]: ${b.id} shares ${r}'s storage and is live after step ${s}`);
      if (b.kind === 'input' || b.kind === 'output') errors.push(`in-place [${w},${r}]: overwrites model ${b.kind} ${b.id}`);
    }
    if (byId.get(w)!.bytes > byId.get(r)!.bytes) errors.push(`in-place [${w},${r}]: output larger than input`);
    if (plan.placements.get(w)!.offset !== plan.placements.get(r)!.offset) errors.push(`in-place [${w},${r}] applied but offsets differ`);
  }

  // Applied overlaps: the input dies at the step (with every view of its
  // storage), is no model input or output, and sits exactly inputOffset bytes
  // into the output (the kernel's inequality is about that distance).
  for (const o of plan.overlaps ?? []) {
    const s = writerStep(problem, o.output);
    if (s < 0 || !problem.steps[s]!.reads.includes(o.input)) { errors.push(`overlap [${o.output},${o.input}] not a write/read of one step`); continue; }
    const rRoot = roots.get(o.input)!.root;
    for (const b of problem.buffers) {
      if (roots.get(b.id)!.root !== rRoot) continue;
      if (spans.get(b.id)!.last > s) errors.push(`overlap [${o.output},${o.input}]: ${b.id} shares ${o.input}'s storage and is live after step ${s}`);
      if (b.kind === 'input' || b.kind === 'output') errors.push(`overlap [${o.output},${o.input}]: overwrites model ${b.kind} ${b.id}`);
    }
    const d = plan.placements.get(o.input)!.offset - plan.placements.get(o.output)!.offset;
    if (d !== o.inputOffset) errors.push(`overlap [${o.output},${o.input}]: input ${d} bytes into the output, declared ${o.inputOffset}`);
  }
  const handoffs: [string, string][] = [...applied, ...(plan.overlaps ?? []).map((o): [string, string] => [o.output, o.input])];

  // No two buffers live at the same time may share bytes unless they are views of one storage or an in-place handoff.
  const list = problem.buffers.map((b) => ({ id: b.id, p: plan.placements.get(b.id)!, span: spans.get(b.id)!, root: roots.get(b.id)!.root }));
  const extentOf = (x: (typeof list)[number]): number => (x.root === x.id ? alignUp(x.p.bytes, align) : x.p.bytes);
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!;
      const b = list[j]!;
      if (!a.p || !b.p) continue;
      const t0 = Math.max(a.span.first, b.span.first);
      const t1 = Math.min(a.span.last, b.span.last);
      if (t0 > t1) continue;
      if (a.p.offset >= b.p.offset + b.p.bytes || b.p.offset >= a.p.offset + a.p.bytes) continue;
      if (a.root === b.root) continue;
      const handoff = handoffs.some(([w, r]) => {
        const rw = roots.get(w)!.root;
        const rr = roots.get(r)!.root;
        const s = writerStep(problem, w);
        return ((rw === a.root && rr === b.root) || (rw === b.root && rr === a.root)) && t0 === s && t1 === s;
      });
      if (!handoff) errors.push(`${a.id} [${a.span.first},${a.span.last}]@${a.p.offset}+${a.p.bytes} overlaps ${b.id} [${b.span.first},${b.span.last}]@${b.p.offset}+${b.p.bytes}`);
    }
  }

  // The lower bound must cover what is really in use at every step.
  let maxUnion = 0;
  for (let t = 0; t <= problem.steps.length; t++) {
    const live = list.filter((x) => x.span.first <= t && t <= x.span.last).map((x): [number, number] => [x.p.offset, x.p.offset + extentOf(x)]);
    const u = unionLength(live);
    maxUnion = Math.max(maxUnion, u);
    if (u > plan.lowerBound) errors.push(`step ${t}: ${u} bytes in use > lower bound ${plan.lowerBound}`);
  }
  if ((problem.aliases ?? []).length === 0 && handoffs.length === 0 && maxUnion !== plan.lowerBound) {
    errors.push(`without sharing the lower bound ${plan.lowerBound} should equal the peak in use ${maxUnion}`);
  }
  return errors;
}

/** Options of a random chain (Conv → [Relu] → Conv ...). */
export interface ChainOptions {
  length: number;
  inPlaceActivations: boolean;
  scratch: boolean;
  alignment?: number;
}

/** A random chain; with inPlaceActivations every op is followed by an elementwise op declared in place. */
export function randomChain(rng: (n: number) => number, o: ChainOptions): PlanProblem {
  const buffers: PlanBuffer[] = [{ id: 'x0', bytes: 1 + rng(2000), kind: 'input' }];
  const steps: PlanStep[] = [];
  let prev = 'x0';
  for (let i = 1; i <= o.length; i++) {
    const id = `x${i}`;
    buffers.push({ id, bytes: 1 + rng(2000), kind: 'activation' });
    const step: PlanStep = { reads: [prev], writes: [id], name: `conv${i}` };
    if (o.scratch && rng(2) === 0) {
      buffers.push({ id: `s${i}`, bytes: 1 + rng(500), kind: 'scratch' });
      step.scratch = [`s${i}`];
    }
    steps.push(step);
    prev = id;
    if (o.inPlaceActivations) {
      const act = `a${i}`;
      buffers.push({ id: act, bytes: buffers.find((b) => b.id === prev)!.bytes, kind: 'activation' });
      steps.push({ reads: [prev], writes: [act], inPlace: [[act, prev]], name: `relu${i}` });
      prev = act;
    }
  }
  buffers.find((b) => b.id === prev)!.kind = 'output';
  return { buffers, steps, alignment: o.alignment };
}

/**
 * A random DAG problem: steps read 1-3 earlier buffers, write 1-2, sometimes
 * use scratch, declare in-place pairs (legal or not), create reshape aliases
 * (chains too, with offsets) and Concat-by-construction (two views written by
 * two steps into one base that nobody writes directly).
 */
export function randomProblem(rng: (n: number) => number): PlanProblem {
  const alignment = [16, 16, 8, 4, 1, 32][rng(6)]!;
  const buffers: PlanBuffer[] = [];
  const aliases: { id: string; of: string; offset?: number }[] = [];
  const steps: PlanStep[] = [];
  const avail: string[] = [];
  const sizeOf = (id: string): number => buffers.find((b) => b.id === id)!.bytes;
  let counter = 0;
  const fresh = (prefix: string, bytes: number, kind: PlanBuffer['kind']): string => {
    const id = `${prefix}${counter++}`;
    buffers.push({ id, bytes, kind });
    return id;
  };
  for (let i = 0, n = 1 + rng(2); i < n; i++) avail.push(fresh('in', 1 + rng(400), 'input'));
  const nSteps = 1 + rng(14);
  let pendingConcat: { b: string; base: string } | undefined;
  for (let s = 0; s < nSteps; s++) {
    const reads: string[] = [];
    for (let k = 0, n = 1 + rng(3); k < n; k++) {
      // Prefer recent buffers, like real graphs, but sometimes reach far back (skip connections).
      const pool = rng(3) === 0 ? avail : avail.slice(-3);
      const pick = pool[rng(pool.length)]!;
      if (!reads.includes(pick)) reads.push(pick);
    }
    const writes: string[] = [];
    const nWrites = rng(5) === 0 ? 2 : 1;
    for (let k = 0; k < nWrites; k++) {
      const same = rng(2) === 0 ? sizeOf(reads[0]!) - rng(3) : 1 + rng(400);
      writes.push(fresh('t', Math.max(1, same), 'activation'));
    }
    const step: PlanStep = { reads, writes };
    if (rng(3) === 0) step.scratch = [fresh('scr', 1 + rng(200), 'scratch')];
    if (rng(2) === 0) step.inPlace = [[writes[0]!, reads[rng(reads.length)]!]];
    if (pendingConcat) {
      step.writes.push(pendingConcat.b);
    } else if (s + 1 < nSteps && rng(6) === 0) {
      const a = 1 + rng(200);
      const b = 1 + rng(200);
      const base = fresh('cat', alignUp(a, alignment) + b, 'activation');
      const va = fresh('ca', a, 'activation');
      const vb = fresh('cb', b, 'activation');
      aliases.push({ id: va, of: base }, { id: vb, of: base, offset: alignUp(a, alignment) });
      step.writes.push(va);
      pendingConcat = { b: vb, base };
      steps.push(step);
      avail.push(...writes);
      continue;
    }
    steps.push(step);
    avail.push(...writes);
    if (pendingConcat) {
      avail.push(pendingConcat.base);
      pendingConcat = undefined;
    }
    if (rng(4) === 0) {
      const target = rng(2) === 0 ? writes[0]! : avail[rng(avail.length)]!;
      const tb = sizeOf(target);
      const bytes = 1 + rng(tb);
      const offset = rng(3) === 0 ? rng(tb - bytes + 1) : 0;
      const view = fresh('v', bytes, 'activation');
      aliases.push(offset ? { id: view, of: target, offset } : { id: view, of: target });
      avail.push(view);
    }
  }
  // One or two of the latest non-input buffers become model outputs.
  const candidates = avail.filter((id) => buffers.find((b) => b.id === id)!.kind === 'activation');
  for (let k = 0, n = 1 + rng(2); k < n && candidates.length > 0; k++) {
    const id = candidates.splice(Math.max(0, candidates.length - 1 - rng(3)), 1)[0]!;
    buffers.find((b) => b.id === id)!.kind = 'output';
  }
  return { buffers, steps, aliases, alignment };
}
