/**
 * `--calibration-method auto`: the calibration method, and whether to apply
 * bias correction (quantize/bias-correction.ts), chosen per model by the
 * quantized model's output error (issue 14: PTQ at least as good as
 * onnxruntime's best method).
 *
 * The statistics (ranges and histograms) are collected once; each method
 * (minmax, percentile, entropy, mse) turns them into ranges, with and
 * without bias correction; the QDQ model of each combination runs in
 * onnxruntime on the first AUTO_METHOD_SAMPLES calibration samples, and the
 * highest output SQNR against the float model wins (ties: the earlier trial,
 * minmax without correction first). onnxruntime runs the QDQ arithmetic the
 * int8 C matches within ±1 LSB per layer, so the choice holds for the
 * generated code.
 */
import type { NamedTensor } from '../verify/reference.js';
import { floatOutputs, outputSqnr } from './auto-float.js';
import type { CalibrationMethod, Range } from './ranges.js';

/** Samples each trial runs: enough for a stable SQNR, few enough to keep eight trials quick. */
export const AUTO_METHOD_SAMPLES = 64;

export interface MethodTrial { method: CalibrationMethod; biasCorrection: boolean; sqnrDb: number }

export interface MethodChoice { method: CalibrationMethod; biasCorrection: boolean; ranges: Map<string, Range>; trials: MethodTrial[] }

export async function chooseCalibrationMethod(opts: {
  candidates: readonly CalibrationMethod[];
  rangesFor: (method: CalibrationMethod) => Map<string, Range>;
  qdqFor: (ranges: Map<string, Range>, biasCorrection: boolean) => Uint8Array;
  floatModel: Uint8Array;
  samples: NamedTensor[][];
}): Promise<MethodChoice> {
  const samples = opts.samples.slice(0, AUTO_METHOD_SAMPLES);
  const reference = await floatOutputs(opts.floatModel, samples);
  const trials: MethodTrial[] = [];
  let best: { trial: MethodTrial; ranges: Map<string, Range> } | undefined;
  for (const method of opts.candidates) {
    const ranges = opts.rangesFor(method);
    for (const biasCorrection of [false, true]) {
      const trial = { method, biasCorrection, sqnrDb: await outputSqnr(opts.qdqFor(ranges, biasCorrection), samples, reference) };
      trials.push(trial);
      if (!best || trial.sqnrDb > best.trial.sqnrDb) best = { trial, ranges };
    }
  }
  if (!best) throw new Error('internal: no calibration method to try');
  return { method: best.trial.method, biasCorrection: best.trial.biasCorrection, ranges: best.ranges, trials };
}

const label = (t: Pick<MethodTrial, 'method' | 'biasCorrection'>): string => `${t.method}${t.biasCorrection ? '+bias-correction' : ''}`;

/** `auto: mse+bias-correction (minmax 33.31 dB, minmax+bias-correction 33.40 dB, ...)` for the build report. */
export function formatTrials(choice: Pick<MethodChoice, 'method' | 'biasCorrection' | 'trials'>): string {
  return `auto: ${label(choice)} (${choice.trials.map((t) => `${label(t)} ${t.sqnrDb.toFixed(2)} dB`).join(', ')})`;
}
