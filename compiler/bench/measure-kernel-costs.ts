/**
 * `npm run measure:kernel-costs`: measures, on the emulated core, the
 * instructions of single-layer models (layer-models.ts) of several shapes per
 * kernel kind, once with our portable kernels and once with the kernel
 * library's call, fits the linear cost model of backends/kernel-costs.ts per
 * kind and implementation, and writes compiler/data/kernel-costs/<cpu>.json.
 *
 *   CMSIS_NN_PATH=/path/to/CMSIS-NN node dist/compiler/bench/measure-kernel-costs.js [--cpu cortex-m4] [--kinds conv_1x1,add] [--out file]
 *   ESP_NN_PATH=/path/to/esp-nn node dist/compiler/bench/measure-kernel-costs.js --cpu rv32imc
 *
 * Cores: cortex-m4 (mps2-an386), cortex-m7 (mps2-an500), cortex-m55 (mps3-an547, MVE), rv32imc (riscv32
 * virt, the ESP32-C3's ISA). The library is compiled from the user's
 * checkout (CMSIS_NN_PATH / ESP_NN_PATH) into an archive in a temporary
 * cache, from the same sources `edgec verify` links (verify/libraries.ts);
 * nothing of it is kept or committed. Without the variable only the portable
 * side is measured.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { compileModel } from '../pipeline.js';
import { randomSamples } from '../verify/samples.js';
import { valueBytes, type Op, type Value } from '../ir/program.js';
import type { ProgramPlanOptions } from '../plan/program.js';
import { EdgecError } from '../errors.js';
import { buildArmElf, MPS2_AN386, MPS2_AN500, MPS3_AN547, runQemu, type CortexMTarget, type QemuRun } from './cortex-m.js';
import { buildRiscvElf, runQemuRiscv } from './riscv.js';
import { layerLabel, layerModelBytes, type LayerSpec } from './layer-models.js';
import { cmsisNnLink, espNnLink, type LinkExtra } from './cores.js';
import {
  COST_KINDS, costKindOf, costTablePath, fitCoefficients, isSharingKind, isWideKind, S16_COST_KINDS, shapeFeatures,
  type CostKind, type CostTable, type FittedCost, type Implementation,
} from '../backends/kernel-costs.js';

/** Shapes per kind: small and large, square and KWS-like (25x5), the MLPerf Tiny layers' range of channels. */
export const MEASURED_SHAPES: Record<CostKind, LayerSpec[]> = {
  conv_1x1: [
    { kind: 'conv', h: 25, w: 5, cin: 64, cout: 64, kh: 1, kw: 1, stride: 1, pad: 0 },
    { kind: 'conv', h: 8, w: 8, cin: 16, cout: 32, kh: 1, kw: 1, stride: 1, pad: 0 },
    { kind: 'conv', h: 12, w: 12, cin: 8, cout: 16, kh: 1, kw: 1, stride: 1, pad: 0 },
    { kind: 'conv', h: 6, w: 6, cin: 64, cout: 128, kh: 1, kw: 1, stride: 1, pad: 0 },
    { kind: 'conv', h: 3, w: 3, cin: 128, cout: 64, kh: 1, kw: 1, stride: 1, pad: 0 },
    { kind: 'conv', h: 16, w: 16, cin: 4, cout: 8, kh: 1, kw: 1, stride: 1, pad: 0 },
    { kind: 'conv', h: 10, w: 10, cin: 24, cout: 12, kh: 1, kw: 1, stride: 1, pad: 0 },
    // patch-based execution's tiles (VWW's first stage cut 4x4 to 8x8) and the whole layer they come from
    { kind: 'conv', h: 9, w: 9, cin: 8, cout: 16, kh: 1, kw: 1, stride: 1, pad: 0 },
    { kind: 'conv', h: 4, w: 4, cin: 16, cout: 32, kh: 1, kw: 1, stride: 1, pad: 0 },
    { kind: 'conv', h: 2, w: 2, cin: 64, cout: 64, kh: 1, kw: 1, stride: 1, pad: 0 },
    { kind: 'conv', h: 48, w: 48, cin: 8, cout: 16, kh: 1, kw: 1, stride: 1, pad: 0 },
  ],
  conv_kxk: [
    { kind: 'conv', h: 49, w: 10, cin: 1, cout: 64, kh: 10, kw: 4, stride: 2, pad: 1 },
    { kind: 'conv', h: 16, w: 16, cin: 3, cout: 8, kh: 3, kw: 3, stride: 2, pad: 1 },
    { kind: 'conv', h: 16, w: 16, cin: 16, cout: 16, kh: 3, kw: 3, stride: 1, pad: 1 },
    { kind: 'conv', h: 8, w: 8, cin: 32, cout: 32, kh: 3, kw: 3, stride: 1, pad: 1 },
    { kind: 'conv', h: 8, w: 8, cin: 16, cout: 32, kh: 3, kw: 3, stride: 2, pad: 1 },
    { kind: 'conv', h: 6, w: 6, cin: 8, cout: 8, kh: 3, kw: 3, stride: 1, pad: 0 },
    { kind: 'conv', h: 12, w: 12, cin: 4, cout: 24, kh: 5, kw: 5, stride: 1, pad: 2 },
    { kind: 'conv', h: 32, w: 32, cin: 16, cout: 16, kh: 3, kw: 3, stride: 1, pad: 1 },
    // tiles of a 3-channel image stem (with and without padding) and the whole 96x96 stem
    { kind: 'conv', h: 19, w: 19, cin: 3, cout: 8, kh: 3, kw: 3, stride: 2, pad: 1 },
    { kind: 'conv', h: 9, w: 9, cin: 3, cout: 8, kh: 3, kw: 3, stride: 2, pad: 0 },
    { kind: 'conv', h: 5, w: 5, cin: 16, cout: 16, kh: 3, kw: 3, stride: 1, pad: 0 },
    { kind: 'conv', h: 96, w: 96, cin: 3, cout: 8, kh: 3, kw: 3, stride: 2, pad: 1 },
  ],
  depthwise: [
    { kind: 'depthwise', h: 25, w: 5, c: 64, kh: 3, kw: 3, stride: 1, pad: 1 },
    { kind: 'depthwise', h: 24, w: 24, c: 16, kh: 3, kw: 3, stride: 1, pad: 1 },
    { kind: 'depthwise', h: 12, w: 12, c: 32, kh: 3, kw: 3, stride: 2, pad: 1 },
    { kind: 'depthwise', h: 6, w: 6, c: 128, kh: 3, kw: 3, stride: 1, pad: 1 },
    { kind: 'depthwise', h: 3, w: 3, c: 256, kh: 3, kw: 3, stride: 1, pad: 1 },
    { kind: 'depthwise', h: 10, w: 10, c: 8, kh: 3, kw: 3, stride: 1, pad: 0 },
    { kind: 'depthwise', h: 8, w: 8, c: 12, kh: 5, kw: 5, stride: 1, pad: 2 },
    // patch tiles (stride 1 and 2, border and interior) and the whole layers they come from
    { kind: 'depthwise', h: 9, w: 9, c: 8, kh: 3, kw: 3, stride: 1, pad: 1 },
    { kind: 'depthwise', h: 9, w: 9, c: 16, kh: 3, kw: 3, stride: 2, pad: 0 },
    { kind: 'depthwise', h: 6, w: 6, c: 16, kh: 3, kw: 3, stride: 1, pad: 0 },
    { kind: 'depthwise', h: 48, w: 48, c: 8, kh: 3, kw: 3, stride: 1, pad: 1 },
    { kind: 'depthwise', h: 48, w: 48, c: 16, kh: 3, kw: 3, stride: 2, pad: 1 },
  ],
  fully_connected: [
    { kind: 'fc', cin: 64, cout: 12 },
    { kind: 'fc', cin: 640, cout: 128 },
    { kind: 'fc', cin: 128, cout: 128 },
    { kind: 'fc', cin: 128, cout: 8 },
    { kind: 'fc', cin: 256, cout: 2 },
    { kind: 'fc', cin: 32, cout: 64 },
  ],
  add: [
    { kind: 'add', h: 32, w: 32, c: 16 }, { kind: 'add', h: 8, w: 8, c: 64 }, { kind: 'add', h: 4, w: 4, c: 8 }, { kind: 'add', h: 16, w: 16, c: 32 },
  ],
  mul: [
    { kind: 'mul', h: 16, w: 16, c: 16 }, { kind: 'mul', h: 8, w: 8, c: 64 }, { kind: 'mul', h: 4, w: 4, c: 8 }, { kind: 'mul', h: 12, w: 12, c: 32 },
  ],
  max_pool: [
    { kind: 'max_pool', h: 16, w: 16, c: 16, k: 2, stride: 2 }, { kind: 'max_pool', h: 8, w: 8, c: 64, k: 2, stride: 2 },
    { kind: 'max_pool', h: 12, w: 12, c: 8, k: 3, stride: 3 }, { kind: 'max_pool', h: 24, w: 24, c: 4, k: 3, stride: 1 },
  ],
  avg_pool: [
    { kind: 'avg_pool', h: 25, w: 5, c: 64, k: 5, stride: 5 }, { kind: 'avg_pool', h: 8, w: 8, c: 64, k: 8, stride: 8 },
    { kind: 'avg_pool', h: 16, w: 16, c: 16, k: 2, stride: 2 }, { kind: 'avg_pool', h: 12, w: 12, c: 32, k: 3, stride: 3 },
  ],
  softmax: [
    { kind: 'softmax', rows: 1, size: 12 }, { kind: 'softmax', rows: 1, size: 10 }, { kind: 'softmax', rows: 1, size: 100 },
    { kind: 'softmax', rows: 4, size: 32 }, { kind: 'softmax', rows: 8, size: 8 },
  ],
  // The sharing variants on the plain kinds' shapes (a single layer whose input dies there: the planner shares it).
  conv_1x1_overlap: [],
  depthwise_inplace: [],
  // The widened convs on the int8 kinds' shapes (every window is within edgec_conv_wide_s8's 576 values).
  conv_1x1_wide: [],
  conv_kxk_wide: [],
  // The 16x8 kinds on the int8 kinds' shapes (below).
  conv_1x1_s16: [], conv_kxk_s16: [], depthwise_s16: [], fully_connected_s16: [], add_s16: [], mul_s16: [], max_pool_s16: [], avg_pool_s16: [], softmax_s16: [],
};
MEASURED_SHAPES.conv_1x1_wide = MEASURED_SHAPES.conv_1x1;
MEASURED_SHAPES.conv_kxk_wide = MEASURED_SHAPES.conv_kxk;
MEASURED_SHAPES.conv_1x1_overlap = MEASURED_SHAPES.conv_1x1;
MEASURED_SHAPES.depthwise_inplace = MEASURED_SHAPES.depthwise;

