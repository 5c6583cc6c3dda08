/**
 * Patch-based execution of a network's first stage (MCUNetV2): the stage's
 * output is split into a grid of tiles and every layer of the stage runs on
 * the patch of its feature map that tile needs (halo included), so only the
 * stage input and the stage output are full-size tensors in the arena; the
 * intermediate feature maps exist as patch buffers of one tile at a time.
 *
 * The stage is a chain of convolutions / depthwise convolutions starting at
 * the program's first one, each layer's only reader being the next. A patch
 * layer is the same portable kernel with a patch geometry (plan/patch-geometry.ts):
 * its input the previous patch, padding only on tiles touching the image
 * border. The first layer reads a band of whole rows of the stage input in
 * place (a view) or a copy of its input window (copy_window, ops/patch.ts);
 * the last layer writes whole-row tiles straight into the stage output (a
 * view) or a patch that copy_window puts at the tile's offset. Same weights,
 * same arithmetic, same bytes out: only the halo is computed more than once
 * (reported as extra MACs).
 *
 * The choice (`--patch auto`): among stage prefixes and rows x cols grids
 * (strips, square and oblong tiles: an oblong grid recomputes less halo
 * along the axis it cuts less), the one whose planned arena is lowest, kept
 * only when it is below the unpatched arena and the halo costs less than
 * DEFAULT_MAX_EXTRA_MACS more MACs and more estimated instructions (the
 * board's kernel-cost table) over the whole model.
 */
import type { Op, Program, Value } from '../ir/program.js';
import { valueBytes } from '../ir/program.js';
import { copyWindowParams } from '../ops/patch.js';
import { spanLength, tilePlans, type Grid, type LayerWindow, type Span, type TilePlan } from '../plan/patch-geometry.js';
import { alignUp } from '../plan/lifetimes.js';
import type { ProgramPlanOptions } from '../plan/program.js';
import { portableBackend, type Backend } from '../backends/index.js';

/**
 * `--patch`: auto (the planner's choice), off, or a fixed grid, n x n or
 * rows x cols (stage chosen by arena, applied even when it does not help).
 * The API also takes an exact stage (its first `layers` convolutions) and grid.
 */
export type PatchMode = 'auto' | 'off' | number | Grid | { layers: number; grid: Grid };

/** Extra MACs (fraction of the model's) the halo may cost under `--patch auto`. */
export const DEFAULT_MAX_EXTRA_MACS = 0.15;

/** Most tiles along either axis of the rows x cols grids `auto` tries (strips, square and oblong grids). */
const MAX_GRID = 8;

/** Candidates within the limits planned in full (the rest are ranked out by their estimated stage peak). */
const PLANNED_CANDIDATES = 6;

/** Most candidates planned in all, those over the instruction limit included (a bound on build time). */
const MAX_PLANNED = 24;

/**
 * How far over the instruction limit a candidate's pre-plan estimate (the
 * rest of the program as the unpatched plan runs it) may be and still be
 * planned: planning may change the sharing kernels outside the stage.
 */
const PREFILTER_SLACK = 0.02;

/** A program as the pipeline plans it: its arena and its ops in their planned kinds (sharing variants included). */
export interface PlannedCandidate {
  arenaBytes: number;
  program: Program;
}

export interface PatchStageOptions {
  mode: PatchMode;
  /** The program planned as the pipeline plans it. */
  plan: (program: Program) => PlannedCandidate;
  /** Default DEFAULT_MAX_EXTRA_MACS (auto only). */
  maxExtraMacs?: number;
  /**
   * Estimated instructions of a planned program (the board's measured cost
   * table), undefined without one. auto holds the halo's extra instructions
   * to the same limit as its MACs: a patch call repeats per-call work
   * (weight expansion, borders), which MACs do not show. Planned, because the
   * unpatched stage may run the slower sharing kernels (in-place depthwise,
   * overlapped pointwise) the patch layers do not.
   */
  instructionsOf?: (planned: Program) => number | undefined;
}

