/**
 * `--auto-float <dB>`: which layers the PTQ keeps in float32 (issue 14).
 *
 * Method (greedy forward selection on the output SQNR):
 *  1. quantize every layer (with the layers named by --float-layers kept
 *     float) and measure the output SQNR against the float model;
 *  2. for every remaining candidate (Conv, Gemm, MatMul with constant
 *     weights) measure the output SQNR with that layer alone also float;
 *     its gain is the difference to the current SQNR;
 *  3. when the best gain exceeds the threshold, keep that layer float, make
 *     its SQNR the current one and repeat step 2 on the rest; stop at the
 *     first round whose best gain is at most the threshold.
 * So a layer stays float only when quantizing it (given the choices made so
 * far) costs more than the threshold in output SQNR; layers whose errors
 * only matter together are not found (each round adds one layer).
 *
 * SQNR is measured in onnxruntime on the QDQ model (graph optimisations
 * off: it runs the QDQ model's arithmetic, which the int8 C matches within
 * ±1 LSB per layer) over the first AUTO_FLOAT_SAMPLES calibration samples,
 * all outputs together: 10·log10(Σ ref² / Σ (ref − q)²). The search costs
 * about candidates × (chosen + 1) onnxruntime passes over those samples.
 */
import type { NamedTensor, TensorData } from '../verify/reference.js';
import { openReference, runReference } from '../verify/reference.js';
import { pooledSqnr } from './native-run.js';

/** Calibration samples the search runs (enough for a stable SQNR, few enough to keep the search quick). */
export const AUTO_FLOAT_SAMPLES = 32;

export interface AutoFloatRound {
  /** Gain in dB of keeping each remaining candidate float, given the layers chosen before this round. */
  gains: { layer: string; gainDb: number }[];
  /** The layer kept float in this round (the best gain, when it exceeds the threshold). */
  chosen?: string;
}

export interface AutoFloatResult {
  thresholdDb: number;
  samples: number;
  /** Output SQNR with only the forced (--float-layers) layers float. */
  baselineDb: number;
  /** Output SQNR with the chosen layers float too. */
  finalDb: number;
  /** Layers the search kept float, in the order chosen. */
  chosen: string[];
  rounds: AutoFloatRound[];
}

/** Output SQNR in dB of a model against reference outputs (all outputs, all samples). */
export async function outputSqnr(model: Uint8Array, samples: NamedTensor[][], reference: Map<string, TensorData>[]): Promise<number> {
  const session = await openReference(model);
  const ours: Map<string, TensorData>[] = [];
  try {
    for (let s = 0; s < samples.length; s++) ours.push(await runReference(session, samples[s], [...reference[s].keys()]));
  } finally {
    await session.release();
  }
  return pooledSqnr(reference, ours);
}

/** Float model outputs per sample: the reference of every SQNR of the search. */
export async function floatOutputs(floatModel: Uint8Array, samples: NamedTensor[][]): Promise<Map<string, TensorData>[]> {
  const session = await openReference(floatModel);
  try {
    const out: Map<string, TensorData>[] = [];
    for (const s of samples) out.push(await runReference(session, s));
    return out;
  } finally {
    await session.release();
  }
}

/**
 * The greedy search. `qdqWith(floatLayers)` writes the QDQ model with those
 * layers float; `forced` are always float (--float-layers).
 */
export async function chooseFloatLayers(opts: {
  thresholdDb: number;
  candidates: string[];
  forced: string[];
  floatModel: Uint8Array;
  samples: NamedTensor[][];
  qdqWith: (floatLayers: ReadonlySet<string>) => Uint8Array;
}): Promise<AutoFloatResult> {
  const samples = opts.samples.slice(0, AUTO_FLOAT_SAMPLES);
  const reference = await floatOutputs(opts.floatModel, samples);
  const current = new Set(opts.forced);
  const sqnrWith = (layers: ReadonlySet<string>): Promise<number> => outputSqnr(opts.qdqWith(layers), samples, reference);
  const baselineDb = await sqnrWith(current);
  let currentDb = baselineDb;
  const remaining = opts.candidates.filter((c) => !current.has(c));
  const rounds: AutoFloatRound[] = [];
  const chosen: string[] = [];
  while (remaining.length > 0 && Number.isFinite(currentDb)) {
    const measured: { layer: string; db: number }[] = [];
    for (const layer of remaining) measured.push({ layer, db: await sqnrWith(new Set([...current, layer])) });
    const gains = measured.map((m) => ({ layer: m.layer, gainDb: m.db - currentDb }));
    const best = measured.reduce((a, b) => (b.db > a.db ? b : a));
    const take = best.db - currentDb > opts.thresholdDb;
    rounds.push({ gains, chosen: take ? best.layer : undefined });
    if (!take) break;
    current.add(best.layer);
    chosen.push(best.layer);
    remaining.splice(remaining.indexOf(best.layer), 1);
    currentDb = best.db;
  }
  return { thresholdDb: opts.thresholdDb, samples: samples.length, baselineDb, finalDb: currentDb, chosen, rounds };
}

const db = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)} dB` : 'exact');

/** Report lines: the threshold, each round's best candidates, and the SQNR before and after. */
export function formatAutoFloat(r: AutoFloatResult): string[] {
  const lines = [`auto-float (threshold ${r.thresholdDb} dB, onnxruntime on ${r.samples} calibration samples): output SQNR ${db(r.baselineDb)} -> ${db(r.finalDb)}, kept float: ${r.chosen.length ? r.chosen.map((c) => `'${c}'`).join(', ') : 'none'}`];
  r.rounds.forEach((round, i) => {
    const top = [...round.gains].sort((a, b) => b.gainDb - a.gainDb).slice(0, 3).map((g) => `'${g.layer}' ${g.gainDb >= 0 ? '+' : ''}${db(g.gainDb)}`).join(', ');
    lines.push(`  round ${i + 1}: best gains ${top}${round.chosen ? ` -> '${round.chosen}' stays float` : ' -> none above the threshold, stop'}`);
  });
  return lines;
}
