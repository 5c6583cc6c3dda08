/**
 * Kernel cost tables: instructions of one layer as a linear function of its
 * shape, per kernel kind and implementation, measured per core on our own
 * QEMU harness (`npm run measure:kernel-costs`, compiler/bench/
 * measure-kernel-costs.ts) and stored as data in
 * compiler/data/kernel-costs/<cpu>.json. `--backend auto` reads them to pick,
 * layer by layer, the cheaper of our portable kernel and the board's library.
 *
 *   instructions = fixed + c_outputs * outputs + c_macs * macs + c_patch * patch + c_edge * edge
 *                  + c_weights * weights + c_gathered * gathered
 *
 * outputs: output elements (softmax: rows); macs: multiply-accumulates (pools:
 * window reads; add/mul: 0, softmax: elements); patch: the conv's im2col
 * volume, out pixels x kh x kw x in_c (0 for other kinds); edge: conv and
 * depthwise output elements whose window crosses the input's border (the
 * padded path, slower in both implementations; 0 for other kinds).
 * weights: conv and depthwise filter elements, which our kernels widen to
 * 16-bit lanes once per call; gathered: bytes our kernels copy besides the
 * MAC loop, the conv's im2col windows it cannot read in place and the
 * depthwise input (widened row by row): both scale with a call's own size,
 * not with a constant, so a layer cut into tiles (patch-based execution)
 * pays them per tile and no more. Tables measured before these two features
 * have no coefficient for them (read as 0).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Op } from '../ir/program.js';
import { packageRoot } from '../emit/paths.js';
import { solveLinearSystem } from '../linear-system.js';

/** Layer kinds a library can run instead of ours: measured for both. */
export const LIBRARY_COST_KINDS = ['conv_1x1', 'conv_kxk', 'depthwise', 'fully_connected', 'add', 'mul', 'max_pool', 'avg_pool', 'softmax'] as const;
/**
 * Our memory-sharing variants (overlapped pointwise, in-place depthwise):
 * portable only, measured apart because their cost over the plain kernel
 * differs by core (about 5% on the M4, about a third on RV32).
 */
export const SHARING_COST_KINDS = ['conv_1x1_overlap', 'depthwise_inplace'] as const;
/**
 * Our convolutions with pre-widened weights (passes/wide-conv-weights.ts):
 * portable only, chosen by the board's flash rather than by cost (no library
 * kernel reads them), measured so that estimates (inspect, latency) are right.
 */
export const WIDE_COST_KINDS = ['conv_1x1_wide', 'conv_kxk_wide'] as const;
/**
 * The 16x8 kinds (int16 activations; CMSIS-NN's _s16 calls), measured where
 * a library has them (CMSIS-NN cores; measured so far: cortex-m4). A core's
 * table without them leaves auto to its median rule for those layers.
 */
export const S16_COST_KINDS = ['conv_1x1_s16', 'conv_kxk_s16', 'depthwise_s16', 'fully_connected_s16', 'add_s16', 'mul_s16', 'max_pool_s16', 'avg_pool_s16', 'softmax_s16'] as const;
/** Layer kinds the cost table models. */
export const COST_KINDS = [...LIBRARY_COST_KINDS, ...SHARING_COST_KINDS, ...WIDE_COST_KINDS, ...S16_COST_KINDS] as const;
export type CostKind = (typeof COST_KINDS)[number];
export type SharingCostKind = (typeof SHARING_COST_KINDS)[number];
export type WideCostKind = (typeof WIDE_COST_KINDS)[number];

/** The plain kind a sharing or widened variant computes the same outputs as (its fallback, an overestimate for the widened, when a table lacks the variant). */
const PLAIN_KIND_OF: Record<SharingCostKind | WideCostKind, CostKind> = {
  conv_1x1_overlap: 'conv_1x1', depthwise_inplace: 'depthwise', conv_1x1_wide: 'conv_1x1', conv_kxk_wide: 'conv_kxk',
};
export const isSharingKind = (k: CostKind): k is SharingCostKind => (SHARING_COST_KINDS as readonly string[]).includes(k);
export const isWideKind = (k: CostKind): k is WideCostKind => (WIDE_COST_KINDS as readonly string[]).includes(k);

