/**
 * Build time against graph size (npm run bench:build-time [-- sizes...]):
 * compiles a synthetic int8 chain (bench/chain-model.ts) of each size in
 * process, from ONNX bytes to generated C, and prints the time of each
 * stage. Sizes count ONNX nodes (each layer is DQ -> op -> Q, three nodes).
 * A benchmark, not a test: the figures depend on the machine and its load;
 * what matters is that time grows about linearly with size.
 */
import { performance } from 'node:perf_hooks';
import { chainModelBytes } from './chain-model.js';
import { compileModel } from '../pipeline.js';

const DEFAULT_SIZES = [1_000, 10_000, 30_000, 100_000];

function parseSizes(args: readonly string[]): number[] {
  const sizes = args.map(Number).filter((n) => Number.isInteger(n) && n >= 3);
  return sizes.length > 0 ? sizes : DEFAULT_SIZES;
}

function main(): void {
  console.log('onnx nodes   layers   build s   cpu s   ms/1k nodes');
  for (const nodes of parseSizes(process.argv.slice(2))) {
    const layers = Math.max(1, Math.round(nodes / 3));
    const bytes = chainModelBytes(layers);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const compiled = compileModel(`chain${layers}.onnx`, { modelBytes: bytes });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (compiled.program.ops.length < layers) throw new Error(`expected ${layers} ops, got ${compiled.program.ops.length}`);
    const perK = (cpuSeconds * 1e6) / (3 * layers);
    console.log(`${String(3 * layers + 4).padStart(10)} ${String(layers).padStart(8)} ${seconds.toFixed(2).padStart(9)} ${cpuSeconds.toFixed(2).padStart(7)} ${perK.toFixed(1).padStart(13)}`);
  }
}

main();