/** What `inspect` and the build report say about the chosen patch stage. */
export interface PatchReport {
  /** ONNX names of the stage's first and last layers, and how many layers it has. */
  firstLayer: string;
  lastLayer: string;
  layers: number;
  /** Physical shape of the stage output (NHWC). */
  outputShape: number[];
  grid: Grid;
  arenaBefore: number;
  arenaAfter: number;
  macsBefore: number;
  macsAfter: number;
  /** Estimated instructions of the whole model before and after (the cost table auto decides by), when the board has one. */
  instructionsBefore?: number;
  instructionsAfter?: number;
}

export interface PatchStageResult {
  program: Program;
  /** Set when a patch stage was applied. */
  chosen?: PatchReport;
  /** One line for inspect: what was chosen or why nothing was. */
  note: string;
}

const WINDOW_KINDS = new Set(['conv2d', 'depthwise_conv2d']);

const num = (op: Op, key: string): number => Number(op.params[key]);

/** A conv / depthwise op with batch 1 between plain int8 NHWC tensors: a layer a patch can run. */
function patchableLayer(program: Program, op: Op): boolean {
  if (!WINDOW_KINDS.has(op.kind) || op.inputs.length !== 1 || op.outputs.length !== 1 || num(op, 'batches') !== 1) return false;
  const x = program.values.get(op.inputs[0]!);
  const y = program.values.get(op.outputs[0]!);
  const plain = (v: Value | undefined): boolean => v !== undefined && v.type === 'int8' && v.shape.length === 4 && v.aliasOf === undefined;
  return plain(x) && plain(y);
}

/** Value ids some other value is a view of. */
function viewedValues(program: Program): Set<string> {
  return new Set([...program.values.values()].flatMap((v) => (v.aliasOf ? [v.aliasOf] : [])));
}

/**
 * The ops (consecutive in program order) of the first stage a patch can run:
 * from the first patchable layer on, while the next op is a patchable layer
 * and the only reader of its predecessor's output (which is then a pure
 * intermediate: no model output, no view of it).
 */
export function stageChain(program: Program): Op[] {
  const start = program.ops.findIndex((op) => patchableLayer(program, op));
  if (start < 0) return [];
  const readers = new Map<string, number>();
  for (const op of program.ops) for (const id of op.inputs) readers.set(id, (readers.get(id) ?? 0) + 1);
  const viewed = viewedValues(program);
  const chain = [program.ops[start]!];
  for (let i = start + 1; i < program.ops.length; i++) {
    const op = program.ops[i]!;
    const prev = chain[chain.length - 1]!.outputs[0]!;
    const intermediate = readers.get(prev) === 1 && !program.outputs.includes(prev) && !viewed.has(prev);
    if (!patchableLayer(program, op) || op.inputs[0] !== prev || !intermediate) break;
    chain.push(op);
  }
  return chain;
}

/** The op's window geometry, from its kernel parameters. */
export function layerWindow(op: Op): LayerWindow {
  return {
    rows: { inSize: num(op, 'in_h'), outSize: num(op, 'out_h'), kernel: num(op, 'k_h'), stride: num(op, 'stride_h'), dilation: num(op, 'dil_h'), padBefore: num(op, 'pad_top') },
    cols: { inSize: num(op, 'in_w'), outSize: num(op, 'out_w'), kernel: num(op, 'k_w'), stride: num(op, 'stride_w'), dilation: num(op, 'dil_w'), padBefore: num(op, 'pad_left') },
  };
}

/** MACs of `op` computing an out_h x out_w patch (the lowering's formula on patch geometry). */
function patchMacs(op: Op, outH: number, outW: number): number {
  return outH * outW * num(op, 'out_c') * (num(op, 'in_c') / num(op, 'groups')) * num(op, 'k_h') * num(op, 'k_w');
}

