/**
 * Several models, one library (`edgec build a.onnx b.onnx --name app`): each
 * model is compiled as usual under the name `app_<id>` (ids from the files'
 * base names, compiler/emit/c-names.ts) but uses a region of one static arena
 * `app_arena`, defined once in `app.c`. Models that run one at a time (the
 * default) all start at offset 0, so the arena is the largest model's;
 * `--concurrent` gives each model its own region, one after the other (each
 * starting at a multiple of ARENA_ALIGNMENT), so the arena is their sum.
 * The runtime kernels are written once for all models; each model keeps its
 * own `app_<id>_weights.c` (the same arrays its separate build has, so a
 * model can be dropped or swapped without touching the others' weights).
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Handlebars from 'handlebars';
import { compileModel, NAME_MAX, validateName, type Compiled, type CompileOptions } from './pipeline.js';
import { EDGEC_VERSION, type GeneratedFile, type SharedArenaRegion } from './emit/c-emitter.js';
import { cCommentText, modelIdentifiers } from './emit/c-names.js';
import { codeSize } from './emit/code-size.js';
import { MANIFEST_FORMAT, manifestFileName, manifestJson } from './emit/manifest.js';
import { templatesDir } from './emit/paths.js';
import { ARENA_ALIGNMENT } from './plan/program.js';
import { EdgecError } from './errors.js';
import type { Board } from './boards.js';
import type { Backend } from './backends/index.js';

/** The shortest model id a multi-model build must have room for after `<app>_`. */
const MODEL_ID_MIN = 16;

export interface MultiModelOptions extends Omit<CompileOptions, 'name' | 'sharedArena' | 'modelBytes'> {
  /** The library's --name: `<name>.h`, `<name>_arena`, prefix of every model's `<name>_<id>`. */
  name: string;
  /** Give every model its own arena region (they may run at the same time); default: one region for all. */
  concurrent?: boolean;
}

export interface ModelPart {
  /** The model file as given on the command line. */
  path: string;
  /** `<app>_<id>` is the model's C prefix. */
  id: string;
  compiled: Compiled;
  /** Start of the model's region in the shared arena. */
  arenaOffset: number;
  /** The model's own arena need (its separate build's `<NAME>_ARENA_BYTES`). */
  arenaBytes: number;
  /** Files of this model only (header, invoke, weights, manifest); the runtime files are shared. */
  files: GeneratedFile[];
}

export interface MultiModelBuild {
  name: string;
  concurrent: boolean;
  board: Board;
  backend: Backend;
  models: ModelPart[];
  /** The one arena: the largest model's need, or with --concurrent the end of the last region. */
  arenaBytes: number;
  /** What separate builds of the same models would need together (their arenas' sum). */
  separateArenaBytes: number;
  weightsBytes: number;
  /** Code bytes: measured kernels (once for all models) and library functions, plus the estimated invoke glue (emit/code-size.ts). */
  codeBytes: number;
  /** What codeBytes rests on. */
  codeBasis: string;
  flashBytes: number;
  fits: { ram: boolean; flash: boolean };
  /** Runtime headers and kernels, once for all models. */
  runtimeSources: string[];
  /** Every file of the library: app header and source, each model's files, the runtime, `<app>.edgec.json`. */
  files: GeneratedFile[];
}

const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The arena a model's generated code declares (model.c.hbs: at least 16 bytes). */
const declaredArena = (c: Compiled): number => Math.max(16, c.plan.arenaBytes);

/** Options a build of several models cannot honour, refused with one line each. */
function refuseUnsupported(paths: string[], options: MultiModelOptions): void {
  const why = (what: string, hint: string): never => { throw new EdgecError(`${what} is not supported with several models (${paths.length} given)`, 2, hint); };
  if (options.weights === 'blob') why('--weights blob', 'build the models separately to get one weights blob each');
  if (options.calibration !== undefined) why('--calibration', 'quantize each float model first (edgec quantize), then build the int8 models together');
  if (options.shapes && Object.keys(options.shapes).length > 0) why('--shape', 'fix the input shapes in the model files, or build the models separately');
  if (paths.length > 99) throw new EdgecError(`${paths.length} models in one build; at most 99`, 2);
}

