/**
 * Pre-widened weights (program pass, after sparse-weights): on cores with the
 * Arm DSP extension, dense int8 fully connected layers switch to
 * edgec_fully_connected_wide_s8, whose weights are stored as int16 lane
 * pairs in the order SMLAD consumes them (no SXTB16 per weight word) with
 * the input offset folded into the bias: 17 instructions per 16 MACs on the
 * Cortex-M4 against 28 for the int8 kernel and 30 for CMSIS-NN's
 * (kernel-costs/cortex-m4.json: 1.75 and 1.875 per MAC), same outputs byte
 * for byte. The price is flash: one more byte per weight. So a layer is
 * widened only while the model's constants plus a code reserve stay within
 * the board's flash. Every widened byte saves the same ~0.69 instructions
 * per batch row, so layers with more batch rows go first, then the larger
 * (first-fit decreasing: the budget is filled with as many widened bytes as
 * fit, which is what the saving is proportional to). Library backends keep their kernels (this pass is for
 * `portable` and `auto`, where no library FC is cheaper).
 */
import type { ConstArray, Op, Program } from '../ir/program.js';
import { hasDsp } from '../cost-model.js';

/** Flash kept free for the model's code (the largest portable build of the bundled examples: 16.6 KB). */
export const CODE_RESERVE_BYTES = 32 * 1024;

export interface WideWeightsOptions {
  /** The board's CPU (its DSP extension decides whether widening pays). */
  cpu: string;
  /** Flash available to the model's code and weights. */
  flashBytes: number;
  /** false: no layer is widened (library backends, or turned off). */
  enabled: boolean;
}

const num = (op: Op, key: string): number => Number(op.params[key]);

/** Why a dense fully connected layer cannot take the widened kernel, or undefined. */
export function wideUnsupported(op: Op, filter: ConstArray | undefined): string | undefined {
  if (op.kind !== 'fully_connected' || !filter || filter.type !== 'int8') return 'not a dense int8 fully connected layer';
  if (num(op, 'in_depth') % 4 !== 0 || num(op, 'out_depth') % 4 !== 0) return 'input or output depth not a multiple of 4';
  // the folded bias is bias + offset * row sum: |offset| <= 255, |w| <= 128 must stay inside int32
  if (num(op, 'in_depth') * 128 * 255 >= 2 ** 31) return 'rows too long for the folded offset';
  return undefined;
}

const roundUp4 = (n: number): number => Math.ceil(n / 4) * 4;

/**
 * The int16 lane pairs of edgec_fully_connected_wide_s8 and of the widened
 * convolutions (runtime-c/edgec_wide.h): per 4 rows and 4 inputs,
 * (w[i], w[i+2]), (w[i+1], w[i+3]) row by row. Rows and columns that are not
 * multiples of 4 are padded with zero weights (a conv's last channel group,
 * a window of 27 values).
 */
export function widenFilter(filter: Int8Array, rows: number, cols: number): Int32Array {
  const out = new Int32Array((roundUp4(rows) * roundUp4(cols)) / 2);
  const lanes = (lo: number, hi: number): number => ((lo & 0xffff) | ((hi & 0xffff) << 16)) | 0;
  const at = (r: number, i: number): number => (r < rows && i < cols ? filter[r * cols + i] : 0);
  let k = 0;
  for (let o = 0; o < rows; o += 4) {
    for (let i = 0; i < cols; i += 4) {
      for (let r = o; r < o + 4; r++) {
        out[k++] = lanes(at(r, i), at(r, i + 2));
        out[k++] = lanes(at(r, i + 1), at(r, i + 3));
      }
    }
  }
  return out;
}

/** Flash bytes the widened filter of rows x cols int8 weights takes beyond the int8 one. */
export function widenedExtraBytes(rows: number, cols: number): number {
  return 2 * roundUp4(rows) * roundUp4(cols) - rows * cols;
}

