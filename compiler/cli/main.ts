/**
 * edgec command line. Exit codes (design.md): 0 success, 1 verification
 * failure, 2 bad input or usage. Every error is one line (plus a hint),
 * never a stack trace.
 */
import { Command, CommanderError, Option } from 'commander';
import { basename, join, resolve } from 'node:path';
import { compileModelAsync, type CompileOptions, type Compiled } from '../pipeline.js';
import { cloudFiles, compileSplit, loadSplitSource, splitNote, TAIL_FILE, withSplitFiles, type SplitBuild } from '../split/index.js';
import { addSplitAdvisorCommand } from './split.js';
import { formatAccuracy, measureAccuracy } from '../quantize/accuracy.js';
import { formatTrials } from '../quantize/auto-method.js';
import { addQuantizeCommand } from './quantize.js';
import { displayLine, displayName, EdgecError, escapeOutputText } from '../errors.js';
import { listBoards } from '../boards.js';
import { formatBytes, formatFloatLayers, formatHeaviestLayers, formatKernelChoices, formatLayerTable, formatSummary, formatWeightStorageTable, modelReport } from '../report.js';
import { parseFloatLayers } from '../passes/float-layers.js';
import { parseAutoFloat } from '../quantize/index.js';
import { formatAutoFloat } from '../quantize/auto-float.js';
import { packageFiles } from '../package/index.js';
import { EDGEC_VERSION, persistentBytes } from '../emit/c-emitter.js';
import { parseActivations, parseInt16Layers } from '../quantize/precision.js';
import { ACTIVATIONS_HELP, AUTO_FLOAT_HELP, CALIBRATION_METHOD_HELP, cliCalibrationMethod, FLOAT_LAYERS_HELP, INT16_LAYERS_HELP, memoryOption, parsePatchOption, parseShapeOption, patchOption, STATE_HELP, STATEFUL_HELP, statefulOption } from './options.js';
import { addBenchCommand } from './bench.js';
import { addVerifyCommand } from './verify.js';
import { selftestFiles } from '../verify/selftest.js';
import { addUpdateCommands, weightsMode, weightsBlobFiles } from './update.js';
import { fileSystemError, writeOutputFolder, type OutputFile } from './output-folder.js';
import { manifestFileName } from '../emit/manifest.js';
import { memoryModeOptions, type MemoryMode } from '../plan/program.js';
import { OPTIMIZE_GOALS, type OptimizeGoal } from '../ops/sparse-weights.js';
import { runMultiBuild } from './multi-build.js';
import { htmlReport } from '../report-html.js';
import { writeFileSync } from 'node:fs';

interface BuildFlags { report?: boolean; concurrent?: boolean; board: string; output?: string; name: string; format: string; shape: string[]; backend?: string; json?: boolean; int8Io?: boolean; inputLayout?: 'declared' | 'nhwc'; calibration?: string; calibrationMethod?: string; keepInputs?: boolean; layers?: boolean; weights?: string; selftest?: string; encrypt?: string; memory?: MemoryMode; splitAt?: string; floatLayers?: string; autoFloat?: string; activations?: string; int16Layers?: string; optimize?: OptimizeGoal; sparse?: boolean; stateful?: boolean; state?: string; patch?: string }

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function compileOptions(flags: BuildFlags): CompileOptions {
  return { name: flags.name, board: flags.board, backend: flags.backend, shapes: parseShapeOption(flags.shape), int8Io: flags.int8Io, inputLayout: flags.inputLayout, calibration: flags.calibration, calibrationMethod: cliCalibrationMethod(flags), weights: weightsMode(flags.weights, flags.encrypt), plan: { ...memoryModeOptions(flags.memory), keepInputs: flags.keepInputs }, floatLayers: parseFloatLayers(flags.floatLayers), autoFloatDb: parseAutoFloat(flags.autoFloat), activations: parseActivations(flags.activations), int16Layers: parseInt16Layers(flags.int16Layers), optimize: flags.optimize, sparse: flags.sparse, stateful: statefulOption(flags), patch: parsePatchOption(flags.patch) };
}

