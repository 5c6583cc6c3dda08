/**
 * `npm run bench:ops`: instructions per output element of the portable
 * kernels on an emulated Cortex-M4 (QEMU mps2-an386, exact instruction
 * counts), measured on small one-op models — by default the TFLM twin
 * fixtures of test/fixtures/ops and test/fixtures/ops2, whose outputs the
 * test suite checks byte for byte against TFLite Micro, so the figures are
 * for kernels known to be exact. Each model is one inference at -O2; the
 * count covers the whole invoke (kernel calls plus the few instructions of
 * the generated function), so tiny models carry a visible fixed cost.
 *
 *   npm run bench:ops [-- <folder or .onnx> ...]
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { benchModel } from './bench.js';
import { ARM_CC, QEMU_ARM, toolAvailable } from './cortex-m.js';
import { compileModel } from '../pipeline.js';
import type { Value } from '../ir/program.js';

const DEFAULT_INPUTS = ['test/fixtures/ops', 'test/fixtures/ops2'];

interface OpRow { model: string; kernels: string; outputElements: number; instructions: number; perElement: number }

function modelsIn(paths: string[]): string[] {
  return paths.flatMap((p) => (statSync(p).isDirectory()
    ? readdirSync(p).filter((f) => f.endsWith('.onnx')).sort().map((f) => join(p, f))
    : [p]));
}

/** The kernel kinds a model runs, in order, each once (e.g. "reduce_sum"). */
function kernelKinds(model: string): { kinds: string; outputElements: number } {
  const c = compileModel(model, { name: 'model', board: 'nucleo-f446re', backend: 'portable' });
  const kinds = [...new Set(c.program.ops.map((op) => op.kind))].join(' + ');
  const elements = (v: Value): number => v.shape.reduce((a, b) => a * b, 1);
  const outputElements = c.program.outputs.reduce((a, id) => a + elements(c.program.values.get(id) as Value), 0);
  return { kinds, outputElements };
}

function benchOne(model: string): OpRow {
  const { kinds, outputElements } = kernelKinds(model);
  const r = benchModel(model, { board: 'nucleo-f446re', backend: 'portable', opts: ['-O2'] });
  const instructions = r.builds[0]?.instructions ?? 0;
  return { model: basename(model, '.onnx'), kernels: kinds, outputElements, instructions, perElement: instructions / Math.max(1, outputElements) };
}

function main(): void {
  for (const tool of [ARM_CC, QEMU_ARM]) {
    if (!toolAvailable(tool)) { process.stderr.write(`bench:ops: ${tool} not installed\n`); process.exit(2); }
  }
  const args = process.argv.slice(2);
  const models = modelsIn(args.length ? args : DEFAULT_INPUTS);
  console.log('Cortex-M4 (QEMU mps2-an386, -icount), portable kernels, arm-none-eabi-gcc -O2: one inference per model');
  console.log(`${'model'.padEnd(28)} ${'kernels'.padEnd(40)} ${'outputs'.padStart(9)} ${'instr'.padStart(10)} ${'instr/out'.padStart(10)}`);
  for (const m of models) {
    try {
      const r = benchOne(m);
      console.log(`${r.model.padEnd(28)} ${r.kernels.padEnd(40)} ${String(r.outputElements).padStart(9)} ${String(r.instructions).padStart(10)} ${r.perElement.toFixed(1).padStart(10)}`);
    } catch (e) {
      console.log(`${basename(m, '.onnx').padEnd(28)} error: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`);
    }
  }
}

main();
