/** Parsing of CLI option values. */
import { Option } from 'commander';
import { EdgecError } from '../errors.js';
import { MEMORY_MODES } from '../plan/program.js';
import type { PatchMode } from '../passes/patch-stage.js';
import type { StatePair } from '../ir/graph.js';
import { parseStatePairs } from '../passes/state-pairs.js';

/** `--shape input=1,49,10,1` (repeatable) -> { input: [1, 49, 10, 1] }. */
export function parseShapeOption(values: string[]): Record<string, number[]> {
  // no prototype: `--shape __proto__=1` or `constructor=1` is an input name like any other (and is then refused as unknown)
  const shapes = Object.create(null) as Record<string, number[]>;
  for (const v of values) {
    const eq = v.lastIndexOf('=');
    const dims = eq > 0 ? v.slice(eq + 1).split(/[,x]/).map((d) => Number(d.trim())) : [];
    if (eq <= 0 || dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new EdgecError(`--shape '${v}' is not of the form name=d1,d2,... with positive integers`, 2);
    }
    const name = v.slice(0, eq);
    if (Object.hasOwn(shapes, name)) throw new EdgecError(`--shape ${name}: given twice`, 2);
    shapes[name] = dims;
  }
  return shapes;
}

/** `--memory min|fast` (build, inspect, bench): smallest arena (sharing kernels where they help) or plain kernels only. */
export function memoryOption(): Option {
  return new Option('--memory <mode>', 'min: smallest arena (depthwise in place, pointwise input inside its output where that helps); fast: plain kernels, separate buffers')
    .choices([...MEMORY_MODES]).default('min');
}

/** `--patch auto|off|<n>|<rows>x<cols>` (build, inspect, bench): patch-based execution of the first stage (passes/patch-stage.ts). */
export function patchOption(): Option {
  return new Option('--patch <mode>', 'run the first high-resolution stage tile by tile: auto (when it lowers the arena at < 15% more MACs and estimated instructions), off, <n> for an n x n grid or <rows>x<cols> (e.g. 8x1: strips)')
    .default('auto');
}

/** `--patch` as the pipeline takes it; a bad value is a usage error (exit 2). */
export function parsePatchOption(value: string | undefined): PatchMode {
  if (value === undefined || value === 'auto' || value === 'off') return value ?? 'auto';
  if (/^[1-9][0-9]?$/.test(value)) return Number(value);
  const grid = /^([1-9][0-9]?)x([1-9][0-9]?)$/.exec(value);
  if (grid) return { rows: Number(grid[1]), cols: Number(grid[2]) };
  throw new EdgecError(`--patch '${value}': expected auto, off, a grid size n (1..99) for n x n tiles or <rows>x<cols>`, 2);
}

/** Help of `--float-layers` / `--auto-float` (build, inspect, verify, quantize). */
export const FLOAT_LAYERS_HELP = 'keep these ONNX nodes (Conv, Gemm, MatMul; comma-separated) in float32, int8 around them; with --calibration the PTQ leaves them float';
export const AUTO_FLOAT_HELP = 'with --calibration: keep a layer float when quantizing it costs more than <dB> of output SQNR (greedy search, one layer per round)';

/** Help of `--activations` / `--int16-layers` (build, inspect, report, verify, quantize: wherever --calibration is). */
export const ACTIVATIONS_HELP = 'with --calibration: activation type of the quantized model, int8 (default) or int16 (16x8: int16 activations, int8 weights; layers without a 16x8 kernel stay int8, the build says which)';
export const INT16_LAYERS_HELP = 'with --calibration: these ONNX nodes (comma-separated) get int16 activations (16x8), the rest int8; requantized at the boundaries';

/** Help of `--stateful` / `--state` (build, inspect, report, bench, quantize). */
export const STATEFUL_HELP = 'keep the recurrent state (each LSTM/GRU initial_h/initial_c input and its Y_h/Y_c output) between invoke() calls, <name>_reset() clears it; with --shape the sequence axis may be shortened (1 = one step per invoke)';
export const STATE_HELP = 'with or without --stateful: the state pairs by name, <input>=<output>[,...] (any model, e.g. a ring buffer)';

/** Help of `--calibration-method` (build, inspect, verify, quantize). */
export const CALIBRATION_METHOD_HELP = 'auto (default: minmax, percentile and mse, each with and without bias correction, the one whose generated C scores the best output SQNR on the calibration samples; minmax with --stateful), minmax, percentile[:99.99], entropy or mse';

/**
 * The CLI's calibration method: the user's, else `auto` — on held-out
 * samples it beat minmax by 0.6 dB on average over the PTQ corpus
 * (examples/scripts/ptq_holdout.ts) for a few seconds of extra build time.
 * A streaming (--stateful) build cannot be scored whole, so it takes minmax.
 */
export function cliCalibrationMethod(flags: { calibrationMethod?: string; stateful?: boolean; state?: string }): string {
  return flags.calibrationMethod ?? (statefulOption(flags) ? 'minmax' : 'auto');
}

/** `--stateful` and `--state a=b,...` -> the pipeline's stateful option (undefined: not stateful). */
export function statefulOption(flags: { stateful?: boolean; state?: string }): { pairs?: StatePair[] } | undefined {
  if (!flags.stateful && flags.state === undefined) return undefined;
  return { pairs: parseStatePairs(flags.state) };
}
