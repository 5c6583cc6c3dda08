/**
 * Seeded generator of hostile ONNX models and build options, in families:
 *  - bytes:     byte-level mutations of the bundled examples (bit flips,
 *               overwritten / inserted / deleted runs, truncation);
 *  - structure: dropped, duplicated or reordered nodes, swapped or dangling
 *               inputs, removed graph outputs, corrupted attributes;
 *  - dtype:     initializers, inputs and outputs given other element types;
 *  - dims:      huge, zero, negative or mismatched dims;
 *  - names:     hostile tensor / node / graph names (comment closers,
 *               newlines, trigraphs, quotes, NULs, ANSI escapes, C keywords,
 *               very long names), applied consistently so the model may build;
 *  - quant:     extreme or malformed scales and zero points;
 *  - options:   build-option misuse (names, boards, shapes, backends, modes),
 *               what the CLI passes to the pipeline;
 *  - tflite:    byte-level mutations of the bundled .tflite model (the
 *               FlatBuffers front end). 
 * The same seed always gives the same case.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';
import type { CompileOptions } from '../../compiler/pipeline.js';

const { onnx } = onnxProto;

export const FAMILIES = ['bytes', 'structure', 'dtype', 'dims', 'names', 'quant', 'options', 'tflite'] as const;
export type Family = (typeof FAMILIES)[number];

export interface FuzzCase {
  id: string;
  family: Family;
  /** What was done, for reports. */
  description: string;
  /** The name the pipeline sees (its extension does not decide the format; the bytes do). */
  fileName: string;
  bytes: Uint8Array;
  options: CompileOptions;
}

/** mulberry32 */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    float: next,
    int: (n) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
  };
}

export interface Rng {
  float(): number;
  int(n: number): number;
  pick<T>(xs: readonly T[]): T;
}

export const SMALL_EXAMPLES = [
  'examples/digits/digits_int8.onnx',
  'examples/digits/digits_int8_pertensor.onnx',
  'examples/tf2onnx_int8/tf2onnx_int8.onnx',
  'examples/kws_dscnn/kws_dscnn_int8.onnx',
  'examples/ic_resnet8/ic_resnet8_int8.onnx',
  'examples/ic_resnet8/ic_resnet8_uint8.onnx',
  // recurrent layers: a quantized bidirectional LSTM (TFLM's integer kernel, passes/integer-lstm.ts) and one
  // onnxruntime left float (the float recurrent kernel)
  'test/fixtures/recurrent/lstm_h8_seq_bidir_twin.onnx',
  'test/fixtures/recurrent/qdq_keras_lstm.onnx',
];
export const TFLITE_EXAMPLE = 'examples/tf2onnx_int8/tf2onnx_int8.tflite';
export const ALL_EXAMPLES = [...SMALL_EXAMPLES, 'examples/ad_autoencoder/ad_autoencoder_int8.onnx', 'examples/vww_mobilenet/vww_mobilenet_int8.onnx'];

export const HOSTILE_NAMES = [
  'x*/ int INJECTED = 42; /*', '/* open', '// line', 'a\nb', 'cr\rlf', '??/', '??=define', '"quoted"', "it's", 'back\\slash', 'nul\u0000byte',
  '%s%n%x', '\u001b[31mred\u001b[0m', 'int', 'static', 'main', 'model', 'edgec_invoke', 'model_arena', '', ' ', '0starts_with_digit',
  '名前', '\u202eevil', 'a'.repeat(5000), 'tab\there', '#include <stdio.h>', '\\', '"', '*/', '${x}', '__proto__', 'constructor',
];

const EXTREME_NUMBERS = [0, -0, -1, 1e-45, 1e-38, 1e-30, 1e38, 3.4e38, Infinity, -Infinity, NaN, 2 ** 31, -(2 ** 31), 1e-7, 65536];
const ELEM_TYPES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 21, 22, 99];

type Model = OnnxTypes.ModelProto;
type Graph = OnnxTypes.IGraphProto;

const cache = new Map<string, Uint8Array>();
function exampleBytes(path: string): Uint8Array {
  let b = cache.get(path);
  if (!b) cache.set(path, (b = new Uint8Array(readFileSync(path))));
  return b;
}

const decode = (bytes: Uint8Array): Model => onnx.ModelProto.decode(bytes);
const encode = (m: Model): Uint8Array => onnx.ModelProto.encode(m).finish();

