/**
 * The split head and its encoder on Cortex-M4 (arm-none-eabi-gcc -O2, QEMU
 * mps2-an386 under -icount): instructions for one inference and for
 * <name>_encode_cut() raw and LZSS, and the packets, which must equal the
 * host build's byte for byte (little-endian header, float32 scale, CRC).
 * Skips without the tools.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ARM_CC, MPS2_AN386, QEMU_ARM, instructionsFromTicks, toolAvailable } from '../../compiler/bench/cortex-m.js';
import { templatesDir } from '../../compiler/emit/paths.js';
import { readInputSamples } from '../../compiler/verify/inputs.js';
import { decodeWire } from '../../compiler/split/wire.js';
import { buildHead, runHead, runOk, sampleBytes } from './helpers.js';

const haveTools = toolAvailable(ARM_CC) && toolAvailable(QEMU_ARM);

interface Step { instructions: number; len: number; status: number }

async function runOnQemu(elf: string): Promise<{ steps: Map<string, Step>; packets: Uint8Array[] }> {
  const log = `${elf}.semihosting.txt`;
  await runOk(QEMU_ARM, ['-M', MPS2_AN386.machine, '-display', 'none', '-monitor', 'none', '-serial', 'none',
    '-chardev', `file,id=sh,path=${log}`, '-semihosting-config', 'enable=on,target=native,chardev=sh',
    '-icount', 'shift=7,sleep=off', '-kernel', elf]);
  const text = readFileSync(log, 'utf8');
  expect(text).toContain('EDGEC_DONE');
  const steps = new Map<string, Step>();
  for (const m of text.matchAll(/^SPLIT (\w+) ticks=(\d+) clk100=(\d+) len=(\d+) status=(\d+)$/gm)) {
    steps.set(m[1], { instructions: instructionsFromTicks(Number(m[2]), Number(m[3])), len: Number(m[4]), status: Number(m[5]) });
  }
  const packets = ['encode_raw', 'encode_lzss'].map((k) => new Uint8Array(steps.get(k)?.len ?? 0));
  for (const m of text.matchAll(/^EDGEC_OUT (\d+) (\d+) ([0-9a-f]*)$/gm)) {
    const out = packets[Number(m[1])];
    for (let i = 0; i < m[3].length / 2; i++) out[Number(m[2]) + i] = parseInt(m[3].slice(2 * i, 2 * i + 2), 16);
  }
  return { steps, packets };
}

describe.skipIf(!haveTools)('split on Cortex-M4', () => {
  it('kws_dscnn head + encoder: instructions, and the same packets as the host', async () => {
    const head = await buildHead('examples/kws_dscnn/kws_dscnn_int8.onnx', 'kws_dscnn_1/pw2_relu_1/Relu:0');
    const sample = readInputSamples(head.split.compiled.program, 'examples/kws_dscnn/calibration.npy').slice(0, 1);
    const bytes = sampleBytes(sample);
    const work = mkdtempSync(join(head.dir, 'm4-'));
    writeFileSync(join(work, 'split_sample.h'), `static const uint8_t split_sample[${bytes.length}] = {\n${Array.from(bytes).join(',')}\n};\n`);
    const sources = readdirSync(head.dir).filter((f) => f.endsWith('.c')).map((f) => join(head.dir, f));
    const elf = join(work, 'split.elf');
    const harness = join(templatesDir(), 'harness', 'cortex-m');
    await runOk(ARM_CC, [...MPS2_AN386.cpuFlags, '-O2', '-std=c99', '-Wall', '-Wextra', '-Werror', '-ffunction-sections', '-fdata-sections',
      '-I', head.dir, '-I', work, ...sources, resolve('test/split/m4_split_main.c'), join(harness, 'startup.c'),
      '-nostartfiles', '--specs=nano.specs', '-T', join(harness, 'mps2.ld'), '-Wl,--gc-sections', '-o', elf, '-lc', '-lgcc']);
    const { steps, packets } = await runOnQemu(elf);
    const host = [(await runHead(head, bytes, 1, false)).packets[0], (await runHead(head, bytes, 1, true)).packets[0]];
    const invoke = steps.get('invoke');
    const raw = steps.get('encode_raw');
    const lzss = steps.get('encode_lzss');
    expect(invoke?.status).toBe(0);
    expect(raw?.status).toBe(0);
    expect(lzss?.status).toBe(0);
    expect(Array.from(packets[0])).toEqual(Array.from(host[0]));
    expect(Array.from(packets[1])).toEqual(Array.from(host[1]));
    expect(decodeWire(packets[1]).compressed).toBe(true);
    // sending costs little next to the inference: the raw packet (copy + CRC) a few percent, LZSS well under the inference
    expect(raw?.instructions ?? Infinity).toBeLessThan(0.05 * (invoke?.instructions ?? 0));
    expect(lzss?.instructions ?? Infinity).toBeLessThan(0.5 * (invoke?.instructions ?? 0));
    console.log(`kws_dscnn head (cut pw2, 1,488,000 MACs) on Cortex-M4 -O2: invoke ${invoke?.instructions.toLocaleString('en-US')} instructions; encode_cut raw ${raw?.instructions.toLocaleString('en-US')} (${raw?.len} B), lzss ${lzss?.instructions.toLocaleString('en-US')} (${lzss?.len} B)`);
  }, 300_000);
});

