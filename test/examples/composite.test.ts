/**
 * Issue 12's three composite fixtures (examples/scripts/composite/make_composite.py):
 * an MCUNet-style inverted-residual net with SE blocks, a tiny detector with a
 * nearest-upsampling FPN head and Concat, and a conv autoencoder with
 * ConvTranspose. Each, from its .onnx (tf2onnx) and from its .tflite, equals
 * TFLite Micro byte for byte on seeded inputs, and its generated C compiles
 * warning-free (strict C99) under the board's compiler: the .onnx build for
 * every board, the .tflite build (different names and constant layout, same
 * kernels) for the host and the Cortex-M4 boards only, which keeps the file
 * under a minute. Portable kernels always; the board's library backend too
 * when CMSIS_NN_PATH / ESP_NN_PATH give its headers.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { listBoards, type Board } from '../../compiler/boards.js';
import { compileModel } from '../../compiler/pipeline.js';
import { boardLibrary } from '../../compiler/backends/auto.js';
import { STRICT_FLAGS } from '../../compiler/verify/native.js';
import { toolAvailable } from '../../compiler/bench/cortex-m.js';
import { CMSIS_NN_PATH, ESP_NN_PATH, writeFiles } from '../backends/libraries.js';
import { compareWithTflm, tflmPython } from '../helpers/tflm.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = ['mcunet_se', 'tiny_detector', 'conv_autoenc'].map((name) => ({
  name,
  onnx: `test/fixtures/composite/${name}.onnx`,
  tflite: `test/fixtures/composite/${name}.tflite`,
}));
const SAMPLES = 10;
/** Boards the .tflite builds are compiled for as well: host gcc and arm-none-eabi-gcc -mcpu=cortex-m4. */
const TFLITE_COMPILE_BOARDS = new Set(['host', 'nano33ble', 'nucleo-f446re']);

/** The compiler and flags this machine checks a board's code with (as test/backends/boards-compile.test.ts). */
function toolchain(b: Board): { cc: string; flags: string[] } {
  if (b.arch === 'xtensa' || b.arch === 'host') return { cc: 'gcc', flags: ['-O2'] };
  if (b.arch === 'riscv') return { cc: b.compiler.cc, flags: [...b.compiler.flags, '-ffreestanding', '-I', join(here, '..', 'backends', 'freestanding')] };
  return { cc: b.compiler.cc, flags: b.compiler.flags };
}

function libraryIncludes(b: Board): string[] | undefined {
  if (boardLibrary(b) === 'cmsis-nn' && CMSIS_NN_PATH) return [join(CMSIS_NN_PATH, 'Include')];
  if (boardLibrary(b) === 'esp-nn' && ESP_NN_PATH) return [join(ESP_NN_PATH, 'include')];
  return undefined;
}

/** Compiles every .c of `dir` in one compiler run (objects land in a scratch dir); throws with the compiler's output on any warning. */
function compileAll(dir: string, cc: string, flags: string[], includes: string[] = []): void {
  const work = mkdtempSync(join(tmpdir(), 'edgec-composite-cc-'));
  try {
    const sources = readdirSync(dir).filter((f) => f.endsWith('.c')).map((f) => join(dir, f));
    execFileSync(cc, [...STRICT_FLAGS, ...flags, '-I', dir, ...includes.flatMap((d) => ['-I', d]), '-c', ...sources], { cwd: work, stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe('composite fixtures equal TFLite Micro byte for byte', () => {
  for (const f of FIXTURES) {
    for (const model of [f.onnx, f.tflite]) {
      it.skipIf(!tflmPython())(`${model}`, async () => {
        const r = await compareWithTflm(model, f.tflite, SAMPLES);
        expect(r.outputs.length).toBeGreaterThan(0);
        for (const o of r.outputs) {
          console.log(`${model} ${o.name}: ${o.elements - o.mismatches}/${o.elements} equal to TFLM, max diff ${o.maxDiff}`);
          expect(o.elements).toBeGreaterThan(0);
          expect(o.mismatches).toBe(0);
        }
      }, 60_000);
    }
  }
});

describe('composite fixtures compile warning-free for every board', () => {
  for (const b of listBoards()) {
    const tc = toolchain(b);
    it.skipIf(!toolAvailable(tc.cc))(`${b.id} (${tc.cc} ${tc.flags.join(' ')})`, () => {
      for (const f of FIXTURES) {
        for (const model of TFLITE_COMPILE_BOARDS.has(b.id) ? [f.onnx, f.tflite] : [f.onnx]) {
          const portable = compileModel(model, { name: 'm', board: b.id, backend: 'portable' });
          const dir = writeFiles(portable.emitted.files, 'edgec-composite-');
          expect(() => compileAll(dir, tc.cc, tc.flags), `${model} for ${b.id}`).not.toThrow();
          rmSync(dir, { recursive: true, force: true });
          const inc = libraryIncludes(b);
          if (inc) {
            const lib = compileModel(model, { name: 'm', board: b.id, backend: boardLibrary(b) });
            const libDir = writeFiles(lib.emitted.files, 'edgec-composite-lib-');
            compileAll(libDir, tc.cc, tc.flags, inc);
            rmSync(libDir, { recursive: true, force: true });
          }
        }
      }
    }, 60_000);
  }
});
