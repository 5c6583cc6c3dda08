/**
 * Split test helpers: a head named `head` built with gcc and run on samples
 * (test/split/split_main.c), the shipped Python decoder, the CLI. Every
 * child process runs asynchronously: a vitest worker blocked for a minute
 * by synchronous calls misses its RPC replies and fails a green run.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { harnessSource, STRICT_FLAGS } from '../../compiler/verify/native.js';
import type { NamedTensor } from '../../compiler/verify/reference.js';
import type { GeneratedFile } from '../../compiler/emit/c-emitter.js';
import { cloudFiles, compileSplit, loadSplitSource, withSplitFiles, type SplitBuild } from '../../compiler/split/index.js';
import { testPython } from '../helpers/python.js';

export interface RunResult { code: number; stdout: string; stderr: string }

/** A child process, awaited; its exit code instead of a throw. */
export function run(cmd: string, args: string[], cwd?: string): Promise<RunResult> {
  return new Promise((done) => {
    execFile(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** Like run(), but a failure is an error carrying the tool's stderr. */
export async function runOk(cmd: string, args: string[], cwd?: string): Promise<RunResult> {
  const r = await run(cmd, args, cwd);
  if (r.code !== 0) throw new Error(`${cmd} failed (${r.code}): ${r.stderr.slice(0, 2000)}`);
  return r;
}

/** The real CLI (bin/edgec.js), as test/helpers/cli.ts runs it, awaited. */
export function edgecAsync(args: string[]): Promise<RunResult> {
  return run(process.execPath, ['bin/edgec.js', ...args]);
}

export function writeFiles(dir: string, files: { path: string; contents: string | Uint8Array }[]): void {
  for (const f of files) writeFileSync(join(dir, f.path), f.contents);
}

const cSources = (dir: string, files: GeneratedFile[]): string[] => files.filter((f) => f.path.endsWith('.c')).map((f) => join(dir, f.path));

export interface BuiltHead { split: SplitBuild; dir: string; exe: string }

/** The head of `modelPath` cut at `tensor`, its files (C, tail.onnx, edgec_wire.py) in a fresh folder, compiled with strict gcc. */
export async function buildHead(modelPath: string, tensor: string): Promise<BuiltHead> {
  const options = { name: 'head' };
  const split = compileSplit(loadSplitSource(modelPath, options), tensor, options);
  const dir = mkdtempSync(join(tmpdir(), 'edgec-split-'));
  const cFiles = withSplitFiles(split).emitted.files;
  writeFiles(dir, [...cFiles, ...cloudFiles(split)]);
  const exe = join(dir, 'split_main');
  await runOk('gcc', [...STRICT_FLAGS, '-O2', '-I', dir, resolve('test/split/split_main.c'), ...cSources(dir, cFiles), '-o', exe, '-lm']);
  return { split, dir, exe };
}

/** A whole model's generated files built with edgec's sample runner, tracing every layer (-DEDGEC_TRACING). */
export async function buildTracedRunner(files: GeneratedFile[], name: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-split-whole-'));
  writeFiles(dir, files);
  writeFileSync(join(dir, 'runner_main.c'), harnessSource(name));
  const exe = join(dir, 'runner');
  await runOk('gcc', [...STRICT_FLAGS, '-O2', '-DEDGEC_TRACING', '-I', dir, join(dir, 'runner_main.c'), ...cSources(dir, files), '-o', exe, '-lm']);
  return exe;
}

/** Runs a traced runner; its trace.bin (records of int32 layer, uint32 bytes, data). */
export async function runTraced(exe: string, inputs: Uint8Array, samples: number): Promise<Uint8Array> {
  const work = mkdtempSync(join(tmpdir(), 'edgec-split-trace-'));
  writeFileSync(join(work, 'in.bin'), inputs);
  await runOk(exe, [join(work, 'in.bin'), join(work, 'out.bin'), String(samples)], work);
  return readFileSync(join(work, 'trace.bin'));
}

export function sampleBytes(samples: NamedTensor[][]): Uint8Array {
  const parts = samples.flatMap((s) => s.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Runs the head; one packet per sample. `cap`: a smaller packet buffer (the program then reports the encoder's status). */
export async function runHead(head: BuiltHead, inputs: Uint8Array, samples: number, compress: boolean, cap?: number): Promise<{ packets: Uint8Array[]; status: number; stdout: string }> {
  const work = mkdtempSync(join(tmpdir(), 'edgec-split-run-'));
  writeFileSync(join(work, 'in.bin'), inputs);
  const args = [join(work, 'in.bin'), join(work, 'out.bin'), String(samples), compress ? '1' : '0', ...(cap === undefined ? [] : [String(cap)])];
  const r = await run(head.exe, args);
  const packets: Uint8Array[] = [];
  if (r.code === 0) {
    const all = readFileSync(join(work, 'out.bin'));
    for (let o = 0; o < all.length;) {
      const len = all.readUInt32LE(o);
      packets.push(new Uint8Array(all.subarray(o + 4, o + 4 + len)));
      o += 4 + len;
    }
  }
  return { packets, status: r.code, stdout: r.stdout };
}

/**
 * edgec_wire.py (as shipped in the build folder) on each packet: the float32
 * values it decodes, or the ValueError message it raises.
 */
export async function pythonDecode(dir: string, packets: Uint8Array[]): Promise<(Float32Array | string)[]> {
  const work = mkdtempSync(join(tmpdir(), 'edgec-split-py-'));
  packets.forEach((p, i) => writeFileSync(join(work, `p${i}.bin`), p));
  const script = [
    'import sys, numpy as np', `sys.path.insert(0, ${JSON.stringify(dir)})`, 'import edgec_wire',
    `for i in range(${packets.length}):`,
    `    data = open(${JSON.stringify(work)} + "/p%d.bin" % i, "rb").read()`,
    '    try:',
    '        x = edgec_wire.decode(data)',
    '        assert x.dtype == np.float32',
    `        x.tofile(${JSON.stringify(work)} + "/f%d.bin" % i)`,
    '        print("ok")',
    '    except ValueError as e:',
    '        print("ValueError: %s" % e)',
  ].join('\n');
  const r = await runOk(testPython(), ['-c', script]);
  return r.stdout.trim().split('\n').map((line, i) => {
    if (line !== 'ok') return line;
    const b = readFileSync(join(work, `f${i}.bin`));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  });
}
