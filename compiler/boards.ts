/** Boards are data (boards/*.json): memory budgets, CPU flags, kernel library. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { boardsDir } from './emit/paths.js';
import { EdgecError } from './errors.js';
import { validateSchema, type Schema } from './json-schema.js';

export interface Board {
  id: string;
  name: string;
  cpu: string;
  arch: 'arm' | 'xtensa' | 'riscv' | 'host';
  /**
   * Default kernel backend: `auto` (per layer, the cheaper of portable and
   * `kernelLibrary` by the core's measured cost table, backends/auto.ts),
   * `portable`, or a library (portable per op where it has no kernel).
   */
  backend: 'auto' | 'portable' | 'cmsis-nn' | 'esp-nn';
  /** Kernel library the board's package can provide (auto calls it where it is cheaper). */
  kernelLibrary?: 'cmsis-nn' | 'esp-nn';
  /** CMSIS-NN code path the CPU builds: pure C (M0/M3), DSP (M4/M7/M33), MVE (M55/M85); scratch is sized for it. */
  cmsisNnVariant?: 'c' | 'dsp' | 'mve';
  /** ESP-NN chip whose kernels (and scratch sizes) the build gets. */
  espNnChip?: 'esp32' | 'esp32s3' | 'esp32c3';
  /** RAM available to the model's arena. */
  ramBytes: number;
  /** Flash available to the model's code and weights. */
  flashBytes: number;
  alignment: number;
  notes: string;
  compiler: { cc: string; flags: string[] };
  /**
   * Placement attributes: `arena` / `weights` become the default
   * EDGEC_ARENA_ATTR / EDGEC_WEIGHTS_ATTR; with `guard`, only when that macro
   * is defined (e.g. ESP_PLATFORM under ESP-IDF), after including `include`.
   */
  attributes: { arena: string; weights: string; include?: string; guard?: string };
  formats: string[];
  /** PlatformIO platform, board and framework of the ready project folder (--format platformio). */
  platformio?: { platform: string; board: string; framework: string };
  /** Arduino core architectures for library.properties (--format arduino). */
  arduinoArchitectures?: string;
  /** CPU clock the latency estimate assumes. */
  clockHz?: number;
  /** Cycles per instruction of the estimate (Cortex-M4: calibrated, see compiler/cost-model.ts). */
  cyclesPerInstruction?: number;
  /** Typical active power of the chip while computing, for the energy estimate. */
  activePowerMw?: number;
  /** Where clockHz, cyclesPerInstruction and activePowerMw come from. */
  sources?: { clockHz?: string; cyclesPerInstruction?: string; activePowerMw?: string };
}

/** The published schema of a board file, shipped beside the built-in boards. */
export const BOARD_SCHEMA_FILE = 'board.schema.json';

export function boardSchema(): Schema {
  return JSON.parse(readFileSync(join(boardsDir(), BOARD_SCHEMA_FILE), 'utf8')) as Schema;
}

export function listBoards(): Board[] {
  return readdirSync(boardsDir())
    .filter((f) => f.endsWith('.json') && f !== BOARD_SCHEMA_FILE)
    .sort()
    .map((f) => JSON.parse(readFileSync(join(boardsDir(), f), 'utf8')) as Board);
}

/** `--board` names a file when it contains a path separator or ends in .json. */
export function isBoardPath(id: string): boolean {
  return id.includes('/') || id.includes('\\') || id.endsWith('.json');
}

/** A user board file, validated against boards/board.schema.json; every problem names the field. */
export function loadBoardFile(path: string): Board {
  const where = `board file ${JSON.stringify(path)}`;
  if (!existsSync(path)) throw new EdgecError(`${where}: not found`);
  if (!statSync(path).isFile()) throw new EdgecError(`${where}: not a file`);
  if (statSync(path).size > 1_000_000) throw new EdgecError(`${where}: too large for a board description (over 1 MB)`);
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new EdgecError(`${where}: not valid JSON (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`);
  }
  const problems = validateSchema(boardSchema(), value);
  if (problems.length > 0) {
    const first = problems[0]!;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
    throw new EdgecError(`${where}: ${first.path === '' ? 'the board' : `field '${first.path}'`} ${first.message}${more}`, 2, `see ${join(boardsDir(), BOARD_SCHEMA_FILE)}`);
  }
  return value as Board;
}

export function boardById(id: string): Board {
  if (isBoardPath(id)) return loadBoardFile(id);
  const board = listBoards().find((b) => b.id === id);
  if (!board) throw new EdgecError(`unknown board '${id}'`, 2, `known boards: ${listBoards().map((b) => b.id).join(', ')}`);
  return board;
}

let largest: number | undefined;

/** The most memory (RAM or flash) any built-in board has: no tensor can be bigger and still build. */
export function largestBoardBytes(): number {
  largest ??= Math.max(...listBoards().map((b) => Math.max(b.ramBytes, b.flashBytes)));
  return largest;
}