async function compileFor(model: string, flags: BuildFlags): Promise<Compiled> {
  return compileModelAsync(model, compileOptions(flags));
}

/** `--split-at`: the head, with the split's C files among its emitted files (compiler/split). */
function compileSplitFor(model: string, flags: BuildFlags & { splitAt: string }): SplitBuild {
  if (flags.selftest !== undefined) throw new EdgecError('--selftest cannot be combined with --split-at', 2, 'check the head with the split tests instead (head + tail.onnx against the whole model)');
  const options = compileOptions(flags);
  return compileSplit(loadSplitSource(model, options), flags.splitAt, options);
}

function fitErrors(c: Compiled, model: string): string | undefined {
  const r = modelReport(c, model);
  if (!r.fits.ram) return `${model}: model too big for board ${c.board.id}: arena needs ${r.arenaBytes} bytes of RAM, the board has ${r.boardRamBytes} (${r.arenaBytes - r.boardRamBytes} bytes over)`;
  if (!r.fits.flash) return `${model}: model too big for board ${c.board.id}: weights and code need ${r.flashBytes} bytes of flash, the board has ${r.boardFlashBytes} (${r.flashBytes - r.boardFlashBytes} bytes over)`;
  return undefined;
}

/** `--stateful`: which tensors carry the state and the arena bytes kept for it. */
function stateLine(c: Compiled): string | undefined {
  const state = c.program.state ?? [];
  if (state.length === 0) return undefined;
  const pairs = state.map((s) => `${displayName(s.onnxInput)} <- ${displayName(s.onnxOutput)} (${s.bytes} B)`).join(', ');
  return `stateful: ${pairs}; ${persistentBytes(c.program)} persistent bytes of the ${c.plan.arenaBytes}-byte arena; ${c.program.name}_reset() sets it to real 0 (the zero points)`;
}

/** `--keep-inputs`: what keeping the inputs intact costs in arena bytes. */
function keepInputsLine(c: Compiled): string | undefined {
  if (c.arenaWithoutKeepInputs === undefined) return undefined;
  const extra = c.plan.arenaBytes - c.arenaWithoutKeepInputs;
  return `keep-inputs: invoke() leaves the inputs intact; arena ${c.plan.arenaBytes} bytes, ${extra} more than without --keep-inputs (${c.arenaWithoutKeepInputs})`;
}

function listSome(paths: string[], max = 5): string {
  return paths.slice(0, max).map((p) => displayName(p)).join(', ') + (paths.length > max ? `, ... (${paths.length - max} more)` : '');
}

/** `-o` (default out/<name>) as an absolute path; an empty value would mean the current folder, which is never meant. */
function outputFolder(output: string | undefined, name: string): string {
  if (output !== undefined && output.trim() === '') throw new EdgecError('-o needs a folder name (got an empty string)', 2, 'to build into the current folder, say -o .');
  return resolve(output ?? join('out', name));
}

/** `edgec build a.onnx [b.onnx ...]`: one model as always, several into one library (cli/multi-build.ts). */
async function runBuildCommand(models: string[], flags: BuildFlags, log: (s: string) => void): Promise<void> {
  if (models.length > 1) {
    if (flags.splitAt !== undefined) throw new EdgecError(`--split-at takes one model (${models.length} given)`, 2, 'split each model in its own build');
    if (flags.selftest !== undefined) throw new EdgecError(`--selftest is not supported with several models (${models.length} given)`, 2, 'build a model alone to get its self-test');
    if (statefulOption(flags)) throw new EdgecError(`--stateful is not supported with several models (${models.length} given): the models share one arena, which would overwrite the state`, 2, 'build the stateful model alone');
    runMultiBuild(models, { ...flags, output: outputFolder(flags.output, flags.name), planOptions: { ...memoryModeOptions(flags.memory), keepInputs: flags.keepInputs }, weightsMode: weightsMode(flags.weights, flags.encrypt) }, log);
    return;
  }
  if (flags.concurrent) throw new EdgecError('--concurrent needs several models (it gives each its own region of the one arena)', 2);
  await runBuild(models[0]!, flags, log);
}

