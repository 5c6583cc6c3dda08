// Native tests of the portable int8 kernels in runtime-c/.
// Builds test/runtime-c/kernels_test.c (naive TFLite-Micro-semantics references
// vs the kernels on randomized shapes) with gcc and strict flags, runs it, and
// checks that every kernel file compiles on its own (also for Cortex-M4 when
// arm-none-eabi-gcc is installed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const runtimeDir = join(root, 'runtime-c');
const strict = ['-std=c99', '-Wall', '-Wextra', '-Werror', '-pedantic'];

function hasCompiler(cc: string): boolean {
  return spawnSync(cc, ['--version'], { encoding: 'utf8' }).status === 0;
}

function run(cmd: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/**
 * `run` without blocking the worker: a vitest worker stuck in a long spawnSync
 * (a loaded machine, a minute of QEMU) misses its RPC replies and the run
 * fails with "Timeout calling onTaskUpdate" although every test passed.
 */
function runAsync(cmd: string, args: string[], timeoutMs = 120_000): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (status) => { clearTimeout(timer); resolve({ status, out }); });
    child.on('error', (e) => { clearTimeout(timer); resolve({ status: null, out: String(e) }); });
  });
}

const kernelSources = readdirSync(runtimeDir)
  .filter((f) => f.endsWith('.c'))
  .sort();

const expectedKernels = [
  'edgec_add_s8.c',
  'edgec_avg_pool_s8.c',
  'edgec_concat_s8.c',
  'edgec_conv_s8.c',
  'edgec_conv_wzp_s8.c',
  'edgec_depthwise_conv_s8.c',
  'edgec_fully_connected_s8.c',
  'edgec_fully_connected_wzp_s8.c',
  'edgec_global_avg_pool_s8.c',
  'edgec_lut_s8.c',
  'edgec_max_pool_s8.c',
  'edgec_mul_s8.c',
  'edgec_pad_s8.c',
  'edgec_quantize_s8.c',
  'edgec_requantize_s8.c',
  'edgec_runtime.c',
  'edgec_softmax_s8.c',
  'edgec_transpose_s8.c',
];

describe.skipIf(!hasCompiler('gcc'))('runtime-c kernels (gcc)', () => {
  let work: string;
  let exe: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'edgec-runtime-c-'));
    exe = join(work, 'kernels_test');
    const r = run('gcc', [
      ...strict,
      '-O2',
      '-I',
      runtimeDir,
      join(here, 'kernels_test.c'),
      ...kernelSources.map((f) => join(runtimeDir, f)),
      '-lm',
      '-o',
      exe,
    ]);
    if (r.status !== 0) throw new Error(`building kernels_test failed:\n${r.out}`);
  }, 120_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('has one file per kernel', () => {
    expect(kernelSources).toEqual(expect.arrayContaining(expectedKernels));
  });

  it.each(kernelSources)('%s compiles alone with strict flags', (file) => {
    const r = run('gcc', [...strict, '-O2', '-I', runtimeDir, '-c', join(runtimeDir, file), '-o', join(work, `${file}.o`)]);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);
  });

  it.each(['1', '20240611', '777'])('matches the reference implementations (seed %s)', (seed) => {
    const r = run(exe, [seed]);
    if (r.status !== 0) console.error(r.out);
    expect(r.out).not.toMatch(/FAIL/);
    expect(r.out).toMatch(/ 0 failures/);
    expect(r.out).toMatch(/ALL PASSED/);
    expect(r.status).toBe(0);
  }, 120_000);

  it('is clean under AddressSanitizer and UBSan', () => {
    const san = join(work, 'kernels_test_san');
    const b = run('gcc', [
      ...strict,
      '-O1',
      '-g',
      '-fsanitize=address,undefined',
      '-fno-sanitize-recover=undefined',
      '-I',
      runtimeDir,
      join(here, 'kernels_test.c'),
      ...kernelSources.map((f) => join(runtimeDir, f)),
      '-lm',
      '-o',
      san,
    ]);
    if (b.status !== 0 && /cannot find -l(asan|ubsan)|libasan|libubsan/.test(b.out)) {
      console.warn('sanitizer runtimes not installed; sanitizer run skipped');
      return;
    }
    expect(b.status, b.out).toBe(0);
    const r = run(san, ['5']);
    expect(r.out).not.toMatch(/runtime error|AddressSanitizer/);
    expect(r.out).toMatch(/ALL PASSED/);
    expect(r.status).toBe(0);
  }, 180_000);
});

describe.skipIf(!hasCompiler('arm-none-eabi-gcc'))('runtime-c kernels (arm-none-eabi-gcc, Cortex-M4)', () => {
  it.each(kernelSources)('%s compiles alone for cortex-m4', (file) => {
    const out = join(tmpdir(), `edgec-m4-${process.pid}-${file}.o`);
    try {
      const r = run('arm-none-eabi-gcc', [
        ...strict,
        '-mcpu=cortex-m4',
        '-mthumb',
        '-Os',
        '-I',
        runtimeDir,
        '-c',
        join(runtimeDir, file),
        '-o',
        out,
      ]);
      expect(r.out).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(out, { force: true });
    }
  });
});

