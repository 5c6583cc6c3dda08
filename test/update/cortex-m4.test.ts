/**
 * The update code built for Cortex-M4 (arm-none-eabi-gcc -Os): its code size,
 * and a run on QEMU mps2-an386 with a RAM stand-in for the inactive flash
 * slot, giving the apply's RAM (state + measured stack) and the updated
 * model's output, which must equal the host build's.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel } from '../../compiler/pipeline.js';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';
import { runtimeDir, templatesDir } from '../../compiler/emit/paths.js';
import { MPS2_AN386 } from '../../compiler/bench/cortex-m.js';
import { makePatch } from '../../compiler/update/delta.js';
import { cByteArray } from '../../compiler/update/blob.js';
import { retrainClassifier } from './perturb.js';

const has = (cmd: string): boolean => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).status === 0;
const UPDATE_SOURCES = ['edgec_update.c', 'edgec_sha256.c', 'edgec_blob.c'];

describe.skipIf(!has('arm-none-eabi-gcc'))('update code on Cortex-M4', () => {
  it('is small: code size of apply + SHA-256 + blob check', () => {
    const work = mkdtempSync(join(tmpdir(), 'edgec-m4size-'));
    const objs = UPDATE_SOURCES.map((f) => {
      const o = join(work, f.replace(/\.c$/, '.o'));
      execFileSync('arm-none-eabi-gcc', [...MPS2_AN386.cpuFlags, '-Os', ...STRICT_FLAGS, '-ffunction-sections', '-c', join(runtimeDir(), f), '-o', o]);
      return o;
    });
    const size = execFileSync('arm-none-eabi-size', ['-t', ...objs], { encoding: 'utf8' });
    const total = size.trim().split('\n').pop()?.trim().split(/\s+/).map(Number) ?? [];
    console.log(`Cortex-M4 -Os update code: text ${total[0]} data ${total[1]} bss ${total[2]} bytes\n${size}`);
    expect(total[0]).toBeLessThan(4096);
    expect(total[1] + total[2]).toBe(0); // no hidden globals: all state is the caller's edgec_update_t
  });

  it.skipIf(!existsSync('/usr/include/mbedtls/aes.h'))('transfer decryption (EDGEC_WITH_MBEDTLS): code size delta of the apply and blob check', () => {
    const work = mkdtempSync(join(tmpdir(), 'edgec-m4aes-'));
    // only mbedTLS's headers (plain C) under their own folder: the host's libc headers stay out
    symlinkSync('/usr/include/mbedtls', join(work, 'mbedtls'));
    const text = (file: string, flags: string[]): number => {
      const o = join(work, `${file}.${flags.length}.o`);
      execFileSync('arm-none-eabi-gcc', [...MPS2_AN386.cpuFlags, '-Os', ...STRICT_FLAGS, '-ffunction-sections', ...flags, '-c', join(runtimeDir(), file), '-o', o]);
      return Number(execFileSync('arm-none-eabi-size', [o], { encoding: 'utf8' }).trim().split('\n').pop()?.trim().split(/\s+/)[0]);
    };
    const withAes = ['-DEDGEC_WITH_MBEDTLS', '-I', work];
    const sizes = ['edgec_update.c', 'edgec_blob.c'].map((f) => [f, text(f, []), text(f, withAes)] as const);
    console.log(`Cortex-M4 -Os without/with EDGEC_WITH_MBEDTLS (signature + AES-128-CTR glue, mbedTLS itself not counted): ${sizes.map(([f, a, b]) => `${f} ${a} -> ${b}`).join(', ')}`);
    // the decrypting apply stays small: streaming glue only, AES itself is mbedTLS's (or the chip's)
    expect(sizes[0][2] - sizes[0][1]).toBeLessThan(768);
  });

  it.skipIf(!has('qemu-system-arm'))('applies a patch on QEMU mps2-an386 and runs the updated model like the host', () => {
    const work = mkdtempSync(join(tmpdir(), 'edgec-m4run-'));
    const targetModel = join(work, 'retrained.onnx');
    writeFileSync(targetModel, retrainClassifier('examples/digits/digits_int8.onnx', 7));
    const base = compileModel('examples/digits/digits_int8.onnx', { name: 'model', weights: 'blob' });
    const target = compileModel(targetModel, { name: 'model', weights: 'blob' });
    const b = base.emitted.weightsBlob as Uint8Array;
    const t = target.emitted.weightsBlob as Uint8Array;
    const inValue = target.program.values.get(target.program.inputs[0]);
    const inCount = (inValue?.shape ?? []).reduce((x, y) => x * y, 1);
    const inBytes = inValue?.type === 'float32'
      ? new Uint8Array(Float32Array.from({ length: inCount }, (_, i) => ((i * 37) % 17) / 17).buffer)
      : Uint8Array.from({ length: inCount }, (_, i) => (i * 37) & 0x7f);
    for (const f of target.emitted.files) writeFileSync(join(work, f.path), f.contents);
    writeFileSync(join(work, 'm4_data.h'), [
      `#define M4_SLOT_BYTES ${Math.ceil(t.length / 16) * 16}u`,
      `static const uint8_t m4_base[${b.length}] __attribute__((aligned(16))) = {\n${cByteArray(b)}\n};`,
      `static const uint8_t m4_patch[] = {\n${cByteArray(makePatch(b, t))}\n};`,
      `static const uint8_t m4_input[] = {\n${cByteArray(inBytes)}\n};`, ''].join('\n'));
    const sources = target.emitted.files.filter((f) => f.path.endsWith('.c')).map((f) => join(work, f.path));
    const elf = join(work, 'update.elf');
    execFileSync('arm-none-eabi-gcc', [...MPS2_AN386.cpuFlags, '-Os', '-std=c99', '-Wall', '-Wextra', '-ffunction-sections', '-fdata-sections', '-I', work,
      'test/update/m4_main.c', join(templatesDir(), 'harness', 'cortex-m', 'startup.c'), ...sources,
      '-nostartfiles', '--specs=nano.specs', '-T', join(templatesDir(), 'harness', 'cortex-m', 'mps2.ld'), '-Wl,--gc-sections', '-o', elf, '-lc', '-lgcc']);
    const log = `${elf}.txt`;
    execFileSync('qemu-system-arm', ['-M', 'mps2-an386', '-display', 'none', '-monitor', 'none', '-serial', 'none',
      '-chardev', `file,id=sh,path=${log}`, '-semihosting-config', 'enable=on,target=native,chardev=sh', '-kernel', elf], { timeout: 60_000 });
    const text = readFileSync(log, 'utf8');
    const field = (k: string): string => new RegExp(`^${k} (\\S+)$`, 'm').exec(text)?.[1] ?? '';
    console.log(`QEMU mps2-an386: ${text.trim().split('\n').filter((l) => !l.startsWith('output')).join(', ')}`);
    expect(field('apply')).toBe('0');
    expect(field('bind')).toBe('0');
    expect(field('invoke')).toBe('0');
    expect(Number(field('state-bytes')) + Number(field('stack-bytes'))).toBeLessThan(1536);
    // the same bound model on the host, same input
    const exe = join(work, 'host');
    writeFileSync(join(work, 'host_main.c'), '#include <stdio.h>\n#include <string.h>\n#include "model.h"\n#include "m4_data.h"\nstatic uint8_t blob[M4_SLOT_BYTES] __attribute__((aligned(16)));\nint main(int argc, char **argv) { FILE *f = fopen(argv[1], "rb"); size_t n = fread(blob, 1, sizeof blob, f); edgec_tensor_t *o; uint32_t k; (void)argc; fclose(f); if (model_bind_weights(blob, n) != EDGEC_BLOB_OK) return 3; memcpy(model_input(0)->data, m4_input, model_input(0)->bytes); if (model_invoke() != EDGEC_OK) return 4; o = model_output(0); printf("output "); for (k = 0; k < o->bytes && k < 64u; k++) printf("%02x", ((const uint8_t *)o->data)[k]); printf("\\n"); return 0; }\n');
    writeFileSync(join(work, 'target.weights'), t);
    execFileSync('gcc', ['-O2', '-std=c99', '-I', work, join(work, 'host_main.c'), ...sources, '-o', exe, '-lm']);
    const host = execFileSync(exe, [join(work, 'target.weights')], { encoding: 'utf8' });
    expect(field('output')).toBe(/^output (\S+)$/m.exec(host)?.[1]);
  });
});
