/**
 * `edgec build --selftest N`: golden vectors in the generated C. N inputs
 * (seeded random, as verify uses) and onnxruntime's outputs for them become
 * const arrays in <name>_selftest.c with `int <name>_selftest(void)`, which
 * runs them on the device and counts outputs beyond verify's default
 * tolerance; selftest_main.c is a tiny PASS/FAIL program around it (only
 * with -DEDGEC_SELFTEST_MAIN, so the folder stays a library).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import * as ort from 'onnxruntime-node';
import type { Program, Value } from '../ir/program.js';
import type { GeneratedFile } from '../emit/c-emitter.js';
import { templatesDir } from '../emit/paths.js';
import { EdgecError } from '../errors.js';
import { classCount, outputLsb } from './golden.js';
import { openReference, runReference, type NamedTensor, type TensorData } from './reference.js';
import { isTfliteFile } from '../model-file.js';
import { runTflmSamples } from './tflm.js';
import { randomSamples } from './samples.js';
import { outputTolerance, tieTolerance, DEFAULT_SEED } from './verify.js';
import { cCommentText } from '../emit/c-names.js';

const C_TYPE: Record<Value['type'], string> = { float32: 'float', int8: 'int8_t', uint8: 'uint8_t', int16: 'int16_t', int32: 'int32_t' };
const DIFF_KIND: Partial<Record<Value['type'], string>> = { float32: 'f32', int8: 's8', uint8: 'u8', int16: 's16' };

/** A C float literal that reads back as exactly this float32. */
export function floatLiteral(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f)) throw new EdgecError(`selftest: onnxruntime produced ${f}; golden vectors need finite values`, 2);
  if (Object.is(f, -0)) return '-0.0f';
  const s = f.toPrecision(9);
  return `${s.includes('e') || s.includes('.') ? s : `${s}.0`}f`;
}

function rows(data: TensorData, isFloat: boolean): string {
  const perLine = isFloat ? 6 : 20;
  const out: string[] = [];
  for (let i = 0; i < data.length; i += perLine) {
    out.push(`    ${Array.from(data.subarray(i, i + perLine), (v) => (isFloat ? floatLiteral(Number(v)) : String(v))).join(', ')},`);
  }
  return out.join('\n');
}

function render(file: string, view: object): string {
  return Handlebars.compile(readFileSync(join(templatesDir(), 'selftest', file), 'utf8'), { noEscape: true, strict: true })(view);
}

export interface SelftestOptions { count: number; seed?: number; maxLsb?: number; version: string; source: string }

async function ortOutputs(model: string | Uint8Array, outValues: Value[], samples: NamedTensor[][]): Promise<TensorData[][]> {
  const session = await openReference(model);
  const expected: TensorData[][] = [];
  for (const s of samples) {
    const ref = await runReference(session, s, outValues.map((v) => v.onnxName));
    expected.push(outValues.map((v) => ref.get(v.onnxName) as TensorData));
  }
  await session.release();
  return expected;
}

export async function selftestFiles(model: string | Uint8Array, program: Program, opts: SelftestOptions): Promise<GeneratedFile[]> {
  if (!Number.isInteger(opts.count) || opts.count <= 0 || opts.count > 10000) throw new EdgecError(`--selftest ${opts.count}: need a number of vectors from 1 to 10000`, 2);
  const seed = opts.seed ?? DEFAULT_SEED;
  const samples = randomSamples(program, opts.count, seed);
  const outValues = program.outputs.map((id) => program.values.get(id) as Value);
  for (const v of outValues) {
    if (!DIFF_KIND[v.type]) throw new EdgecError(`--selftest: output '${v.onnxName}' is ${v.type}; golden checks support float32, int8, uint8 and int16 outputs`, 2);
  }
  const tflite = typeof model === 'string' && isTfliteFile(model);
  const expected: TensorData[][] = tflite ? runTflmSamples(model, program, samples) : await ortOutputs(model, outValues, samples);
  const name = program.name;
  const numbers = (x: number): string => `${Number.isInteger(x) ? `${x}.001` : String(x + 0.001)}f`; // a hair over: float rounding of an exact bound
  const view = {
    name, NAME: name.toUpperCase(), version: opts.version, source: cCommentText(opts.source), samples: opts.count,
    use_f32: outValues.some((v) => v.type === 'float32'), use_s8: outValues.some((v) => v.type === 'int8'), use_u8: outValues.some((v) => v.type === 'uint8'),
    use_s16: outValues.some((v) => v.type === 'int16'),
    inputSource: `random, seed ${seed}`, ortVersion: ort.env.versions.common ?? '',
    reference: tflite ? 'TensorFlow Lite Micro (tflite-micro, byte-exact)' : `onnxruntime ${ort.env.versions.common ?? ''}`,
    inputs: program.inputs.map((id, i) => {
      const v = program.values.get(id) as Value;
      const n = v.logicalShape.reduce((a, b) => a * b, 1);
      return { nameComment: cCommentText(v.onnxName), cType: C_TYPE[v.type], elements: n, bytes: samples[0][i].data.byteLength, data: samples.map((s) => rows(s[i].data, v.type === 'float32')) };
    }),
    outputs: outValues.map((v, i) => {
      // TFLite Micro is the bit reference: its outputs must be reproduced exactly
      const tol = tflite ? (opts.maxLsb ?? 0) : outputTolerance(program, v.id, opts.maxLsb);
      const tie = tflite ? 0 : tieTolerance(program, v.id);
      const lsb = outputLsb(program, v);
      return {
        nameComment: cCommentText(v.onnxName), cType: C_TYPE[v.type], kind: DIFF_KIND[v.type], isFloat: v.type === 'float32', elements: v.logicalShape.reduce((a, b) => a * b, 1),
        toleranceLsb: tol, tolLiteral: numbers(tol), tieLsb: tie, tieLiteral: numbers(tie), lsbLiteral: floatLiteral(lsb), classes: classCount(v),
        data: expected.map((e) => rows(e[i], v.type === 'float32')),
      };
    }),
  };
  return [
    { path: `${name}_selftest.h`, contents: render('selftest.h.hbs', view) },
    { path: `${name}_selftest.c`, contents: render('selftest.c.hbs', view) },
    { path: 'selftest_main.c', contents: render('selftest_main.c.hbs', view) },
  ];
}
