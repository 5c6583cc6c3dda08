/**
 * TensorFlow Lite Micro's own interpreter as the reference for .tflite
 * models (`edgec verify`, `--selftest`): the shipped tflm_run.py runs in the
 * user's Python ($EDGEC_TFLM_PYTHON, else python3) with PyPI tflite-micro.
 * Samples go in as .npy files, outputs come back as one .npz.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Program, Value } from '../ir/program.js';
import { typeBytes, valueBytes } from '../ir/program.js';
import { EdgecError } from '../errors.js';
import { encodeNpy, type NpyArray } from '../data/npy.js';
import { readNpz } from '../data/npz.js';
import type { NamedTensor, TensorData } from './reference.js';

/** tflm_run.py next to this module in the sources, or in compiler/verify/ of the package when running from dist/. */
function runnerScript(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [join(here, 'tflm_run.py'), resolve(here, '../../../compiler/verify/tflm_run.py')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('internal: compiler/verify/tflm_run.py is missing from the installation');
  return found;
}

const IMPORT_CHECK = 'from tflite_micro.python.tflite_micro import runtime';

/** The Python to run TFLM with, checked once: a clear one-line error when tflite-micro is missing. */
export function tflmPythonOrFail(model: string): string {
  const python = process.env.EDGEC_TFLM_PYTHON || 'python3';
  const r = spawnSync(python, ['-c', IMPORT_CHECK], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    const why = r.error ? `cannot run ${python}` : `${python} cannot import tflite_micro`;
    throw new EdgecError(`${model}: the reference for a .tflite is TensorFlow Lite Micro's interpreter, but ${why}`, 2,
      'pip install tflite-micro, or set EDGEC_TFLM_PYTHON to a Python that has it');
  }
  return python;
}

function npyOf(v: Value, bytes: Uint8Array, shape: number[]): NpyArray {
  const copy = bytes.slice();
  switch (v.type) {
    case 'int8': return { dtype: 'int8', shape, data: new Int8Array(copy.buffer) };
    case 'uint8': return { dtype: 'uint8', shape, data: copy };
    case 'int16': return { dtype: 'int16', shape, data: new Int16Array(copy.buffer) };
    case 'int32': return { dtype: 'int32', shape, data: new Int32Array(copy.buffer) };
    case 'float32': return { dtype: 'float32', shape, data: new Float32Array(copy.buffer) };
  }
}

function bytesOf(d: TensorData): Uint8Array {
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * TFLM's outputs for every sample: result[s][k] is output k (the program's
 * output order, which is the subgraph's) of sample s.
 */
export function runTflmSamples(model: string, program: Program, samples: NamedTensor[][]): TensorData[][] {
  const python = tflmPythonOrFail(model);
  const dir = mkdtempSync(join(tmpdir(), 'edgec-tflm-'));
  try {
    const inputFiles = program.inputs.map((id, i) => {
      const v = program.values.get(id) as Value;
      const per = valueBytes(v);
      const all = new Uint8Array(per * samples.length);
      samples.forEach((s, k) => all.set(bytesOf(s[i].data), k * per));
      const file = join(dir, `in${i}.npy`);
      writeFileSync(file, encodeNpy(npyOf(v, all, [samples.length, ...v.logicalShape])));
      return file;
    });
    const outFile = join(dir, 'out.npz');
    const r = spawnSync(python, [runnerScript(), resolve(model), outFile, ...inputFiles], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (r.status !== 0) {
      const last = r.stderr.trim().split('\n').pop() ?? '';
      throw new EdgecError(`${model}: TensorFlow Lite Micro's interpreter failed on this model: ${last}`, 2);
    }
    const arrays = readNpz(outFile);
    const outValues = program.outputs.map((id) => program.values.get(id) as Value);
    return samples.map((_, s) => outValues.map((v, k) => {
      const a = arrays.get(`out${k}`);
      if (!a) throw new EdgecError(`${model}: TensorFlow Lite Micro gave no output ${k} ('${v.onnxName}')`, 2);
      const per = a.data.length / samples.length;
      if (per * bytesPerValue(v) !== valueBytes(v)) throw new EdgecError(`${model}: output '${v.onnxName}' has ${per} elements in TFLM, ${valueBytes(v) / bytesPerValue(v)} in the build`, 2);
      return (a.data as TensorData).slice(s * per, (s + 1) * per) as TensorData;
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function bytesPerValue(v: Value): number {
  return typeBytes(v.type);
}
