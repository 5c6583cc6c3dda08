/**
 * copy_window: the data movement of patch-based execution
 * (passes/patch-stage.ts). It has no ONNX op: the pass creates it to cut a
 * tile's input region (with its halo) out of the stage input and to write a
 * finished tile into the stage output at the tile's offset. Both sides are
 * NHWC with batch 1; the window is `rows` x `cols` pixels of `channels` bytes.
 */
import type { Op } from '../ir/program.js';
import type { EmitEnv, OpDefinition } from './types.js';

/** Parameters of a copy_window op (all in pixels except channels, in bytes per pixel). */
export interface CopyWindow {
  srcW: number;
  srcY: number;
  srcX: number;
  dstW: number;
  dstY: number;
  dstX: number;
  rows: number;
  cols: number;
  channels: number;
}

export function copyWindowParams(w: CopyWindow): Op['params'] {
  return {
    src_w: w.srcW, src_y: w.srcY, src_x: w.srcX, dst_w: w.dstW, dst_y: w.dstY, dst_x: w.dstX,
    rows: w.rows, cols: w.cols, channels: w.channels,
  };
}

function copyWindowView(op: Op, env: EmitEnv): Record<string, unknown> {
  const p = (k: string): string => String(op.params[k]);
  return {
    input: env.ptr(op.inputs[0]!, 'const int8_t'),
    src: [p('src_w'), p('src_y'), p('src_x')].join(', '),
    output: env.ptr(op.outputs[0]!, 'int8_t'),
    dst: [p('dst_w'), p('dst_y'), p('dst_x')].join(', '),
    window: [p('rows'), p('cols'), p('channels')].join(', '),
  };
}

export const patch: OpDefinition = {
  lowerings: [],
  portable: {
    copy_window: { sources: ['edgec_copy_window_s8.c'], template: 'copy_window', view: copyWindowView },
  },
  libraryMissing: { copy_window: 'patch-based execution copies windows with its own kernel' },
};