/**
 * Names a model makes global in the library: its files, its extern symbols
 * (entry points and weight arrays) and its macros, in lower case (macros are
 * upper case, and files must stay distinct on case-insensitive file systems).
 */
function globalNames(part: { compiled: Compiled; files: GeneratedFile[] }): string[] {
  const n = part.compiled.program.name;
  const symbols = ['input', 'output', 'invoke', 'arena_bytes', 'arena_offset', 'weights_bytes', 'num_inputs', 'num_outputs', 'h', 'weights_h'].map((s) => `${n}_${s}`);
  const consts = [...part.compiled.program.consts.keys()].map((id) => `${n}_${id}`);
  return [...part.files.map((f) => f.path), ...symbols, ...consts].map((s) => s.toLowerCase());
}

/** Two models whose C names collide (hostile tensor names, or ids such as `kws` and `kws_weights`) are refused. */
function checkNameClashes(app: string, parts: ModelPart[]): void {
  const owner = new Map<string, string>();
  for (const own of [`${app}.h`, `${app}.c`, manifestFileName(app), `${app}_arena`, `${app}_arena_bytes`, `${app}_weights_bytes`, `${app}_num_models`, `${app}_h`]) owner.set(own.toLowerCase(), `the library ${app}`);
  for (const part of parts) {
    for (const name of globalNames(part)) {
      const other = owner.get(name);
      if (other !== undefined && other !== part.path) {
        throw new EdgecError(`${part.path}: its C names clash with ${other}'s (both use '${name}', model id '${part.id}')`, 2, 'rename one of the model files (the model id comes from the file name)');
      }
      owner.set(name, part.path);
    }
  }
}

function template(file: string): Handlebars.TemplateDelegate {
  return Handlebars.compile(readFileSync(join(templatesDir(), file), 'utf8'), { noEscape: true, strict: true });
}

/** `<app>.h` (includes every model's header, the arena size) and `<app>.c` (the arena). */
function libraryFiles(build: Omit<MultiModelBuild, 'files' | 'runtimeSources'>): GeneratedFile[] {
  const a = build.board.attributes;
  const view = {
    name: build.name, NAME: build.name.toUpperCase(), version: EDGEC_VERSION, concurrent: build.concurrent,
    arenaBytes: build.arenaBytes, separateArenaBytes: build.separateArenaBytes, weightsBytes: build.weightsBytes, modelCount: build.models.length,
    arenaAttr: a?.arena ?? '', attrInclude: a?.include ?? '', attrGuard: a?.guard ?? '',
    models: build.models.map((m) => ({
      id: m.id, prefix: m.compiled.program.name, PREFIX: m.compiled.program.name.toUpperCase(), source: cCommentText(basename(m.path)),
      arenaBytes: m.arenaBytes, arenaOffset: m.arenaOffset,
    })),
  };
  return [
    { path: `${build.name}.h`, contents: template('app.h.hbs')(view) },
    { path: `${build.name}.c`, contents: template('app.c.hbs')(view) },
  ];
}

/** `<app>.edgec.json`: lists the models (verify each through its own `<app>_<id>.edgec.json`); the CLI adds the file list. */
function libraryManifest(build: Omit<MultiModelBuild, 'files' | 'runtimeSources'>): GeneratedFile {
  const models = build.models.map((m) => ({ id: m.id, name: m.compiled.program.name, source: basename(m.path), manifest: manifestFileName(m.compiled.program.name), arenaOffset: m.arenaOffset, arenaBytes: m.arenaBytes }));
  const text = manifestJson({
    format: MANIFEST_FORMAT, edgec: EDGEC_VERSION, name: build.name, source: build.models.map((m) => basename(m.path)).join(', '),
    inputs: [], outputs: [], values: [], ops: [], models, concurrent: build.concurrent, arenaBytes: build.arenaBytes,
  });
  return { path: manifestFileName(build.name), contents: text };
}