/** MACs of the stage `layers` run as `tiles`. */
export function patchedStageMacs(layers: readonly Op[], tiles: readonly TilePlan[]): number {
  return tiles.reduce((sum, t) => sum + layers.reduce((a, op, l) => a + patchMacs(op, spanLength(t.rowAxes[l]!.output), spanLength(t.colAxes[l]!.output)), 0), 0);
}

const covers = (s: Span, size: number): boolean => s.start === 0 && s.end === size;

/**
 * Whether the stage's first layer can read its tile's window straight from
 * the stage input, with the image's width as in_w (the row stride) and the
 * pointer on the window's first pixel: the kernel then treats columns past
 * the image's right edge as real data (the next row), so only tiles whose
 * windows need no padding on the right qualify. Rows end where the window
 * does (in_h), so padding below is right as it is.
 */
export function readsStageInputInPlace(first: Op, tile: TilePlan): boolean {
  const c = tile.colAxes[0]!;
  const lastTap = (c.output.end - 1) * num(first, 'stride_w') - num(first, 'pad_left') + (num(first, 'k_w') - 1) * num(first, 'dil_w');
  return lastTap < num(first, 'in_w');
}

/** Bytes of a patch buffer of `rows` x `cols` pixels of `channels`, aligned like the arena. */
const patchBytes = (rows: Span, cols: Span, channels: number): number => alignUp(spanLength(rows) * spanLength(cols) * channels, 16);

/**
 * Peak bytes of the stage alone (stage input + stage output + the two patch
 * buffers of the busiest layer step): a cheap ranking of candidates before
 * they are planned in full.
 */
export function estimatedStagePeak(program: Program, layers: readonly Op[], tiles: readonly TilePlan[]): number {
  const x = program.values.get(layers[0]!.inputs[0]!)!;
  const y = program.values.get(layers[layers.length - 1]!.outputs[0]!)!;
  const last = layers.length - 1;
  let patches = 0;
  for (const t of tiles) {
    for (let l = 0; l < layers.length; l++) {
      const op = layers[l]!;
      const r = t.rowAxes[l]!;
      const c = t.colAxes[l]!;
      // the first layer reads a band of whole rows in place, a narrower window from a copy
      const inputIsView = l === 0 && (covers(c.input, num(op, 'in_w')) || readsStageInputInPlace(op, t));
      const input = inputIsView ? 0 : patchBytes(r.input, c.input, num(op, 'in_c'));
      const output = l === last && covers(c.output, num(op, 'out_w')) ? 0 : patchBytes(r.output, c.output, num(op, 'out_c'));
      patches = Math.max(patches, input + output);
    }
  }
  const [xBytes, yBytes] = [alignUp(valueBytes(x), 16), alignUp(valueBytes(y), 16)];
  // stage input and output in one block when the input is the stage's alone (as patchStage builds it)
  const stageTensors = inputOnlyReadByStage(program, layers[0]!) ? Math.max(yBytes, stageBlockOffset(layers, tiles) + xBytes) : xBytes + yBytes;
  return stageTensors + patches;
}

/** The first stage-input byte a tile reads and the end of the stage-output bytes it writes (the order the shared block relies on). */
function tileBounds(layers: readonly Op[], t: TilePlan): { firstRead: number; writeEnd: number } {
  const [first, last] = [layers[0]!, layers[layers.length - 1]!];
  const r0 = t.rowAxes[0]!.input;
  const c0 = t.colAxes[0]!.input;
  const ty = t.rowAxes[layers.length - 1]!.output;
  const tx = t.colAxes[layers.length - 1]!.output;
  return {
    firstRead: (r0.start * num(first, 'in_w') + c0.start) * num(first, 'in_c'),
    writeEnd: ((ty.end - 1) * num(last, 'out_w') + tx.end) * num(last, 'out_c'),
  };
}

