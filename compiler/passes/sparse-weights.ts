/**
 * Pruned weights (program pass, after lowering): for every conv, depthwise
 * and fully connected layer, finds the zeros of its int8 weights (share,
 * pattern: unstructured, N:4, pruned filters, pruned input channels) and
 * keeps the dense filter or switches the layer to its bitmap-sparse kernel
 * (runtime-c/edgec_sparse.h), whichever is smaller (default) or faster
 * (`--optimize speed`) by the model in compiler/ops/sparse-weights.ts. The
 * sparse kernels give the dense kernels' results byte for byte, so the
 * choice changes flash and time, never outputs. Every weighted op gets its
 * `weightStorage` (what `inspect` shows).
 */
import type { ConstArray, Op, OpKind, Program, WeightStorage } from '../ir/program.js';
import { chooseStorage, encodeBitmapSparse, zeroPattern, type OptimizeGoal, type StorageChoice, type WeightedKernel, type WeightRows } from '../ops/sparse-weights.js';

export interface SparseWeightsOptions {
  goal: OptimizeGoal;
  /** false: record the zeros, keep every layer dense (`--no-sparse`). */
  enabled: boolean;
}

/** Sparse kernel of each dense kind this pass can replace. */
/** Which cost figures of ops/sparse-weights.ts apply to each dense kind. */
const KERNEL_OF: Partial<Record<OpKind, WeightedKernel>> = { fully_connected: 'fully_connected', conv2d: 'conv', depthwise_conv2d: 'depthwise' };

const SPARSE_KIND: Partial<Record<OpKind, OpKind>> = {
  fully_connected: 'fully_connected_sparse',
  conv2d: 'conv2d_sparse',
  depthwise_conv2d: 'depthwise_conv2d_sparse',
};

const num = (op: Op, key: string): number => Number(op.params[key]);

/** The op's weights as reduction rows (one per output channel), in the order its kernel reduces them. */
function weightRows(op: Op, filter: Int8Array): WeightRows | undefined {
  if (op.kind === 'fully_connected') {
    const rows = num(op, 'out_depth');
    const cols = num(op, 'in_depth');
    return { rows, cols, data: filter, inChannels: cols };
  }
  if (op.kind === 'conv2d') {
    const inPerGroup = num(op, 'in_c') / num(op, 'groups');
    return { rows: num(op, 'out_c'), cols: num(op, 'k_h') * num(op, 'k_w') * inPerGroup, data: filter, inChannels: inPerGroup };
  }
  if (op.kind === 'depthwise_conv2d') {
    // [taps][out_c] -> one row of taps per output channel
    const rows = num(op, 'out_c');
    const taps = num(op, 'k_h') * num(op, 'k_w');
    const data = new Int8Array(rows * taps);
    for (let t = 0; t < taps; t++) for (let c = 0; c < rows; c++) data[c * taps + t] = filter[t * rows + c];
    return { rows, cols: taps, data, inChannels: 0 };
  }
  return undefined;
}

/** Why a layer whose sparse form would win stays dense anyway (kernel limits), or undefined. */
function sparseUnsupported(op: Op): string | undefined {
  if (op.kind === 'conv2d' && num(op, 'groups') !== 1) return 'grouped conv: dense kernel only';
  return undefined;
}

function uniqueConstId(program: Program, base: string): string {
  let id = base;
  for (let k = 2; program.consts.has(id); k++) id = `${base}${k}`;
  return id;
}

function record(choice: StorageChoice, zeroPercent: number, pattern: string, sparse: boolean, reason: string): WeightStorage {
  return {
    zeroPercent, pattern, storage: sparse ? 'bitmap-sparse' : 'dense',
    denseBytes: choice.denseBytes, chosenBytes: sparse ? choice.sparseBytes : choice.denseBytes, reason,
  };
}

export function sparseWeights(program: Program, options: SparseWeightsOptions): Program {
  const consts = new Map<string, ConstArray>(program.consts);
  const ops = program.ops.map((op): Op => {
    const sparseKind = SPARSE_KIND[op.kind];
    const kernel = KERNEL_OF[op.kind];
    const filterConst = op.consts.filter === undefined ? undefined : consts.get(op.consts.filter);
    if (!sparseKind || !kernel || !filterConst || filterConst.type !== 'int8') return op;
    const rows = weightRows(op, filterConst.data as Int8Array);
    if (!rows) return op;
    const pattern = zeroPattern(rows);
    const choice = chooseStorage(rows, pattern, options.goal, kernel);
    const zeroPercent = (100 * pattern.zeros) / Math.max(1, pattern.total);
    const blocked = !options.enabled ? 'sparse storage off (--no-sparse)' : sparseUnsupported(op);
    if (choice.storage === 'dense' || blocked) {
      return { ...op, weightStorage: record(choice, zeroPercent, pattern.label, false, blocked ?? choice.reason) };
    }
    const encoded = encodeBitmapSparse(rows);
    const index = uniqueConstId({ ...program, consts }, `${filterConst.id}_index`);
    consts.set(index, { id: index, type: 'int8', data: encoded.index });
    const values = uniqueConstId({ ...program, consts }, `${filterConst.id}_values`);
    consts.set(values, { id: values, type: 'int8', data: encoded.values });
    consts.delete(filterConst.id);
    const { filter: _dense, ...others } = op.consts;
    return {
      ...op, kind: sparseKind, consts: { ...others, index, values },
      weightStorage: record(choice, zeroPercent, pattern.label, true, choice.reason),
    };
  });
  return { ...program, ops, consts };
}
