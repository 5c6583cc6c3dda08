/**
 * Range estimation from calibration statistics. Every method returns a real
 * range [lo, hi] inside the observed [min, max]; the quantizer widens it to
 * contain 0.
 *  - minmax: the observed extremes.
 *  - percentile p: clips (100-p)% of the values, split between the two tails
 *    (all of it on the upper tail for non-negative data).
 *  - entropy: TensorRT's KL-divergence threshold on |x| (128 levels for signed data, 256 for non-negative).
 *  - mse: the clipping of [min, max] (each end on its own) that minimises the
 *    expected squared quantization error.
 */

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy' | 'mse';
export const CALIBRATION_METHODS: CalibrationMethod[] = ['minmax', 'percentile', 'entropy', 'mse'];

export const HIST_BINS = 2048;

/** Statistics of one tensor over all calibration samples. */
export class TensorStats {
  min = Infinity;
  max = -Infinity;
  /** Histogram of values over [min, max] (filled in the second pass). */
  readonly values = new Float64Array(HIST_BINS);
  /** Histogram of |x| over [0, max(|min|, |max|)]. */
  readonly abs = new Float64Array(HIST_BINS);

  observeRange(data: ArrayLike<number>): void {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (v < this.min) this.min = v;
      if (v > this.max) this.max = v;
    }
  }

  observeHistogram(data: ArrayLike<number>): void {
    const span = this.max - this.min;
    const absMax = Math.max(Math.abs(this.min), Math.abs(this.max));
    if (!(span > 0) || !(absMax > 0)) return;
    const k = HIST_BINS / span;
    const ka = HIST_BINS / absMax;
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      this.values[Math.min(HIST_BINS - 1, Math.max(0, Math.floor((v - this.min) * k)))] += 1;
      this.abs[Math.min(HIST_BINS - 1, Math.floor(Math.abs(v) * ka))] += 1;
    }
  }
}

export interface Range { lo: number; hi: number }

/** Quantile q in [0, 1] of the value histogram (linear within a bin). */
function quantile(s: TensorStats, q: number): number {
  const total = s.values.reduce((a, b) => a + b, 0);
  const width = (s.max - s.min) / HIST_BINS;
  let acc = 0;
  for (let b = 0; b < HIST_BINS; b++) {
    const next = acc + s.values[b];
    if (next >= q * total && s.values[b] > 0) return s.min + width * (b + (q * total - acc) / s.values[b]);
    acc = next;
  }
  return s.max;
}

export function percentileRange(s: TensorStats, percentile: number): Range {
  const tail = (100 - percentile) / 100;
  // one-sided data (e.g. after ReLU) keeps its exact lower end; only the tail that exists is clipped
  const lo = s.min >= 0 ? s.min : quantile(s, tail / 2);
  const hi = s.max <= 0 ? s.max : quantile(s, s.min >= 0 ? 1 - tail : 1 - tail / 2);
  return { lo: Math.max(s.min, lo), hi: Math.min(s.max, hi) };
}

/** KL(P || Q) of two unnormalised histograms (zero bins of P contribute nothing). */
function klDivergence(p: Float64Array, q: Float64Array): number {
  const ps = p.reduce((a, b) => a + b, 0);
  const qs = q.reduce((a, b) => a + b, 0);
  if (ps === 0 || qs === 0) return Infinity;
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    const pi = p[i] / ps;
    // a Q bin that is empty where P is not: smooth with a tiny mass (TensorRT does the same)
    const qi = q[i] > 0 ? q[i] / qs : 1e-10;
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}

/** Threshold on |x| minimising KL between the clipped histogram and its `levels`-level quantization. */
export function entropyThreshold(hist: Float64Array, absMax: number, levels: number): number {
  const n = hist.length;
  let best = n;
  let bestKl = Infinity;
  for (let i = levels; i <= n; i++) {
    const p = hist.slice(0, i);
    let outliers = 0;
    for (let j = i; j < n; j++) outliers += hist[j];
    p[i - 1] += outliers;
    // Q: hist[0:i] merged into `levels` chunks, each chunk's mass spread over its non-empty bins
    const q = new Float64Array(i);
    const per = i / levels;
    for (let l = 0; l < levels; l++) {
      const start = Math.floor(l * per);
      const end = l === levels - 1 ? i : Math.floor((l + 1) * per);
      let sum = 0;
      let nonzero = 0;
      for (let j = start; j < end; j++) { sum += hist[j]; if (hist[j] > 0) nonzero++; }
      if (nonzero === 0) continue;
      for (let j = start; j < end; j++) if (hist[j] > 0) q[j] = sum / nonzero;
    }
    const kl = klDivergence(p, q);
    if (kl < bestKl) { bestKl = kl; best = i; }
  }
  return (best / n) * absMax;
}

