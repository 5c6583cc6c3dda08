/**
 * Pruned weights: the zero pattern of a layer's int8 weights, the
 * bitmap-sparse storage of runtime-c/edgec_sparse.h, and the choice between
 * it and the dense filter (for flash, or for time with `--optimize speed`).
 *
 * A layer's weights are seen as a matrix of `rows` reduction rows (one per
 * output channel) of `cols` weights in the order the kernel reduces them:
 * fully connected [out][in], conv OHWI rows of k_h * k_w * in_c, depthwise one
 * row of k_h * k_w taps per output channel.
 */

export interface WeightRows {
  rows: number;
  cols: number;
  /** Row-major, rows * cols. */
  data: Int8Array;
  /** Input channels of a row (cols = taps * inChannels, channel fastest); 0 when channels are not a row axis (depthwise). */
  inChannels: number;
}

export interface ZeroPattern {
  zeros: number;
  total: number;
  /** Rows (output channels / filters) that are all zero. */
  zeroRows: number;
  /** Input channels zero in every row and tap. */
  zeroInputChannels: number;
  /** N of an N:4 pattern (every group of 4 consecutive row weights keeps at most N nonzeros) when N <= 2: 3:4 happens by chance at high unstructured sparsity. */
  nOf4?: number;
  /** none, unstructured, output channels (pruned filters / rows), input channels, N:4 (joined with '+' when several hold). */
  label: string;
}

/** Zeros of a weight matrix and the structure they have. */
export function zeroPattern(w: WeightRows): ZeroPattern {
  const { rows, cols, data, inChannels } = w;
  let zeros = 0;
  let zeroRows = 0;
  const channelUsed = new Uint8Array(inChannels);
  let maxPer4 = 0;
  for (let r = 0; r < rows; r++) {
    let rowNonzeros = 0;
    for (let j = 0; j < cols; j++) {
      const nonzero = data[r * cols + j] !== 0;
      if (!nonzero) zeros++;
      else {
        rowNonzeros++;
        if (inChannels > 0) channelUsed[j % inChannels] = 1;
      }
    }
    if (rowNonzeros === 0) zeroRows++;
    for (let j = 0; j + 4 <= cols; j += 4) {
      let n = 0;
      for (let k = 0; k < 4; k++) if (data[r * cols + j + k] !== 0) n++;
      maxPer4 = Math.max(maxPer4, n);
    }
  }
  const zeroInputChannels = inChannels > 0 ? channelUsed.reduce((a, u) => a + (u ? 0 : 1), 0) : 0;
  const nOf4 = cols % 4 === 0 && cols > 0 && maxPer4 <= 2 ? maxPer4 : undefined;
  const parts: string[] = [];
  if (zeros > 0) {
    if (zeroRows > 0) parts.push(`output channels ${zeroRows}/${rows}`);
    if (zeroInputChannels > 0) parts.push(`input channels ${zeroInputChannels}/${inChannels}`);
    if (nOf4 !== undefined && zeroRows < rows) parts.push(`${nOf4}:4`);
    const structured = zeroRows * cols + zeroInputChannels * (cols / Math.max(1, inChannels)) * (rows - zeroRows);
    if (nOf4 === undefined && zeros > structured) parts.push('unstructured');
  }
  return { zeros, total: rows * cols, zeroRows, zeroInputChannels, nOf4, label: parts.length ? parts.join(' + ') : 'none' };
}

export interface BitmapSparse {
  /** Row mask, then one bitmap per nonzero row (edgec_sparse.h); bytes as int8. */
  index: Int8Array;
  /** Nonzero weights, row by row. */
  values: Int8Array;
}

/** Bytes of a row's bitmap. */
const bitmapBytes = (cols: number): number => Math.ceil(cols / 8);

/** The weights in the index format of runtime-c/edgec_sparse.h. */
export function encodeBitmapSparse(w: WeightRows): BitmapSparse {
  const { rows, cols, data } = w;
  const maskBytes = Math.ceil(rows / 8);
  const rowBytes = bitmapBytes(cols);
  const nonzeroRows: number[] = [];
  for (let r = 0; r < rows; r++) if (data.subarray(r * cols, (r + 1) * cols).some((v) => v !== 0)) nonzeroRows.push(r);
  const index = new Uint8Array(maskBytes + nonzeroRows.length * rowBytes);
  const values: number[] = [];
  nonzeroRows.forEach((r, k) => {
    index[r >> 3] |= 1 << (r & 7);
    const bits = maskBytes + k * rowBytes;
    for (let j = 0; j < cols; j++) {
      const v = data[r * cols + j];
      if (v === 0) continue;
      index[bits + (j >> 3)] |= 1 << (j & 7);
      values.push(v);
    }
  });
  return { index: new Int8Array(index.buffer), values: Int8Array.from(values) };
}

