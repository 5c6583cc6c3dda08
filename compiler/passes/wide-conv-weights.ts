/**
 * Pre-widened convolution weights (program pass, after the patch stage is
 * chosen and before the final memory plan): on cores with the Arm DSP
 * extension, int8 convolutions with groups 1 switch to kernels whose weights
 * are stored as int16 lane pairs in SMLAD order (runtime-c/edgec_wide.h): the
 * input window is widened once per pixel and shared by every output channel,
 * 11 instructions per 16 MACs in the inner loop against 17 for
 * edgec_conv_s8's runtime-expanded weights and ~26 for CMSIS-NN's
 * (edgec_wide.h), byte for byte the same outputs.
 *
 *  - conv2d_1x1_wide (edgec_conv_1x1_wide_s8): 1x1, stride 1, no padding,
 *    up to 1024 input channels. It reads a run's input pixels before writing
 *    their outputs, so it may overlap its input exactly as the planner's
 *    sharing kernel (conv2d_1x1_overlap) does: the planner keeps overlapping
 *    it, and widening never raises the arena.
 *  - conv2d_wide (edgec_conv_wide_s8): any other groups-1 conv whose window
 *    (k_h * k_w * in_c) is at most 576 values (3x3 on 64 channels), through an
 *    int16 im2col on its stack; no arena scratch either.
 *
 * The price is flash: about one more byte per weight. As for fully connected
 * layers (wide-weights.ts), layers widen while the model's constants plus the
 * code reserve fit the board's flash, first-fit in decreasing order of MACs
 * per widened byte (what a widened byte saves is proportional to the MACs it
 * serves: a conv's output pixels). Fully connected layers were widened first
 * (before the backend was chosen), so convolutions share what flash they left.
 * Only layers the chosen backend runs with our kernels are widened. The ops
 * of a patch stage are widened too (the same kernels on patch geometry): the
 * tiles of one layer share its filter, so they share one widened copy, its
 * bytes counted once against the MACs of every tile. Leaving them int8 made
 * a patched VWW 20% slower than the widened unpatched build (13% before
 * widening), past the patch stage's 15% limit.
 */
import type { ConstArray, Op, OpKind, Program } from '../ir/program.js';
import { hasDsp } from '../cost-model.js';
import type { Backend } from '../backends/index.js';
import { CODE_RESERVE_BYTES, constBytes, sharedConst, uniqueConstId, widenedExtraBytes, widenFilter } from './wide-weights.js';

/** Largest window edgec_conv_wide_s8 takes (its EDGEC_WIDE_MAX_FSIZE). */
export const WIDE_CONV_MAX_WINDOW = 576;
/** Most input channels edgec_conv_1x1_wide_s8 takes (its EDGEC_WIDE_1X1_WORDS stack). */
export const WIDE_1X1_MAX_IN_C = 1024;

export interface WideConvOptions {
  /** The board's CPU (its DSP extension decides whether widening pays). */
  cpu: string;
  /** Flash available to the model's code and weights. */
  flashBytes: number;
  /** false: no conv is widened (library backends, or turned off). */
  enabled: boolean;
  /** Whether the chosen backend runs `op` with our kernel (a library layer keeps its int8 weights). */
  runsPortable: (op: Op) => boolean;
}

const num = (op: Op, key: string): number => Number(op.params[key]);

/** A pointwise conv the 1x1 wide kernel runs: output pixel p reads input pixel p only. */
function pointwise(op: Op): boolean {
  return num(op, 'k_h') === 1 && num(op, 'k_w') === 1 && num(op, 'stride_h') === 1 && num(op, 'stride_w') === 1 &&
    num(op, 'pad_top') === 0 && num(op, 'pad_left') === 0 && num(op, 'in_h') === num(op, 'out_h') && num(op, 'in_w') === num(op, 'out_w');
}

/** The widened kernel for a conv, or why it has none. */
export function wideConvKind(op: Op, filter: ConstArray | undefined): { kind: OpKind } | { reason: string } {
  if (op.kind !== 'conv2d' || !filter || filter.type !== 'int8') return { reason: 'not a dense int8 convolution' };
  if (num(op, 'groups') !== 1) return { reason: 'grouped convolution' };
  if (pointwise(op) && num(op, 'in_c') <= WIDE_1X1_MAX_IN_C) return { kind: 'conv2d_1x1_wide' };
  const window = num(op, 'k_h') * num(op, 'k_w') * num(op, 'in_c');
  if (window <= WIDE_CONV_MAX_WINDOW) return { kind: 'conv2d_wide' };
  return { reason: `window of ${window} values over the kernel's ${WIDE_CONV_MAX_WINDOW}` };
}

