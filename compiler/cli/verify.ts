/** `edgec verify`: options, the run, and the printed figures. */
import { Command } from 'commander';
import { EdgecError } from '../errors.js';
import { DEFAULT_MAX_LSB, DEFAULT_SAMPLES, DEFAULT_SEED, DEFAULT_SOFTMAX_MAX_LSB, formatFloatComparison, verifyModel, type Engine, type VerifyReport } from '../verify/verify.js';
import { ACTIVATIONS_HELP, AUTO_FLOAT_HELP, CALIBRATION_METHOD_HELP, cliCalibrationMethod, FLOAT_LAYERS_HELP, INT16_LAYERS_HELP, parseShapeOption } from './options.js';
import { parseActivations, parseInt16Layers } from '../quantize/precision.js';
import { parseFloatLayers } from '../passes/float-layers.js';
import { parseAutoFloat } from '../quantize/index.js';

interface VerifyFlags {
  board: string; name?: string; shape: string[]; samples?: string; inputs?: string; seed: string; json?: boolean;
  from?: string; layers?: boolean; maxLsb?: string; layerMaxLsb?: string; native?: boolean;
  calibration?: string; calibrationMethod?: string; floatLayers?: string; autoFloat?: string; activations?: string; int16Layers?: string;
}

function number(flag: string, value: string | undefined, integer: boolean): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) throw new EdgecError(`${flag} '${value}': need a ${integer ? 'non-negative integer' : 'number ≥ 0'}`, 2);
  return n;
}

const pct = (x: number): string => `${(100 * x).toFixed(2)}%`;

export function formatVerifyReport(r: VerifyReport, allLayers: boolean): string[] {
  const lines = [`edgec verify: ${r.model} (${r.folder}, ${r.engine}), ${r.samples} samples, inputs ${r.inputSource}`];
  for (const o of r.outputs) {
    const ties = o.top1Agree !== undefined && o.top1Agree < 1 && !o.top1Mismatches ? ' (the others near-ties)' : '';
    const top1 = o.top1Agree === undefined ? '' : `, top-1 agreement ${pct(o.top1Agree)}${ties}`;
    lines.push(`  output '${o.name}': exact ${pct(o.exactRate)}, max |diff| ${o.maxDiffLsb} LSB (tolerance ${o.toleranceLsb}), mean |diff| ${o.meanDiffLsb.toFixed(4)} LSB${top1}  ${o.pass ? 'ok' : 'FAIL'}`);
  }
  const bad = r.layers.filter((l) => !l.pass);
  const worst = Math.max(0, ...r.layers.map((l) => l.maxDiffLsb));
  if (r.reference === 'tflm') lines.push('  reference: TensorFlow Lite Micro\'s interpreter (tflite-micro); outputs must be byte-equal (layers are not exposed by TFLM, so no isolated layer check)');
  else lines.push(`  layers (isolated: each fed onnxruntime's input): ${r.layers.length} compared, max |diff| ${worst} LSB, ${bad.length ? `${bad.length} beyond tolerance` : 'all within tolerance'}`);
  {
    for (const l of allLayers ? r.layers : bad) {
      lines.push(`    ${String(l.index).padStart(3)} ${l.op.padEnd(28)} ${l.onnxOp.padEnd(14)} exact ${pct(l.exactRate).padStart(7)}  max ${l.maxDiffLsb} LSB${l.pass ? '' : `  FAIL (tolerance ${l.toleranceLsb})`}`);
    }
    if (r.firstBadLayer) lines.push(`  first layer beyond tolerance: #${r.firstBadLayer.index} '${r.firstBadLayer.op}' (${r.firstBadLayer.onnxOp}, tensor '${r.firstBadLayer.tensor}'), max ${r.firstBadLayer.maxDiffLsb} LSB`);
  }
  lines.push(...formatFloatComparison(r));
  lines.push(`${r.pass ? 'PASS' : 'FAIL'} (${r.seconds.toFixed(1)} s)`);
  return lines;
}

/** Registers `verify` on the program; sets the exit code through `setExit` (1 when verification fails). */
export function addVerifyCommand(program: Command, log: (s: string) => void, setExit: (code: number) => void): void {
  program.command('verify').description('compile the generated C to WebAssembly and compare it with onnxruntime (a .tflite: with TensorFlow Lite Micro, byte for byte)').argument('<model>')
    .option('-b, --board <id>', 'target board: an id (see `edgec boards`) or a board file path/to/board.json (schema: boards/board.schema.json)', 'host')
    .option('-n, --name <name>', 'C name prefix (with --from: which manifest in the folder)')
    .option('--shape <name=dims>', 'static shape for an input with dynamic dims (repeatable)', (v: string, p: string[]) => [...p, v], [])
    .option('--samples <n>', `number of samples (default ${DEFAULT_SAMPLES} random; with --inputs: all)`)
    .option('--inputs <file>', 'samples from a .npy, .npz or a folder of them ([N, ...input shape])')
    .option('--seed <s>', 'seed of the random samples', String(DEFAULT_SEED))
    .option('--from <dir>', 'verify this already generated folder (as built by edgec build) instead of building afresh')
    .option('--layers', 'print every layer of the isolated layer-by-layer comparison (it always runs and names the first layer beyond tolerance)')
    .option('--max-lsb <n>', `end-to-end tolerance in output LSB (default ${DEFAULT_MAX_LSB}; ${DEFAULT_SOFTMAX_MAX_LSB} for softmax outputs)`)
    .option('--layer-max-lsb <n>', 'per-layer tolerance for --layers (default 1; softmax 2)')
    .option('--native', 'compile with the host C compiler instead of emcc')
    .option('--calibration <path>', 'float model: quantize with these samples first; adds SQNR and top-1 agreement against the float model (per layer with --layers)')
    .option('--calibration-method <m>', CALIBRATION_METHOD_HELP)
    .option('--float-layers <nodes>', FLOAT_LAYERS_HELP)
    .option('--auto-float <dB>', AUTO_FLOAT_HELP)
    .option('--activations <type>', ACTIVATIONS_HELP)
    .option('--int16-layers <nodes>', INT16_LAYERS_HELP)
    .option('--json', 'machine-readable output')
    .action(async (model: string, flags: VerifyFlags) => {
      const engine: Engine = flags.native ? 'native' : 'wasm';
      const report = await verifyModel({
        model, board: flags.board, name: flags.name, shapes: parseShapeOption(flags.shape), from: flags.from, inputs: flags.inputs,
        samples: number('--samples', flags.samples, true), seed: number('--seed', flags.seed, true), maxLsb: number('--max-lsb', flags.maxLsb, false),
        layers: !!flags.layers, layerMaxLsb: number('--layer-max-lsb', flags.layerMaxLsb, false), engine,
        calibration: flags.calibration, calibrationMethod: cliCalibrationMethod(flags),
        floatLayers: parseFloatLayers(flags.floatLayers), autoFloatDb: parseAutoFloat(flags.autoFloat),
        activations: parseActivations(flags.activations), int16Layers: parseInt16Layers(flags.int16Layers),
      });
      if (flags.json) log(JSON.stringify(report, null, 2));
      else formatVerifyReport(report, !!flags.layers).forEach((l) => log(l));
      setExit(report.pass ? 0 : 1);
    });
}