/** Flash bytes of the bitmap-sparse form (index + values). */
export function bitmapSparseBytes(w: WeightRows, p: ZeroPattern): number {
  return Math.ceil(w.rows / 8) + (w.rows - p.zeroRows) * bitmapBytes(w.cols) + (p.total - p.zeros);
}

export type OptimizeGoal = 'size' | 'speed';
export const OPTIMIZE_GOALS: readonly OptimizeGoal[] = ['size', 'speed'];

/**
 * For flash, the sparse form must save at least this share of the layer's
 * weights: a few percent of zeros (int8 rounding leaves some in any model)
 * are not worth giving up the dense kernels' SIMD and library (CMSIS-NN,
 * ESP-NN) paths.
 */
export const MIN_SAVING_SHARE = 0.1;

/** The kernel family a weight matrix belongs to (their dense kernels differ in speed). */
export type WeightedKernel = 'fully_connected' | 'conv' | 'depthwise';

/**
 * Cortex-M4 (DSP extension) instructions per unit of work, measured with the
 * QEMU bench harness on the pruned digits fixtures (test/fixtures/pruned):
 * the dense kernels' SIMD paths cost DENSE_PER_MAC per multiply-accumulate
 * (the conv kernel expands weights once and reuses them across pixels; the
 * fully connected one reloads each row; depthwise is not measured, taken
 * between the two); the sparse kernels about SPARSE_PER_NONZERO per stored
 * weight (RBIT, CLZ, two loads, add, MLA, clear bit, branch), SPARSE_PER_BITMAP_BYTE
 * per bitmap byte, and the conv kernel GATHER_PER_WINDOW_BYTE per window byte
 * it copies per output pixel. Per output pixel (or batch row), whichever is
 * fewer wins under `--optimize speed`: on the digits CNN, dense conv wins even
 * at 90 % zeros, sparse fully connected from about 86 %.
 */
export const DENSE_PER_MAC: Record<WeightedKernel, number> = { fully_connected: 1.9, conv: 1.2, depthwise: 1.5 };
export const SPARSE_PER_NONZERO = 9.3;
export const SPARSE_PER_BITMAP_BYTE = 5;
export const GATHER_PER_WINDOW_BYTE = 3;

export interface StorageChoice {
  storage: 'dense' | 'bitmap-sparse';
  denseBytes: number;
  sparseBytes: number;
  reason: string;
}

/** Estimated instructions per output pixel (or batch row) of the dense and the sparse kernel. */
export function estimatedInstructions(w: WeightRows, p: ZeroPattern, kernel: WeightedKernel): { dense: number; sparse: number } {
  const gather = kernel === 'conv' ? w.cols * GATHER_PER_WINDOW_BYTE : 0;
  return {
    dense: w.rows * w.cols * DENSE_PER_MAC[kernel],
    sparse: (p.total - p.zeros) * SPARSE_PER_NONZERO + (w.rows - p.zeroRows) * bitmapBytes(w.cols) * SPARSE_PER_BITMAP_BYTE + gather,
  };
}

/** Dense or bitmap-sparse for one layer's weights. */
export function chooseStorage(w: WeightRows, p: ZeroPattern, goal: OptimizeGoal, kernel: WeightedKernel): StorageChoice {
  const denseBytes = w.rows * w.cols;
  const sparseBytes = bitmapSparseBytes(w, p);
  const pick = (sparse: boolean, reason: string): StorageChoice => ({ storage: sparse ? 'bitmap-sparse' : 'dense', denseBytes, sparseBytes, reason });
  if (p.zeros === 0) return pick(false, 'no zeros');
  if (goal === 'speed') {
    const cost = estimatedInstructions(w, p, kernel);
    const faster = cost.sparse < cost.dense;
    return pick(faster, `${faster ? 'faster' : 'dense faster'}: ~${Math.round(cost.sparse)} vs ${Math.round(cost.dense)} instructions per pixel (Cortex-M4 estimate)`);
  }
  const saves = denseBytes - sparseBytes >= MIN_SAVING_SHARE * denseBytes;
  return pick(saves, saves ? 'smaller' : `saves < ${MIN_SAVING_SHARE * 100}% of the layer's weights`);
}