/** Implementations measured: ours, and the kernel libraries' calls for the op. */
export type Implementation = 'portable' | 'cmsis-nn' | 'esp-nn';

export interface ShapeFeatures { outputs: number; macs: number; patch: number; edge: number; weights: number; gathered: number }

export const FEATURE_NAMES = ['fixed', 'outputs', 'macs', 'patch', 'edge', 'weights', 'gathered'] as const;
export type Coefficients = Record<(typeof FEATURE_NAMES)[number], number>;

export interface FittedCost {
  coefficients: Coefficients;
  /** Largest |estimate - measured| / measured over the shapes it was fitted on. */
  maxRelError: number;
  /** Shapes measured. */
  points: number;
}

export interface CostTable {
  cpu: string;
  /** How it was measured: machine, compiler and flags, library code path. */
  method: string;
  kinds: Partial<Record<CostKind, Partial<Record<Implementation, FittedCost>>>>;
  /** The raw measurements the coefficients come from. */
  measurements: { kind: CostKind; layer: string; implementation: Implementation; features: ShapeFeatures; instructions: number }[];
}

const num = (op: Op, key: string): number => Number(op.params[key]);

/**
 * The cost kind of a lowered op, or undefined for ops no library can run
 * (auto gives those to the portable kernel without asking the table).
 * The sharing variants (in-place depthwise, overlapped pointwise) are kinds
 * of their own (portable only).
 */
export function costKindOf(op: Op): CostKind | undefined {
  switch (op.kind) {
    case 'conv2d':
      return num(op, 'k_h') === 1 && num(op, 'k_w') === 1 ? 'conv_1x1' : 'conv_kxk';
    case 'conv2d_1x1_overlap': return 'conv_1x1_overlap';
    // widened convs (passes/wide-conv-weights.ts): the 1x1 kernel, and the general one (any window)
    case 'conv2d_1x1_wide': return 'conv_1x1_wide';
    case 'conv2d_wide': return 'conv_kxk_wide';
    case 'depthwise_conv2d': return 'depthwise';
    case 'depthwise_conv2d_inplace': return 'depthwise_inplace';
    case 'fully_connected': return 'fully_connected';
    case 'add': return 'add';
    case 'mul': return 'mul';
    case 'max_pool': return 'max_pool';
    case 'avg_pool': return 'avg_pool';
    case 'softmax': return 'softmax';
    case 'conv2d_s16':
      return num(op, 'k_h') === 1 && num(op, 'k_w') === 1 ? 'conv_1x1_s16' : 'conv_kxk_s16';
    case 'depthwise_conv2d_s16': return 'depthwise_s16';
    case 'fully_connected_s16': return 'fully_connected_s16';
    case 'add_s16': return 'add_s16';
    case 'mul_s16': return 'mul_s16';
    case 'max_pool_s16': return 'max_pool_s16';
    case 'avg_pool_s16': return 'avg_pool_s16';
    case 'softmax_s16': return 'softmax_s16';
    default: return undefined;
  }
}

/** Output positions along one axis whose window reaches outside the input (padding or a window cut short). */
function borderPositions(inSize: number, outSize: number, k: number, stride: number, dil: number, padBegin: number): number {
  let border = 0;
  for (let o = 0; o < outSize; o++) {
    const first = o * stride - padBegin;
    if (first < 0 || first + (k - 1) * dil > inSize - 1) border++;
  }
  return border;
}

/** Output pixels (per batch) of a conv-like op whose window crosses the input border. */
function borderPixels(op: Op): number {
  const [outH, outW] = [num(op, 'out_h'), num(op, 'out_w')];
  const rows = borderPositions(num(op, 'in_h'), outH, num(op, 'k_h'), num(op, 'stride_h'), num(op, 'dil_h') || 1, num(op, 'pad_top'));
  const cols = borderPositions(num(op, 'in_w'), outW, num(op, 'k_w'), num(op, 'stride_w'), num(op, 'dil_w') || 1, num(op, 'pad_left'));
  return outH * outW - (outH - rows) * (outW - cols);
}