/** Compiles every model into one library; see the file comment. */
export function compileModels(paths: string[], options: MultiModelOptions): MultiModelBuild {
  const app = validateName(options.name);
  refuseUnsupported(paths, options);
  const room = NAME_MAX - app.length - 1;
  if (room < MODEL_ID_MIN) throw new EdgecError(`--name '${app}' is too long for several models: at most ${NAME_MAX - 1 - MODEL_ID_MIN} characters, so '${app}_<model>' fits ${NAME_MAX}`, 2);
  const ids = modelIdentifiers(paths.map((p) => basename(p)), room);
  const symbol = `${app}_arena`;
  const models: ModelPart[] = [];
  let nextOffset = 0;
  for (const [i, path] of paths.entries()) {
    const region: SharedArenaRegion = { app, symbol, offset: options.concurrent ? nextOffset : 0, concurrent: !!options.concurrent };
    const compiled = compileModel(path, { ...options, name: validateName(`${app}_${ids[i]}`), sharedArena: region });
    const runtime = new Set(compiled.emitted.runtimeSources);
    const arenaBytes = declaredArena(compiled);
    models.push({ path, id: ids[i]!, compiled, arenaOffset: region.offset, arenaBytes, files: compiled.emitted.files.filter((f) => !runtime.has(f.path)) });
    nextOffset = alignUp(region.offset + arenaBytes, ARENA_ALIGNMENT);
  }
  checkNameClashes(app, models);
  const espNnModels = models.filter((m) => m.compiled.emitted.files.some((f) => f.path.endsWith('.c') && f.contents.includes('esp_nn_set_')));
  if (options.concurrent && espNnModels.length > 1) {
    throw new EdgecError(`--concurrent: ${espNnModels.map((m) => m.path).join(' and ')} call ESP-NN, whose scratch pointer is a library global, so they cannot run at the same time`, 2, 'drop --concurrent (models run one at a time), or use --backend portable');
  }
  const first = models[0]!.compiled;
  const arenaBytes = options.concurrent ? models.reduce((end, m) => Math.max(end, m.arenaOffset + m.arenaBytes), 0) : Math.max(...models.map((m) => m.arenaBytes));
  // runtime files once: every model's build copies the same files from runtime-c/
  const runtime = new Map<string, GeneratedFile>();
  for (const m of models) for (const f of m.compiled.emitted.files) if (m.compiled.emitted.runtimeSources.includes(f.path)) runtime.set(f.path, f);
  const runtimeSources = [...runtime.keys()].sort();
  const weightsBytes = models.reduce((a, m) => a + m.compiled.emitted.weightsBytes, 0);
  // measured kernel sizes (runtime files once) and, where models call a kernel library, the union of the functions they call
  const generatedC = models.flatMap((m) => m.files.filter((f) => f.path.endsWith('.c')).map((f) => f.contents)).join('\n');
  const callsLibrary = models.some((m) => m.compiled.program.ops.some((op) => m.compiled.backend.kernelFor(op).backend !== 'portable'));
  const code = codeSize(first.board, { sources: runtimeSources, calls: models.reduce((a, m) => a + m.compiled.program.ops.length, 0), library: callsLibrary ? { id: first.backend.id, generatedC } : undefined });
  const flashBytes = weightsBytes + code.bytes;
  const partial = {
    name: app, concurrent: !!options.concurrent, board: first.board, backend: first.backend, models, arenaBytes,
    separateArenaBytes: models.reduce((a, m) => a + m.arenaBytes, 0), weightsBytes, codeBytes: code.bytes, codeBasis: code.basis, flashBytes,
    fits: { ram: arenaBytes <= first.board.ramBytes, flash: flashBytes <= first.board.flashBytes },
  };
  const files = [...libraryFiles(partial), ...models.flatMap((m) => m.files), ...runtimeSources.map((p) => runtime.get(p)!), libraryManifest(partial)];
  return { ...partial, runtimeSources, files };
}
