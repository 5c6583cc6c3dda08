/**
 * The Cortex-M4 benchmark harness: digits built with arm-none-eabi-gcc, one
 * inference on QEMU mps2-an386 under -icount; the emulator's output bytes
 * must equal a host gcc build's on the same input. Skips without the tools.
 */
import { describe, expect, it } from 'vitest';
import { benchModel } from '../../compiler/bench/bench.js';
import { ARM_CC, QEMU_ARM, instructionsFromTicks, parseBenchOutput, toolAvailable } from '../../compiler/bench/cortex-m.js';
import { compileModel } from '../../compiler/pipeline.js';

const haveTools = toolAvailable(ARM_CC) && toolAvailable(QEMU_ARM) && toolAvailable('gcc');

describe('instruction counts from the FPGAIO counters', () => {
  it('converts 25 MHz ticks at -icount shift=7 (128 ns per instruction)', () => {
    expect(instructionsFromTicks(16, 0)).toBe(5); // 16 ticks x 40 ns = 640 ns = 5 instructions
    expect(instructionsFromTicks(3_200_000, 12)).toBe(1_000_000);
  });

  it('adds the COUNTER wraps the 100 Hz counter reveals', () => {
    // 2^32 + 1000 ticks at 25 MHz is 171.8 s = 17180 ticks of the 100 Hz counter.
    const ticks = 2 ** 32 + 1000;
    expect(instructionsFromTicks(1000, 17180)).toBe(Math.round((ticks * 40) / 128));
  });

  it('parses outputs and rejects an unfinished run', () => {
    const r = parseBenchOutput('EDGEC_BENCH ticks=32 clk100=0 status=0\nEDGEC_OUT 0 0 0102ff\nEDGEC_DONE\n', [3]);
    expect(r.instructions).toBe(10);
    expect([...r.outputs[0]!]).toEqual([1, 2, 255]);
    expect(() => parseBenchOutput('EDGEC_BENCH ticks=32 clk100=0 status=0\n', [3])).toThrow(/did not finish/);
    expect(() => parseBenchOutput('EDGEC_BENCH ticks=32 clk100=0 status=1\nEDGEC_DONE\n', [3])).toThrow(/status 1/);
  });
});

describe.skipIf(!haveTools)('Cortex-M4 benchmark on QEMU', () => {
  it('digits: positive instruction count, output equal to the host build', () => {
    const model = 'examples/digits/digits_int8.onnx';
    const r = benchModel(model, { board: 'nucleo-f446re', backend: 'portable', opts: ['-O2'], checkHost: true });
    const b = r.builds[0]!;
    expect(b.instructions).toBeGreaterThan(r.macs / 10);
    expect(b.matchesHost).toBe(true);
    // Every weight array is found in the image, and the code is the rest.
    expect(b.weightsBytes).toBe(compileModel(model, { board: 'nucleo-f446re', backend: 'portable' }).emitted.weightsBytes);
    expect(b.codeBytes).toBeGreaterThan(1000);
    expect(b.codeBytes).toBeLessThan(64 * 1024);
    expect(r.arenaBytes).toBeGreaterThanOrEqual(r.lowerBound);
  }, 120_000);
});