async function runBuild(model: string, flags: BuildFlags, log: (s: string) => void): Promise<void> {
  const outDir = outputFolder(flags.output, flags.name);
  if (statefulOption(flags) && (flags.selftest !== undefined || flags.splitAt !== undefined)) {
    throw new EdgecError(`--stateful cannot be combined with ${flags.selftest !== undefined ? '--selftest (its golden vectors are single invokes from the zero state)' : '--split-at'}`, 2);
  }
  const split = flags.splitAt === undefined ? undefined : compileSplitFor(model, { ...flags, splitAt: flags.splitAt });
  const c = split ? withSplitFiles(split) : await compileFor(model, flags);
  if (!c.board.formats.includes(flags.format)) throw new EdgecError(`board '${c.board.id}' does not support --format ${flags.format}`, 2, `formats for ${c.board.id}: ${c.board.formats.join(', ')}`);
  const tooBig = fitErrors(c, model);
  if (tooBig) throw new EdgecError(tooBig, 2, 'choose a board with more memory, or a smaller model');
  const selftest = flags.selftest === undefined ? [] : await selftestFiles(c.quantized?.qdqBytes ?? model, c.program, { count: Number(flags.selftest), version: EDGEC_VERSION, source: basename(model) });
  // the package format lays the files out for the user's build system (compiler/package)
  const blob = weightsBlobFiles(c, outDir, flags.encrypt);
  const files: OutputFile[] = [...packageFiles(c, flags.format, basename(model), selftest), ...blob.files, ...(split ? cloudFiles(split) : [])];
  // --report: the HTML report is one more file of the build (listed in the manifest like the rest)
  if (flags.report) files.push({ path: REPORT_FILE, contents: htmlReport(c, model) });
  // the manifest lists every file of the build, so the next build into this folder knows what it may replace
  const manifestName = manifestFileName(c.program.name);
  let manifest = files.find((f) => basename(f.path) === manifestName);
  if (!manifest) {
    manifest = { path: manifestName, contents: c.emitted.files.find((f) => f.path === manifestName)?.contents ?? '' };
    files.push(manifest);
  }
  const written = writeOutputFolder(outDir, files, manifest.path);
  const blobNote = blob.note;
  const r = modelReport(c, model);
  // a quantized build reports what quantization cost: int8 C vs the float model on the calibration samples
  // (not for --stateful: the reference would need each sample's state; test/quantize/stateful.test.ts checks streaming)
  const accuracy = c.quantized && !c.program.state ? await measureAccuracy(c, c.quantized, { layers: flags.layers }) : undefined;
  if (flags.json) {
    log(JSON.stringify({ ...r, outDir, split: split && { tensor: split.cut.tensor, shape: split.cutShape, tailInput: split.cut.dequantizedName, tail: TAIL_FILE }, keepInputs: c.arenaWithoutKeepInputs === undefined ? undefined : { arenaBytes: c.plan.arenaBytes, arenaBytesWithout: c.arenaWithoutKeepInputs }, removed: written.removed, foreign: written.foreign, files: [...c.emitted.files, ...selftest].map((f) => f.path), quantization: accuracy && { method: c.quantized?.method, methodTrials: c.quantized?.methodTrials, biasCorrection: c.quantized?.biasCorrection, ...accuracy, autoFloat: c.quantized?.autoFloat } }, null, 2));
    return;
  }
  log(`edgec ${EDGEC_VERSION}: ${model} -> ${outDir} (${c.emitted.files.length} files, board ${c.board.id}, kernels ${c.backend.id})`);
  if (c.backendNote) log(`note: ${c.backendNote}`);
  c.notes.forEach((n) => log(`note: ${n}`));
  if (split) log(splitNote(split, model));
  if (blobNote) log(blobNote);
  if (written.removed.length) log(`note: removed ${written.removed.length} file(s) of the previous edgec build in ${outDir}: ${listSome(written.removed)}`);
  if (written.foreign.length) log(`note: ${outDir} also holds ${written.foreign.length} file(s) edgec did not write, left alone: ${listSome(written.foreign)}`);
  log(formatSummary(r));
  const heaviest = formatHeaviestLayers(r);
  if (heaviest) log(heaviest);
  const keep = keepInputsLine(c);
  if (keep) log(keep);
  const state = stateLine(c);
  if (state) log(state);
  log(`inputs:  ${r.inputs.map((t) => `${displayName(t.name)} ${t.type}[${t.dims.join(',')}]`).join(', ')}`);
  log(`outputs: ${r.outputs.map((t) => `${displayName(t.name)} ${t.type}[${t.dims.join(',')}]`).join(', ')}`);
  formatFloatLayers(r).forEach((l) => log(l));
  if (c.quantized?.autoFloat) formatAutoFloat(c.quantized.autoFloat).forEach((l) => log(l));
  if (accuracy && c.quantized) formatAccuracy(accuracy, c.quantized.methodTrials ? formatTrials({ method: c.quantized.method, biasCorrection: c.quantized.biasCorrection === true, trials: c.quantized.methodTrials }) : c.quantized.method).forEach((l) => log(l));
  if (flags.report) log(`report: ${join(outDir, REPORT_FILE)}`);
  if (selftest.length) log(`selftest: ${flags.selftest} golden vectors in ${c.program.name}_selftest.c; build with -DEDGEC_SELFTEST_MAIN for a PASS/FAIL program (selftest_main.c)`);
}