/**
 * A 16x8 kind's shapes: the int8 kind's, as int16 layers. Left out: layers
 * whose full-range int8 weights sum past what CMSIS-NN's int32 partial sums
 * hold exactly (backends/cmsis-nn-s16.ts; the library would not run them),
 * here the 640-input FC.
 */
const S16_MAX_WEIGHT_TAPS = Math.floor((2 ** 31 - 1) / (32768 * 127));
const taps = (s: LayerSpec): number => (s.kind === 'conv' ? s.cin * s.kh * s.kw : s.kind === 'fc' ? s.cin : 0);
for (const kind of S16_COST_KINDS) {
  const int8Kind = kind.replace(/_s16$/, '') as CostKind;
  MEASURED_SHAPES[kind] = MEASURED_SHAPES[int8Kind].filter((s) => taps(s) <= S16_MAX_WEIGHT_TAPS).map((s) => ({ ...s, int16: true }));
}
// arm_softmax_s16 is exact on rows of 2 to 8 (backends/cmsis-nn-s16.ts): rows it runs
MEASURED_SHAPES.softmax_s16 = [
  { kind: 'softmax', rows: 1, size: 8 }, { kind: 'softmax', rows: 1, size: 5 }, { kind: 'softmax', rows: 4, size: 8 },
  { kind: 'softmax', rows: 8, size: 8 }, { kind: 'softmax', rows: 16, size: 5 }, { kind: 'softmax', rows: 12, size: 2 },
].map((s) => ({ ...s, kind: 'softmax' as const, int16: true }));

