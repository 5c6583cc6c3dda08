/** Builds a split head named `head` with gcc and runs it on samples (test/split/split_main.c). */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';
import type { NamedTensor } from '../../compiler/verify/reference.js';
import { cloudFiles, compileSplit, loadSplitSource, withSplitFiles, type SplitBuild } from '../../compiler/split/index.js';
import { testPython } from '../helpers/python.js';

export interface BuiltHead { split: SplitBuild; dir: string; exe: string }

/** The head of `modelPath` cut at `tensor`, its files (C, tail.onnx, edgec_wire.py) in a fresh folder, compiled with strict gcc. */
export function buildHead(modelPath: string, tensor: string): BuiltHead {
  const options = { name: 'head' };
  const split = compileSplit(loadSplitSource(modelPath, options), tensor, options);
  const dir = mkdtempSync(join(tmpdir(), 'edgec-split-'));
  for (const f of [...withSplitFiles(split).emitted.files, ...cloudFiles(split)]) writeFileSync(join(dir, f.path), f.contents);
  const sources = withSplitFiles(split).emitted.files.filter((f) => f.path.endsWith('.c')).map((f) => join(dir, f.path));
  const exe = join(dir, 'split_main');
  execFileSync('gcc', [...STRICT_FLAGS, '-O2', '-I', dir, resolve('test/split/split_main.c'), ...sources, '-o', exe, '-lm'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return { split, dir, exe };
}

export function sampleBytes(samples: NamedTensor[][]): Uint8Array {
  const parts = samples.flatMap((s) => s.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)));
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Runs the head; one packet per sample. `cap`: a smaller packet buffer (the program then reports the encoder's status). */
export function runHead(head: BuiltHead, inputs: Uint8Array, samples: number, compress: boolean, cap?: number): { packets: Uint8Array[]; status: number; stdout: string } {
  const work = mkdtempSync(join(tmpdir(), 'edgec-split-run-'));
  writeFileSync(join(work, 'in.bin'), inputs);
  const args = [join(work, 'in.bin'), join(work, 'out.bin'), String(samples), compress ? '1' : '0', ...(cap === undefined ? [] : [String(cap)])];
  const r = spawnSync(head.exe, args, { encoding: 'utf8' });
  const packets: Uint8Array[] = [];
  if (r.status === 0) {
    const all = readFileSync(join(work, 'out.bin'));
    for (let o = 0; o < all.length;) {
      const len = all.readUInt32LE(o);
      packets.push(new Uint8Array(all.subarray(o + 4, o + 4 + len)));
      o += 4 + len;
    }
  }
  return { packets, status: r.status ?? -1, stdout: r.stdout };
}

/**
 * edgec_wire.py (as shipped in the build folder) on each packet: the float32
 * values it decodes, or the ValueError message it raises.
 */
export function pythonDecode(dir: string, packets: Uint8Array[]): (Float32Array | string)[] {
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
  const r = spawnSync(testPython(), ['-c', script], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((line, i) => {
    if (line !== 'ok') return line;
    const b = readFileSync(join(work, `f${i}.bin`));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
  });
}
