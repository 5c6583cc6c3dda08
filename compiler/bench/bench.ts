/**
 * One benchmark of one model: compile it (timed), build it for an emulated
 * core (default Cortex-M4 on QEMU mps2-an386; cores.ts for M7, M55, RV32),
 * run one inference, and collect instructions, memory and flash figures.
 * Optionally checks the emulator's outputs against a host (gcc) build of the
 * same C on the same sample, or against given expected bytes (another
 * build's host outputs: every backend and core must be bit-equal).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileModel, type CompileOptions, type Compiled } from '../pipeline.js';
import type { ProgramPlanOptions } from '../plan/program.js';
import { randomSamples } from '../verify/samples.js';
import { buildNativeRunner, runNative } from '../verify/native.js';
import { valueBytes, type Value } from '../ir/program.js';
import { libraryUsed } from '../backends/index.js';
import { EdgecError } from '../errors.js';
import type { ArmBuildOptions } from './cortex-m.js';
import { BENCH_CORES, type BenchCore } from './cores.js';

export interface BenchOptions {
  board?: string;
  backend?: string;
  name?: string;
  shapes?: Record<string, number[]>;
  /** `--stateful` / `--state`: the build keeps its state between invokes (the bench times the first invoke, from the reset state). */
  stateful?: CompileOptions['stateful'];
  /** Optimisation levels to build, e.g. ['-O2', '-Os']. */
  opts?: string[];
  /** Kernel library sources and includes (CMSIS-NN backend). */
  extra?: Pick<ArmBuildOptions, 'extraSources' | 'includeDirs' | 'defines'>;
  /** Also build with host gcc and compare outputs byte for byte. */
  checkHost?: boolean;
  /** Expected output bytes (all outputs joined) to compare the emulator's with, e.g. the portable host build's. */
  expected?: Uint8Array;
  /** Emulated core (default Cortex-M4, mps2-an386). */
  core?: BenchCore;
  /** Library code path instead of the board's (compileModel's backendTarget, e.g. ESP-NN 'ansi'). */
  backendTarget?: string;
  /** Memory planning options (order choice, in-place depthwise). */
  plan?: ProgramPlanOptions;
  /** Input sample seed. */
  seed?: number;
  /** Keep the build folder (its path is returned). */
  keep?: boolean;
  /** Pruned weights: storage by flash ('size', default) or instructions ('speed'); sparse false keeps every layer dense. */
  optimize?: CompileOptions['optimize'];
  sparse?: boolean;
  /** Model edges and patch-based execution as `edgec build` takes them (--int8-io, --input-layout, --patch). */
  int8Io?: boolean;
  inputLayout?: CompileOptions['inputLayout'];
  patch?: CompileOptions['patch'];
}

export interface BenchBuild {
  opt: string;
  instructions: number;
  macsPerInstruction: number;
  codeBytes: number;
  weightsBytes: number;
  flashBytes: number;
  /** Statically allocated RAM of the whole image (arena + harness buffers). */
  bssBytes: number;
  /** Host build's (or the expected) outputs equal the emulator's, byte for byte (undefined when not checked). */
  matchesHost?: boolean;
}

export interface BenchResult {
  model: string;
  board: string;
  backend: string;
  macs: number;
  ops: number;
  arenaBytes: number;
  lowerBound: number;
  fileOrderArenaBytes: number;
  fileOrderLowerBound: number;
  orderMethod: string;
  inPlaceDepthwise: number;
  /** Wall time of compileModel + writing the files (what `edgec build` spends). */
  buildMs: number;
  builds: BenchBuild[];
  workDir?: string;
  /** The host build's outputs, joined (with checkHost). */
  hostOutputs?: Uint8Array;
}

function asBytes(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Timed like `edgec build`: compile, then write every file. */
export function timedBuild(model: string, dir: string, options: BenchOptions): { compiled: Compiled; ms: number } {
  const t0 = performance.now();
  const compiled = compileModel(model, { name: options.name ?? 'model', board: options.board ?? 'nucleo-f446re', backend: options.backend, backendTarget: options.backendTarget, shapes: options.shapes, plan: options.plan, optimize: options.optimize, sparse: options.sparse, stateful: options.stateful, int8Io: options.int8Io, inputLayout: options.inputLayout, patch: options.patch });
  mkdirSync(dir, { recursive: true });
  for (const f of compiled.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  return { compiled, ms: performance.now() - t0 };
}

export function benchModel(model: string, options: BenchOptions = {}): BenchResult {
  const work = mkdtempSync(join(tmpdir(), `edgec-bench-${basename(model, '.onnx')}-`));
  try {
    const modelDir = join(work, 'model');
    const { compiled, ms } = timedBuild(model, modelDir, options);
    const { program, plan } = compiled;
    const library = libraryUsed(compiled.backend, program.ops);
    if (library && !options.extra) throw new EdgecError(`this build calls ${library}; set ${library === 'cmsis-nn' ? 'CMSIS_NN_PATH' : 'ESP_NN_PATH'} to a checkout of it to build the benchmark`, 2);
    const name = program.name;
    const sample = randomSamples(program, 1, options.seed ?? 1)[0]!;
    const inputs = sample.map((t) => asBytes(t.data));
    const outputBytes = program.outputs.map((id) => valueBytes(program.values.get(id) as Value));
    const weightSymbols = new Set([...program.consts.keys()].map((id) => `${name}_${id}`));
    const core = options.core ?? BENCH_CORES.m4;
    let hostOut: Uint8Array | undefined = options.expected;
    if (options.checkHost && !hostOut) {
      const joined = new Uint8Array(inputs.reduce((a, b) => a + b.length, 0));
      let at = 0;
      for (const b of inputs) { joined.set(b, at); at += b.length; }
      hostOut = runNative(buildNativeRunner(modelDir, name), joined, 1);
    }
    const macs = program.ops.reduce((a, op) => a + op.macs, 0);
    const builds = (options.opts ?? ['-O2', '-Os']).map((opt): BenchBuild => {
      const dir = join(work, opt.replace(/^-/, ''));
      mkdirSync(dir);
      const elf = core.build(modelDir, name, inputs, dir, opt, options.extra);
      const r = core.run(elf, outputBytes);
      const sizes = core.sizes(elf, weightSymbols);
      const emuOut = new Uint8Array(outputBytes.reduce((a, b) => a + b, 0));
      let at = 0;
      for (const o of r.outputs) { emuOut.set(o, at); at += o.length; }
      return {
        opt, instructions: r.instructions, macsPerInstruction: macs / Math.max(1, r.instructions),
        codeBytes: sizes.code, weightsBytes: sizes.weights, flashBytes: sizes.code + sizes.weights, bssBytes: sizes.bss,
        matchesHost: hostOut ? sameBytes(hostOut, emuOut) : undefined,
      };
    });
    return {
      model, board: compiled.board.id, backend: compiled.backend.id, macs, ops: program.ops.length,
      arenaBytes: plan.arenaBytes, lowerBound: plan.lowerBound,
      fileOrderArenaBytes: plan.fileOrder?.arenaBytes ?? plan.arenaBytes, fileOrderLowerBound: plan.fileOrder?.lowerBound ?? plan.lowerBound,
      orderMethod: plan.order?.method ?? 'given', inPlaceDepthwise: program.ops.filter((op) => op.kind === 'depthwise_conv2d_inplace').length,
      buildMs: ms, builds, workDir: options.keep ? work : undefined, hostOutputs: options.checkHost ? hostOut : undefined,
    };
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
  }
}