/** A core the script can measure: the board whose flags and library code path it builds with, and its QEMU harness. */
interface MeasuredCore {
  cpu: string;
  board: string;
  library: 'cmsis-nn' | 'esp-nn';
  /** Environment variable naming the library checkout. */
  libraryEnv: string;
  buildLibrary(root: string, cacheDir: string): LinkExtra;
  /** Builds the model folder (with the library when given) into an ELF and runs it: instructions and outputs. */
  run(modelDir: string, inputs: Uint8Array[], dir: string, outputBytes: number[], lib?: LinkExtra): QemuRun;
}

function armCore(cpu: string, board: string, target: CortexMTarget): MeasuredCore {
  return {
    cpu, board, library: 'cmsis-nn', libraryEnv: 'CMSIS_NN_PATH',
    buildLibrary: (root, cacheDir) => cmsisNnLink(root, target, cacheDir),
    run: (modelDir, inputs, dir, outputBytes, lib) => runQemu(buildArmElf(modelDir, 'layer', inputs, dir, {
      opt: '-O2', target, extraSources: lib?.extraSources ?? [], includeDirs: lib?.includeDirs ?? [], defines: lib?.defines,
    }), outputBytes, target),
  };
}

const CORES: Record<string, MeasuredCore> = {
  'cortex-m4': armCore('cortex-m4', 'nucleo-f446re', MPS2_AN386),
  'cortex-m7': armCore('cortex-m7', 'nucleo-h743zi', MPS2_AN500),
  // Helium: CMSIS-NN's MVE code path (corstone-300's cmsisNnVariant), our portable C compiled for the M55
  'cortex-m55': armCore('cortex-m55', 'corstone-300', MPS3_AN547),
  rv32imc: {
    cpu: 'rv32imc', board: 'esp32c3', library: 'esp-nn', libraryEnv: 'ESP_NN_PATH',
    // the generic optimised C an ESP32-C3 build uses
    buildLibrary: (root, cacheDir) => espNnLink(root, cacheDir, true),
    run: (modelDir, inputs, dir, outputBytes, lib) => runQemuRiscv(buildRiscvElf(modelDir, 'layer', inputs, dir, {
      opt: '-O2', extraSources: lib?.extraSources ?? [], includeDirs: lib?.includeDirs ?? [], defines: lib?.defines,
    }), outputBytes),
  },
};

