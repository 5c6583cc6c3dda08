/**
 * Calibration: run the (float-pass-optimised) float model in onnxruntime on
 * every sample with the tensors that need a range exposed as extra outputs,
 * and turn their statistics into ranges. Histogram methods need the global
 * min/max first, so they take a second pass over the samples.
 */
import type { Graph } from '../ir/graph.js';
import { openReference, runReference, type NamedTensor, type TensorData } from '../verify/reference.js';
import { writeOnnx } from './onnx-writer.js';
import { needsHistogram, rangeOf, TensorStats, type CalibrationMethod, type Range } from './ranges.js';

export interface CalibrationOptions {
  method: CalibrationMethod;
  /** For `percentile`: the share of values kept, in percent (default 99.99). */
  percentile?: number;
  /** Progress lines; the CLI passes a TTY writer, tests nothing. */
  progress?: (done: number, total: number, pass: string) => void;
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
  const stats = await collectStats(graph, names, samples, { histograms: needsHistogram(options.method), progress: options.progress });
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
  visit: (values: Map<string, TensorData>, pass: number, sample: number) => void): Promise<void> {
  const inputs = new Set(graph.inputs);
  const exposed = names.filter((n) => !inputs.has(n));
  const session = await openReference(writeOnnx(graph, exposed));
  try {
    for (let pass = 0; pass < passes; pass++) {
      for (let s = 0; s < samples.length; s++) {
        const sample = samples[s];
        const results = exposed.length > 0 ? await runReference(session, sample, exposed) : new Map<string, TensorData>();
        for (const t of sample) results.set(t.name, t.data);
        visit(results, pass, s);
      }
    }
  } finally {
    await session.release();
  }
}

/** Range (and, with `histograms`, histogram) statistics of `names` over the samples. */
export async function collectStats(graph: Graph, names: string[], samples: NamedTensor[][], options: { histograms: boolean; progress?: CalibrationOptions['progress'] }): Promise<Map<string, TensorStats>> {
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
  });
  return stats;
}