/** Output elements of a conv-like op whose window crosses the input border. */
function edgeOutputs(op: Op): number {
  return num(op, 'batches') * borderPixels(op) * num(op, 'out_c');
}

/**
 * Filter bytes up to which our conv kernel takes its expanded-weight path
 * (runtime-c/edgec_conv_s8.c EDGEC_CONV_MAX_FSIZE): only that path gathers
 * im2col windows.
 */
const CONV_MAX_FSIZE = 288;

/**
 * Bytes our portable kernel copies outside its MAC loop (the `gathered`
 * feature). Conv (expanded-weight path): the im2col window of every pixel it
 * cannot read in place (edgec_conv_s8.c conv_fast: tap rows of whole words,
 * window inside the input), all pixels otherwise. Depthwise: its input
 * elements (widened once per row it is read in, and what a stride of 2 adds
 * per output).
 */
function gatheredBytes(op: Op): number {
  if (op.kind === 'depthwise_conv2d' || op.kind === 'depthwise_conv2d_inplace') return num(op, 'batches') * num(op, 'in_h') * num(op, 'in_w') * num(op, 'in_c');
  const fsize = num(op, 'k_h') * num(op, 'k_w') * (num(op, 'in_c') / Math.max(1, num(op, 'groups')));
  if (num(op, 'groups') > 1 || fsize > CONV_MAX_FSIZE) return 0;
  const run = num(op, 'k_w') * num(op, 'in_c');
  const inPlace = (num(op, 'dil_w') || 1) === 1 && run % 4 === 0 && (num(op, 'k_h') === 1 || run >= 8);
  const pixels = inPlace ? borderPixels(op) : num(op, 'out_h') * num(op, 'out_w');
  return num(op, 'batches') * pixels * fsize;
}

/** The shape features of an op of a cost kind (see the file comment). */
export function shapeFeatures(op: Op): ShapeFeatures {
  const none = { weights: 0, gathered: 0 };
  switch (costKindOf(op)) {
    case 'conv_1x1': case 'conv_kxk': case 'depthwise': case 'conv_1x1_overlap': case 'depthwise_inplace': case 'conv_1x1_wide': case 'conv_kxk_wide':
    case 'conv_1x1_s16': case 'conv_kxk_s16': case 'depthwise_s16': {
      const pixels = num(op, 'batches') * num(op, 'out_h') * num(op, 'out_w');
      const inPerGroup = num(op, 'in_c') / Math.max(1, num(op, 'groups'));
      const depthwise = op.kind === 'depthwise_conv2d' || op.kind === 'depthwise_conv2d_inplace' || op.kind === 'depthwise_conv2d_s16';
      return {
        outputs: pixels * num(op, 'out_c'), macs: op.macs, patch: depthwise ? 0 : pixels * num(op, 'k_h') * num(op, 'k_w') * inPerGroup, edge: edgeOutputs(op),
        weights: num(op, 'out_c') * num(op, 'k_h') * num(op, 'k_w') * inPerGroup, gathered: gatheredBytes(op),
      };
    }
    case 'fully_connected': case 'fully_connected_s16':
      return { outputs: num(op, 'batches') * num(op, 'out_depth'), macs: op.macs, patch: 0, edge: 0, ...none };
    case 'add': case 'mul': case 'add_s16': case 'mul_s16':
      return { outputs: num(op, 'size'), macs: 0, patch: 0, edge: 0, ...none };
    case 'max_pool': case 'avg_pool': case 'max_pool_s16': case 'avg_pool_s16': {
      const outputs = num(op, 'batches') * num(op, 'out_h') * num(op, 'out_w') * num(op, 'channels');
      return { outputs, macs: outputs * num(op, 'k_h') * num(op, 'k_w'), patch: 0, edge: 0, ...none };
    }
    case 'softmax': case 'softmax_s16':
      return { outputs: num(op, 'rows'), macs: num(op, 'rows') * num(op, 'row_size'), patch: 0, edge: 0, ...none };
    default:
      return { outputs: 0, macs: 0, patch: 0, edge: 0, ...none };
  }
}