interface Measurement { kind: CostKind; layer: string; implementation: Implementation; features: ReturnType<typeof shapeFeatures>; instructions: number; outputs: Uint8Array }

/** The layer's op, the implementation that ran it, and the run. */
interface LayerRun { op: Op; implementation: string; instructions: number; outputs: Uint8Array }

/** Compiles one layer model with `impl` and `plan`, runs it on the core: the layer's op (the model's middle op when wrapped) and the run. */
function runLayerModel(spec: LayerSpec, wrapped: boolean, impl: Implementation, plan: ProgramPlanOptions, core: MeasuredCore, dir: string, lib?: LinkExtra, wide = false): LayerRun {
  const label = layerLabel(spec);
  const c = compileModel(`${label}.onnx`, {
    // wideWeights off but for the widened kinds: the table measures the int8 kernels (the widened ones are chosen by flash, passes/wide-weights.ts, wide-conv-weights.ts)
    name: 'layer', modelBytes: layerModelBytes(spec, wrapped), board: core.board, backend: impl, int8Io: true, inputLayout: 'nhwc', plan, wideWeights: wide, patch: 'off',
  });
  const ops = c.program.ops;
  const expected = wrapped ? 3 : 1;
  if (ops.length !== expected) throw new EdgecError(`${label}: lowered to ${ops.length} ops (${ops.map((o) => o.kind).join(', ')}), expected ${expected}`, 1);
  const modelDir = join(dir, 'model');
  mkdirSync(modelDir, { recursive: true });
  for (const f of c.emitted.files) writeFileSync(join(modelDir, f.path), f.contents);
  const sample = randomSamples(c.program, 1, 1)[0]!;
  const inputs = sample.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  const outputBytes = c.program.outputs.map((id) => valueBytes(c.program.values.get(id) as Value));
  const op = ops[wrapped ? 1 : 0]!;
  const implementation = c.backend.kernelFor(op).backend;
  const run = core.run(modelDir, inputs, dir, outputBytes, implementation === 'portable' ? undefined : lib);
  const joined = new Uint8Array(outputBytes.reduce((a, b) => a + b, 0));
  let at = 0;
  for (const o of run.outputs) { joined.set(o, at); at += o.length; }
  return { op, implementation, instructions: run.instructions, outputs: joined };
}

