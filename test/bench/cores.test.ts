/**
 * The benchmark's other cores (compiler/bench/cores.ts): the digits model on
 * Cortex-M7 (mps2-an500), Cortex-M55 + MVE (mps3-an547) and RV32IMC (virt)
 * must give outputs equal to the host build; the AN547 counter rate is
 * checked by running the same Cortex-M4 code on AN386 and AN547; the RV32
 * counter must count past the 32-bit ns wrap (33.5 M instructions). Each
 * emulator test skips itself without its toolchain.
 */
import { mkdtempSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchModel } from '../../compiler/bench/bench.js';
import { armCore, BENCH_CORES, parseCores, type CoreId } from '../../compiler/bench/cores.js';
import { MPS2_AN386, MPS3_AN547, toolAvailable } from '../../compiler/bench/cortex-m.js';
import { RV32_VIRT, runQemuRiscv } from '../../compiler/bench/riscv.js';
import { formatCoresTable, type CoreRow } from '../../compiler/bench/suite-cores.js';
import type { BenchResult } from '../../compiler/bench/bench.js';
import { templatesDir } from '../../compiler/emit/paths.js';

const MODEL = 'examples/digits/digits_int8.onnx';
const haveCore = (id: CoreId): boolean => BENCH_CORES[id].tools.every(toolAvailable) && toolAvailable('gcc');

describe('--cores', () => {
  it('parses a list or all, and names an unknown core', () => {
    expect(parseCores('m4,rv32')).toEqual(['m4', 'rv32']);
    expect(parseCores('all')).toEqual(['m4', 'm7', 'm55', 'rv32']);
    expect(parseCores('m4,m99')).toMatch(/unknown core 'm99'/);
  });
});

describe('cross-core table', () => {
  const result = (instructions: number, matchesHost: boolean): BenchResult => ({
    model: 'examples/kws/kws_int8.onnx', board: 'b', backend: 'x', macs: 1000, ops: 3, arenaBytes: 512, lowerBound: 512, fileOrderArenaBytes: 512,
    fileOrderLowerBound: 512, orderMethod: 'given', inPlaceDepthwise: 0, buildMs: 1,
    builds: [{ opt: '-O2', instructions, macsPerInstruction: 1000 / instructions, codeBytes: 100, weightsBytes: 50, flashBytes: 150, bssBytes: 600, matchesHost }],
  });
  it('gives each row its instructions relative to portable on the same core, and flags a mismatch', () => {
    const rows: CoreRow[] = [
      { model: 'examples/kws/kws_int8.onnx', core: 'm55', variant: 'portable', result: result(4000, true) },
      { model: 'examples/kws/kws_int8.onnx', core: 'm55', variant: 'cmsis-nn', result: result(1000, false) },
    ];
    const lines = formatCoresTable(rows).split('\n');
    expect(lines[1]).toMatch(/^kws_int8\s+m55\s+portable\s+1000\s+4,000\s+0\.250\s+1\.000\s+512\s+100\s+50\s+150\s+yes$/);
    expect(lines[2]).toMatch(/cmsis-nn\s+1000\s+1,000\s+1\.000\s+0\.250\s.*NO$/);
  });
});

describe('digits on each new core equals the host build', () => {
  for (const id of ['m7', 'm55', 'rv32'] as CoreId[]) {
    it.skipIf(!haveCore(id))(id, () => {
      const core = BENCH_CORES[id];
      const r = benchModel(MODEL, { core, board: core.board, backend: 'portable', opts: ['-O2'], checkHost: true });
      const b = r.builds[0]!;
      expect(b.matchesHost).toBe(true);
      // between 1 and 50 instructions per MAC: counted in instructions, not ns or cycles
      expect(b.instructions).toBeGreaterThan(r.macs);
      expect(b.instructions).toBeLessThan(r.macs * 50);
      expect(b.codeBytes).toBeGreaterThan(500);
      expect(b.weightsBytes).toBeGreaterThan(0);
    }, 120_000);
  }
});

describe.skipIf(!haveCore('m55'))('AN547 FPGAIO counter rate', () => {
  it('the same Cortex-M4 code counts the same instructions on AN386 and AN547', () => {
    const m4Code = { ...MPS3_AN547, cpuFlags: MPS2_AN386.cpuFlags };
    const onAn386 = benchModel(MODEL, { core: armCore('m4', 'an386', 'nucleo-f446re', MPS2_AN386), opts: ['-O2'], backend: 'portable' });
    const onAn547 = benchModel(MODEL, { core: armCore('m55', 'an547 running M4 code', 'nucleo-f446re', m4Code), opts: ['-O2'], backend: 'portable' });
    // only the FPGAIO address differs in the harness: a few instructions at most
    expect(Math.abs(onAn547.builds[0]!.instructions - onAn386.builds[0]!.instructions)).toBeLessThanOrEqual(4);
  }, 120_000);
});

describe.skipIf(!haveCore('rv32'))('RV32 instruction counter', () => {
  it('counts a 40 M-instruction loop (past the 32-bit ns wrap at 33.5 M)', () => {
    const work = mkdtempSync(join(tmpdir(), 'edgec-rv32-count-'));
    try {
      const main = join(work, 'main.c');
      // 20 M iterations of addi + bnez: 40 M instructions between the two reads.
      writeFileSync(main, `#include <stdint.h>
uint32_t edgec_bench_instret(void);
void edgec_bench_puts(const char *s);
int main(void)
{
  char line[64] = "EDGEC_BENCH ticks=";
  char digits[10];
  int n = 0, at = 18;
  uint32_t left = 20000000u, t0, d;
  t0 = edgec_bench_instret();
  __asm__ volatile("1: addi %0, %0, -1\\n bnez %0, 1b" : "+r"(left));
  d = edgec_bench_instret() - t0;
  do { digits[n++] = (char)('0' + d % 10u); d /= 10u; } while (d);
  while (n) line[at++] = digits[--n];
  line[at] = 0;
  edgec_bench_puts(line);
  edgec_bench_puts(" clk100=0 status=0\\nEDGEC_DONE\\n");
  return 0;
}
`);
      const harness = join(templatesDir(), 'harness', 'riscv');
      copyFileSync(join(harness, 'startup.c'), join(work, 'startup.c'));
      const libgcc = execFileSync('riscv64-unknown-elf-gcc', ['-march=rv32imc', '-mabi=ilp32', '-print-libgcc-file-name']).toString().trim();
      const elf = join(work, 'count.elf');
      execFileSync('riscv64-unknown-elf-gcc', [...RV32_VIRT.cpuFlags, '-O2', '-ffreestanding', '-isystem', join(harness, 'include'), '-DEDGEC_BENCH_ICOUNT_SHIFT=7',
        main, join(work, 'startup.c'), '-nostdlib', '-T', join(harness, 'virt.ld'), '-o', elf, libgcc]);
      const run = runQemuRiscv(elf, [], 60_000);
      expect(run.instructions).toBeGreaterThanOrEqual(40_000_000);
      expect(run.instructions).toBeLessThan(40_000_100);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
