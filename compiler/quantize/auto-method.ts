/**
 * `--calibration-method auto`: the calibration method, and whether to apply
 * bias correction (quantize/bias-correction.ts), chosen per model by the
 * quantized model's output error (issue 14: PTQ at least as good as
 * onnxruntime's best method).
 *
 * The statistics (ranges and histograms) are collected once; each method
 * (AUTO_CANDIDATES) turns them into ranges, with and
 * without bias correction; each combination is scored on the first
 * ACCURACY_SAMPLES calibration samples by its output SQNR against the float
 * model, and the highest wins (ties: the earlier trial, minmax without
 * correction first). The builds score the generated C itself (the pipeline
 * passes a scorer that compiles and runs it natively, quantize/native-run.ts):
 * onnxruntime's QDQ run requantizes in float, within ±1 LSB of the C per
 * layer, but those differences add up — on VWW its ranking picked a method
 * 0.6 dB worse in C than minmax. Without a scorer (library use) onnxruntime
 * scores.
 */
import type { NamedTensor, TensorData } from '../verify/reference.js';
import { floatOutputs, outputSqnr } from './auto-float.js';
import { ACCURACY_SAMPLES } from './native-run.js';
import type { CalibrationMethod, Range } from './ranges.js';

/**
 * The methods auto tries. Entropy (KL-divergence thresholds) was never
 * picked on the PTQ corpus and scored 5 to 24 dB below the other methods
 * in C (VWW 14.3 vs 22.5 dB, mlp_dynamic 18.3 vs 42.4, torch_cnn_norm 13.2
 * vs 48.9), so its two trials are not paid for; `entropy` stays selectable.
 */
export const AUTO_CANDIDATES: readonly CalibrationMethod[] = ['minmax', 'percentile', 'mse'];

/** A QDQ model's output SQNR (dB) on samples against their float outputs. */
export type QdqScorer = (qdq: Uint8Array, samples: NamedTensor[][], reference: Map<string, TensorData>[]) => Promise<number>;

export interface MethodTrial { method: CalibrationMethod; biasCorrection: boolean; sqnrDb: number }

export interface MethodChoice { method: CalibrationMethod; biasCorrection: boolean; ranges: Map<string, Range>; trials: MethodTrial[] }

export async function chooseCalibrationMethod(opts: {
  candidates: readonly CalibrationMethod[];
  rangesFor: (method: CalibrationMethod) => Map<string, Range>;
  qdqFor: (ranges: Map<string, Range>, biasCorrection: boolean) => Uint8Array;
  floatModel: Uint8Array;
  samples: NamedTensor[][];
  /** How a trial is scored (default: onnxruntime runs the QDQ model). */
  score?: QdqScorer;
}): Promise<MethodChoice> {
  const samples = opts.samples.slice(0, ACCURACY_SAMPLES);
  const score = opts.score ?? outputSqnr;
  const reference = await floatOutputs(opts.floatModel, samples);
  const trials: MethodTrial[] = [];
  let best: { trial: MethodTrial; ranges: Map<string, Range> } | undefined;
  for (const method of opts.candidates) {
    const ranges = opts.rangesFor(method);
    for (const biasCorrection of [false, true]) {
      const trial = { method, biasCorrection, sqnrDb: await score(opts.qdqFor(ranges, biasCorrection), samples, reference) };
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
