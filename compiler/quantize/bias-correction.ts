/**
 * Bias correction (Nagel et al., "Data-Free Quantization", 2019, §4.2, with
 * the empirical input means): quantizing the weights shifts each output
 * channel's mean by Σ (W_q − W) · E[x]; subtracting that shift from the
 * float bias before the bias is quantized removes the systematic part of the
 * weight error. E[x] is the mean of each input channel of the layer over
 * the calibration samples (computed in onnxruntime on the float model);
 * zero padding at a conv's borders is ignored (its windows see fewer real
 * inputs), a small approximation on the border pixels only.
 *
 * Used by `--calibration-method auto`, which keeps it only where it raises
 * the output SQNR (quantize/auto-method.ts).
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import type { NamedTensor } from '../verify/reference.js';
import { forEachSampleValues } from './calibrate.js';
import { WEIGHTED_OPS } from './quantize.js';

/** Per-input-channel means of every weighted layer's activation input, by node name. */
export type ChannelMeans = Map<string, Float64Array>;

/** The axis of a weighted layer's input that its weights' input dimension runs over. */
function inputChannelAxis(node: Node, rank: number): number | undefined {
  if (node.opType === 'Conv') return 1;
  if (node.opType === 'Gemm') return Number(node.attrs.transA ?? 0) === 1 ? undefined : 1;
  if (node.opType === 'MatMul') return rank - 1;
  return undefined; // ConvTranspose: not corrected
}

export async function inputChannelMeans(graph: Graph, samples: NamedTensor[][]): Promise<ChannelMeans> {
  const layers = graph.nodes.filter((n) => WEIGHTED_OPS.has(n.opType) && graph.tensors.get(n.inputs[1] ?? '')?.data && !graph.tensors.get(n.inputs[0] ?? '')?.data);
  const names = [...new Set(layers.map((n) => n.inputs[0] as string))];
  const sums = new Map<string, { sum: Float64Array; count: number; axis: number }>();
  for (const n of layers) {
    const x = graph.tensors.get(n.inputs[0] as string) as Tensor;
    const axis = inputChannelAxis(n, x.shape.length);
    if (axis === undefined || sums.has(x.name)) continue;
    sums.set(x.name, { sum: new Float64Array(x.shape[axis] as number), count: 0, axis });
  }
  await forEachSampleValues(graph, names, samples, 1, (results) => {
    for (const [name, acc] of sums) {
      const data = results.get(name);
      const shape = (graph.tensors.get(name) as Tensor).shape;
      if (!data) continue;
      const channels = shape[acc.axis] as number;
      const inner = shape.slice(acc.axis + 1).reduce((a, b) => a * b, 1);
      for (let i = 0; i < data.length; i++) acc.sum[Math.floor(i / inner) % channels] += Number(data[i]);
      acc.count += data.length / channels;
    }
  });
  const means: ChannelMeans = new Map();
  for (const n of layers) {
    const acc = sums.get(n.inputs[0] as string);
    if (acc && acc.count > 0) means.set(n.name, Float64Array.from(acc.sum, (s) => s / acc.count));
  }
  return means;
}

/**
 * The bias minus the mean output shift of the weight quantization, per
 * output channel. `dequantized[i]` is W_q[i] in float; the weight layouts are
 * ONNX's (Conv [O, I/g, kh, kw]; Gemm [N, K] with transB, else [K, N]; MatMul [K, N]).
 */
export function correctedBias(node: Node, w: Tensor, dequantized: Float64Array, bias: ArrayLike<number>, mean: Float64Array): Float32Array {
  const data = w.data as Float32Array;
  const transposed = node.opType === 'Gemm' && Number(node.attrs.transB ?? 0) === 1; // [N, K]
  const outputs = node.opType === 'Conv' || transposed ? w.shape[node.opType === 'Conv' ? 0 : w.shape.length - 2] as number : w.shape[w.shape.length - 1] as number;
  const shift = new Float64Array(outputs);
  if (node.opType === 'Conv') {
    const [oc, icg] = w.shape as [number, number];
    const window = w.shape.slice(2).reduce((a, b) => a * b, 1);
    const groups = Math.max(1, Math.round(mean.length / icg));
    const perGroup = oc / groups;
    for (let i = 0; i < data.length; i++) {
      const o = Math.floor(i / (icg * window));
      const ic = Math.floor(o / perGroup) * icg + (Math.floor(i / window) % icg);
      shift[o] += (dequantized[i] - data[i]) * mean[ic];
    }
  } else {
    const cols = w.shape[w.shape.length - 1] as number;
    for (let i = 0; i < data.length; i++) {
      const r = Math.floor(i / cols) % (w.shape[w.shape.length - 2] as number);
      const c = i % cols;
      const [o, k] = transposed ? [r, c] : [c, r];
      shift[o] += (dequantized[i] - data[i]) * mean[k];
    }
  }
  return Float32Array.from(shift, (s, o) => Number(bias[bias.length === 1 ? 0 : o]) - s);
}
