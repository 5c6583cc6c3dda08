/**
 * Measured code size (compiler/data/code-size.json, `npm run
 * measure:code-size`): every runtime-c kernel has a figure for every measured
 * core and level; one kernel re-measured now gives the stored figure (when
 * the cross compiler is here); the fit check adds the figures of exactly the
 * kernels and library functions a build uses.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardOpt, calledEntries, codeSize, codeSizeData, CODE_SIZE_OPTS, INVOKE_BYTES_PER_CALL, INVOKE_FIXED_BYTES } from '../../compiler/emit/code-size.js';
import { compilerVersion, coreToolchains, kernelSources, measureKernel } from '../../compiler/bench/measure-code-size.js';
import { toolAvailable } from '../../compiler/bench/cortex-m.js';
import { runtimeDir } from '../../compiler/emit/paths.js';
import { boardById } from '../../compiler/boards.js';
import { compileModel } from '../../compiler/pipeline.js';
import { modelReport } from '../../compiler/report.js';
import { benchModel } from '../../compiler/bench/bench.js';
import { QEMU_ARM } from '../../compiler/bench/cortex-m.js';

const KWS = 'examples/kws_dscnn/kws_dscnn_int8.onnx';
const data = codeSizeData();
const CORES = ['cortex-m0plus', 'cortex-m4', 'cortex-m7', 'cortex-m33', 'cortex-m55', 'rv32imc'];

describe('stored kernel sizes', () => {
  it('cover every runtime-c/*.c for every core and optimisation level, with positive sizes', () => {
    const kernels = readdirSync(runtimeDir()).filter((f) => f.endsWith('.c'));
    expect(kernels.length).toBeGreaterThan(30);
    expect(Object.keys(data.cores).sort()).toEqual([...CORES].sort());
    for (const core of CORES) {
      for (const opt of CODE_SIZE_OPTS) {
        const table = data.cores[core]!.opts[opt]!;
        for (const k of kernels) expect(table[k], `${core} ${opt} ${k}`).toBeGreaterThan(0);
      }
    }
  });

  it('say which cores could not be measured and why (no Xtensa compiler)', () => {
    expect(data.unavailable['xtensa-lx6']).toMatch(/xtensa-esp32-elf-gcc/);
  });

  it('are what the compilers make: -O2 DSP conv is larger than -Os, M0+ has no DSP path', () => {
    const m4 = data.cores['cortex-m4']!.opts;
    expect(m4['-O2']!['edgec_conv_s8.c']!).toBeGreaterThan(m4['-Os']!['edgec_conv_s8.c']!);
    expect(data.cores['cortex-m0plus']!.opts['-O2']!['edgec_conv_s8.c']!).toBeLessThan(m4['-O2']!['edgec_conv_s8.c']!);
  });

  it.skipIf(!toolAvailable('arm-none-eabi-gcc'))('re-measuring a kernel now gives the stored size (cortex-m4 -Os and -O2, conv and softmax)', () => {
    const tc = coreToolchains().find((t) => t.core === 'cortex-m4')!;
    expect(data.cores['cortex-m4']!.compiler).toBe(`arm-none-eabi-gcc ${compilerVersion('arm-none-eabi-gcc')}`);
    const work = mkdtempSync(join(tmpdir(), 'edgec-size-'));
    for (const opt of CODE_SIZE_OPTS) {
      for (const k of ['edgec_conv_s8.c', 'edgec_softmax_s8.c']) expect(measureKernel(tc, opt, k, work), `${opt} ${k}`).toBe(data.cores['cortex-m4']!.opts[opt]![k]);
    }
    expect(kernelSources()).toEqual(Object.keys(data.cores['cortex-m4']!.opts['-Os']!).sort());
  }, 60_000);

  it.skipIf(!toolAvailable('riscv64-unknown-elf-gcc'))('re-measuring a kernel for rv32imc gives the stored size', () => {
    const tc = coreToolchains().find((t) => t.core === 'rv32imc')!;
    expect(measureKernel(tc, '-Os', 'edgec_fully_connected_s8.c', mkdtempSync(join(tmpdir(), 'edgec-size-')))).toBe(data.cores.rv32imc!.opts['-Os']!['edgec_fully_connected_s8.c']);
  });
});

describe('the fit check uses the measured sizes', () => {
  it('uses the board\'s optimisation level', () => {
    expect(boardOpt({ compiler: { cc: 'x', flags: ['-mcpu=cortex-m4', '-O2'] } })).toBe('-O2');
    expect(boardOpt({ compiler: { cc: 'x', flags: ['-O3'] } })).toBe('-O2');
    expect(boardOpt({ compiler: { cc: 'x', flags: ['-Os'] } })).toBe('-Os');
    expect(boardOpt({ compiler: { cc: 'x', flags: [] } })).toBe('-Os');
  });

  it('portable KWS on nano33ble: code = the measured kernels it ships + the invoke glue', () => {
    const c = compileModel(KWS, { name: 'kws', board: 'nano33ble', backend: 'portable' });
    const r = modelReport(c, KWS);
    const table = data.cores['cortex-m4']!.opts['-O2']!;
    const kernels = c.emitted.runtimeSources.filter((s) => s.endsWith('.c'));
    const expected = kernels.reduce((a, k) => a + table[k]!, 0) + c.program.ops.length * INVOKE_BYTES_PER_CALL + INVOKE_FIXED_BYTES;
    expect(r.codeBytes).toBe(expected);
    expect(r.flashBytes).toBe(r.weightsBytes + expected);
    expect(r.codeBasis).toMatch(/^kernels measured with arm-none-eabi-gcc \d+\.\d+\.\d+ -O2 -mcpu=cortex-m4/);
  });

  it('CMSIS-NN KWS on nano33ble counts the library functions it calls, shared helpers once', () => {
    const c = compileModel(KWS, { name: 'kws', board: 'nano33ble' });
    const gen = c.emitted.files.filter((f) => f.path.endsWith('.c')).map((f) => f.contents).join('\n');
    const size = codeSize(c.board, { sources: c.emitted.runtimeSources, calls: c.program.ops.length, library: { id: 'cmsis-nn', generatedC: gen } });
    expect(size.library).toBeDefined();
    const names = size.library!.perFunction.map((f) => f.name);
    expect(names).toContain('arm_convolve_wrapper_s8');
    expect(names).toContain('arm_depthwise_conv_wrapper_s8');
    const sum = size.library!.perFunction.reduce((a, f) => a + f.bytes, 0);
    expect(size.library!.bytes).toBeGreaterThan(Math.max(...size.library!.perFunction.map((f) => f.bytes)));
    expect(size.library!.bytes).toBeLessThan(sum); // memcpy, the mat-mult kernel ... are shared
    expect(size.bytes).toBe(size.kernelBytes + size.invokeBytes + size.library!.bytes);
    expect(modelReport(c, KWS).codeBytes).toBe(size.bytes);
  });

  it('finds called functions by name, not by prefix', () => {
    expect(calledEntries(['arm_convolve_s8', 'arm_convolve_wrapper_s8'], 'x = arm_convolve_wrapper_s8 (&ctx);')).toEqual(['arm_convolve_wrapper_s8']);
  });

  it('a kernel missing from the data is named in the basis, not silently priced', () => {
    const size = codeSize(boardById('nano33ble'), { sources: ['edgec_conv_s8.c', 'edgec_not_measured_s8.c'], calls: 1 });
    expect(size.basis).toMatch(/not in the measured data \(counted as 0\): edgec_not_measured_s8\.c/);
  });

  it('a board with no measurement (Xtensa) says which proxy it used', () => {
    const size = codeSize(boardById('esp32'), { sources: ['edgec_conv_s8.c'], calls: 1 });
    expect(size.measured).toBe(false);
    expect(size.basis).toMatch(/no measurement for xtensa-lx6 .*cortex-m4/);
  });
});

describe.skipIf(!toolAvailable('arm-none-eabi-gcc') || !toolAvailable(QEMU_ARM))('against a linked image', () => {
  it('digits: the fit check\'s code bytes are within 10% of the code the bench harness links at -O2', () => {
    const model = 'examples/digits/digits_int8.onnx';
    const linked = benchModel(model, { board: 'nucleo-f446re', backend: 'portable', opts: ['-O2'] }).builds[0]!.codeBytes;
    const r = modelReport(compileModel(model, { board: 'nucleo-f446re', backend: 'portable' }), model);
    // the data counts whole kernel files (the link drops unused functions) and estimates the invoke glue; the link adds startup and libc helpers
    expect(Math.abs(r.codeBytes / linked - 1), `${r.codeBytes} vs linked ${linked}`).toBeLessThan(0.1);
  }, 120_000);
});
