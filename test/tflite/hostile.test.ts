/**
 * Hostile .tflite input, made in-test by mutating a valid file: truncations,
 * offsets out of range, buffers that disagree with their tensor's shape,
 * tensor / opcode indices out of range, cyclic operator graphs, unsupported
 * and custom ops, random byte corruption. Each must end in one EdgecError
 * line (exit 2) naming the file, never another exception or a hang.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EdgecError } from '../../compiler/errors.js';
import { compileModel } from '../../compiler/pipeline.js';
import { FlatReader, type TableRef } from '../../compiler/tflite/flat.js';
import { prng } from '../../compiler/verify/samples.js';
import { edgec } from '../helpers/cli.js';

const SOURCE = 'test/fixtures/tflite/conv_relu.tflite';
const ORIGINAL = new Uint8Array(readFileSync(SOURCE));
const FILE = 'hostile.tflite';

/** Compiles `bytes` through the whole pipeline; returns the error line, or undefined when it compiled. */
function outcome(bytes: Uint8Array): string | undefined {
  try {
    compileModel(FILE, { name: 'm', modelBytes: bytes });
    return undefined;
  } catch (e) {
    if (!(e instanceof EdgecError)) throw new Error(`not an EdgecError: ${e instanceof Error ? e.stack : String(e)}`);
    expect(e.exitCode).toBe(2);
    expect(e.message.includes('\n')).toBe(false);
    expect(e.message.startsWith(`${FILE}: `)).toBe(true);
    return e.message;
  }
}

function rejected(bytes: Uint8Array): string {
  const message = outcome(bytes);
  if (message === undefined) throw new Error('the mutated model compiled');
  return message;
}

/** Positions of the schema fields the targeted mutations rewrite. */
interface Layout { subgraph: TableRef; operators: TableRef[]; tensors: TableRef[]; opcodes: TableRef[]; r: FlatReader }

function layout(bytes: Uint8Array): Layout {
  const r = new FlatReader(bytes);
  const model = r.root('model');
  const subgraph = r.fieldTables(model, 2, 'subgraphs')[0];
  return { r, subgraph, operators: r.fieldTables(subgraph, 3, 'operators'), tensors: r.fieldTables(subgraph, 0, 'tensors'), opcodes: r.fieldTables(model, 1, 'operator_codes') };
}

function writeI32(bytes: Uint8Array, pos: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset).setInt32(pos, value, true);
}

function mutate(edit: (bytes: Uint8Array, l: Layout) => void): Uint8Array {
  const copy = ORIGINAL.slice();
  edit(copy, layout(copy));
  return copy;
}

