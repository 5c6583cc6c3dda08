/**
 * Public types of the static memory planner (design.md, pipeline step 4).
 *
 * The planner knows nothing about ONNX or the IR: a caller describes buffers
 * (ids and byte sizes) and the straight-line list of steps that read and
 * write them, and gets back one offset per buffer inside a single arena.
 */

export type PlanBufferKind = 'input' | 'output' | 'activation' | 'scratch';

export interface PlanBuffer {
  /** Unique among the problem's buffers. */
  id: string;
  /** Size in bytes, a positive integer. */
  bytes: number;
  /**
   * The buffer must exist from the step that writes it (or step 0 for model
   * inputs) until the last step that reads it (model outputs: until after the
   * last step). Scratch buffers exist only during the one step that lists them.
   */
  kind: PlanBufferKind;
}

export interface PlanStep {
  /** Buffers read by this step (ids). */
  reads: string[];
  /** Buffers written (created) by this step. */
  writes: string[];
  /** Scratch buffers used only during this step. */
  scratch?: string[];
  /**
   * Output buffer may share memory with this input if the input dies at this
   * step (elementwise ops, activations). Pairs [writeId, readId]. A pair is a
   * permission, not an order: the planner applies it only when it is safe.
   */
  inPlace?: [string, string][];
  /**
   * Output and input may overlap, the input starting `inputOffset` bytes into
   * the output (pointwise convolution through a per-pixel temporary,
   * runtime-c/edgec_conv_1x1_overlap_s8.c). The output's block is then
   * reserved from the input's producer on and holds max(output, inputOffset +
   * input) bytes. A permission with the in-place rules: applied only when the
   * input's storage dies here and is not a model input or output.
   */
  overlap?: PlanOverlap[];
  /** Optional name, only used in error messages. */
  name?: string;
}

/**
 * Patch-based execution (passes/patch-stage.ts): a stage's output, written
 * tile by tile (through views), and its input, read tile by tile, share one
 * block, the input starting `inputOffset` bytes into it. The caller
 * guarantees the order: no output byte is written before the last read of
 * the input byte at the same address. Both must be buffers with storage of
 * their own; ignored with keepInputs (the input must then stay intact).
 */
export interface PlanStageOverlap {
  output: string;
  input: string;
  inputOffset: number;
}

export interface PlanOverlap {
  output: string;
  input: string;
  /** Bytes from the output's start to the input's; a multiple of the arena alignment. */
  inputOffset: number;
}

/**
 * A buffer that is a zero-copy view of another (Reshape/Flatten/Squeeze, or a
 * Concat input written straight into its slice of the output). `id` must also
 * be listed in `buffers` (for its size and kind) but has no storage of its own.
 */
export interface PlanAlias {
  id: string;
  of: string;
  /** Bytes into `of`; default 0. */
  offset?: number;
}

export interface PlanProblem {
  buffers: PlanBuffer[];
  steps: PlanStep[];
  aliases?: PlanAlias[];
  /** Alignment of every storage offset, in bytes; default 16. */
  alignment?: number;
  /**
   * Model inputs stay live until after the last step, like outputs
   * (`--keep-inputs`): no later value reuses their bytes, so invoke() leaves
   * them as the caller wrote them. Default false: an input's bytes are free
   * once its last reader ran.
   */
  keepInputs?: boolean;
  /** Stage input and output sharing one block (patch-based execution). */
  stageOverlaps?: PlanStageOverlap[];
  /**
   * Buffers live from their first use until after the last step, like
   * outputs (`--stateful`: the state inputs, which keep the state between
   * invokes, and the state outputs copied into them at the end of invoke).
   */
  liveToEnd?: string[];
}

export interface Placement {
  id: string;
  /** Byte offset in the arena. Aliases: base offset + alias offset. */
  offset: number;
  /** The buffer's own size (not rounded). */
  bytes: number;
  /** First step at which the data exists (0 for model inputs). */
  first: number;
  /**
   * Last step at which the data is needed; `steps.length` for model outputs
   * (live after the last step). For a buffer with aliases this covers the
   * aliases' uses too.
   */
  last: number;
}

export interface Plan {
  /** Bytes the arena needs: the largest aligned end of any placement. */
  arenaBytes: number;
  /** Largest sum of aligned storage live at one step; no placement can beat it. */
  lowerBound: number;
  placements: Map<string, Placement>;
  /** In-place pairs [writeId, readId] that were applied (shared memory). */
  inPlace?: [string, string][];
  /** Overlaps (PlanStep.overlap) that were applied. */
  overlaps?: PlanOverlap[];
  /** Stage overlaps (PlanProblem.stageOverlaps) that were applied. */
  stageOverlaps?: PlanStageOverlap[];
  /** Name of the placement heuristic that produced the arena (for reports). */
  heuristic?: string;
  /** Set by planProgram when it chose the execution order (see order.ts). */
  order?: { method: 'exact' | 'greedy' | 'given'; optimal: boolean };
  /** The same planning on the model file's op order, for "arena vs the file order's bound" reports. */
  fileOrder?: { arenaBytes: number; lowerBound: number };
  /**
   * Lower bounds of the plain problem (no in-place depthwise, no overlapped
   * pointwise convolutions) in the chosen and in the file's order: what an
   * arena of separate input and output buffers cannot beat. Set by planAndOrderProgram.
   */
  plainLowerBound?: { chosen: number; fileOrder: number };
  /** `--keep-inputs`: inputs were planned live to the end (invoke() does not overwrite them). */
  keepInputs?: boolean;
}

/** Re-exported so the module reads as the interface sketched in the brief. */
export { planMemory } from './planner.js';
