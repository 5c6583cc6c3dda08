/**
 * Per-op tests against onnxruntime: every case is a small QDQ model built
 * with QdqBuilder, compiled with compileModel; all cases of one op file are
 * linked into ONE strict-gcc executable (each model has its own C name, the
 * runtime sources are shared), which then runs every model on random int8
 * inputs. Outputs are compared with onnxruntime (graph optimisations off, so
 * it runs the QDQ model's own float semantics) in LSB.
 *
 *   describeOp('Conv', cases, { maxLsb: 1 });
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';
import { emccEnv, emccPath, WASM_FLAGS } from '../../compiler/verify/wasm.js';
import { compareWithReference } from '../../compiler/verify/golden.js';
import { prng, randomSamples } from '../../compiler/verify/samples.js';
import type { OutputStats } from '../../compiler/verify/compare.js';
import { QdqBuilder, type QParams, type QType } from '../helpers/onnx-builder.js';

export { QdqBuilder, prng };
export type { QParams, QType };

export interface OpCase {
  /** What the case exercises, e.g. "k3x3 s2 pads[1,0,2,1] g2". */
  name: string;
  model: Uint8Array;
  /** Max |diff| in LSB allowed for this case (default: the op's). */
  maxLsb?: number;
  /** onnxruntime samples to run (default 4). */
  samples?: number;
  /**
   * A case whose exact rate is bounded by a documented arithmetic difference
   * (not a bug): its own floor, and it is left out of the op's 99% figure.
   * E.g. average pool ties (TFLite rounds half away from zero, onnxruntime
   * half to even) or TFLite's double rounding in a requantization with a
   * small right shift.
   */
  knownDifference?: { minExact: number; why: string };
}

export interface CaseResult {
  name: string;
  outputs: OutputStats[];
  elements: number;
  exact: number;
  maxDiffLsb: number;
  error?: string;
  /** With emcc: the WebAssembly build's outputs equal the native build's, byte for byte. */
  wasmIdentical?: boolean;
}

export interface OpRequirement {
  /** Max |diff| in LSB for every value (1; 2 for Softmax and lookup tables). */
  maxLsb: number;
  /** Share of exact values over all cases of the op (0.99). */
  minExact?: number;
}

/** Random helpers on one seeded stream. */
export class Rand {
  readonly next: () => number;
  constructor(seed: number) { this.next = prng(seed); }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(xs: readonly T[]): T { return xs[Math.floor(this.next() * xs.length)] as T; }
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }
  bool(p = 0.5): boolean { return this.next() < p; }
  floats(n: number, lo = -1, hi = 1): Float32Array { return Float32Array.from({ length: n }, () => this.uniform(lo, hi)); }
  /** Activation qparams: scale in [0.01, 0.1), zero point anywhere in the middle of the range. */
  qparams(dtype: QType = 'int8'): QParams {
    const scale = Math.fround(this.uniform(0.01, 0.1));
    const zeroPoint = dtype === 'int8' ? this.int(-40, 40) : this.int(88, 168);
    return { scale, zeroPoint, dtype };
  }
  /**
   * Output qparams for a result with standard deviation `std` (real units):
   * the int8 range covers about ±3σ, so some values saturate and most use
   * the range well.
   */
  outFor(std: number, dtype: QType = 'int8', centred = false): QParams {
    const scale = Math.fround(Math.max(1e-4, (this.uniform(2.5, 4) * 2 * std) / 255));
    const zeroPoint = centred ? (dtype === 'int8' ? 0 : 128) : (dtype === 'int8' ? this.int(-20, 20) : this.int(108, 148));
    return { scale, zeroPoint, dtype };
  }
}

/** Std of the real values of uniformly random int8 data quantized with `p` (what randomSamples feeds). */
export function inputStd(p: QParams): number {
  return p.scale * 73.9; // std of the uniform integers -128..127
}

/** Std of the real values of uniformly random int8 data, around their zero point: E[x²]^½. */
export function inputRms(p: QParams): number {
  const mean = (p.dtype === 'int8' ? -0.5 : 127.5) - p.zeroPoint;
  return p.scale * Math.sqrt(73.9 ** 2 + mean ** 2);
}