describe('hostile .tflite input', () => {
  it('the unmutated file compiles', () => {
    expect(outcome(ORIGINAL)).toBeUndefined();
  });

  it('every truncation is one clear line', () => {
    const lengths = [0, 3, 4, 7, 8, 12, 16, 24, 32, 64, ...Array.from({ length: 60 }, (_, i) => Math.floor(((i + 1) * ORIGINAL.length) / 61)), ORIGINAL.length - 1];
    for (const n of lengths) {
      const message = rejected(ORIGINAL.slice(0, n));
      expect(message).toMatch(/corrupt or truncated TFLite|file is empty|not an ONNX|ONNX protobuf|TFLite/);
    }
  });

  it('a root offset past the end of the file', () => {
    const bytes = mutate((b) => writeI32(b, 0, 0x7fff0000));
    expect(rejected(bytes)).toBe(`${FILE}: corrupt or truncated TFLite flatbuffer: model at byte 2147418112 (4 bytes) lies outside the ${ORIGINAL.length}-byte file`);
  });

  it('a vtable offset pointing outside the file', () => {
    const bytes = mutate((b, l) => writeI32(b, l.operators[1].pos, -0x100000));
    expect(rejected(bytes)).toMatch(/: corrupt or truncated TFLite flatbuffer: subgraph 0\.operators\[1\] vtable at byte \d+ \(2 bytes\) lies outside the \d+-byte file$/);
  });

  it('a vector length larger than the file', () => {
    const bytes = mutate((b, l) => {
      const p = l.r.field(l.subgraph, 0);
      const vec = p + l.r.u32(p, 'tensors');
      writeI32(b, vec, 0x10000000);
    });
    expect(rejected(bytes)).toMatch(/subgraph 0\.tensors \(268435456 elements\).*outside/);
  });

  it('a weight buffer whose size disagrees with the tensor shape', () => {
    const bytes = mutate((b, l) => {
      // operator 0's filter [8, 3, 3, 3]: double its input channels
      const filterIndex = l.r.fieldI32s(l.operators[0], 1, 'inputs')[1];
      const shape = l.r.fieldVector(l.tensors[filterIndex], 0, 4, 'shape');
      writeI32(b, shape.start + 12, 6);
    });
    expect(rejected(bytes)).toMatch(/operator 0 \(CONV_2D\): tensor '.*' \[8, 3, 3, 6\] int8 needs 432 bytes but its buffer \d+ holds 216/);
  });

  it('an activation shape that disagrees with the op', () => {
    const bytes = mutate((b, l) => {
      const out = l.r.fieldI32s(l.operators[0], 2, 'outputs')[0];
      const shape = l.r.fieldVector(l.tensors[out], 0, 4, 'shape');
      writeI32(b, shape.start + 4, 5);
    });
    expect(rejected(bytes)).toBe(`${FILE}: operator 0 (CONV_2D): tensor 'functional_1/conv2d_1/Relu;functional_1/conv2d_1/convolution' is declared [1, 5, 9, 8] but the op gives [1, 9, 9, 8]`);
  });

  it('a tensor index out of range', () => {
    const bytes = mutate((b, l) => writeI32(b, l.r.fieldVector(l.operators[1], 1, 4, 'inputs').start, 9999));
    expect(rejected(bytes)).toMatch(/operator 1 \(CONV_2D\): input 0 refers to tensor 9999, but the subgraph has \d+ tensors/);
  });

  it('a negative tensor index other than -1', () => {
    const bytes = mutate((b, l) => writeI32(b, l.r.fieldVector(l.operators[2], 2, 4, 'outputs').start, -7));
    expect(rejected(bytes)).toMatch(/operator 2 \(CONV_2D\): output refers to tensor -7/);
  });

  it('an opcode index out of range', () => {
    // opcode_index 0 is the schema default (absent from the file): empty the operator_codes vector instead
    const bytes = mutate((b, l) => {
      const model = l.r.root('model');
      const p = l.r.field(model, 1);
      writeI32(b, p + l.r.u32(p, 'operator_codes'), 0);
    });
    expect(rejected(bytes)).toBe(`${FILE}: operator 0 (opcode 0): opcode index 0 is out of range (the model has 0 operator codes)`);
  });

  it('a cyclic operator graph', () => {
    // activations.tflite: operators 2 (TANH) and 3 (HARD_SWISH) both read the [1, 16, 8] reshape; make each read the other's output
    const original = new Uint8Array(readFileSync('test/fixtures/tflite/activations.tflite'));
    const l = layout(original);
    const out2 = l.r.fieldI32s(l.operators[2], 2, 'outputs')[0];
    const out3 = l.r.fieldI32s(l.operators[3], 2, 'outputs')[0];
    writeI32(original, l.r.fieldVector(l.operators[2], 1, 4, 'inputs').start, out3);
    writeI32(original, l.r.fieldVector(l.operators[3], 1, 4, 'inputs').start, out2);
    expect(rejected(original)).toBe(`${FILE}: operator 2 (TANH): graph has a cycle through this operator`);
  });

  it('an unsupported builtin names the operator and the op', () => {
    const bytes = mutate((b, l) => { b[l.r.field(l.opcodes[0], 0)] = 16; writeI32(b, l.r.field(l.opcodes[0], 3) || 0, 16); });
    expect(rejected(bytes)).toBe(`${FILE}: operator 0 (LSTM): unsupported op LSTM`);
  });

  it('a custom op names the operator', () => {
    const bytes = mutate((b, l) => { b[l.r.field(l.opcodes[0], 0)] = 32; writeI32(b, l.r.field(l.opcodes[0], 3) || 0, 32); });
    expect(rejected(bytes)).toMatch(/^hostile\.tflite: operator 0 \(CUSTOM ''\): custom operators are not supported/);
  });

  it('random corruption never escapes as anything but one EdgecError line', () => {
    const rand = prng(99);
    let compiled = 0;
    for (let k = 0; k < 250; k++) {
      const bytes = ORIGINAL.slice();
      const flips = 1 + Math.floor(rand() * 4);
      // corrupt the structure (the first part of the file), not only weight bytes
      for (let f = 0; f < flips; f++) bytes[Math.floor(rand() * Math.min(bytes.length, 1600))] = Math.floor(rand() * 256);
      if (outcome(bytes) === undefined) compiled++;
    }
    console.log(`random corruption: ${250 - compiled}/250 rejected, ${compiled} still valid models`);
  }, 60_000);

  describe('through the CLI', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-hostile-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    it('exit 2 with one line on stderr, no stack trace', () => {
      const path = join(dir, 'cut.tflite');
      writeFileSync(path, ORIGINAL.slice(0, 900));
      const r = edgec(['build', path, '-o', join(dir, 'out')]);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('hint:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${path}: corrupt or truncated TFLite flatbuffer`);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    });
  });
});