export function entropyRange(s: TensorStats): Range {
  const absMax = Math.max(Math.abs(s.min), Math.abs(s.max));
  const levels = s.min >= 0 ? 256 : 128;
  const t = entropyThreshold(s.abs, absMax, levels);
  return { lo: Math.max(s.min, -t), hi: Math.min(s.max, t) };
}

/** Expected squared error of uniform 255-step quantization over [lo, hi] for the value histogram. */
function quantMse(s: TensorStats, lo: number, hi: number): number {
  const lo0 = Math.min(lo, 0);
  const hi0 = Math.max(hi, 0);
  const step = (hi0 - lo0) / 255;
  const width = (s.max - s.min) / HIST_BINS;
  let err = 0;
  for (let b = 0; b < HIST_BINS; b++) {
    const c = s.values[b];
    if (c === 0) continue;
    const v = s.min + width * (b + 0.5);
    const clipped = Math.min(hi0, Math.max(lo0, v));
    err += c * ((v - clipped) ** 2 + (step * step) / 12);
  }
  return err;
}

/**
 * Each end clipped on its own (outliers are usually one-sided): coordinate
 * descent over 200 candidate fractions of max and of min, twice round.
 */
export function mseRange(s: TensorStats): Range {
  let lo = s.min;
  let hi = s.max;
  let bestErr = quantMse(s, lo, hi);
  for (let round = 0; round < 2; round++) {
    for (const side of ['hi', 'lo'] as const) {
      const end = side === 'hi' ? s.max : s.min;
      if ((side === 'hi' && end <= 0) || (side === 'lo' && end >= 0)) continue;
      for (let k = 0; k < 200; k++) {
        const v = end * (1 - k / 200);
        const err = side === 'hi' ? quantMse(s, lo, v) : quantMse(s, v, hi);
        if (err < bestErr) { bestErr = err; if (side === 'hi') hi = v; else lo = v; }
      }
    }
  }
  return { lo, hi };
}

export function needsHistogram(method: CalibrationMethod): boolean {
  return method !== 'minmax';
}

export function rangeOf(s: TensorStats, method: CalibrationMethod, percentile: number): Range {
  if (!Number.isFinite(s.min)) return { lo: 0, hi: 0 };
  if (s.max - s.min <= 0 || method === 'minmax') return { lo: s.min, hi: s.max };
  switch (method) {
    case 'percentile': return percentileRange(s, percentile);
    case 'entropy': return entropyRange(s);
    case 'mse': return mseRange(s);
  }
}

/**
 * Groups that share a member become one group (a --stateful state input is
 * tied both with its output, state-pairs.ts, and with the per-step state of
 * the unrolled LSTM): union-find over the member names, groups in first-seen order.
 */
export function mergeOverlapping(groups: readonly string[][]): string[][] {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  for (const group of groups) {
    for (const m of group) if (!parent.has(m)) parent.set(m, m);
    for (const m of group.slice(1)) {
      const [a, b] = [find(group[0]), find(m)];
      if (a !== b) parent.set(b, a);
    }
  }
  const merged = new Map<string, string[]>();
  for (const m of parent.keys()) {
    const root = find(m);
    const members = merged.get(root) ?? [];
    members.push(m);
    merged.set(root, members);
  }
  return [...merged.values()];
}

/**
 * Every group of tied tensors (Graph.tiedRanges: one tensor per time step of
 * an unrolled LSTM/GRU) gets the union of its members' ranges, so all steps
 * share one quantization and therefore one set of int8 constants.
 */
export function tieRanges(ranges: Map<string, Range>, groups: readonly string[][] | undefined): Map<string, Range> {
  for (const group of mergeOverlapping(groups ?? [])) {
    const members = group.filter((name) => ranges.has(name));
    if (members.length < 2) continue;
    const union: Range = { lo: Math.min(...members.map((m) => ranges.get(m)!.lo)), hi: Math.max(...members.map((m) => ranges.get(m)!.hi)) };
    for (const m of members) ranges.set(m, union);
  }
  return ranges;
}
