/**
 * Geometry of patch-based execution (MCUNetV2): a stage of convolutions whose
 * output is split into a grid of tiles; each tile is computed layer by layer
 * backwards from the region it covers, each layer's input region being the
 * receptive field of its output region (kernel, stride, dilation, padding),
 * clipped to the image. Pure functions over numbers; the program rewrite is
 * passes/patch-stage.ts.
 */

/** Half-open index range [start, end) along one spatial axis. */
export interface Span {
  start: number;
  end: number;
}

/** One axis of a window layer (conv or depthwise): what maps output indices to input indices. */
export interface AxisWindow {
  inSize: number;
  outSize: number;
  kernel: number;
  stride: number;
  dilation: number;
  /** Padding before the first input index (the kernels' pad_top / pad_left). */
  padBefore: number;
}

/** Both spatial axes of a layer of the stage. */
export interface LayerWindow {
  rows: AxisWindow;
  cols: AxisWindow;
}

/**
 * Input indices output indices `out` read, clipped to the input: output o
 * reads o * stride - pad + t * dilation for taps t in [0, kernel). Indices
 * outside the input are padding and need no data.
 */
export function inputSpan(out: Span, axis: AxisWindow): Span {
  const first = out.start * axis.stride - axis.padBefore;
  const last = (out.end - 1) * axis.stride - axis.padBefore + (axis.kernel - 1) * axis.dilation;
  return { start: Math.max(0, first), end: Math.min(axis.inSize, last + 1) };
}

/**
 * The padding a kernel run on the patch must assume before its first input
 * index so that patch output 0 reads the same input as image output
 * `out.start`: the real padding on tiles touching the image's first index, 0
 * inside (the halo is real data then). Padding after the patch needs no
 * parameter: the kernels treat indices past in_h / in_w as padding, and a
 * patch ends before the image's end only where its last window is all data.
 */
export function patchPadBefore(out: Span, input: Span, axis: AxisWindow): number {
  return input.start - (out.start * axis.stride - axis.padBefore);
}

/** `size` split into `parts` contiguous spans whose lengths differ by at most one. */
export function splitEvenly(size: number, parts: number): Span[] {
  if (!Number.isInteger(parts) || parts < 1 || parts > size) throw new Error(`internal: cannot split ${size} into ${parts} parts`);
  return Array.from({ length: parts }, (_, i) => ({ start: Math.floor((i * size) / parts), end: Math.floor(((i + 1) * size) / parts) }));
}

export const spanLength = (s: Span): number => s.end - s.start;

/** One layer run on one patch: the region of its input it reads and of its output it computes, and its padding. */
export interface PatchAxis {
  input: Span;
  output: Span;
  padBefore: number;
}

/**
 * Per layer (stage order), the patch geometry of one axis for output span
 * `tile` of the stage's last layer: regions computed backwards from the tile,
 * each layer's output region being the next layer's input region.
 */
export function patchAxes(layers: readonly AxisWindow[], tile: Span): PatchAxis[] {
  const out: PatchAxis[] = new Array<PatchAxis>(layers.length);
  let wanted = tile;
  for (let l = layers.length - 1; l >= 0; l--) {
    const axis = layers[l]!;
    const input = inputSpan(wanted, axis);
    if (spanLength(input) <= 0) throw new Error(`internal: patch output [${wanted.start}, ${wanted.end}) of a stage layer reads no input`);
    out[l] = { input, output: wanted, padBefore: patchPadBefore(wanted, input, axis) };
    wanted = input;
  }
  return out;
}

/** A rows x cols grid of the stage output's tiles, row-major. */
export interface Grid {
  rows: number;
  cols: number;
}

/** One tile of the grid: per layer, the row and column geometry of its patch. */
export interface TilePlan {
  rowAxes: PatchAxis[];
  colAxes: PatchAxis[];
}

/** Every tile's patch geometry for a stage (layers in order) and a grid of its last layer's output. */
export function tilePlans(layers: readonly LayerWindow[], grid: Grid): TilePlan[] {
  const last = layers[layers.length - 1]!;
  const rowTiles = splitEvenly(last.rows.outSize, grid.rows);
  const colTiles = splitEvenly(last.cols.outSize, grid.cols);
  const rowAxes = rowTiles.map((t) => patchAxes(layers.map((l) => l.rows), t));
  const colAxes = colTiles.map((t) => patchAxes(layers.map((l) => l.cols), t));
  return rowAxes.flatMap((r) => colAxes.map((c) => ({ rowAxes: r, colAxes: c })));
}