/** C main that runs model `m<index>` chosen on the command line. */
function multiRunnerSource(indices: number[]): string {
  const names = indices.map((k) => `m${k}`);
  const includes = names.map((n) => `#include "${n}.h"`).join('\n');
  const runners = names.map((n) => `
static int run_${n}(FILE *in, FILE *out, long samples) {
  long s;
  int i;
  for (s = 0; s < samples; s++) {
    for (i = 0; i < ${n.toUpperCase()}_NUM_INPUTS; i++) {
      edgec_tensor_t *t = ${n}_input(i);
      if (fread(t->data, 1, t->bytes, in) != t->bytes) return 2;
    }
    if (${n}_invoke() != EDGEC_OK) return 3;
    for (i = 0; i < ${n.toUpperCase()}_NUM_OUTPUTS; i++) {
      edgec_tensor_t *t = ${n}_output(i);
      fwrite(t->data, 1, t->bytes, out);
    }
  }
  return 0;
}`).join('\n');
  const cases = indices.map((k) => `    case ${k}: rc = run_m${k}(in, out, samples); break;`).join('\n');
  return `/* Per-op test runner: runner <model index> <inputs.bin> <outputs.bin> <samples> */
#include <stdio.h>
#include <stdlib.h>
${includes}
${runners}

int main(int argc, char **argv) {
  FILE *in;
  FILE *out;
  long samples;
  int rc = 1;
  if (argc != 5) return 2;
  in = fopen(argv[2], "rb");
  out = fopen(argv[3], "wb");
  samples = strtol(argv[4], NULL, 10);
  if (!in || !out) return 2;
  switch (atoi(argv[1])) {
${cases}
    default: rc = 4;
  }
  fclose(in);
  fclose(out);
  return rc;
}
`;
}

interface Built { index: number; c: Compiled; path: string }