async function runInspect(model: string, flags: BuildFlags, log: (s: string) => void): Promise<void> {
  const c = await compileFor(model, flags);
  const r = modelReport(c, model);
  if (flags.json) { log(JSON.stringify(r, null, 2)); return; }
  log(formatLayerTable(r));
  const weights = formatWeightStorageTable(r);
  if (weights) log(`\n${weights}`);
  const choices = formatKernelChoices(r);
  if (choices.length) log(['', `kernel choice (${r.backend}):`, ...choices].join('\n'));
  log('');
  log(formatSummary(r));
  const keep = keepInputsLine(c);
  if (keep) log(keep);
  const state = stateLine(c);
  if (state) log(state);
  formatFloatLayers(r).forEach((l) => log(l));
  if (c.quantized?.autoFloat) formatAutoFloat(c.quantized.autoFloat).forEach((l) => log(l));
  if (c.backendNote) log(`note: ${c.backendNote}`);
  c.notes.forEach((n) => log(`note: ${n}`));
  if (!r.fits.ram || !r.fits.flash) log(`does NOT fit ${c.board.id}: ${fitErrors(c, model)}`);
}

/** File name of `build --report`'s page in the output folder. */
const REPORT_FILE = 'report.html';

async function runReport(model: string, flags: BuildFlags, log: (s: string) => void): Promise<void> {
  if (flags.output !== undefined && flags.output.trim() === '') throw new EdgecError('-o needs a file name (got an empty string)', 2);
  const out = resolve(flags.output ?? REPORT_FILE);
  const c = await compileFor(model, flags);
  writeFileSync(out, htmlReport(c, model));
  const r = modelReport(c, model);
  log(`edgec ${EDGEC_VERSION}: report of ${model} on ${c.board.id} -> ${out}`);
  log(formatSummary(r));
}

