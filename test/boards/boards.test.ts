/**
 * User boards: `--board path/to/board.json` is validated against the
 * published schema (boards/board.schema.json); every problem names the field.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { boardById, boardSchema, isBoardPath, listBoards } from '../../compiler/boards.js';
import { boardsDir } from '../../compiler/emit/paths.js';
import { EdgecError } from '../../compiler/errors.js';
import { validateSchema } from '../../compiler/json-schema.js';
import { compileModel } from '../../compiler/pipeline.js';

const dir = mkdtempSync(join(tmpdir(), 'edgec-boards-'));
const nano = JSON.parse(readFileSync(join(boardsDir(), 'nano33ble.json'), 'utf8')) as Record<string, unknown>;

function boardFile(name: string, contents: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof contents === 'string' ? contents : JSON.stringify(contents));
  return path;
}

function boardError(contents: unknown): string {
  const path = boardFile('bad.json', contents);
  try {
    boardById(path);
  } catch (e) {
    expect(e).toBeInstanceOf(EdgecError);
    expect((e as EdgecError).exitCode).toBe(2);
    const message = (e as EdgecError).message;
    expect(message).not.toMatch(/[\x00-\x1f]/);
    expect(message.startsWith(`board file ${JSON.stringify(path)}: `)).toBe(true);
    return message.slice(`board file ${JSON.stringify(path)}: `.length);
  }
  throw new Error('the board loaded; expected an error');
}

describe('board files', () => {
  it('every built-in board conforms to the published schema', () => {
    const boards = listBoards();
    expect(boards.length).toBeGreaterThan(5);
    for (const b of boards) expect(validateSchema(boardSchema(), b), b.id).toEqual([]);
  });

  it('tells a path from a board id', () => {
    expect(isBoardPath('nano33ble')).toBe(false);
    expect(isBoardPath('./my.json')).toBe(true);
    expect(isBoardPath('boards/x')).toBe(true);
    expect(isBoardPath('my.json')).toBe(true);
  });

  it('a user board builds the digits example with its own memory budget', () => {
    const path = boardFile('myboard.json', { ...nano, id: 'myboard', name: 'My board', ramBytes: 4096 });
    const c = compileModel('examples/digits/digits_int8.onnx', { board: path });
    expect(c.board.id).toBe('myboard');
    expect(c.board.ramBytes).toBe(4096);
    expect(c.backend.id).toBe('auto');
    const lib = compileModel('examples/digits/digits_int8.onnx', { board: boardFile('mylib.json', { ...nano, id: 'mylib', backend: 'cmsis-nn', kernelLibrary: undefined }) });
    expect(lib.backend.id).toBe('cmsis-nn');
    expect(() => boardById(join(dir, 'missing.json'))).toThrow(/: not found$/);
  });

  it('names the field of every kind of problem', () => {
    const { ramBytes: _, ...noRam } = nano;
    expect(boardError(noRam)).toMatch(/^field 'ramBytes' is required/);
    expect(boardError({ ...nano, ramBytes: 'lots' })).toMatch(/^field 'ramBytes' must be an integer \(got "lots"\)/);
    expect(boardError({ ...nano, ramBytes: -5 })).toMatch(/^field 'ramBytes' must be at least 1 \(got -5\)/);
    expect(boardError({ ...nano, backend: 'tflm' })).toMatch(/^field 'backend' must be one of "auto", "portable", "cmsis-nn", "esp-nn" \(got "tflm"\)/);
    expect(boardError({ ...nano, cmsisNnVariant: undefined })).toMatch(/^field 'cmsisNnVariant' is required/);
    expect(boardError({ ...nano, colour: 'blue' })).toMatch(/^field 'colour' is not a known field/);
    expect(boardError({ ...nano, compiler: { cc: 'gcc', flags: ['-O2', 'rm -rf /'] } })).toMatch(/^field 'compiler\.flags\[1\]' must match/);
    expect(boardError({ ...nano, formats: ['plain', 'zip'] })).toMatch(/^field 'formats\[1\]' must be one of/);
    expect(boardError('{"id": "x",')).toMatch(/^not valid JSON \(/);
    expect(boardError([1, 2])).toMatch(/^the board must be an object/);
    expect(boardError({ ...nano, 'evil\nkey': 1 })).toMatch(/^field '"evil\\nkey"' is not a known field/);
  });

  it('refuses strings that would inject C through placement attributes', () => {
    expect(boardError({ ...nano, attributes: { arena: '*/ int injected = 42; /*', weights: '' } })).toMatch(/^field 'attributes\.arena' must match/);
    expect(boardError({ ...nano, attributes: { arena: '', weights: '', include: 'x.h"\n#include "y.h' } })).toMatch(/^field 'attributes\.include' must match/);
    expect(boardError({ ...nano, attributes: { arena: '', weights: '', guard: 'A) || (1' } })).toMatch(/^field 'attributes\.guard' must match/);
  });
});
