/**
 * `npm run measure:cost-model`: per-layer instruction counts of the example
 * models on QEMU's Cortex-M4 (mps2-an386, -icount: exact), built with the
 * bench harness and -DEDGEC_TRACING so that EDGEC_TRACE stamps the FPGAIO
 * counter between layers; fits compiler/cost-model.ts's coefficients per
 * kernel kind and calibrates the Cortex-M4 cycles per instruction against
 * published MLPerf Tiny latencies. Writes compiler/data/cost-model.json.
 *
 * Variants: the portable kernels' DSP path, their plain-C path
 * (-DEDGEC_NO_DSP, the stand-in for cores without DSP), and CMSIS-NN's DSP
 * path when CMSIS_NN_PATH names a checkout (outside the repo; it is also what
 * the calibration needs: TFLM + CMSIS-NN runs the same kernels).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildArmElf, runQemu, instructionsFromTicks, ARM_CC } from './cortex-m.js';
import { timedBuild } from './bench.js';
import { cmsisNnSources } from './suite.js';
import { randomSamples } from '../verify/samples.js';
import { valueBytes, type Value } from '../ir/program.js';
import { compilerVersion } from './measure-code-size.js';
import { COST_MODEL_FILE, costKey, fitVariant, layerFeatures, medianCpi, type CostModelData, type CostVariant, type MeasuredLayer, type PublishedLatency, type VariantCosts } from '../cost-model.js';
import type { ProgramPlanOptions } from '../plan/program.js';

/** The four MLPerf Tiny models (our fixtures of the same architectures) and the digits example. */
const MODELS: Record<string, string> = {
  kws: 'examples/kws_dscnn/kws_dscnn_int8.onnx',
  vww: 'examples/vww_mobilenet/vww_mobilenet_int8.onnx',
  ic: 'examples/ic_resnet8/ic_resnet8_int8.onnx',
  ad: 'examples/ad_autoencoder/ad_autoencoder_int8.onnx',
  digits: 'examples/digits/digits_int8.onnx',
};

/**
 * MLPerf Tiny inference v1.0, closed division, reference submission: TFLite
 * Micro + CMSIS-NN on the NUCLEO-L4R5ZI (STM32L4R5, Cortex-M4F at 120 MHz).
 */
const PUBLISHED_SOURCE = 'MLPerf Tiny inference v1.0 closed division, reference submission (TFLite Micro + CMSIS-NN, NUCLEO-L4R5ZI, Cortex-M4F @ 120 MHz), latency per inference';
const PUBLISHED: PublishedLatency[] = [
  { model: 'kws', ms: 181.9, clockHz: 120_000_000 },
  { model: 'vww', ms: 600.6, clockHz: 120_000_000 },
  { model: 'ic', ms: 704.2, clockHz: 120_000_000 },
  { model: 'ad', ms: 10.05, clockHz: 120_000_000 },
];

/** The per-layer stamp: counter ticks since the previous stamp (or invoke's start), printed through semihosting, then the counter re-read so printing is not counted. */
export const TRACE_SOURCE = `#include <stdint.h>
void edgec_bench_puts(const char *s);
#define EDGEC_BENCH_COUNTER (*(volatile uint32_t *)0x40028018u)
uint32_t edgec_bench_layer_t0;
static char *u32(char *p, uint32_t v) { char d[10]; int n = 0; do { d[n++] = (char)('0' + v % 10u); v /= 10u; } while (v); while (n) *p++ = d[--n]; return p; }
void edgec_trace(int layer, const void *data, uint32_t bytes);
void edgec_trace(int layer, const void *data, uint32_t bytes) {
  const uint32_t ticks = EDGEC_BENCH_COUNTER - edgec_bench_layer_t0;
  char line[48] = "EDGEC_LAYER ";
  char *p = u32(line + 12, (uint32_t)layer);
  (void)data; (void)bytes;
  *p++ = ' ';
  p = u32(p, ticks);
  *p++ = '\\n';
  *p = '\\0';
  edgec_bench_puts(line);
  edgec_bench_layer_t0 = EDGEC_BENCH_COUNTER;
}
`;

interface Run {
  variant: CostVariant;
  backend: 'portable' | 'cmsis-nn';
  defines: string[];
  plan: ProgramPlanOptions;
}

export function traceTicks(text: string): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const m of text.matchAll(/^EDGEC_LAYER (\d+) (\d+)$/gm)) ticks.set(Number(m[1]), Number(m[2]));
  return ticks;
}

/** Builds and runs one model once traced (per-layer counts) and, with `untraced`, once plain (the whole inference). */
function measureModel(key: string, run: Run, work: string, cmsis: string | undefined, untraced: boolean): { layers: MeasuredLayer[]; total?: number; tracedSum: number } {
  const dir = join(work, `${run.variant}-${key}-${Object.keys(run.plan).length ? 'fast' : 'min'}`);
  const modelDir = join(dir, 'model');
  const { compiled } = timedBuild(MODELS[key]!, modelDir, { board: 'nucleo-f446re', backend: run.backend, plan: run.plan });
  const { program } = compiled;
  const inputs = randomSamples(program, 1, 1)[0]!.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const outputBytes = program.outputs.map((id) => valueBytes(program.values.get(id) as Value));
  const library = run.backend === 'cmsis-nn' && cmsis ? cmsisNnSources(cmsis) : { extraSources: [], includeDirs: [] };
  const traceFile = join(dir, 'edgec_bench_trace.c');
  writeFileSync(traceFile, TRACE_SOURCE);
  const tracedDir = join(dir, 'traced');
  mkdirSync(tracedDir);
  const elf = buildArmElf(modelDir, program.name, inputs, tracedDir, { opt: '-O2', extraSources: [...library.extraSources, traceFile], includeDirs: library.includeDirs, defines: [...run.defines, 'EDGEC_TRACING'] });
  runQemu(elf, outputBytes);
  const ticks = traceTicks(readFileSync(`${elf}.semihosting.txt`, 'utf8'));
  const layers = program.ops.map((op, index): MeasuredLayer => {
    const t = ticks.get(index);
    if (t === undefined) throw new Error(`${key}: no stamp for layer ${index}`);
    return { model: key, index, key: costKey(op), ...layerFeatures(program, op), instructions: instructionsFromTicks(t, 0) };
  });
  const tracedSum = layers.reduce((a, l) => a + l.instructions, 0);
  let total: number | undefined;
  if (untraced) {
    const plainDir = join(dir, 'plain');
    mkdirSync(plainDir);
    total = runQemu(buildArmElf(modelDir, program.name, inputs, plainDir, { opt: '-O2', extraSources: library.extraSources, includeDirs: library.includeDirs, defines: run.defines }), outputBytes).instructions;
  }
  return { layers, total, tracedSum };
}