function runBoards(json: boolean, log: (s: string) => void): void {
  const boards = listBoards();
  if (json) { log(JSON.stringify(boards, null, 2)); return; }
  // auto with the library it may call, e.g. auto/cmsis-nn
  for (const b of boards) log(`${b.id.padEnd(14)} ${`${b.backend}${b.kernelLibrary ? `/${b.kernelLibrary}` : ''}`.padEnd(13)} RAM ${formatBytes(b.ramBytes).padStart(10)}  flash ${formatBytes(b.flashBytes).padStart(11)}  ${b.name}`);
}

function addModelOptions(cmd: Command): Command {
  return cmd
    .option('-b, --board <id>', 'target board: an id (see `edgec boards`) or a board file path/to/board.json (schema: boards/board.schema.json)', 'host')
    .option('-n, --name <name>', 'C name prefix of the generated model', 'model')
    .option('--shape <name=dims>', 'static shape for an input with dynamic dims, e.g. input=1,49,10,1 (repeatable)', collect, [])
    .addOption(new Option('--backend <id>', 'kernel backend (default: the board\'s, auto: per layer the cheaper of portable and the board\'s library by measured cost)').choices(['auto', 'portable', 'cmsis-nn', 'esp-nn']))
    .option('--int8-io', 'expose int8 inputs/outputs (drop float Quantize/Dequantize at the model edges; int16 for an int16 model)')
    .addOption(new Option('--input-layout <layout>', 'layout of channels-first model inputs as exposed in the C API: declared (the model\'s) or nhwc (no layout copy before the first conv)').choices(['declared', 'nhwc']))
    .option('--calibration <path>', 'float model: quantize it first with these samples (.npy, .npz or folder of .npy; first axis = sample)')
    .option('--calibration-method <m>', CALIBRATION_METHOD_HELP)
    .option('--float-layers <nodes>', FLOAT_LAYERS_HELP)
    .option('--auto-float <dB>', AUTO_FLOAT_HELP)
    .option('--activations <type>', ACTIVATIONS_HELP)
    .option('--int16-layers <nodes>', INT16_LAYERS_HELP)
    .addOption(memoryOption())
    .addOption(patchOption())
    .addOption(new Option('--optimize <goal>', 'pruned weights: per layer the storage with the least flash (size) or the fewest instructions (speed): dense or bitmap-sparse').choices([...OPTIMIZE_GOALS]).default('size'))
    .option('--no-sparse', 'keep every layer\'s weights dense (inspect still reports their zeros)')
    .option('--keep-inputs', 'plan the inputs live to the end: invoke() leaves them intact (costs arena bytes; the report says how many)')
    .option('--stateful', STATEFUL_HELP)
    .option('--state <pairs>', STATE_HELP)
    .option('--json', 'machine-readable output');
}

