/**
 * verify compiles the files of the board build: a CMSIS-NN / ESP-NN build is
 * compiled with the library from CMSIS_NN_PATH / ESP_NN_PATH (one clear line
 * when the variable is missing), and --from accepts a relative folder (emcc
 * runs in a temporary folder). The library-present cases are skipped
 * without the variables (see test/backends for the pattern).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { boardsDir } from '../../compiler/emit/paths.js';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { libraryUsedBy } from '../../compiler/verify/libraries.js';
import { verifyModel } from '../../compiler/verify/verify.js';
import { hasEmcc } from '../../compiler/verify/wasm.js';
import { EdgecError } from '../../compiler/errors.js';

const MODEL = 'examples/digits/digits_int8.onnx';
/** The Nano 33 BLE with the CMSIS-NN backend as its default (built-in boards default to auto, which may call no library). */
const NANO_CMSIS = join(mkdtempSync(join(tmpdir(), 'edgec-verify-board-')), 'nano-cmsis.json');
writeFileSync(NANO_CMSIS, JSON.stringify({ ...(JSON.parse(readFileSync(join(boardsDir(), 'nano33ble.json'), 'utf8')) as object), id: 'nano-cmsis', backend: 'cmsis-nn' }));
const saved = { CMSIS_NN_PATH: process.env.CMSIS_NN_PATH, ESP_NN_PATH: process.env.ESP_NN_PATH };
afterEach(() => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
});

function buildInto(board: string): string {
  const dir = mkdtempSync(join(tmpdir(), `edgec-verify-lib-${board.replace(/\W/g, '_').slice(-20)}-`));
  for (const f of compileModel(MODEL, { board }).emitted.files) writeFileSync(join(dir, f.path), f.contents);
  return dir;
}

describe('verify of library board builds', () => {
  it('tells which library a folder calls from its includes', () => {
    expect(libraryUsedBy(buildInto('host'))).toBeUndefined();
    expect(libraryUsedBy(buildInto('esp32'))).toBe('esp-nn');
    expect(libraryUsedBy(buildInto(NANO_CMSIS))).toBe('cmsis-nn');
  });

  it('without the library variable: one line naming it (it failed inside emcc: esp_nn.h not found)', async () => {
    delete process.env.ESP_NN_PATH;
    delete process.env.CMSIS_NN_PATH;
    const failure = (board: string): Promise<unknown> => verifyModel({ model: MODEL, board, samples: 2 }).then(() => undefined, (e: unknown) => e);
    for (const [board, variable] of [['esp32', 'ESP_NN_PATH'], [NANO_CMSIS, 'CMSIS_NN_PATH']]) {
      const e = await failure(board!);
      expect(e).toBeInstanceOf(EdgecError);
      expect((e as EdgecError).exitCode).toBe(2);
      expect((e as EdgecError).message).toMatch(new RegExp(`^this build calls .*; set ${variable} to a checkout of`));
    }
    process.env.ESP_NN_PATH = tmpdir();
    expect(((await failure('esp32')) as EdgecError).message).toMatch(/^ESP_NN_PATH=.*: not a checkout of esp-nn \(no include\/esp_nn\.h\)$/);
  });

  it.skipIf(!saved.ESP_NN_PATH || !hasEmcc())('esp32: the ESP-NN build verifies with ESP-NN compiled to WebAssembly, also --from a relative folder', async () => {
    const fresh = await verifyModel({ model: MODEL, board: 'esp32', samples: 4 });
    expect(fresh.pass).toBe(true);
    const fromRelative = await verifyModel({ model: MODEL, board: 'esp32', samples: 4, from: relative(process.cwd(), buildInto('esp32')) });
    expect(fromRelative.pass).toBe(true);
  });

  it.skipIf(!saved.CMSIS_NN_PATH || !hasEmcc())('nano33ble: the CMSIS-NN build verifies with CMSIS-NN (pure C) compiled to WebAssembly', async () => {
    expect((await verifyModel({ model: MODEL, board: NANO_CMSIS, samples: 4 })).pass).toBe(true);
  });

  it.skipIf(!hasEmcc())('--from a relative folder (portable build)', async () => {
    const r = await verifyModel({ model: MODEL, samples: 4, from: relative(process.cwd(), buildInto('host')) });
    expect(r.pass).toBe(true);
  });
});