export function estimateWith(c: Coefficients, f: ShapeFeatures): number {
  return c.fixed + c.outputs * f.outputs + c.macs * f.macs + c.patch * f.patch + c.edge * f.edge + c.weights * f.weights + c.gathered * f.gathered;
}

/**
 * A fit whose largest error on its own measurements exceeds this is not
 * used: the shape features miss what drives that kernel's cost (CMSIS-NN's
 * Helium max pool on the M55 costs by 16-channel vectors: 4 channels take
 * as long as 16).
 */
export const MAX_TRUSTED_FIT_ERROR = 0.4;

/** The fit of a kind and implementation the estimates may use (measured, and within MAX_TRUSTED_FIT_ERROR). */
export function trustedFit(table: CostTable, kind: CostKind, impl: Implementation): FittedCost | undefined {
  const fit = table.kinds[kind]?.[impl];
  return fit && fit.maxRelError <= MAX_TRUSTED_FIT_ERROR ? fit : undefined;
}

/**
 * Estimated instructions of `op` run by `impl`, or undefined when the table
 * has no trusted fit for them. A sharing variant the table did not measure
 * is estimated as its plain kind (an underestimate: the variant costs more).
 */
export function estimateInstructions(table: CostTable, op: Op, impl: Implementation): number | undefined {
  const kind = costKindOf(op);
  if (!kind) return undefined;
  const fit = table.kinds[kind]?.[impl] ? trustedFit(table, kind, impl) : isSharingKind(kind) || isWideKind(kind) ? trustedFit(table, PLAIN_KIND_OF[kind], impl) : undefined;
  return fit ? Math.round(estimateWith(fit.coefficients, shapeFeatures(op))) : undefined;
}

/** Whether a cost kind is a 16x8 one (int16 activations). */
export const isS16Kind = (k: CostKind): boolean => (S16_COST_KINDS as readonly string[]).includes(k);

/** The precision whose measurements speak for an op: 16x8 layers by the _s16 kinds, the rest by the int8 ones. */
export type Precision = 'int8' | 's16';

/**
 * Estimated instructions of `ops`, each by the implementation that runs it
 * (default: our portable kernels); an op the table cannot estimate for its
 * implementation counts as ours, one it cannot estimate at all as 0.
 */
export function estimateProgramInstructions(table: CostTable, ops: readonly Op[], implementationOf: (op: Op) => Implementation = () => 'portable'): number {
  return ops.reduce((a, op) => a + (estimateInstructions(table, op, implementationOf(op)) ?? estimateInstructions(table, op, 'portable') ?? 0), 0);
}

/**
 * The library's instructions over ours, median over every shape of one
 * precision the table measured with both on this core: what a layer the
 * table cannot estimate (no fit for its kind, or an untrusted one) is
 * decided by. Precisions apart: CMSIS-NN's _s16 kernels beat ours on the M4
 * where its int8 ones do not.
 */
export function medianLibraryRatio(table: CostTable, impl: Implementation, precision: Precision = 'int8'): { median: number; shapes: number } | undefined {
  const ours = new Map(table.measurements.filter((m) => m.implementation === 'portable').map((m) => [`${m.kind}|${m.layer}`, m.instructions] as const));
  const ratios = table.measurements
    .filter((m) => m.implementation === impl && isS16Kind(m.kind) === (precision === 's16') && ours.has(`${m.kind}|${m.layer}`))
    .map((m) => m.instructions / ours.get(`${m.kind}|${m.layer}`)!)
    .sort((a, b) => a - b);
  if (ratios.length === 0) return undefined;
  const mid = ratios.length >> 1;
  return { median: ratios.length % 2 ? ratios[mid]! : (ratios[mid - 1]! + ratios[mid]!) / 2, shapes: ratios.length };
}

/** The sharing variant's op kind for a plain conv / depthwise op (the kind the planner gives it when it shares memory). */
export function sharingVariantOf(op: Op): Op | undefined {
  if (op.kind === 'depthwise_conv2d') return { ...op, kind: 'depthwise_conv2d_inplace' };
  if (op.kind === 'conv2d' && num(op, 'k_h') === 1 && num(op, 'k_w') === 1) return { ...op, kind: 'conv2d_1x1_overlap' };
  return undefined;
}