export function buildProgram(log: (s: string) => void, setExit: (code: number) => void = () => undefined): Command {
  const program = new Command('edgec')
    .description('Compile int8 ONNX models to static, dependency-free C for microcontrollers')
    .version(EDGEC_VERSION)
    .exitOverride()
    // a second model (or any extra word) is a mistake, not something to ignore; inherited by every command
    .allowExcessArguments(false)
    .configureOutput({ writeOut: (s) => log(s.trimEnd()), writeErr: (s) => writeStderr(s) });
  addModelOptions(program.command('build').description('compile a model to C sources; several models: one library with one arena (--name is its prefix)').argument('<model.onnx...>'))
    .option('-o, --output <dir>', 'output folder (default out/<name>)')
    .option('--layers', 'with --calibration: per-layer SQNR table (int8 C vs float)')
    .option('--selftest <n>', 'also emit n golden vectors (onnxruntime outputs) and <name>_selftest() with a PASS/FAIL main (selftest_main.c)')
    .addOption(new Option('--weights <mode>', 'const: arrays in the code; blob: <name>.weights bound at run time (field updates)').choices(['const', 'blob']).default('const'))
    .option('--encrypt <device-key-file>', 'with --weights blob: also <name>.weights.enc, the blob AES-128-CTR encrypted for transfer (edgec keygen --aes)')
    .option('--report', 'also write report.html (layers, memory timeline, flash, fit, estimates) into the output folder')
    .addOption(new Option('--format <format>', 'package format').choices(['plain', 'arduino', 'platformio', 'espidf', 'cmake']).default('plain'))
    .option('--concurrent', 'several models: give each its own region of the arena (sum instead of max), so they may run at the same time')
    .option('--split-at <tensor>', 'build only the head up to this int8 activation (its int8 values the output, <name>_encode_cut() packs them) and write tail.onnx + edgec_wire.py for the cloud (see split-advisor)')
    .action((models: string[], flags: BuildFlags) => runBuildCommand(models, flags, log));
  addModelOptions(program.command('report').description('one self-contained HTML page: layers, kernels, memory timeline, flash, fit and estimated latency').argument('<model.onnx>'))
    .option('-o, --output <file.html>', 'output file (default report.html)')
    .action((model: string, flags: BuildFlags) => runReport(model, flags, log));
  addModelOptions(program.command('inspect').description('ops, parameters, MACs, arena and flash per layer').argument('<model.onnx>'))
    .action((model: string, flags: BuildFlags) => runInspect(model, flags, log));
  addBenchCommand(program, log, collect);
  program.command('boards').description('list the known boards').option('--json', 'machine-readable output')
    .action((flags: { json?: boolean }) => runBoards(!!flags.json, log));
  addVerifyCommand(program, log, setExit);
  addQuantizeCommand(program, log);
  addUpdateCommands(program, log, collect);
  addSplitAdvisorCommand(program, log, collect);
  program.commands.forEach((c) => c.exitOverride());
  return program;
}

const QUIET_STREAM_ERRORS = new Set(['EPIPE', 'EBADF', 'ECONNRESET', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);
let stdoutClosed = false;
let stderrClosed = false;
let streamsGuarded = false;

/**
 * `edgec boards | head -1` closes the pipe under us: the rest of the output
 * is dropped quietly (no stack trace, the command still finishes and keeps
 * its exit code). Any other stream error is dropped the same way — there is
 * nowhere left to report it.
 */
function guardStdStreams(): void {
  if (streamsGuarded) return;
  streamsGuarded = true;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => { stdoutClosed = true; if (!QUIET_STREAM_ERRORS.has(err.code ?? '')) writeStderr(`edgec: stdout: ${err.message}\n`); });
  process.stderr.on('error', () => { stderrClosed = true; });
}

function writeStderr(s: string): void {
  if (stderrClosed) return;
  try { process.stderr.write(s); } catch { stderrClosed = true; }
}

function writeStdout(s: string): void {
  if (stdoutClosed) return;
  // model names reach reports: no control character or ANSI sequence gets to the terminal
  try { process.stdout.write(`${escapeOutputText(s)}\n`); } catch { stdoutClosed = true; }
}

export async function main(argv: string[], log: (s: string) => void = writeStdout): Promise<number> {
  guardStdStreams();
  try {
    let exitCode = 0;
    const program = buildProgram(log, (code) => { exitCode = code; });
    if (argv.length <= 2) {
      // bare `edgec`: usage on stderr, and a usage error (scripts must not read it as success)
      writeStderr(program.helpInformation());
      return 2;
    }
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help / version are successes; anything else commander rejects is usage (exit 2)
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
    }
    // a file-system failure (EEXIST, ENOTDIR, EACCES, ENAMETOOLONG, ...) is the user's path, not a bug
    const failure = err instanceof EdgecError ? err : fileSystemError(err);
    if (failure) {
      writeStderr(`edgec: error: ${displayLine(failure.message)}\n${failure.hint ? `hint: ${displayLine(failure.hint)}\n` : ''}`);
      return failure.exitCode;
    }
    const msg = err instanceof Error ? err.message : String(err);
    writeStderr(`edgec: internal error: ${displayLine(msg)}\nhint: this is a bug in edgec; please report it with the model\n`);
    return 2;
  }
}