const PLAIN_PLAN: ProgramPlanOptions = { inPlaceDepthwise: false, overlapPointwise: false };

/**
 * Builds and runs one single-layer model with one implementation; undefined
 * when that implementation does not run the layer. A sharing variant runs
 * only between two other layers (the planner never shares a model input or
 * output): its instructions are the plain layer's plus the difference
 * between a wrapped model with and without sharing (exact counts, the same
 * wrapper ops), and the two wrapped runs must give the same bytes.
 */
function measureOne(wanted: CostKind, spec: LayerSpec, impl: Implementation, core: MeasuredCore, work: string, lib?: LinkExtra): Measurement | undefined {
  const label = layerLabel(spec);
  const dir = (what: string): string => join(work, `${label}-${what}-${impl}`);
  const plain = runLayerModel(spec, false, impl, PLAIN_PLAN, core, dir('plain'), lib, isWideKind(wanted));
  const kind = costKindOf(plain.op);
  if (!kind) throw new EdgecError(`${label}: lowered to ${plain.op.kind}, which has no cost kind`, 1);
  if (!isSharingKind(wanted)) {
    if (kind !== wanted || plain.implementation !== impl) return undefined;
    return { kind, layer: label, implementation: impl, features: shapeFeatures(plain.op), instructions: plain.instructions, outputs: plain.outputs };
  }
  const unshared = runLayerModel(spec, true, impl, PLAIN_PLAN, core, dir('wrapped'), lib);
  const shared = runLayerModel(spec, true, impl, { shareWherePossible: true }, core, dir('shared'), lib);
  // A shape the sharing kernel cannot run (the planner did not apply it) is not measured.
  if (costKindOf(shared.op) !== wanted) return undefined;
  if (!sameBytes(shared.outputs, unshared.outputs)) throw new EdgecError(`${label}: ${wanted} outputs differ from the plain kernel's`, 1);
  const instructions = plain.instructions + shared.instructions - unshared.instructions;
  return { kind: wanted, layer: label, implementation: impl, features: shapeFeatures(shared.op), instructions, outputs: plain.outputs };
}

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export function measureKernelCosts(args: string[], log: (s: string) => void): number {
  const arg = (flag: string): string | undefined => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
  const cpu = arg('--cpu') ?? 'cortex-m4';
  const core = CORES[cpu];
  if (!core) { log(`measure-kernel-costs: no QEMU core for '${cpu}' (measurable: ${Object.keys(CORES).join(', ')})`); return 2; }
  const kinds = (arg('--kinds')?.split(',') ?? [...COST_KINDS]) as CostKind[];
  const unknown = kinds.find((k) => !(COST_KINDS as readonly string[]).includes(k));
  if (unknown) { log(`measure-kernel-costs: unknown kind '${unknown}' (kinds: ${COST_KINDS.join(', ')})`); return 2; }
  const outFile = resolve(arg('--out') ?? costTablePath(cpu));
  const work = mkdtempSync(join(tmpdir(), 'edgec-kernel-costs-'));
  const libraryRoot = process.env[core.libraryEnv];
  if (!libraryRoot) log(`note: ${core.libraryEnv} not set: measuring the portable kernels only`);
  try {
    const lib = libraryRoot ? core.buildLibrary(resolve(libraryRoot), join(work, 'cache')) : undefined;
    const implsOf = (kind: CostKind): Implementation[] => (lib && !isSharingKind(kind) && !isWideKind(kind) ? ['portable', core.library] : ['portable']);
    const measured: Measurement[] = [];
    let mismatches = 0;
    for (const kind of kinds) {
      const impls = implsOf(kind);
      for (const spec of MEASURED_SHAPES[kind]) {
        const runs = impls.map((impl) => measureOne(kind, spec, impl, core, work, lib));
        const [ours, theirs] = runs;
        // Every library call edgec emits is bit-exact with our kernels: the measurement checks it on the way.
        const exact = !ours || !theirs || sameBytes(ours.outputs, theirs.outputs);
        if (!exact) mismatches++;
        log(`${`${isSharingKind(kind) ? `${kind}: ` : ''}${layerLabel(spec)}`.padEnd(40)} ${runs.map((r, i) => `${impls[i]} ${r ? r.instructions.toLocaleString('en-US') : '(not run by it)'}`).join('  ')}${exact ? '' : '  OUTPUTS DIFFER'}`);
        for (const r of runs) if (r) measured.push(r);
      }
    }
    const fitted: CostTable['kinds'] = {};
    for (const kind of kinds) {
      const perImpl: Partial<Record<Implementation, FittedCost>> = {};
      for (const impl of implsOf(kind)) {
        const samples = measured.filter((m) => m.kind === kind && m.implementation === impl);
        if (samples.length > 0) perImpl[impl] = fitCoefficients(samples);
      }
      fitted[kind] = perImpl;
      log(`fit ${kind}: ${Object.entries(perImpl).map(([i, f]) => `${i} ${JSON.stringify(f.coefficients)} max err ${(f.maxRelError * 100).toFixed(1)}%`).join('; ')}`);
    }
    // Measuring some kinds keeps the other kinds of an existing table (and their measurements);
    // a kind measured without the library keeps the library's previous fit and measurements.
    const previous = existsSync(outFile) ? JSON.parse(readFileSync(outFile, 'utf8')) as CostTable : undefined;
    const kept = previous ? COST_KINDS.filter((k) => !kinds.includes(k) && previous.kinds[k]) : [];
    for (const k of kept) fitted[k] = previous!.kinds[k];
    const keptLibrary = (m: { kind: CostKind; implementation: Implementation }): boolean =>
      kinds.includes(m.kind) && !implsOf(m.kind).includes(m.implementation) && previous?.kinds[m.kind]?.[m.implementation] !== undefined;
    for (const k of kinds) {
      const fit = previous?.kinds[k]?.[core.library];
      if (fit && !implsOf(k).includes(core.library)) fitted[k] = { ...fitted[k], [core.library]: fit };
    }
    const table: CostTable = {
      cpu,
      method: `instructions (not cycles) of one inference of a single-layer int8 model (int8 I/O, NHWC; the _s16 kinds a 16x8 one, int16 I/O) on QEMU -icount shift=7 (${core.cpu}); `
        + `-O2 with board ${core.board}'s CPU flags; plain portable kernels; ${core.library} ${lib ? `from ${core.libraryEnv} (the board's code path)` : previous ? 'kept from the previous table where it was measured' : 'not measured'}; `
        + 'weighted least squares over the shapes below, non-negative coefficients (npm run measure:kernel-costs)',
      kinds: fitted,
      measurements: [...(previous?.measurements.filter((m) => kept.includes(m.kind) || keptLibrary(m)) ?? []), ...measured.map(({ outputs: _o, ...m }) => m)],
    };
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(table, null, 1)}\n`);
    log(`wrote ${outFile} (${measured.length} measurements${mismatches ? `, ${mismatches} shapes whose outputs differ between implementations` : ''})`);
    return mismatches ? 1 : 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// Run when executed directly (npm run measure:kernel-costs), not when imported.
if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  process.exitCode = measureKernelCosts(process.argv.slice(2), (s) => process.stdout.write(`${s}\n`));
}