/** Builder of the patched program's new values and ops. */
class PatchBuilder {
  readonly values = new Map<string, Value>();
  readonly ops: Op[] = [];

  constructor(private readonly program: Program) {}

  /** A new int8 NHWC value [1, rows, cols, channels] with `like`'s quantization, optionally a view of `aliasOf`. */
  value(wanted: string, like: Value, rows: number, cols: number, channels: number, view?: { of: string; offset: number }): string {
    // value ids come from the model's tensor names: never take one it already uses
    let id = wanted;
    while (this.program.values.has(id) || this.values.has(id)) id = `${id}_`;
    const shape = [1, rows, cols, channels];
    this.values.set(id, {
      id, type: 'int8', shape, logicalShape: shape, scale: like.scale, zeroPoint: like.zeroPoint, role: 'activation',
      onnxName: `${like.onnxName} (patch)`,
      ...(view ? { aliasOf: view.of, aliasOffset: view.offset } : {}),
    });
    return id;
  }
}

/** The program with `layers` (consecutive ops of `program`, a stageChain prefix) run tile by tile on `grid`. */
export function patchStage(program: Program, layers: readonly Op[], grid: Grid): Program {
  const first = program.ops.indexOf(layers[0]!);
  if (first < 0 || layers.some((op, l) => program.ops[first + l] !== op)) throw new Error('internal: patch stage layers are not consecutive program ops');
  const tiles = tilePlans(layers.map(layerWindow), grid);
  const b = new PatchBuilder(program);
  const xId = layers[0]!.inputs[0]!;
  const yId = layers[layers.length - 1]!.outputs[0]!;
  const x = program.values.get(xId)!;
  const y = program.values.get(yId)!;
  const last = layers.length - 1;
  tiles.forEach((t, k) => {
    const tag = (layer: number): Op['patch'] => ({ tile: k, layer });
    const copy = (name: string, from: string, to: string, p: Op['params']): void => {
      b.ops.push({ kind: 'copy_window', name, onnxOp: layers[0]!.onnxOp, inputs: [from], outputs: [to], params: p, consts: {}, macs: 0, patch: tag(-1) });
    };
    // the first layer's input: a view of the stage input (a band of whole rows, or a window read with the image's row stride), else a copy of the window
    const r0 = t.rowAxes[0]!.input;
    const c0 = t.colAxes[0]!.input;
    const [inW, inC] = [num(layers[0]!, 'in_w'), num(layers[0]!, 'in_c')];
    let current: string;
    const inPlace = readsStageInputInPlace(layers[0]!, t);
    if (covers(c0, inW)) {
      current = b.value(`${xId}__patch${k}`, x, spanLength(r0), inW, inC, { of: xId, offset: r0.start * inW * inC });
    } else if (inPlace) {
      // rows of the image's width from the window's first pixel: the kernel's in_w is the row stride
      const bytes = ((spanLength(r0) - 1) * inW + spanLength(c0)) * inC;
      current = b.value(`${xId}__patch${k}`, x, 1, 1, bytes, { of: xId, offset: (r0.start * inW + c0.start) * inC });
    } else {
      current = b.value(`${xId}__patch${k}`, x, spanLength(r0), spanLength(c0), inC);
      copy(`${layers[0]!.name}/patch${k}/input`, xId, current, copyWindowParams({
        srcW: inW, srcY: r0.start, srcX: c0.start, dstW: spanLength(c0), dstY: 0, dstX: 0, rows: spanLength(r0), cols: spanLength(c0), channels: inC,
      }));
    }
    layers.forEach((op, l) => {
      const r = t.rowAxes[l]!;
      const c = t.colAxes[l]!;
      const [outW, outC] = [num(op, 'out_w'), num(op, 'out_c')];
      const orig = program.values.get(op.outputs[0]!)!;
      const intoOutput = l === last && covers(c.output, outW);
      const out = intoOutput
        ? b.value(`${yId}__patch${k}`, y, spanLength(r.output), outW, outC, { of: yId, offset: r.output.start * outW * outC })
        : b.value(`${op.outputs[0]!}__patch${k}${l === last ? '_tile' : ''}`, orig, spanLength(r.output), spanLength(c.output), outC);
      b.ops.push({
        ...op, name: `${op.name}/patch${k}`, inputs: [current], outputs: [out],
        params: {
          ...op.params, in_h: spanLength(r.input), in_w: l === 0 && inPlace ? inW : spanLength(c.input), out_h: spanLength(r.output), out_w: spanLength(c.output),
          pad_top: r.padBefore, pad_left: c.padBefore,
        },
        macs: patchMacs(op, spanLength(r.output), spanLength(c.output)),
        patch: tag(l),
      });
      current = out;
    });
    if (!covers(t.colAxes[last]!.output, num(layers[last]!, 'out_w'))) {
      // the tile goes to its place in the stage output (a view of all of it, written by this copy only)
      const r = t.rowAxes[last]!.output;
      const c = t.colAxes[last]!.output;
      const outW = num(layers[last]!, 'out_w');
      const whole = b.value(`${yId}__patch${k}`, y, y.shape[1]!, outW, y.shape[3]!, { of: yId, offset: 0 });
      copy(`${layers[last]!.name}/patch${k}/output`, current, whole, copyWindowParams({
        srcW: spanLength(c), srcY: 0, srcX: 0, dstW: outW, dstY: r.start, dstX: c.start, rows: spanLength(r), cols: spanLength(c), channels: y.shape[3]!,
      }));
    }
  });
  const intermediates = new Set(layers.slice(0, last).map((op) => op.outputs[0]!));
  const values = new Map([...program.values].filter(([id]) => !intermediates.has(id)));
  for (const [id, v] of b.values) values.set(id, v);
  const ops = [...program.ops.slice(0, first), ...b.ops, ...program.ops.slice(first + layers.length)];
  const shared = inputOnlyReadByStage(program, layers[0]!) ? { patchOverlap: { output: yId, input: xId, inputOffset: stageBlockOffset(layers, tiles) } } : {};
  return { ...program, values, ops, ...shared };
}

