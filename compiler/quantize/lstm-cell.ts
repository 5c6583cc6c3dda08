/**
 * The cell state scale of an LSTM that PTQ quantizes whole for TFLite
 * Micro's integer kernel (passes/integer-lstm.ts). The kernel keeps c in
 * int16 at a power-of-two scale; the ONNX LSTM shows only the final c
 * (Y_c), so the range over every step comes from running the layer here in
 * float on the calibration samples' X (from onnxruntime), as TFLite's
 * calibrator records it inside its LSTM kernel. The scale is the smallest
 * power of two whose int16 range holds the largest |c| seen.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import type { NamedTensor } from '../verify/reference.js';
import { forEachSampleValues, type StreamCalibration } from './calibrate.js';
import { cellScaleHolding } from '../ops/lstm.js';

const GATES = 4;

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Float weights of an ONNX LSTM (default activations, zero initial state). */
interface LstmWeights { w: ArrayLike<number>; r: ArrayLike<number>; b?: ArrayLike<number>; hidden: number; inputSize: number; directions: ('forward' | 'reverse')[]; layout: 0 | 1 }

function weightsOf(graph: Graph, node: Node): LstmWeights {
  const t = (slot: number): Tensor | undefined => (node.inputs[slot] ? graph.tensors.get(node.inputs[slot]) : undefined);
  const w = t(1) as Tensor;
  const r = t(2) as Tensor;
  const direction = String(node.attrs.direction ?? 'forward');
  return {
    w: w.data as Float32Array, r: r.data as Float32Array, b: t(3)?.data as Float32Array | undefined,
    hidden: r.shape[2], inputSize: w.shape[2],
    directions: direction === 'bidirectional' ? ['forward', 'reverse'] : [direction as 'forward' | 'reverse'],
    layout: Number(node.attrs.layout ?? 0) === 1 ? 1 : 0,
  };
}

/**
 * Largest |c_t| over every step, batch row and direction of the LSTM run in
 * float on `x` ([seq, batch, I] or, layout 1, [batch, seq, I]), from the
 * initial states `h0`, `c0` when given (one direction: [1, batch, H] or
 * [batch, 1, H]), else zero.
 */
export function lstmCellAbsMax(lw: LstmWeights, x: ArrayLike<number>, dims: readonly number[], h0?: ArrayLike<number>, c0?: ArrayLike<number>): number {
  const { hidden: h, inputSize: k, layout } = lw;
  const [seq, batch] = layout === 0 ? [dims[0], dims[1]] : [dims[1], dims[0]];
  const gate = new Float64Array(GATES * h);
  let absMax = 0;
  lw.directions.forEach((direction, d) => {
    const wOff = d * GATES * h * k;
    const rOff = d * GATES * h * h;
    const bOff = d * 2 * GATES * h;
    for (let n = 0; n < batch; n++) {
      const c = c0 ? Float64Array.from({ length: h }, (_, j) => Number(c0[n * h + j])) : new Float64Array(h);
      let hPrev = h0 ? Float64Array.from({ length: h }, (_, j) => Number(h0[n * h + j])) : new Float64Array(h);
      for (let j = 0; j < h; j++) absMax = Math.max(absMax, Math.abs(c[j]));
      for (let s = 0; s < seq; s++) {
        const t = direction === 'forward' ? s : seq - 1 - s;
        const xAt = (layout === 0 ? t * batch + n : n * seq + t) * k;
        for (let row = 0; row < GATES * h; row++) {
          let acc = lw.b ? Number(lw.b[bOff + row]) + Number(lw.b[bOff + GATES * h + row]) : 0;
          for (let i = 0; i < k; i++) acc += Number(lw.w[wOff + row * k + i]) * Number(x[xAt + i]);
          for (let j = 0; j < h; j++) acc += Number(lw.r[rOff + row * h + j]) * hPrev[j];
          gate[row] = acc;
        }
        const hNext = new Float64Array(h);
        for (let j = 0; j < h; j++) {
          // ONNX gate order i, o, f, c
          const [i, o, f, g] = [sigmoid(gate[j]), sigmoid(gate[h + j]), sigmoid(gate[2 * h + j]), Math.tanh(gate[3 * h + j])];
          c[j] = f * c[j] + i * g;
          absMax = Math.max(absMax, Math.abs(c[j]));
          hNext[j] = o * Math.tanh(c[j]);
        }
        hPrev = hNext;
      }
    }
  });
  return absMax;
}

/**
 * Cell scale of each of `nodes` (LSTMs of the float graph), over the
 * calibration samples; `stream` (--stateful) runs them in order carrying the
 * state, which then reaches the layer as its initial_h / initial_c.
 */
export async function lstmCellScales(graph: Graph, nodes: readonly Node[], samples: NamedTensor[][], stream?: StreamCalibration): Promise<Map<string, number>> {
  if (nodes.length === 0) return new Map();
  const absMax = new Map(nodes.map((n) => [n.name, 0]));
  const weights = new Map(nodes.map((n) => [n.name, weightsOf(graph, n)]));
  const stateOf = (n: Node, slot: number): string | undefined => (n.inputs[slot] && !graph.tensors.get(n.inputs[slot])?.data ? n.inputs[slot] : undefined);
  const fetched = nodes.flatMap((n) => [n.inputs[0], stateOf(n, 5), stateOf(n, 6)]).filter((name): name is string => name !== undefined);
  await forEachSampleValues(graph, [...new Set(fetched)], samples, 1, (values) => {
    for (const n of nodes) {
      const value = (name: string | undefined): ArrayLike<number> | undefined => (name === undefined ? undefined : values.get(name) as ArrayLike<number> | undefined);
      const x = value(n.inputs[0]);
      if (!x) throw new Error(`internal: no calibration values for LSTM input '${n.inputs[0]}'`);
      const m = lstmCellAbsMax(weights.get(n.name) as LstmWeights, x, (graph.tensors.get(n.inputs[0]) as Tensor).shape, value(stateOf(n, 5)), value(stateOf(n, 6)));
      absMax.set(n.name, Math.max(absMax.get(n.name) as number, m));
    }
  }, stream);
  return new Map([...absMax].map(([name, m]) => [name, cellScaleHolding(m)]));
}