function measureVariant(runs: Run[], work: string, cmsis: string | undefined, models: string[]): VariantCosts {
  const layers: MeasuredLayer[] = [];
  const totals: VariantCosts['totals'] = [];
  for (const run of runs) {
    for (const key of models) {
      const untraced = Object.keys(run.plan).length === 0;
      const r = measureModel(key, run, work, cmsis, untraced);
      layers.push(...r.layers);
      if (r.total !== undefined) totals.push({ model: key, instructions: r.total, tracedSum: r.tracedSum });
      console.log(`${run.variant} ${key}${untraced ? '' : ' (--memory fast)'}: ${r.layers.length} layers, traced sum ${r.tracedSum}${r.total !== undefined ? `, whole inference ${r.total}` : ''}`);
    }
  }
  const v = runs[0]!;
  return {
    harness: `QEMU mps2-an386 (Cortex-M4F) -icount shift=7, ${ARM_CC} ${compilerVersion(ARM_CC)} -O2 -mcpu=cortex-m4, ${v.backend === 'cmsis-nn' ? 'CMSIS-NN kernels (library layers) and portable fallbacks' : `portable kernels${v.defines.includes('EDGEC_NO_DSP') ? ', plain-C path (-DEDGEC_NO_DSP)' : ', DSP path'}`}; board nucleo-f446re; --memory min and fast`,
    ...fitVariant(layers), layers, totals,
  };
}

export function measureCostModel(): CostModelData {
  const cmsis = process.env.CMSIS_NN_PATH;
  if (!cmsis) throw new Error('CMSIS_NN_PATH must name a CMSIS-NN checkout: the calibration needs the TFLM-equivalent (CMSIS-NN) instruction counts');
  const work = mkdtempSync(join(tmpdir(), 'edgec-cost-model-'));
  const models = Object.keys(MODELS);
  const fast: ProgramPlanOptions = { inPlaceDepthwise: false, overlapPointwise: false };
  try {
    const variants: CostModelData['variants'] = {
      'portable-dsp': measureVariant([{ variant: 'portable-dsp', backend: 'portable', defines: [], plan: {} }, { variant: 'portable-dsp', backend: 'portable', defines: [], plan: fast }], work, cmsis, models),
      'portable-c': measureVariant([{ variant: 'portable-c', backend: 'portable', defines: ['EDGEC_NO_DSP'], plan: {} }, { variant: 'portable-c', backend: 'portable', defines: ['EDGEC_NO_DSP'], plan: fast }], work, cmsis, models),
    };
    variants['cmsis-nn-dsp'] = measureVariant([{ variant: 'cmsis-nn-dsp', backend: 'cmsis-nn', defines: [], plan: {} }], work, cmsis, models);
    const instructions = Object.fromEntries((variants['cmsis-nn-dsp']?.totals ?? []).map((t) => [t.model, t.instructions]));
    const cyclesPerInstruction = Object.fromEntries(PUBLISHED.map((p) => [p.model, Number(((p.ms / 1000) * p.clockHz / instructions[p.model]!).toFixed(4))]));
    return {
      generatedBy: 'npm run measure:cost-model (compiler/bench/measure-layer-costs.ts)',
      variants,
      calibration: { source: PUBLISHED_SOURCE, published: PUBLISHED, instructions, cyclesPerInstruction, median: Number(medianCpi(Object.values(cyclesPerInstruction)).toFixed(4)) },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** `--refit`: the stored measurements fitted again (after a change to the fit, no emulator needed). */
export function refitCostModel(data: CostModelData): CostModelData {
  const variants: CostModelData['variants'] = {};
  for (const [name, v] of Object.entries(data.variants) as [CostVariant, VariantCosts][]) variants[name] = { ...v, ...fitVariant(v.layers), layers: v.layers, totals: v.totals };
  return { ...data, variants };
}

if (process.argv[1] && basename(process.argv[1]) === 'measure-layer-costs.js') {
  const data = process.argv.includes('--refit') ? refitCostModel(JSON.parse(readFileSync(COST_MODEL_FILE(), 'utf8')) as CostModelData) : measureCostModel();
  // one measured layer per line: the file stays readable and diffs stay small
  const text = JSON.stringify(data, null, 2).replace(/\{\n\s+"model"[^}]*\}/g, (m) => m.replace(/\n\s*/g, ' '));
  writeFileSync(COST_MODEL_FILE(), `${text}\n`);
  console.log(`wrote ${COST_MODEL_FILE()}; Cortex-M4 cycles per instruction ${JSON.stringify(data.calibration.cyclesPerInstruction)}, median ${data.calibration.median}`);
}
