/** Deterministic sample inputs for verification. */
import type { Program, Value } from '../ir/program.js';
import type { NamedTensor, TensorData } from './reference.js';

/** mulberry32: small, fast, seedable. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The real range a float input is quantized over (from the program's quantize op), else [-1, 1]. */
function floatRange(program: Program, input: Value): [number, number] {
  const q = program.ops.find((op) => (op.kind === 'quantize' || op.kind === 'quantize_s16') && op.inputs[0] === input.id);
  if (!q) return [-1, 1];
  const s = Number(q.params.scale);
  const zp = Number(q.params.zero_point);
  const [lo, hi] = q.kind === 'quantize_s16' ? [-32768, 32767] : [-128, 127];
  return [s * (lo - zp), s * (hi - zp)];
}

export function randomInput(program: Program, input: Value, rand: () => number): TensorData {
  const n = input.shape.reduce((a, b) => a * b, 1);
  switch (input.type) {
    case 'float32': {
      const [lo, hi] = floatRange(program, input);
      return Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
    }
    case 'int8': return Int8Array.from({ length: n }, () => Math.floor(rand() * 256) - 128);
    case 'uint8': return Uint8Array.from({ length: n }, () => Math.floor(rand() * 256));
    case 'int16': return Int16Array.from({ length: n }, () => Math.floor(rand() * 65536) - 32768);
    case 'int32': return Int32Array.from({ length: n }, () => Math.floor(rand() * 256) - 128);
  }
}

export function randomSamples(program: Program, count: number, seed: number): NamedTensor[][] {
  const rand = prng(seed);
  const samples: NamedTensor[][] = [];
  for (let s = 0; s < count; s++) {
    samples.push(program.inputs.map((id) => {
      const v = program.values.get(id) as Value;
      return { name: v.onnxName, type: v.type, dims: v.logicalShape, data: randomInput(program, v, rand) };
    }));
  }
  return samples;
}