/** Byte mutations: the protobuf decoder and everything after it see arbitrary damage. */
function mutateBytes(rng: Rng, src: Uint8Array): { bytes: Uint8Array; what: string } {
  const b = Uint8Array.from(src);
  const kind = rng.int(6);
  const at = rng.int(b.length);
  switch (kind) {
    case 0: { const n = 1 + rng.int(8); for (let i = 0; i < n; i++) { const p = rng.int(b.length); b[p] = b[p]! ^ (1 << rng.int(8)); } return { bytes: b, what: `${n} bit flips` }; }
    case 1: { const n = 1 + rng.int(16); for (let i = 0; i < n && at + i < b.length; i++) b[at + i] = rng.int(256); return { bytes: b, what: `${n} random bytes at ${at}` }; }
    case 2: return { bytes: b.slice(0, at), what: `truncated to ${at}` };
    case 3: { const ins = Uint8Array.from({ length: 1 + rng.int(32) }, () => rng.int(256)); return { bytes: concat(b.slice(0, at), ins, b.slice(at)), what: `${ins.length} bytes inserted at ${at}` }; }
    case 4: { const n = 1 + rng.int(64); return { bytes: concat(b.slice(0, at), b.slice(at + n)), what: `${n} bytes deleted at ${at}` }; }
    default: { const v = [0x00, 0xff, 0x7f, 0x80][rng.int(4)]!; const n = 1 + rng.int(8); for (let i = 0; i < n && at + i < b.length; i++) b[at + i] = v; return { bytes: b, what: `${n} bytes set to ${v} at ${at}` }; }
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function allTensorNames(g: Graph): string[] {
  const names = new Set<string>();
  for (const n of g.node ?? []) for (const x of [...(n.input ?? []), ...(n.output ?? [])]) if (x) names.add(x);
  for (const t of g.initializer ?? []) names.add(t.name ?? '');
  return [...names];
}

function renameTensor(g: Graph, from: string, to: string): void {
  const swap = (x: string): string => (x === from ? to : x);
  for (const n of g.node ?? []) { n.input = (n.input ?? []).map(swap); n.output = (n.output ?? []).map(swap); }
  for (const v of [...(g.input ?? []), ...(g.output ?? []), ...(g.valueInfo ?? [])]) v.name = swap(v.name ?? '');
  for (const t of g.initializer ?? []) t.name = swap(t.name ?? '');
}

function mutateStructure(rng: Rng, m: Model): string {
  const g = m.graph!;
  const nodes = g.node!;
  const i = rng.int(nodes.length);
  const node = nodes[i]!;
  switch (rng.int(9)) {
    case 0: nodes.splice(i, 1); return `dropped node ${i} (${node.opType})`;
    case 1: nodes.splice(i, 0, onnx.NodeProto.decode(onnx.NodeProto.encode(node).finish())); return `duplicated node ${i}`;
    case 2: { const ins = node.input ?? []; if (ins.length > 1) { const a = rng.int(ins.length); const b = rng.int(ins.length); [ins[a], ins[b]] = [ins[b]!, ins[a]!]; } return `swapped inputs of node ${i}`; }
    case 3: { const ins = node.input ?? []; if (ins.length) ins[rng.int(ins.length)] = rng.pick(['ghost', '', ...allTensorNames(g)]); return `rewired an input of node ${i}`; }
    case 4: { g.output = rng.int(2) ? [] : (g.output ?? []).slice(1); return 'removed graph outputs'; }
    case 5: { nodes.reverse(); const j = rng.int(nodes.length); [nodes[0], nodes[j]] = [nodes[j]!, nodes[0]!]; return 'reordered nodes'; }
    case 6: {
      const attrs = node.attribute ?? [];
      if (attrs.length === 0) { node.attribute = [{ name: rng.pick(['axis', 'pads', 'strides', 'group', 'kernel_shape', 'perm']), type: 7, ints: [rng.pick([-1, 0, 1e9, -1e9, 3])] }]; return `added attribute to node ${i}`; }
      const a = attrs[rng.int(attrs.length)]!;
      const v = rng.pick([-1, 0, 1e9, -1e9, 7, 2 ** 40]);
      if (a.ints && a.ints.length) a.ints = a.ints.map(() => v); else { a.i = v; a.f = rng.pick(EXTREME_NUMBERS); }
      if (rng.int(4) === 0) a.type = rng.int(15);
      return `corrupted attribute ${a.name} of node ${i}`;
    }
    case 7: { node.opType = rng.pick(['', 'Loop', 'If', 'Conv', 'Relu', 'QuantizeLinear', 'DequantizeLinear', 'Softmax', 'Add', 'Reshape', 'X'.repeat(100)]); return `op type of node ${i} -> ${node.opType}`; }
    default: { node.output = rng.int(2) ? [] : [...(node.output ?? []), rng.pick(allTensorNames(g))]; return `outputs of node ${i} changed`; }
  }
}

function mutateDtype(rng: Rng, m: Model): string {
  const g = m.graph!;
  const code = rng.pick(ELEM_TYPES);
  const inits = g.initializer ?? [];
  if (rng.int(3) > 0 && inits.length) {
    const t = inits[rng.int(inits.length)]!;
    t.dataType = code;
    return `initializer '${t.name}' dataType -> ${code}`;
  }
  const vis = [...(g.input ?? []), ...(g.output ?? [])];
  const v = vis[rng.int(vis.length)]!;
  if (v.type?.tensorType) v.type.tensorType.elemType = code;
  return `value '${v.name}' elemType -> ${code}`;
}

function mutateDims(rng: Rng, m: Model): string {
  const g = m.graph!;
  const huge = (): number => rng.pick([0, -1, -100, 2 ** 31, 2 ** 40, 1e6, 65536, 3]);
  if (rng.int(2) && (g.initializer ?? []).length) {
    const t = g.initializer![rng.int(g.initializer!.length)]!;
    t.dims = (t.dims ?? []).length ? t.dims!.map((d) => (rng.int(2) ? huge() : d)) : [huge()];
    return `initializer '${t.name}' dims -> [${(t.dims ?? []).join(',')}]`;
  }
  const v = (g.input ?? [])[0];
  const dims = v?.type?.tensorType?.shape?.dim ?? [];
  if (!v || dims.length === 0) return 'no input dims';
  const d = dims[rng.int(dims.length)]!;
  if (rng.int(4) === 0) { d.dimParam = rng.pick(['N', 'batch', '']); delete (d as { dimValue?: unknown }).dimValue; } else d.dimValue = huge();
  if (rng.int(5) === 0) dims.push({ dimValue: huge() });
  return `input '${v.name}' dims changed`;
}

function mutateNames(rng: Rng, m: Model): string {
  const g = m.graph!;
  const hostile = rng.pick(HOSTILE_NAMES);
  switch (rng.int(4)) {
    case 0: { const n = (g.node ?? [])[rng.int(g.node!.length)]!; n.name = hostile; return `node name -> ${JSON.stringify(hostile.slice(0, 40))}`; }
    case 1: { g.name = hostile; return 'graph name hostile'; }
    case 2: { const io = rng.int(2) ? g.input ?? [] : g.output ?? []; const v = io[0]; if (v?.name) renameTensor(g, v.name, hostile); return `graph ${io === g.input ? 'input' : 'output'} renamed ${JSON.stringify(hostile.slice(0, 40))}`; }
    default: { const names = allTensorNames(g); const from = rng.pick(names); renameTensor(g, from, hostile); return `tensor '${from}' renamed ${JSON.stringify(hostile.slice(0, 40))}`; }
  }
}

function mutateQuant(rng: Rng, m: Model): string {
  const g = m.graph!;
  const qdq = (g.node ?? []).filter((n) => n.opType === 'QuantizeLinear' || n.opType === 'DequantizeLinear');
  const inits = new Map((g.initializer ?? []).map((t) => [t.name ?? '', t]));
  const node = qdq.length ? qdq[rng.int(qdq.length)]! : undefined;
  const slot = rng.int(3) === 0 ? 2 : 1;
  const t = node ? inits.get((node.input ?? [])[slot] ?? '') : undefined;
  if (!t) return 'no quantization parameter';
  const value = slot === 1 ? rng.pick(EXTREME_NUMBERS) : rng.pick([-129, 128, 255, -1, 1e6, 0]);
  const n = Math.max(1, (t.dims ?? []).reduce((a, b) => a * Number(b), 1));
  const rewriteType = rng.int(5) === 0 ? rng.pick([1, 2, 3, 5, 6, 7, 9, 11]) : t.dataType!;
  const view = new DataView(new ArrayBuffer(n * 8));
  for (let k = 0; k < n; k++) {
    const v = rng.int(3) === 0 ? value : k === 0 ? value : Number.NaN;
    switch (rewriteType) {
      case 1: view.setFloat32(k * 4, v, true); break;
      case 11: view.setFloat64(k * 8, v, true); break;
      case 2: case 9: view.setUint8(k, v); break;
      case 3: view.setInt8(k, v); break;
      case 5: view.setInt16(k * 2, v, true); break;
      case 6: view.setInt32(k * 4, v, true); break;
      default: view.setBigInt64(k * 8, BigInt(Number.isFinite(v) ? Math.trunc(v) : 0), true); break;
    }
  }
  const size: Record<number, number> = { 1: 4, 11: 8, 2: 1, 9: 1, 3: 1, 5: 2, 6: 4, 7: 8 };
  t.dataType = rewriteType;
  t.rawData = new Uint8Array(view.buffer, 0, n * (size[rewriteType] ?? 8));
  t.floatData = []; t.int32Data = []; t.int64Data = []; t.doubleData = [];
  return `${slot === 1 ? 'scale' : 'zero point'} '${t.name}' -> ${value} (type ${rewriteType})`;
}

function mutateOptions(rng: Rng, m: Model): { options: CompileOptions; what: string } {
  const input = m.graph?.input?.[0]?.name ?? 'x';
  const options: CompileOptions = {};
  const what: string[] = [];
  const set = <K extends keyof CompileOptions>(k: K, v: CompileOptions[K]): void => { options[k] = v; what.push(`${k}=${JSON.stringify(v)?.slice(0, 40)}`); };
  for (let k = 0; k < 1 + rng.int(3); k++) {
    switch (rng.int(8)) {
      case 0: set('name', rng.pick(['model', 'edgec', 'edgec_kernels', 'int', '0bad', 'a-b', '', 'x'.repeat(300), 'm', '__proto__', 'edgec_conv_s8', 'main'])); break;
      case 1: set('board', rng.pick(['host', 'esp32', 'nano33ble', 'pico', 'nope', '', '../../etc/passwd', 'boards/host.json', '/dev/null', 'x.json', '__proto__'])); break;
      case 2: set('shapes', rng.pick([{ [input]: [1, 1, 8, 8] }, { [input]: [0] }, { [input]: [-1, 2] }, { [input]: [2 ** 40] }, { nope: [1] }, { ['__proto__']: [1] }, { [input]: [NaN] }])); break;
      case 3: set('backend', rng.pick(['portable', 'cmsis-nn', 'esp-nn', 'tflm', ''])); break;
      case 4: set('int8Io', rng.int(2) === 0); break;
      case 5: set('inputLayout', rng.pick(['declared', 'nhwc', 'nchw' as 'nhwc'])); break;
      case 6: set('weights', rng.pick(['const', 'blob', 'weird' as 'blob'])); break;
      default: set('backendTarget', rng.pick(['c', 'dsp', 'mve', 'esp32s3', 'ansi', 'x'])); break;
    }
  }
  return { options, what: what.join(' ') };
}

/** Case `index` of `seed`: the family cycles, the source example and the edit are drawn from the seeded generator. */
export function generateCase(seed: number, index: number, examples: readonly string[] = SMALL_EXAMPLES): FuzzCase {
  const rng = makeRng((seed * 0x9e3779b1 + index * 0x85ebca6b) >>> 0);
  const family = FAMILIES[index % FAMILIES.length]!;
  const source = rng.pick(examples);
  const id = `${seed}:${index}`;
  const base = exampleBytes(source);
  if (family === 'tflite') {
    const { bytes, what } = mutateBytes(rng, exampleBytes(TFLITE_EXAMPLE));
    return { id, family, description: `${TFLITE_EXAMPLE}: ${what}`, fileName: 'fuzz.tflite', bytes, options: {} };
  }
  if (family === 'bytes') {
    const { bytes, what } = mutateBytes(rng, base);
    return { id, family, description: `${source}: ${what}`, fileName: 'fuzz.onnx', bytes, options: {} };
  }
  const model = decode(base);
  if (family === 'options') {
    const { options, what } = mutateOptions(rng, model);
    return { id, family, description: `${source}: ${what}`, fileName: 'fuzz.onnx', bytes: base, options };
  }
  const edits = 1 + (rng.int(4) === 0 ? 1 : 0);
  const what: string[] = [];
  for (let k = 0; k < edits; k++) {
    switch (family) {
      case 'structure': what.push(mutateStructure(rng, model)); break;
      case 'dtype': what.push(mutateDtype(rng, model)); break;
      case 'dims': what.push(mutateDims(rng, model)); break;
      case 'names': what.push(mutateNames(rng, model)); break;
      case 'quant': what.push(mutateQuant(rng, model)); break;
      default: break;
    }
  }
  return { id, family, description: `${source}: ${what.join('; ')}`, fileName: 'fuzz.onnx', bytes: encode(model), options: {} };
}