/**
 * Where the stage input may start inside a block it shares with the stage
 * output (the output at the block's start): far enough up that every tile
 * writes its output bytes below the first input byte any later tile reads.
 * Tiles run in raster order and the stage downsamples, so input rows are
 * used up faster than output rows are written: the offset is about one row
 * of tiles' output, much less than the output.
 */
export function sharedBlockOffset(firstRead: readonly number[], writeEnd: readonly number[]): number {
  let offset = 0;
  let laterRead = Infinity;
  for (let k = firstRead.length - 1; k >= 0; k--) {
    offset = Math.max(offset, writeEnd[k]! - laterRead);
    laterRead = Math.min(laterRead, firstRead[k]!);
  }
  return alignUp(offset, 16);
}

/** sharedBlockOffset of the stage's tiles. */
function stageBlockOffset(layers: readonly Op[], tiles: readonly TilePlan[]): number {
  const bounds = tiles.map((t) => tileBounds(layers, t));
  return sharedBlockOffset(bounds.map((b) => b.firstRead), bounds.map((b) => b.writeEnd));
}

/** The stage input is read by the stage's first layer only, has no views and is no model output nor state (its bytes are the stage's to reuse). */
function inputOnlyReadByStage(program: Program, firstLayer: Op): boolean {
  const x = firstLayer.inputs[0]!;
  const readers = program.ops.filter((op) => op.inputs.includes(x));
  const state = (program.state ?? []).some((s) => s.input === x || s.output === x);
  return readers.length === 1 && readers[0] === firstLayer && !program.outputs.includes(x) && !viewedValues(program).has(x) && !state;
}

const totalMacs = (program: Program): number => program.ops.reduce((a, op) => a + op.macs, 0);

