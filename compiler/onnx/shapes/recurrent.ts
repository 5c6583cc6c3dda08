/** LSTM and GRU (unrolled into per-step ops by passes/unroll-recurrent.ts). */
import { fmtShape, type OutputInfo, type ShapeContext, type ShapeRule } from './context.js';

/** Gates per cell: LSTM i, o, f, c; GRU z, r, h. */
const GATES = { LSTM: 4, GRU: 3 } as const;

/**
 * Shared checks: X [seq, batch, input] (layout 0) or [batch, seq, input]
 * (layout 1), W [dirs, gates·hidden, input], R [dirs, gates·hidden, hidden];
 * outputs Y, Y_h (and LSTM's Y_c) in the layout's order.
 */
function recurrentShapes(ctx: ShapeContext, gates: number, stateOutputs: number): OutputInfo[] {
  const x = ctx.input(0);
  const w = ctx.input(1);
  const r = ctx.input(2);
  const layout = ctx.int('layout', 0);
  if (layout !== 0 && layout !== 1) ctx.fail(`attribute 'layout' is ${layout}; expected 0 or 1`);
  const direction = ctx.string('direction', 'forward');
  if (!['forward', 'reverse', 'bidirectional'].includes(direction)) ctx.fail(`attribute 'direction' is '${direction}'; expected forward, reverse or bidirectional`);
  const dirs = direction === 'bidirectional' ? 2 : 1;
  if (x.shape.length !== 3) ctx.fail(`X must be 3-D, got ${fmtShape(x.shape)}`);
  const [seq, batch] = layout === 0 ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]];
  const inputSize = x.shape[2];
  const hidden = ctx.int('hidden_size') ?? r.shape[2];
  if (w.shape.length !== 3 || w.shape[0] !== dirs || w.shape[1] !== gates * hidden || w.shape[2] !== inputSize) {
    ctx.fail(`W ${fmtShape(w.shape)} should be [${dirs}, ${gates * hidden}, ${inputSize}] (direction ${direction}, hidden_size ${hidden})`);
  }
  if (r.shape.length !== 3 || r.shape[0] !== dirs || r.shape[1] !== gates * hidden || r.shape[2] !== hidden) {
    ctx.fail(`R ${fmtShape(r.shape)} should be [${dirs}, ${gates * hidden}, ${hidden}]`);
  }
  const b = ctx.optional(3);
  if (b && (b.shape.length !== 2 || b.shape[0] !== dirs || b.shape[1] !== 2 * gates * hidden)) ctx.fail(`B ${fmtShape(b.shape)} should be [${dirs}, ${2 * gates * hidden}]`);
  const stateShape = layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  for (const slot of [5, 6].slice(0, stateOutputs)) {
    const s = ctx.optional(slot);
    if (s && s.shape.join() !== stateShape.join()) ctx.fail(`initial state '${s.name}' ${fmtShape(s.shape)} should be ${fmtShape(stateShape)}`);
  }
  const y = layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden];
  const outputs: OutputInfo[] = [{ dtype: x.dtype, shape: y }];
  for (let i = 0; i < stateOutputs; i++) outputs.push({ dtype: x.dtype, shape: stateShape });
  return outputs.slice(0, Math.max(1, ctx.node.outputs.length));
}

export const LSTM: ShapeRule = (ctx) => recurrentShapes(ctx, GATES.LSTM, 2);
export const GRU: ShapeRule = (ctx) => recurrentShapes(ctx, GATES.GRU, 1);