/** bias[o] + input_offset * sum of row o's weights (the kernel adds no offset to the input). */
export function foldInputOffset(bias: Int32Array | undefined, filter: Int8Array, rows: number, cols: number, inputOffset: number): Int32Array {
  const out = new Int32Array(rows);
  for (let o = 0; o < rows; o++) {
    let sum = 0;
    for (let i = 0; i < cols; i++) sum += filter[o * cols + i];
    out[o] = ((bias ? bias[o] : 0) + inputOffset * sum) | 0;
  }
  return out;
}

/** Bytes of the program's constants (weights, biases, tables) in flash. */
export function constBytes(program: Program): number {
  let bytes = 0;
  for (const c of program.consts.values()) bytes += c.data.byteLength;
  return bytes;
}

export function uniqueConstId(consts: Map<string, ConstArray>, base: string): string {
  let id = base;
  for (let k = 2; consts.has(id); k++) id = `${base}${k}`;
  return id;
}

/** Whether an op other than `readers` (one op, or every tile of a patch-stage layer) reads const `id`. */
export function sharedConst(program: Program, readers: Op | ReadonlySet<Op>, id: string): boolean {
  const mine = (o: Op): boolean => (readers instanceof Set ? readers.has(o) : o === readers);
  return program.ops.some((o) => !mine(o) && Object.values(o.consts).includes(id));
}

export function wideWeights(program: Program, options: WideWeightsOptions): Program {
  if (!options.enabled || !hasDsp(options.cpu)) return program;
  const candidates = program.ops
    .map((op, index) => ({ op, index }))
    .filter(({ op }) => wideUnsupported(op, op.consts.filter === undefined ? undefined : program.consts.get(op.consts.filter)) === undefined)
    .sort((a, b) => num(b.op, 'batches') - num(a.op, 'batches') || b.op.macs - a.op.macs || a.index - b.index);
  let spare = options.flashBytes - CODE_RESERVE_BYTES - constBytes(program);
  const consts = new Map<string, ConstArray>(program.consts);
  const widened = new Map<Op, Op>();
  for (const { op } of candidates) {
    const rows = num(op, 'out_depth');
    const cols = num(op, 'in_depth');
    const extra = rows * cols; // int8 -> int16, the bias array is replaced by one of the same size
    if (extra > spare) continue;
    spare -= extra;
    const filterConst = consts.get(op.consts.filter) as ConstArray;
    const biasConst = op.consts.bias === undefined ? undefined : consts.get(op.consts.bias);
    const filter = filterConst.data as Int8Array;
    const wide = uniqueConstId(consts, `${filterConst.id}_wide`);
    consts.set(wide, { id: wide, type: 'int32', data: widenFilter(filter, rows, cols) });
    const folded = uniqueConstId(consts, `${biasConst?.id ?? filterConst.id}_folded`);
    consts.set(folded, { id: folded, type: 'int32', data: foldInputOffset(biasConst?.data as Int32Array | undefined, filter, rows, cols, num(op, 'input_offset')) });
    if (!sharedConst(program, op, filterConst.id)) consts.delete(filterConst.id);
    if (biasConst && !sharedConst(program, op, biasConst.id)) consts.delete(biasConst.id);
    const denseBytes = filter.byteLength;
    widened.set(op, {
      ...op, kind: 'fully_connected_wide', consts: { ...op.consts, filter: wide, bias: folded },
      weightStorage: {
        zeroPercent: op.weightStorage?.zeroPercent ?? 0, pattern: op.weightStorage?.pattern ?? 'none', storage: 'wide-int16',
        denseBytes, chosenBytes: 2 * denseBytes,
        reason: `int16 lane pairs for SMLAD (+${denseBytes} B flash, ~${Math.round((11 / 16) * op.macs)} fewer instructions); fits the board's flash`,
      },
    });
  }
  if (widened.size === 0) return program;
  return { ...program, ops: program.ops.map((op) => widened.get(op) ?? op), consts };
}