interface Candidate {
  layers: Op[];
  grid: Grid;
  macs: number;
  estimate: number;
}

/** Grids `fixed` (a forced grid) or auto allows for a stage output of outH x outW. */
function gridsFor(fixed: Grid | undefined, outH: number, outW: number): Grid[] {
  const grids: Grid[] = fixed
    ? [fixed]
    : Array.from({ length: MAX_GRID }, (_, r) => Array.from({ length: MAX_GRID }, (__, c) => ({ rows: r + 1, cols: c + 1 }))).flat().filter((g) => g.rows * g.cols > 1);
  return grids.filter((g) => g.rows <= outH && g.cols <= outW);
}

const describe = (c: { layers: readonly Op[]; grid: Grid }): string =>
  `${c.layers[0]!.name} .. ${c.layers[c.layers.length - 1]!.name} (${c.layers.length} layers) as ${c.grid.rows}x${c.grid.cols} tiles`;

/** A candidate planned in full: its arena and estimated instructions. */
interface Planned {
  c: Candidate;
  program: Program;
  arena: number;
  instructions?: number;
}

const percent = (after: number, before: number): string => `${after >= before ? '+' : ''}${((100 * (after - before)) / Math.max(1, before)).toFixed(1)}%`;

/** Stage prefixes x grids within the MAC limit and below the unpatched arena (auto), best estimated stage peak first. */
function rankedCandidates(program: Program, chain: readonly Op[], fixed: Grid | undefined, limits: { macs: number; arena: number } | undefined): Candidate[] {
  const macsBefore = totalMacs(program);
  const candidates: Candidate[] = [];
  for (let len = 2; len <= chain.length; len++) {
    const layers = chain.slice(0, len);
    const stageMacs = layers.reduce((a, op) => a + op.macs, 0);
    const last = layers[len - 1]!;
    for (const grid of gridsFor(fixed, num(last, 'out_h'), num(last, 'out_w'))) {
      const tiles = tilePlans(layers.map(layerWindow), grid);
      const macs = macsBefore - stageMacs + patchedStageMacs(layers, tiles);
      if (limits && macs > limits.macs) continue;
      const estimate = estimatedStagePeak(program, layers, tiles);
      if (limits && estimate >= limits.arena) continue;
      candidates.push({ layers, grid, macs, estimate });
    }
  }
  return candidates.sort((a, b) => a.estimate - b.estimate || a.macs - b.macs);
}

/**
 * Plans `candidates` in order (see PLANNED_CANDIDATES, MAX_PLANNED): the
 * lowest arena within the instruction limit, and the lowest refused for it.
 * With `arenaBefore` (auto), a candidate that plans no lower than it and
 * above its own estimated stage peak ends the search among its stage's
 * grids: the peak lies outside the stage, the same for every grid of it.
 */
function bestPlanned(candidates: readonly Candidate[], plan: (c: Candidate) => Planned, within: (p: Planned) => boolean, clearlyOver: (c: Candidate) => boolean, arenaBefore?: number): { best?: Planned; refused?: Planned } {
  let best: Planned | undefined;
  let refused: Planned | undefined;
  let skipped: Candidate | undefined;
  let [planned, kept] = [0, 0];
  /** Stage lengths whose arena peaks outside the stage. */
  const peakOutside = new Set<number>();
  const consider = (p: Planned): void => {
    const lower = (than: Planned | undefined): boolean => !than || p.arena < than.arena || (p.arena === than.arena && p.c.macs < than.c.macs);
    if (!within(p)) {
      if (lower(refused)) refused = p;
      return;
    }
    kept++;
    if (lower(best)) best = p;
  };
  for (const c of candidates) {
    if (planned >= MAX_PLANNED || kept >= PLANNED_CANDIDATES) break;
    if (peakOutside.has(c.layers.length)) continue;
    if (clearlyOver(c)) {
      skipped ??= c;
      continue;
    }
    const p = plan(c);
    consider(p);
    planned++;
    if (arenaBefore !== undefined && p.arena >= arenaBefore && p.arena > c.estimate) peakOutside.add(c.layers.length);
  }
  // every candidate was over the limit before planning: plan the most promising one, to say by how much
  if (!best && !refused && skipped) consider(plan(skipped));
  return { best, refused };
}

