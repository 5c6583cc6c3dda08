/**
 * Pruned filters (program pass, before sparse-weights): an output channel
 * of a conv, depthwise or fully connected layer whose filter is all zero
 * (possibly after an earlier layer's channel was dropped) outputs one constant, q = clamp(requant(bias) +
 * zero point). The layers that read that channel (directly, through max
 * pools, or through a flatten view) then add w * (q - zp) for each of its
 * weights, where zp is their input zero point:
 *  - q == zp (a ReLU layer whose pruned filter has a bias <= 0): the weights
 *    on that channel multiply zero everywhere, padding included;
 *  - otherwise, for a fully connected reader or a conv / depthwise without padding, the
 *    constant contribution d * Σ w is folded into the reader's int32 bias,
 *    exactly (the accumulator's sum is the same integer);
 * and in both cases the reader's weights on the channel are set to zero, so
 * its sparse storage (passes/sparse-weights.ts) drops them (a depthwise
 * reader's channel then becomes a pruned filter itself, handled in turn). A conv reader
 * with padding and q != zp keeps them (padded taps add nothing, so the
 * contribution varies near the border). Tensor shapes are unchanged (the
 * pruned channel still holds q), so layer-by-layer checks and the C API see
 * the model's tensors.
 */
import type { ConstArray, Op, Program, Value } from '../ir/program.js';
import { multiplyByQuantizedMultiplier } from '../ir/fixedpoint.js';

/** Largest |x - zero point| * |w| of one product (ops/weights.ts MAX_PRODUCT). */
const MAX_PRODUCT = 2 ** 15;
const INT32_MAX = 2 ** 31 - 1;

const num = (op: Op, key: string): number => Number(op.params[key]);

/** Output channels and reduction length of a dense weighted op, or undefined for other kinds. */
function rowsOf(op: Op): { rows: number; cols: number } | undefined {
  if (op.kind === 'fully_connected') return { rows: num(op, 'out_depth'), cols: num(op, 'in_depth') };
  if (op.kind === 'conv2d' && num(op, 'groups') === 1) return { rows: num(op, 'out_c'), cols: num(op, 'k_h') * num(op, 'k_w') * num(op, 'in_c') };
  if (op.kind === 'depthwise_conv2d') return { rows: num(op, 'out_c'), cols: num(op, 'k_h') * num(op, 'k_w') };
  return undefined;
}

/** Index in the filter const of weight (output channel o, reduction position j): depthwise filters are [taps][out_c]. */
function weightIndex(op: Op, o: number, j: number): number {
  return op.kind === 'depthwise_conv2d' ? j * num(op, 'out_c') + o : o * (rowsOf(op) as { cols: number }).cols + j;
}

/** The constant int8 value a pruned output channel holds. */
function prunedChannelValue(op: Op, consts: Map<string, ConstArray>, r: number): number {
  const bias = op.consts.bias === undefined ? 0 : (consts.get(op.consts.bias)?.data as Int32Array)[r];
  const q = op.kind === 'fully_connected' && num(op, 'per_channel') === 0 ? 0 : r;
  const mult = (consts.get(op.consts.mult)?.data as Int32Array)[q];
  const shift = (consts.get(op.consts.shift)?.data as Int32Array)[q];
  const out = multiplyByQuantizedMultiplier(bias, mult, shift) + num(op, 'output_offset');
  return Math.max(num(op, 'act_min'), Math.min(num(op, 'act_max'), out));
}

/** Whether a conv's every window lies inside its input (no padded tap). */
function unpadded(op: Op): boolean {
  const inside = (out: number, stride: number, k: number, dil: number, size: number): boolean => (out - 1) * stride + (k - 1) * dil + 1 <= size;
  return num(op, 'pad_top') === 0 && num(op, 'pad_left') === 0
    && inside(num(op, 'out_h'), num(op, 'stride_h'), num(op, 'k_h'), num(op, 'dil_h'), num(op, 'in_h'))
    && inside(num(op, 'out_w'), num(op, 'stride_w'), num(op, 'k_w'), num(op, 'dil_w'), num(op, 'in_w'));
}

interface Reader {
  op: Op;
  /** The pruned channel's value where this reader sees it (after max pools' clamps). */
  value: number;
  /** Channels of the tensor as the reader sees it in memory (its last physical dim). */
  channels: number;
}

/**
 * The ops that read channel `channel` of value `id` holding `value`, through
 * max pools (per channel, same quantization) and zero-offset views; undefined
 * when some reader is anything else or the value is a model output.
 */
function channelReaders(program: Program, id: string, value: number, channels: number, seen = 0): Reader[] | undefined {
  if (seen > 8 || program.outputs.includes(id)) return undefined;
  const readers: Reader[] = [];
  for (const view of program.values.values()) {
    if (view.aliasOf !== id) continue;
    if ((view.aliasOffset ?? 0) !== 0) return undefined;
    const inner = channelReaders(program, view.id, value, channels, seen + 1);
    if (!inner) return undefined;
    readers.push(...inner);
  }
  for (const op of program.ops) {
    if (!op.inputs.includes(id)) continue;
    if (op.inputs.length !== 1) return undefined;
    if (op.kind === 'max_pool') {
      const inV = program.values.get(id) as Value;
      const outV = program.values.get(op.outputs[0]) as Value;
      if (inV.scale !== outV.scale || inV.zeroPoint !== outV.zeroPoint) return undefined;
      const clamped = Math.max(num(op, 'act_min'), Math.min(num(op, 'act_max'), value));
      const inner = channelReaders(program, op.outputs[0], clamped, channels, seen + 1);
      if (!inner) return undefined;
      readers.push(...inner);
    } else if (rowsOf(op)) {
      readers.push({ op, value, channels });
    } else {
      return undefined;
    }
  }
  return readers;
}

