/**
 * `edgec split-advisor`: every tensor the model can be cut at, with what the
 * device pays for the head (MACs, arena, flash: the numbers of the real
 * `build --split-at` of that cut) and what each inference sends.
 */
import { withExtraOutputs } from '../onnx/edit.js';
import { compileModel, type CompileOptions } from '../pipeline.js';
import { modelReport } from '../report.js';
import { openReference, runReference } from '../verify/reference.js';
import { readInputSamples } from '../verify/inputs.js';
import { displayName } from '../errors.js';
import { cutCandidates } from './cut.js';
import { compileSplit, loadSplitSource } from './index.js';
import { encodeWire, wireHeaderBytes } from './wire.js';

export interface AdvisorRow {
  tensor: string;
  shape: number[];
  /** Packet bytes per inference, uncompressed (header + int8 values + CRC). */
  rawBytes: number;
  /** Mean packet bytes with LZSS on the samples (values from onnxruntime; absent without --samples). */
  compressedBytes?: number;
  headMacs: number;
  /** Share of the whole model's MACs run on the device. */
  headMacsShare: number;
  arenaBytes: number;
  weightsBytes: number;
  flashBytes: number;
  fits: boolean;
}

export interface AdvisorReport {
  model: string;
  board: string;
  totalMacs: number;
  samples: number;
  rows: AdvisorRow[];
}

/** The cut tensors' int8 values on each sample, from onnxruntime (the exact model; ours may differ by 1 LSB, which does not matter for sizes). */
async function cutValues(modelPath: string, cuts: string[], samplesPath: string, options: CompileOptions, maxSamples: number): Promise<Map<string, Int8Array[]>> {
  // samples are the model's own (float) inputs in its declared layout, as onnxruntime takes them
  const whole = compileModel(modelPath, { ...options, int8Io: false, inputLayout: 'declared' });
  const samples = readInputSamples(whole.program, samplesPath).slice(0, maxSamples);
  const session = await openReference(withExtraOutputs(modelPath, cuts));
  const values = new Map<string, Int8Array[]>(cuts.map((c) => [c, []]));
  for (const sample of samples) {
    const out = await runReference(session, sample, cuts);
    for (const c of cuts) {
      const data = out.get(c);
      if (!data) continue;
      // a uint8 model's cut becomes int8 on the device (zero point - 128): same bytes after the flip of the sign bit
      values.get(c)?.push(data instanceof Uint8Array ? Int8Array.from(data, (v) => v - 128) : new Int8Array(data.buffer, data.byteOffset, data.length));
    }
  }
  return values;
}

export async function adviseSplit(modelPath: string, options: CompileOptions, samplesPath?: string, maxSamples = 8): Promise<AdvisorReport> {
  const source = loadSplitSource(modelPath, options);
  const cuts = cutCandidates(source.model, modelPath);
  const totalMacs = modelReport(compileModel(modelPath, options), modelPath).totalMacs;
  const values = samplesPath ? await cutValues(modelPath, cuts.map((c) => c.tensor), samplesPath, options, maxSamples) : undefined;
  let sampleCount = 0;
  const rows = cuts.map((cut): AdvisorRow => {
    const split = compileSplit(source, cut.tensor, options, cut);
    const r = modelReport(split.compiled, modelPath);
    const count = split.cutShape.reduce((a, b) => a * b, 1);
    const out = split.compiled.program.values.get(split.compiled.program.outputs[0]);
    const measured = values?.get(cut.tensor) ?? [];
    sampleCount = Math.max(sampleCount, measured.length);
    const sizes = measured.map((v) => encodeWire({ dims: split.cutShape, scale: out?.scale ?? 0, zeroPoint: out?.zeroPoint ?? 0, values: v }, true).length);
    return {
      tensor: cut.tensor, shape: split.cutShape, rawBytes: wireHeaderBytes(split.cutShape.length) + count + 4,
      compressedBytes: sizes.length ? Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length) : undefined,
      headMacs: r.totalMacs, headMacsShare: totalMacs > 0 ? r.totalMacs / totalMacs : 0,
      arenaBytes: r.arenaBytes, weightsBytes: r.weightsBytes, flashBytes: r.flashBytes, fits: r.fits.ram && r.fits.flash,
    };
  });
  return { model: modelPath, board: options.board ?? 'host', totalMacs, samples: sampleCount, rows };
}

function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  // first two columns (index, tensor) left-aligned, numbers right-aligned
  return rows.map((r) => r.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ').trimEnd());
}

export function formatAdvisor(report: AdvisorReport): string[] {
  const n = (v: number): string => v.toLocaleString('en-US');
  const header = ['#', 'cut tensor', 'shape', 'sent raw', report.samples ? 'sent lzss' : 'sent lzss (no --samples)', 'head MACs', 'MACs %', 'arena', 'weights', 'flash', 'fits'];
  const rows = report.rows.map((r, i) => [
    String(i + 1), displayName(r.tensor, 60), r.shape.join('x'), n(r.rawBytes), r.compressedBytes === undefined ? '-' : n(r.compressedBytes),
    n(r.headMacs), (100 * r.headMacsShare).toFixed(1), n(r.arenaBytes), n(r.weightsBytes), n(r.flashBytes), r.fits ? 'yes' : 'NO',
  ]);
  return [
    `${report.model}: ${report.rows.length} cut points (board ${report.board}, whole model ${n(report.totalMacs)} MACs)`,
    ...table([header, ...rows]),
    `bytes: one packet per inference (header + int8 values + CRC-32)${report.samples ? `; lzss: mean over ${report.samples} samples` : ''}. head: what \`edgec build --split-at <tensor>\` puts on the device.`,
  ];
}