export const costTablesDir = (): string => join(packageRoot(), 'compiler', 'data', 'kernel-costs');

export const costTablePath = (cpu: string): string => join(costTablesDir(), `${cpu}.json`);

const cache = new Map<string, CostTable | undefined>();

/** A table as stored, with the features and coefficients it predates (weights, gathered) as 0: older tables and kept library fits. */
export function withAllFeatures(table: CostTable): CostTable {
  const coefficients = (c: Partial<Coefficients>): Coefficients => Object.fromEntries(FEATURE_NAMES.map((n) => [n, c[n] ?? 0])) as Coefficients;
  const features = (f: Partial<ShapeFeatures>): ShapeFeatures => ({ outputs: 0, macs: 0, patch: 0, edge: 0, weights: 0, gathered: 0, ...f });
  const kinds: CostTable['kinds'] = {};
  for (const [kind, perImpl] of Object.entries(table.kinds) as [CostKind, Partial<Record<Implementation, FittedCost>>][]) {
    kinds[kind] = Object.fromEntries(Object.entries(perImpl).map(([impl, fit]) => [impl, { ...fit, coefficients: coefficients(fit.coefficients) }]));
  }
  return { ...table, kinds, measurements: table.measurements.map((m) => ({ ...m, features: features(m.features) })) };
}

/** The measured cost table of a core (boards' `cpu`), or undefined when none was measured. */
export function costTableFor(cpu: string): CostTable | undefined {
  if (!/^[a-z0-9-]+$/.test(cpu)) return undefined;
  if (!cache.has(cpu)) {
    const path = costTablePath(cpu);
    cache.set(cpu, existsSync(path) ? withAllFeatures(JSON.parse(readFileSync(path, 'utf8')) as CostTable) : undefined);
  }
  return cache.get(cpu);
}

// ---- fitting -------------------------------------------------------------

/** a x = b, or undefined when singular. */
const solve = (a: number[][], b: number[]): number[] | undefined => solveLinearSystem(a, b, 1e-12);

const featureVector = (f: ShapeFeatures): number[] => [1, f.outputs, f.macs, f.patch, f.edge, f.weights, f.gathered];

/**
 * Least squares weighted by 1/measured (so small layers count as much as big
 * ones: relative error), with non-negative coefficients: a feature whose
 * coefficient comes out negative, or that no sample exercises, is dropped and
 * the rest refitted (a cost never falls as a layer grows).
 */
export function fitCoefficients(samples: { features: ShapeFeatures; instructions: number }[]): FittedCost {
  let active = FEATURE_NAMES.map((_, i) => i).filter((i) => samples.some((s) => featureVector(s.features)[i] !== 0));
  let coef: number[] = FEATURE_NAMES.map(() => 0);
  while (active.length > 0) {
    const ata = active.map(() => active.map(() => 0));
    const atb = active.map(() => 0);
    for (const s of samples) {
      const w = 1 / Math.max(1, s.instructions);
      const x = featureVector(s.features);
      active.forEach((i, r) => {
        atb[r]! += w * w * x[i]! * s.instructions;
        active.forEach((j, c) => { ata[r]![c]! += w * w * x[i]! * x[j]!; });
      });
    }
    const sol = solve(ata, atb);
    if (!sol) { active = active.slice(0, -1); continue; }
    const worst = sol.reduce((best, v, k) => (v < (sol[best] ?? 0) ? k : best), 0);
    if (sol[worst]! < 0) { active = active.filter((_, k) => k !== worst); continue; }
    coef = FEATURE_NAMES.map(() => 0);
    active.forEach((i, k) => { coef[i] = sol[k]!; });
    break;
  }
  const coefficients = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, Number(coef[i]!.toPrecision(6))])) as Coefficients;
  const maxRelError = Math.max(0, ...samples.map((s) => Math.abs(estimateWith(coefficients, s.features) - s.instructions) / Math.max(1, s.instructions)));
  return { coefficients, maxRelError: Number(maxRelError.toFixed(4)), points: samples.length };
}