/** Whether the reader's columns repeat the producer's channels: a conv on the same channels, a fully connected over whole pixels. */
function layoutKnown(reader: Reader): boolean {
  if (reader.op.kind === 'conv2d' || reader.op.kind === 'depthwise_conv2d') return num(reader.op, 'in_c') === reader.channels;
  return num(reader.op, 'in_depth') % reader.channels === 0;
}

/** Per output channel of `reader`, the indices of its filter weights that read input `channel`. */
function channelWeights(reader: Reader, channel: number): Map<number, number[]> {
  const { op } = reader;
  const { rows, cols } = rowsOf(op) as { rows: number; cols: number };
  const out = new Map<number, number[]>();
  if (op.kind === 'depthwise_conv2d') {
    // output channels channel * mult + m read input channel `channel`, every tap
    const mult = rows / num(op, 'in_c');
    for (let m = 0; m < mult; m++) {
      const o = channel * mult + m;
      out.set(o, Array.from({ length: cols }, (_, t) => weightIndex(op, o, t)));
    }
    return out;
  }
  for (let o = 0; o < rows; o++) {
    const indices: number[] = [];
    for (let j = channel; j < cols; j += reader.channels) indices.push(weightIndex(op, o, j));
    out.set(o, indices);
  }
  return out;
}

/** Zeros `reader`'s weights on `channel`, folding their constant contribution into its bias when exact; false when it cannot. */
function foldChannel(reader: Reader, channel: number, consts: Map<string, ConstArray>): boolean {
  const { op, value } = reader;
  const d = value + num(op, 'input_offset'); // q - input zero point
  const { cols } = rowsOf(op) as { rows: number; cols: number };
  if (d !== 0 && op.kind !== 'fully_connected' && !unpadded(op)) return false;
  const filter = consts.get(op.consts.filter)?.data as Int8Array;
  const weights = channelWeights(reader, channel);
  const biasConst = op.consts.bias === undefined ? undefined : consts.get(op.consts.bias);
  if (d !== 0 && !biasConst) return false;
  const bias = biasConst ? Int32Array.from(biasConst.data as Int32Array) : undefined;
  const headroom = INT32_MAX - cols * MAX_PRODUCT;
  const zeroed = Int8Array.from(filter);
  for (const [o, indices] of weights) {
    if (bias) {
      const folded = bias[o] + d * indices.reduce((a, i) => a + filter[i], 0);
      if (Math.abs(folded) > headroom) return false;
      bias[o] = folded;
    }
    for (const i of indices) zeroed[i] = 0;
  }
  consts.set(op.consts.filter, { ...(consts.get(op.consts.filter) as ConstArray), data: zeroed });
  if (biasConst && bias) consts.set(biasConst.id, { ...biasConst, data: bias });
  return true;
}

/** Pruned filters of `op`: the output channels whose weights are all zero. */
function prunedRows(op: Op, consts: Map<string, ConstArray>): number[] {
  const shape = rowsOf(op);
  const filter = op.consts.filter === undefined ? undefined : consts.get(op.consts.filter);
  if (!shape || !filter || filter.type !== 'int8') return [];
  const data = filter.data as Int8Array;
  const rows: number[] = [];
  for (let r = 0; r < shape.rows; r++) {
    let zero = true;
    for (let j = 0; j < shape.cols && zero; j++) zero = data[weightIndex(op, r, j)] === 0;
    if (zero) rows.push(r);
  }
  return rows;
}

export interface PrunedChannelsResult {
  program: Program;
  /** Pruned channels whose readers' weights on them were dropped (folded), and those kept. */
  folded: number;
  kept: number;
}

export function prunedChannels(program: Program): PrunedChannelsResult {
  const consts = new Map(program.consts);
  let folded = 0;
  let kept = 0;
  for (const op of program.ops) {
    const rows = prunedRows(op, consts);
    if (rows.length === 0) continue;
    const channels = (rowsOf(op) as { rows: number }).rows;
    for (const r of rows) {
      const readers = channelReaders(program, op.outputs[0], prunedChannelValue(op, consts, r), channels);
      // All or nothing per channel: a reader left out would still need the weights
      const ok = readers !== undefined && readers.length > 0 && readers.every((reader) => reader.op !== op && layoutKnown(reader));
      const trial = new Map(consts);
      if (ok && readers.every((reader) => foldChannel(reader, r, trial))) {
        for (const [id, c] of trial) consts.set(id, c);
        folded++;
      } else {
        kept++;
      }
    }
  }
  return { program: { ...program, consts }, folded, kept };
}
