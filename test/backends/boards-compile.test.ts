/**
 * Generated code for every board compiles cleanly (strict C99 warnings as
 * errors) under the board's cross compiler: arm-none-eabi-gcc with the
 * board's CPU flags, riscv64-unknown-elf-gcc -march=rv32imc_zicsr
 * -mabi=ilp32 for the ESP32-C3, host gcc for the Xtensa boards (no Xtensa
 * toolchain here) and the host. Portable kernels always; the board's own
 * library backend too when CMSIS_NN_PATH / ESP_NN_PATH give its headers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listBoards, type Board } from '../../compiler/boards.js';
import { compileModel } from '../../compiler/pipeline.js';
import { boardLibrary } from '../../compiler/backends/auto.js';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';
import { toolAvailable } from '../../compiler/bench/cortex-m.js';
import { CMSIS_NN_PATH, ESP_NN_PATH, writeFiles } from './libraries.js';

const here = dirname(fileURLToPath(import.meta.url));
const MODELS = ['examples/kws_dscnn/kws_dscnn_int8.onnx', 'examples/ic_resnet8/ic_resnet8_int8.onnx'];

/** The compiler and flags this machine checks a board's code with. */
function toolchain(b: Board): { cc: string; flags: string[] } {
  if (b.arch === 'xtensa' || b.arch === 'host') return { cc: 'gcc', flags: ['-O2'] };
  // Debian's riscv64-unknown-elf-gcc has no C library: GCC's freestanding headers plus a string.h stand-in
  if (b.arch === 'riscv') return { cc: b.compiler.cc, flags: [...b.compiler.flags, '-ffreestanding', '-I', join(here, 'freestanding')] };
  return { cc: b.compiler.cc, flags: b.compiler.flags };
}

function compileAll(dir: string, cc: string, flags: string[], includes: string[] = []): void {
  const work = mkdtempSync(join(tmpdir(), 'edgec-cc-'));
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.c'))) {
    execFileSync(cc, [...STRICT_FLAGS, ...flags, '-I', dir, ...includes.flatMap((d) => ['-I', d]), '-c', join(dir, f), '-o', join(work, `${f}.o`)], { stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

function libraryIncludes(b: Board): string[] | undefined {
  if (boardLibrary(b) === 'cmsis-nn' && CMSIS_NN_PATH) return [join(CMSIS_NN_PATH, 'Include')];
  if (boardLibrary(b) === 'esp-nn' && ESP_NN_PATH) return [join(ESP_NN_PATH, 'include')];
  return undefined;
}

describe('generated code compiles for every board', () => {
  for (const b of listBoards()) {
    const tc = toolchain(b);
    it.skipIf(!toolAvailable(tc.cc))(`${b.id} (${tc.cc} ${tc.flags.join(' ')})`, () => {
      for (const model of MODELS) {
        const portable = compileModel(model, { name: 'm', board: b.id, backend: 'portable' });
        expect(() => compileAll(writeFiles(portable.emitted.files, 'edgec-board-'), tc.cc, tc.flags)).not.toThrow();
        const inc = libraryIncludes(b);
        if (inc) {
          // ESP-NN's headers use C99 only; its sources (not compiled here) need gnu99
          const lib = compileModel(model, { name: 'm', board: b.id, backend: boardLibrary(b) });
          compileAll(writeFiles(lib.emitted.files, 'edgec-board-lib-'), tc.cc, tc.flags, inc);
        }
      }
    }, 120_000);
  }
});
