/**
 * `edgec build a.onnx b.onnx ... --name app`: several models compiled into
 * one library with one arena (compiler/multi-model.ts), written like a single
 * build (the library's manifest `<app>.edgec.json` lists every file), with
 * the fit check and the report for the whole set.
 */
import { basename } from 'node:path';
import { compileModels, type ModelPart, type MultiModelBuild } from '../multi-model.js';
import { packageLibraryFiles } from '../package/index.js';
import { EDGEC_VERSION } from '../emit/c-emitter.js';
import { manifestFileName } from '../emit/manifest.js';
import { displayName, EdgecError } from '../errors.js';
import { parsePatchOption, parseShapeOption } from './options.js';
import { writeOutputFolder, type OutputFile } from './output-folder.js';
import type { ProgramPlanOptions } from '../plan/program.js';
import type { WeightsMode } from '../update/emit-blob.js';

export interface MultiBuildFlags {
  name: string;
  board: string;
  backend?: string;
  format: string;
  shape: string[];
  int8Io?: boolean;
  inputLayout?: 'declared' | 'nhwc';
  calibration?: string;
  concurrent?: boolean;
  json?: boolean;
  /** Absolute output folder. */
  output: string;
  planOptions: ProgramPlanOptions;
  weightsMode: WeightsMode;
  /** `--patch` as given (auto when absent). */
  patch?: string;
}

const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;

/** How the arena was sized, for the report and the refusal. */
function arenaRule(b: MultiModelBuild): string {
  return b.concurrent ? `the sum of the ${b.models.length} models' regions (--concurrent)` : `the largest of the ${b.models.length} models' (they run one at a time)`;
}

function fitError(b: MultiModelBuild): string | undefined {
  const board = b.board;
  if (!b.fits.ram) return `${b.models.length} models too big for board ${board.id}: the arena, ${arenaRule(b)}, needs ${b.arenaBytes} bytes of RAM, the board has ${board.ramBytes} (${b.arenaBytes - board.ramBytes} bytes over)`;
  if (!b.fits.flash) return `${b.models.length} models too big for board ${board.id}: weights and code need ${b.flashBytes} bytes of flash, the board has ${board.flashBytes} (${b.flashBytes - board.flashBytes} bytes over)`;
  return undefined;
}

function modelLine(m: ModelPart): string {
  const p = m.compiled.program;
  const macs = p.ops.reduce((a, op) => a + op.macs, 0);
  return `model ${p.name}_invoke(): ${displayName(m.path)}: ${p.ops.length} kernel calls, ${macs.toLocaleString('en-US')} MACs, arena ${m.arenaBytes} bytes at offset ${m.arenaOffset}, weights ${m.compiled.emitted.weightsBytes} bytes`;
}

/** The report for the whole set: per model, then arena (max or sum) and flash (weights of all + shared code once). */
export function formatMultiSummary(b: MultiModelBuild): string[] {
  return [
    ...b.models.map(modelLine),
    `arena: ${b.arenaBytes} bytes, ${arenaRule(b)}; separate builds: ${b.separateArenaBytes} bytes together`,
    `flash: ${b.flashBytes} bytes = weights ${b.weightsBytes} + code ${b.codeBytes} (runtime kernels once for all models; ${b.codeBasis})`,
    `board ${b.board.id}: RAM ${b.arenaBytes}/${b.board.ramBytes} (${pct(b.arenaBytes, b.board.ramBytes)}), flash ${b.flashBytes}/${b.board.flashBytes} (${pct(b.flashBytes, b.board.flashBytes)})`,
  ];
}

function multiJson(b: MultiModelBuild, outDir: string, files: string[], written: { removed: string[]; foreign: string[] }): unknown {
  return {
    name: b.name, board: b.board.id, backend: b.backend.id, concurrent: b.concurrent, arenaBytes: b.arenaBytes, separateArenaBytes: b.separateArenaBytes,
    weightsBytes: b.weightsBytes, codeBytes: b.codeBytes, codeBasis: b.codeBasis, flashBytes: b.flashBytes, boardRamBytes: b.board.ramBytes, boardFlashBytes: b.board.flashBytes, fits: b.fits,
    models: b.models.map((m) => {
      const p = m.compiled.program;
      const io = (id: string): { name: string; type: string; dims: number[] } => {
        const v = p.values.get(id);
        return { name: v?.onnxName ?? id, type: v?.type ?? '', dims: v?.logicalShape ?? [] };
      };
      return {
        model: m.path, id: m.id, name: p.name, arenaBytes: m.arenaBytes, arenaOffset: m.arenaOffset, weightsBytes: m.compiled.emitted.weightsBytes,
        ops: p.ops.length, macs: p.ops.reduce((a, op) => a + op.macs, 0), inputs: p.inputs.map(io), outputs: p.outputs.map(io),
      };
    }),
    outDir, files, removed: written.removed, foreign: written.foreign,
  };
}

export function runMultiBuild(models: string[], flags: MultiBuildFlags, log: (s: string) => void): void {
  const build = compileModels(models, {
    name: flags.name, board: flags.board, backend: flags.backend, shapes: parseShapeOption(flags.shape), int8Io: flags.int8Io, inputLayout: flags.inputLayout,
    calibration: flags.calibration, weights: flags.weightsMode, plan: flags.planOptions, concurrent: flags.concurrent, patch: parsePatchOption(flags.patch),
  });
  if (!build.board.formats.includes(flags.format)) throw new EdgecError(`board '${build.board.id}' does not support --format ${flags.format}`, 2, `formats for ${build.board.id}: ${build.board.formats.join(', ')}`);
  const tooBig = fitError(build);
  if (tooBig) throw new EdgecError(tooBig, 2, flags.concurrent ? 'choose a board with more memory, or drop --concurrent' : 'choose a board with more memory, or smaller models');
  const files: OutputFile[] = packageLibraryFiles(build, flags.format);
  // the manifest lists every file of the build, so the next build into this folder knows what it may replace
  const manifestName = manifestFileName(build.name);
  let manifest = files.find((f) => basename(f.path) === manifestName);
  if (!manifest) {
    manifest = { path: manifestName, contents: build.files.find((f) => f.path === manifestName)?.contents ?? '' };
    files.push(manifest);
  }
  const written = writeOutputFolder(flags.output, files, manifest.path);
  if (flags.json) {
    log(JSON.stringify(multiJson(build, flags.output, build.files.map((f) => f.path), written), null, 2));
    return;
  }
  log(`edgec ${EDGEC_VERSION}: ${build.models.length} models -> ${flags.output} (${build.files.length} files, library ${build.name}, board ${build.board.id}, kernels ${build.backend.id})`);
  for (const m of build.models) {
    if (m.compiled.backendNote) log(`note: ${displayName(m.path)}: ${m.compiled.backendNote}`);
    m.compiled.notes.forEach((n) => log(`note: ${displayName(m.path)}: ${n}`));
  }
  if (written.removed.length) log(`note: removed ${written.removed.length} file(s) of the previous edgec build in ${flags.output}`);
  if (written.foreign.length) log(`note: ${flags.output} also holds ${written.foreign.length} file(s) edgec did not write, left alone`);
  formatMultiSummary(build).forEach((l) => log(l));
}