/** Chooses (or, with `--patch <n>`, applies) the patch stage; returns the program unchanged when none is kept. */
export function choosePatchStage(program: Program, options: PatchStageOptions): PatchStageResult {
  if (options.mode === 'off') return { program, note: 'patch-based execution: off (--patch off)' };
  const mode = options.mode;
  const fixed: Grid | undefined = typeof mode === 'number' ? { rows: mode, cols: mode } : typeof mode === 'object' && !('layers' in mode) ? mode : undefined;
  if (fixed && ![fixed.rows, fixed.cols].every((n) => Number.isInteger(n) && n >= 1)) throw new Error(`internal: --patch grid ${fixed.rows}x${fixed.cols}`);
  const chain = stageChain(program);
  if (chain.length < 2) return { program, note: 'patch-based execution: no stage of two or more convolutions to split' };
  const before = options.plan(program);
  const arenaBefore = before.arenaBytes;
  const instructionsBefore = options.instructionsOf?.(before.program);
  const planCandidate = (c: Candidate): Planned => {
    const patched = patchStage(program, c.layers, c.grid);
    const planned = options.plan(patched);
    return { c, program: patched, arena: planned.arenaBytes, instructions: options.instructionsOf?.(planned.program) };
  };
  if (typeof mode === 'object' && 'layers' in mode) {
    if (mode.layers < 2 || mode.layers > chain.length) throw new Error(`internal: patch stage of ${mode.layers} layers; the chain has ${chain.length}`);
    return applied(program, planCandidate({ layers: chain.slice(0, mode.layers), grid: mode.grid, macs: 0, estimate: 0 }), arenaBefore, instructionsBefore);
  }
  const auto = mode === 'auto';
  const maxExtra = options.maxExtraMacs ?? DEFAULT_MAX_EXTRA_MACS;
  const candidates = rankedCandidates(program, chain, fixed, auto ? { macs: totalMacs(program) * (1 + maxExtra), arena: arenaBefore } : undefined);
  const instructionLimit = auto && instructionsBefore !== undefined ? instructionsBefore * (1 + maxExtra) : undefined;
  const within = (p: Planned): boolean => instructionLimit === undefined || p.instructions === undefined || p.instructions <= instructionLimit;
  // before planning a candidate, its instructions with the rest of the program as the unpatched plan runs it:
  // one clearly over the limit is not worth a plan (planning is what build time goes to)
  const plannedOps = new Map(before.program.ops.map((op) => [op.outputs[0]!, op] as const));
  const instructionsOfOps = (ops: readonly Op[]): number | undefined => options.instructionsOf?.({ ...before.program, ops: [...ops] });
  const clearlyOver = (c: Candidate): boolean => {
    if (instructionLimit === undefined || instructionsBefore === undefined) return false;
    const unpatched = instructionsOfOps(c.layers.map((op) => plannedOps.get(op.outputs[0]!) ?? op));
    const patched = instructionsOfOps(patchStage(program, c.layers, c.grid).ops.filter((op) => op.patch));
    return unpatched !== undefined && patched !== undefined && instructionsBefore - unpatched + patched > instructionLimit * (1 + PREFILTER_SLACK);
  };
  const { best, refused } = bestPlanned(candidates, planCandidate, within, clearlyOver, auto ? arenaBefore : undefined);
  const limit = `${Math.round(maxExtra * 100)}%`;
  const refusedNote = refused && instructionsBefore !== undefined && refused.instructions !== undefined && refused.arena < arenaBefore && (!best || refused.arena < best.arena)
    ? `; ${describe(refused.c)} would plan ${refused.arena} B at ${percent(refused.instructions, instructionsBefore)} estimated instructions, over the ${limit} limit`
    : '';
  if (!best && auto && refused && refused.arena >= arenaBefore) {
    return { program, note: `patch-based execution: none (best candidate, ${describe(refused.c)}, plans ${refused.arena} B, not below ${arenaBefore} B)` };
  }
  if (!best) {
    const why = auto ? `no stage and grid lowers the arena (${arenaBefore} B) within ${limit} extra MACs and instructions${refusedNote}` : `the stage output is smaller than a ${fixed!.rows}x${fixed!.cols} grid`;
    return { program, note: `patch-based execution: none (${why})` };
  }
  if (auto && best.arena >= arenaBefore) {
    return { program, note: `patch-based execution: none (best candidate, ${describe(best.c)}, plans ${best.arena} B, not below ${arenaBefore} B${refusedNote})` };
  }
  const chosen = applied(program, best, arenaBefore, instructionsBefore);
  return { ...chosen, note: `${chosen.note}${refusedNote}` };
}

