/**
 * The RV32IMC benchmark harness (templates/harness/riscv, compiler/bench/
 * riscv.ts) the ESP32-C3 cost table is measured with: a single-layer model
 * built with riscv64-unknown-elf-gcc (no C library), one inference on
 * qemu-system-riscv32 virt under -icount; the emulator's outputs must equal
 * a host gcc build's. Skips without the tools.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRiscvElf, QEMU_RISCV32, RISCV_CC, riscvBenchMainSource, runQemuRiscv } from '../../compiler/bench/riscv.js';
import { toolAvailable } from '../../compiler/bench/cortex-m.js';
import { layerModelBytes } from '../../compiler/bench/layer-models.js';
import { compileModel } from '../../compiler/pipeline.js';
import { randomSamples } from '../../compiler/verify/samples.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { valueBytes, type Value } from '../../compiler/ir/program.js';

const haveTools = toolAvailable(RISCV_CC) && toolAvailable(QEMU_RISCV32) && toolAvailable('gcc');

describe('RV32 benchmark harness', () => {
  it('reads instret instead of the MPS2 counters', () => {
    const main = riscvBenchMainSource('m', [new Uint8Array([1, 2])]);
    expect(main).toMatch(/#define EDGEC_BENCH_COUNTER edgec_bench_instret\(\)/);
    expect(main).toMatch(/#define EDGEC_BENCH_CLK100HZ 0u/);
  });

  it.skipIf(!haveTools)('an Add layer on qemu-system-riscv32: plausible instruction count, outputs equal to the host build', () => {
    const c = compileModel('add.onnx', { name: 'layer', modelBytes: layerModelBytes({ kind: 'add', h: 4, w: 4, c: 8 }), board: 'esp32c3', backend: 'portable', int8Io: true, inputLayout: 'nhwc' });
    const work = mkdtempSync(join(tmpdir(), 'edgec-rv32-'));
    try {
      const modelDir = join(work, 'model');
      mkdirSync(modelDir);
      for (const f of c.emitted.files) writeFileSync(join(modelDir, f.path), f.contents);
      const inputs = randomSamples(c.program, 1, 3)[0]!.map((t) => new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      const outBytes = c.program.outputs.map((id) => valueBytes(c.program.values.get(id) as Value));
      const run = runQemuRiscv(buildRiscvElf(modelDir, 'layer', inputs, work, { opt: '-O2' }), outBytes, 60_000);
      // 128 elements: tens of instructions each, not thousands (the counter ticks once per instruction, not per ns).
      expect(run.instructions).toBeGreaterThan(128 * 10);
      expect(run.instructions).toBeLessThan(128 * 1000);
      const joined = new Uint8Array(inputs.reduce((a, b) => a + b.length, 0));
      let at = 0;
      for (const b of inputs) { joined.set(b, at); at += b.length; }
      expect([...run.outputs[0]!]).toEqual([...runNative(buildNativeRunner(modelDir, 'layer'), joined, 1)]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 60_000);
});