// The DSP path (__ARM_FEATURE_DSP: SXTB16/SMLAD, runtime-c/edgec_dsp.h) is only
// compiled for Arm cores with the DSP extension: build the same reference test
// for Cortex-M4F with its own startup (test/runtime-c/m4) and run it on QEMU's
// mps2-an386 with semihosting output.
const hasQemuArm = spawnSync('qemu-system-arm', ['--version'], { encoding: 'utf8' }).status === 0;

describe.skipIf(!hasCompiler('arm-none-eabi-gcc') || !hasQemuArm)('runtime-c kernels on Cortex-M4 (QEMU mps2-an386)', () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'edgec-runtime-m4-'));
  });

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  async function buildM4(name: string, extra: string[]): Promise<string> {
    const elf = join(work, `${name}.elf`);
    const r = await runAsync('arm-none-eabi-gcc', [
      ...strict,
      '-mcpu=cortex-m4',
      '-mthumb',
      '-mfloat-abi=hard',
      '-mfpu=fpv4-sp-d16',
      '-O2',
      ...extra,
      '-ffunction-sections',
      '-fdata-sections',
      '-Wl,--gc-sections',
      '-nostartfiles',
      '--specs=rdimon.specs',
      '-T',
      join(here, 'm4', 'm4.ld'),
      '-I',
      runtimeDir,
      join(here, 'm4', 'startup.c'),
      join(here, 'kernels_test.c'),
      ...kernelSources.map((f) => join(runtimeDir, f)),
      '-lm',
      '-o',
      elf,
    ]);
    if (r.status !== 0) throw new Error(`building ${name} for cortex-m4 failed:\n${r.out}`);
    return elf;
  }

  function runQemu(elf: string): Promise<{ status: number | null; out: string }> {
    return runAsync('qemu-system-arm', ['-M', 'mps2-an386', '-semihosting-config', 'enable=on,target=native', '-nographic', '-monitor', 'none', '-serial', 'none', '-kernel', elf]);
  }

  it('the DSP path is compiled in (SXTB16/SMLAD in the conv kernel)', () => {
    const obj = join(work, 'conv.o');
    const r = run('arm-none-eabi-gcc', ['-std=c99', '-mcpu=cortex-m4', '-mthumb', '-O2', '-I', runtimeDir, '-c', join(runtimeDir, 'edgec_conv_s8.c'), '-o', obj]);
    expect(r.status, r.out).toBe(0);
    const dis = run('arm-none-eabi-objdump', ['-d', obj]);
    expect(dis.out).toMatch(/\bsmlad\b/);
    expect(dis.out).toMatch(/\bsxtb16\b.*ror #8/);
  });

  it.each(['1', '4242'])('DSP path matches the reference implementations (seed %s)', async (seed) => {
    const r = await runQemu(await buildM4(`dsp-${seed}`, [`-DSTARTUP_ARG1="${seed}"`]));
    if (r.status !== 0) console.error(r.out);
    expect(r.out).not.toMatch(/FAIL/);
    expect(r.out).toMatch(/ 0 failures/);
    expect(r.out).toMatch(/ALL PASSED/);
    expect(r.status).toBe(0);
  }, 120_000);

  it('plain C path (EDGEC_NO_DSP) matches on Cortex-M4 too', async () => {
    const r = await runQemu(await buildM4('c', ['-DEDGEC_NO_DSP', '-DSTARTUP_ARG1="7"']));
    if (r.status !== 0) console.error(r.out);
    expect(r.out).toMatch(/ALL PASSED/);
    expect(r.status).toBe(0);
  }, 120_000);
});

// Optional: bit-exactness against the real CMSIS-NN (pure C build on the host).
// Set CMSIS_NN_PATH to a CMSIS-NN checkout (with Include/ and Source/); it is
// never part of this repository.
const cmsisPath = process.env.CMSIS_NN_PATH;

function listCmsisSources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listCmsisSources(p));
    else if (e.name.endsWith('.c') && !/_f16\.c$|_f32\.c$/.test(e.name) && e.name !== 'arm_nntables_flt.c') out.push(p);
  }
  return out;
}

describe.skipIf(!cmsisPath || !hasCompiler('gcc'))('runtime-c kernels vs CMSIS-NN (CMSIS_NN_PATH)', () => {
  it('matches CMSIS-NN on randomized shapes', () => {
    const base = resolve(cmsisPath as string);
    expect(existsSync(join(base, 'Include', 'arm_nnfunctions.h')), `no CMSIS-NN at ${base}`).toBe(true);
    const work = mkdtempSync(join(tmpdir(), 'edgec-cmsis-'));
    try {
      const exe = join(work, 'cmsis_compare');
      const b = run('gcc', [
        '-std=c99',
        '-O2',
        '-I',
        join(base, 'Include'),
        '-I',
        runtimeDir,
        join(here, 'cmsis_compare.c'),
        ...kernelSources.map((f) => join(runtimeDir, f)),
        ...listCmsisSources(join(base, 'Source')),
        '-lm',
        '-o',
        exe,
      ]);
      expect(b.status, b.out).toBe(0);
      for (const seed of ['1', '4242']) {
        const r = run(exe, [seed]);
        if (r.status !== 0) console.error(r.out);
        expect(r.out).not.toMatch(/FAIL/);
        expect(r.out).toMatch(/ALL PASSED/);
        expect(r.status).toBe(0);
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 300_000);
});