/** The filter's rows (output channels) and columns (window values). */
function filterShape(op: Op): { rows: number; cols: number } {
  return { rows: num(op, 'out_c'), cols: num(op, 'k_h') * num(op, 'k_w') * num(op, 'in_c') };
}

/** One filter to widen and the ops that read it (a layer, or every tile of a patch-stage layer), each with its widened kind. */
interface Candidate { filter: string; ops: { op: Op; kind: OpKind }[]; macs: number; index: number; extra: number }

function candidatesOf(program: Program, options: WideConvOptions): Candidate[] {
  const byFilter = new Map<string, Candidate>();
  const refused = new Set<string>();
  program.ops.forEach((op, index) => {
    if (op.consts.filter === undefined) return;
    const id = op.consts.filter;
    const choice = wideConvKind(op, program.consts.get(id));
    // a filter is widened for all its readers or none (an int8 reader still needs the int8 copy)
    if (!('kind' in choice) || !options.runsPortable(op)) { refused.add(id); return; }
    const { rows, cols } = filterShape(op);
    const c = byFilter.get(id) ?? { filter: id, ops: [], macs: 0, index, extra: widenedExtraBytes(rows, cols) };
    c.ops.push({ op, kind: choice.kind });
    c.macs += op.macs;
    byFilter.set(id, c);
  });
  // most MACs per widened byte first (ties: larger layers, then op order)
  return [...byFilter.values()].filter((c) => !refused.has(c.filter))
    .sort((a, b) => b.macs / b.extra - a.macs / a.extra || b.macs - a.macs || a.index - b.index);
}

export function wideConvWeights(program: Program, options: WideConvOptions): Program {
  if (!options.enabled || !hasDsp(options.cpu)) return program;
  let spare = options.flashBytes - CODE_RESERVE_BYTES - constBytes(program);
  const consts = new Map<string, ConstArray>(program.consts);
  const widened = new Map<Op, Op>();
  for (const { filter, ops, macs, extra } of candidatesOf(program, options)) {
    if (extra > spare) continue;
    spare -= extra;
    const filterConst = consts.get(filter) as ConstArray;
    const { rows, cols } = filterShape(ops[0]!.op);
    const wide = uniqueConstId(consts, `${filterConst.id}_wide`);
    consts.set(wide, { id: wide, type: 'int32', data: widenFilter(filterConst.data as Int8Array, rows, cols) });
    // the int8 copy stays only if an op outside this candidate (e.g. another const slot) still reads it
    if (!sharedConst(program, new Set(ops.map((o) => o.op)), filter)) consts.delete(filter);
    const denseBytes = rows * cols;
    for (const { op, kind } of ops) {
      widened.set(op, {
        ...op, kind, consts: { ...op.consts, filter: wide },
        weightStorage: {
          zeroPercent: op.weightStorage?.zeroPercent ?? 0, pattern: op.weightStorage?.pattern ?? 'none', storage: 'wide-int16',
          denseBytes, chosenBytes: denseBytes + extra,
          reason: `int16 lane pairs for SMLAD (+${extra} B flash${ops.length > 1 ? `, shared by ${ops.length} patch tiles` : ''}, ~${Math.round((6 / 16) * macs)} fewer instructions); fits the board's flash`,
        },
      });
    }
  }
  if (widened.size === 0) return program;
  return { ...program, ops: program.ops.map((op) => widened.get(op) ?? op), consts };
}

/** Whether an op runs a widened conv kernel. */
export const isWideConv = (op: Op): boolean => op.kind === 'conv2d_wide' || op.kind === 'conv2d_1x1_wide';

/**
 * The backend with a widened conv's reason saying so: auto chose our kernel
 * for the int8 conv (its estimates are the int8 kernel's), then this pass
 * widened it.
 */
export function wideReasonBackend(backend: Backend): Backend {
  const reasonFor = backend.reasonFor?.bind(backend);
  if (!reasonFor) return backend;
  return {
    ...backend,
    reasonFor: (op: Op) => {
      const reason = reasonFor(op);
      return reason !== undefined && isWideConv(op) ? `${reason}; then weights pre-widened to int16 (the board's flash allows)` : reason;
    },
  };
}
