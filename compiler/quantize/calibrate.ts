/**
 * Calibration: run the (float-pass-optimised) float model in onnxruntime on
 * every sample with the tensors that need a range exposed as extra outputs,
 * and turn their statistics into ranges. Histogram methods need the global
 * min/max first, so they take a second pass over the samples.
 */
import type { Graph, StatePair } from '../ir/graph.js';
import { openReference, runReference, type NamedTensor, type TensorData } from '../verify/reference.js';
import { writeOnnx } from './onnx-writer.js';
import { needsHistogram, rangeOf, TensorStats, type CalibrationMethod, type Range } from './ranges.js';

/**
 * --stateful calibration: the samples are consecutive chunks of sequences
 * (`chunks` per sequence, calibration-data.ts). Each chunk runs with the
 * state the previous chunk left (each pair's output fed back to its input),
 * starting from real 0 at every sequence, so the state tensors see the
 * values they take when the build streams, and a 1-step build gets the
 * ranges of the whole-sequence build (union over the steps, tied).
 */
export interface StreamCalibration {
  pairs: StatePair[];
  chunks: number;
  /** Shape of each state input (the pairs' order). */
  shapes: number[][];
}

export interface CalibrationOptions {
  method: CalibrationMethod;
  /** For `percentile`: the share of values kept, in percent (default 99.99). */
  percentile?: number;
  /** Progress lines; the CLI passes a TTY writer, tests nothing. */
  progress?: (done: number, total: number, pass: string) => void;
  stream?: StreamCalibration;
}

/** Where progress goes: stderr, or a stand-in in tests. */
export interface ProgressStream { isTTY?: boolean; write(text: string): unknown }

/** Writes `\r calibrating 12/64` on a terminal; no output when the stream (stderr) is not a TTY. */
export function ttyProgress(stream: ProgressStream = process.stderr): ((done: number, total: number, pass: string) => void) | undefined {
  if (!stream.isTTY) return undefined;
  return (done, total, pass) => {
    stream.write(`\r${pass} ${done}/${total}${done === total ? '\x1b[K\n' : ''}`);
  };
}

export async function calibrate(graph: Graph, names: string[], samples: NamedTensor[][], options: CalibrationOptions): Promise<Map<string, Range>> {
  const stats = await collectStats(graph, names, samples, { histograms: needsHistogram(options.method), progress: options.progress, stream: options.stream });
  return rangesFrom(stats, options.method, options.percentile);
}

/** Every tensor's range by one method from statistics already collected. */
export function rangesFrom(stats: Map<string, TensorStats>, method: CalibrationMethod, percentile?: number): Map<string, Range> {
  const ranges = new Map<string, Range>();
  for (const [name, st] of stats) ranges.set(name, rangeOf(st, method, percentile ?? 99.99));
  return ranges;
}

/**
 * Runs the float graph over every sample `passes` times with `names` exposed
 * as outputs; `visit` gets each run's values of them (graph inputs too).
 */
export async function forEachSampleValues(graph: Graph, names: string[], samples: NamedTensor[][], passes: number,
  visit: (values: Map<string, TensorData>, pass: number, sample: number) => void, stream?: StreamCalibration): Promise<void> {
  const inputs = new Set(graph.inputs);
  const exposed = names.filter((n) => !inputs.has(n));
  const fetched = [...new Set([...exposed, ...(stream?.pairs ?? []).map((p) => p.output)])];
  const session = await openReference(writeOnnx(graph, exposed));
  try {
    for (let pass = 0; pass < passes; pass++) {
      let state: NamedTensor[] = [];
      for (let s = 0; s < samples.length; s++) {
        if (stream && s % stream.chunks === 0) state = zeroState(stream);
        const sample = [...samples[s], ...state];
        const results = fetched.length > 0 ? await runReference(session, sample, fetched) : new Map<string, TensorData>();
        for (const t of sample) results.set(t.name, t.data);
        if (stream) state = nextState(stream, results, state);
        visit(results, pass, s);
      }
    }
  } finally {
    await session.release();
  }
}

/** Every state input at real 0 (the start of a sequence). */
function zeroState(stream: StreamCalibration): NamedTensor[] {
  return stream.pairs.map((p, i) => ({ name: p.input, type: 'float32', dims: stream.shapes[i], data: new Float32Array(stream.shapes[i].reduce((a, b) => a * b, 1)) }));
}

/** The state the next chunk starts from: each pair's output of this run. */
function nextState(stream: StreamCalibration, results: Map<string, TensorData>, state: NamedTensor[]): NamedTensor[] {
  return stream.pairs.map((p, i) => ({ ...state[i], data: Float32Array.from(results.get(p.output) as ArrayLike<number>) }));
}

/** Range (and, with `histograms`, histogram) statistics of `names` over the samples. */
export async function collectStats(graph: Graph, names: string[], samples: NamedTensor[][], options: { histograms: boolean; progress?: CalibrationOptions['progress']; stream?: StreamCalibration }): Promise<Map<string, TensorStats>> {
  const stats = new Map(names.map((n) => [n, new TensorStats()]));
  const passes = options.histograms ? 2 : 1;
  await forEachSampleValues(graph, names, samples, passes, (results, pass, s) => {
    for (const [name, st] of stats) {
      const data = results.get(name);
      if (!data) continue;
      if (pass === 0) st.observeRange(data);
      else st.observeHistogram(data);
    }
    const label = passes === 1 ? 'calibrating' : pass === 0 ? 'calibrating (ranges)' : 'calibrating (histograms)';
    options.progress?.(s + 1, samples.length, label);
  }, options.stream);
  return stats;
}