/** Compiles every case, links all of them into one runner; returns the runner path and each case's compile result or error. */
function buildAll(op: string, cases: OpCase[]): { exe?: string; wasm?: string; built: (Built | { error: string })[]; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), `edgec-op-${op.toLowerCase().replace(/[^a-z0-9]+/g, '_')}-`));
  const src = join(dir, 'src');
  mkdirSync(src);
  const built = cases.map((cs, index): Built | { error: string } => {
    const path = join(dir, `case${index}.onnx`);
    writeFileSync(path, cs.model);
    try {
      const c = compileModel(path, { name: `m${index}` });
      for (const f of c.emitted.files) writeFileSync(join(src, f.path), f.contents); // runtime files are identical across models
      return { index, c, path };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  });
  const ok = built.filter((b): b is Built => 'c' in b);
  if (ok.length === 0) return { built, dir };
  // Models that did not compile get no case in the switch.
  const runner = join(src, 'runner.c');
  writeFileSync(runner, multiRunnerSource(ok.map((b) => b.index)));
  const exe = join(dir, 'runner');
  const sources = [...new Set(ok.flatMap((b) => b.c.emitted.files.map((f) => f.path)))].filter((f) => f.endsWith('.c'));
  try {
    execFileSync('gcc', [...STRICT_FLAGS, '-O2', '-I', src, runner, ...sources.sort().map((f) => join(src, f)), '-o', exe, '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: Buffer }).stderr?.toString() ?? String(e);
    return { built: built.map(() => ({ error: `gcc failed:\n${stderr.slice(0, 4000)}` })), dir };
  }
  return { exe, wasm: buildWasm(src, runner, sources), built, dir };
}

/**
 * The same runner as WebAssembly (Debian emcc), when available: every case's
 * outputs must then be byte-identical to the native build's, so the per-op
 * figures hold for the WebAssembly path `edgec verify` uses too.
 */
function buildWasm(src: string, runner: string, sources: string[]): string | undefined {
  const emcc = emccPath();
  if (!emcc) return undefined;
  const out = join(src, 'runner.js');
  execFileSync(emcc, [...WASM_FLAGS, '-I', src, runner, ...sources.sort().map((f) => join(src, f)), '-o', out], { stdio: ['ignore', 'pipe', 'pipe'], env: emccEnv() });
  return out;
}

/** Builds, runs and compares every case. */
export async function runCases(op: string, cases: OpCase[], seed = 1): Promise<CaseResult[]> {
  const { exe, wasm, built, dir } = buildAll(op, cases);
  try {
    return await compareAll(cases, built, dir, exe, seed, wasm);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function compareAll(cases: OpCase[], built: (Built | { error: string })[], dir: string, exe: string | undefined, seed: number, wasm?: string): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  for (let k = 0; k < cases.length; k++) {
    const cs = cases[k] as OpCase;
    const b = built[k] as Built | { error: string };
    if ('error' in b || !exe) {
      results.push({ name: cs.name, outputs: [], elements: 0, exact: 0, maxDiffLsb: Infinity, error: 'error' in b ? b.error : 'no runner' });
      continue;
    }
    try {
      const samples = randomSamples(b.c.program, cs.samples ?? 4, seed * 1000 + k);
      const run = (bytes: Uint8Array, n: number): Uint8Array => {
        const work = mkdtempSync(join(dir, 'run-'));
        const inFile = join(work, 'in.bin');
        writeFileSync(inFile, bytes);
        const outFile = join(work, 'out.bin');
        execFileSync(exe, [String(k), inFile, outFile, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
        const native = new Uint8Array(readFileSync(outFile));
        if (wasm) {
          const wasmOut = join(work, 'out.wasm.bin');
          execFileSync(process.execPath, [wasm, String(k), inFile, wasmOut, String(n)], { stdio: ['ignore', 'pipe', 'pipe'] });
          wasmIdentical = Buffer.compare(readFileSync(wasmOut), Buffer.from(native)) === 0;
        }
        return native;
      };
      let wasmIdentical: boolean | undefined;
      const r = await compareWithReference(b.path, b.c.program, run, samples);
      const elements = r.outputs.reduce((a, o) => a + o.elements, 0);
      results.push({
        name: cs.name, outputs: r.outputs, elements,
        exact: r.outputs.reduce((a, o) => a + o.exact, 0),
        maxDiffLsb: Math.max(...r.outputs.map((o) => o.maxDiffLsb)),
        wasmIdentical,
      });
    } catch (e) {
      results.push({ name: cs.name, outputs: [], elements: 0, exact: 0, maxDiffLsb: Infinity, error: e instanceof Error ? e.message : String(e) });
    }
  }
  return results;
}

/** Aggregated figures of one op. */
export function summary(results: CaseResult[]): { elements: number; exactRate: number; maxDiffLsb: number } {
  const elements = results.reduce((a, r) => a + r.elements, 0);
  const exact = results.reduce((a, r) => a + r.exact, 0);
  return { elements, exactRate: elements ? exact / elements : 0, maxDiffLsb: Math.max(0, ...results.map((r) => r.maxDiffLsb)) };
}

/**
 * The vitest suite of one op: builds and runs all cases once, then one test
 * per case (max LSB) and one for the op's overall exact rate.
 */
export function describeOp(op: string, cases: OpCase[], req: OpRequirement, seed = 1): void {
  describe(`${op} against onnxruntime`, () => {
    let results: CaseResult[] = [];
    beforeAll(async () => {
      results = await runCases(op, cases, seed);
    }, 240_000);
    afterAll(() => {
      const s = summary(results.filter((_, k) => !cases[k]?.knownDifference));
      const known = summary(results.filter((_, k) => cases[k]?.knownDifference));
      console.log(`[ops] ${op}: ${cases.length} cases, ${s.elements} values, exact ${(100 * s.exactRate).toFixed(2)}%, max ${s.maxDiffLsb} LSB`
        + (known.elements ? `; known-difference cases: ${known.elements} values, exact ${(100 * known.exactRate).toFixed(2)}%, max ${known.maxDiffLsb} LSB` : ''));
      for (const r of results) {
        if (r.error || r.exact < r.elements) console.log(`[ops]   ${r.name}${cases[results.indexOf(r)]?.knownDifference ? ' (known difference)' : ''}: ${r.error ? 'error' : `exact ${(100 * r.exact / r.elements).toFixed(2)}% of ${r.elements}, max ${r.maxDiffLsb} LSB`}`);
      }
    });
    cases.forEach((cs, k) => {
      it(`${k}: ${cs.name}`, () => {
        const r = results[k] as CaseResult;
        if (r.error) throw new Error(`${cs.name}: ${r.error}`);
        expect(r.elements).toBeGreaterThan(0);
        const rate = r.exact / r.elements;
        expect(r.maxDiffLsb, `${cs.name}: exact ${(100 * rate).toFixed(2)}% of ${r.elements}`).toBeLessThanOrEqual(cs.maxLsb ?? req.maxLsb);
        if (cs.knownDifference) expect(rate, `${cs.name}: ${cs.knownDifference.why}`).toBeGreaterThanOrEqual(cs.knownDifference.minExact);
        if (emccPath()) expect(r.wasmIdentical, `${cs.name}: WebAssembly output differs from native`).toBe(true);
      });
    });
    it(`overall exact rate >= ${100 * (req.minExact ?? 0.99)}%`, () => {
      const s = summary(results.filter((r, k) => !r.error && !cases[k]?.knownDifference));
      expect(s.elements).toBeGreaterThan(0);
      expect(s.exactRate).toBeGreaterThanOrEqual(req.minExact ?? 0.99);
    });
  });
}