/** The result of applying a patch stage: the patched program and its report. */
function applied(before: Program, p: Planned, arenaBefore: number, instructionsBefore: number | undefined): PatchStageResult {
  const { layers, grid } = p.c;
  const last = layers[layers.length - 1]!;
  const instructions = instructionsBefore !== undefined && p.instructions !== undefined ? { instructionsBefore, instructionsAfter: p.instructions } : {};
  const chosen: PatchReport = {
    firstLayer: layers[0]!.name, lastLayer: last.name, layers: layers.length,
    outputShape: before.values.get(last.outputs[0]!)!.shape.slice(), grid,
    arenaBefore, arenaAfter: p.arena, macsBefore: totalMacs(before), macsAfter: totalMacs(p.program), ...instructions,
  };
  return { program: p.program, chosen, note: patchNote(chosen) };
}

/** The inspect line of a chosen patch stage. */
export function patchNote(r: PatchReport): string {
  const n = (v: number): string => v.toLocaleString('en-US');
  const instructions = r.instructionsBefore !== undefined && r.instructionsAfter !== undefined
    ? `; est. instructions ${n(r.instructionsBefore)} -> ${n(r.instructionsAfter)} (${percent(r.instructionsAfter, r.instructionsBefore)}, the kernel cost table's estimate)`
    : '';
  return `patch-based execution: ${r.firstLayer} .. ${r.lastLayer} (${r.layers} layers, output ${r.outputShape.join('x')}) as ${r.grid.rows}x${r.grid.cols} tiles; `
    + `arena ${r.arenaBefore} -> ${r.arenaAfter} bytes; MACs ${n(r.macsBefore)} -> ${n(r.macsAfter)} (${percent(r.macsAfter, r.macsBefore)}, halo recomputation)${instructions}`;
}

/** The backend with patch layers on the portable kernels (their geometry is a patch's; the library calls are not asked about it). */
export function patchBackend(backend: Backend): Backend {
  const reasonFor = backend.reasonFor?.bind(backend);
  return {
    ...backend,
    kernelFor: (op: Op) => (op.patch ? portableBackend.kernelFor(op) : backend.kernelFor(op)),
    // backends that give no reasons (portable, a library forced by --backend) stay silent
    ...(reasonFor ? { reasonFor: (op: Op) => (op.patch ? `portable: patch-based stage (tile ${op.patch.tile})` : reasonFor(op)) } : {}),
  };
}

/** Plan options with patch layers on their plain kernels (no in-place depthwise or overlapped pointwise on patch buffers). */
export function patchPlanOptions(options: ProgramPlanOptions): ProgramPlanOptions {
  const allowed = options.inPlaceAllowed;
  return { ...options, inPlaceAllowed: (op: Op) => !op.patch && (allowed?.(op) ?? true) };
}
