/**
 * Build ONNX models in TypeScript for tests: a small fluent API over
 * onnx-proto, plus QdqBuilder, which lays out quantized graphs the way
 * onnxruntime's quantize_static (QDQ format) does.
 *
 *   const b = new OnnxBuilder({ opset: 13 })
 *     .input('x', 'float32', ['N', 3, 8, 8])
 *     .initializer('w', new Float32Array(4 * 3 * 3 * 3), [4, 3, 3, 3])
 *     .node('Conv', ['x', 'w'], ['y'], { pads: [1, 1, 1, 1] })
 *     .output('y', 'float32');
 *   const bytes = b.toBytes();
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;

export type BuilderDType = 'float32' | 'float64' | 'float16' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'bool';

const ONNX_CODE: Record<BuilderDType, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11,
};

export function onnxTypeCode(dtype: BuilderDType): number {
  return ONNX_CODE[dtype];
}

/** A declared dim: number, symbolic name (dim_param), or null for "unknown" (neither set). */
export type Dim = number | string | null;

export type InitArray = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Int32Array | BigInt64Array;

/** How initializer data is stored: raw_data bytes (what exporters do), typed repeated fields, or an external file. */
export type Storage = 'raw' | 'typed' | 'external';

function defaultDType(data: InitArray): BuilderDType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  return 'int64';
}

/** Little-endian bytes of `values` stored as `dtype` (Float64Array/number values allowed for int64). */
function rawBytes(values: InitArray, dtype: BuilderDType): Uint8Array {
  const n = values.length;
  const size = { float32: 4, float64: 8, float16: 2, int8: 1, uint8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, bool: 1 }[dtype];
  const view = new DataView(new ArrayBuffer(n * size));
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    const num = typeof v === 'bigint' ? Number(v) : v;
    switch (dtype) {
      case 'float32': view.setFloat32(i * 4, num, true); break;
      case 'float64': view.setFloat64(i * 8, num, true); break;
      case 'float16': view.setUint16(i * 2, floatToHalf(num), true); break;
      case 'int8': view.setInt8(i, num); break;
      case 'uint8': case 'bool': view.setUint8(i, num); break;
      case 'int16': view.setInt16(i * 2, num, true); break;
      case 'uint16': view.setUint16(i * 2, num, true); break;
      case 'int32': view.setInt32(i * 4, num, true); break;
      case 'int64': view.setBigInt64(i * 8, typeof v === 'bigint' ? v : toInt64(num), true); break;
    }
  }
  return new Uint8Array(view.buffer);
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** A JS number as int64, saturating: 9223372036854775807 is not a double, and must not wrap to INT64_MIN. */
export function toInt64(v: number): bigint {
  const b = BigInt(Math.trunc(v));
  return b > INT64_MAX ? INT64_MAX : b < INT64_MIN ? INT64_MIN : b;
}

/** float → IEEE half bits (round to nearest, enough for test data). */
export function floatToHalf(v: number): number {
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, v);
  const x = f.getUint32(0);
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  const mant = x & 0x7fffff;
  if (exp <= 0) return sign;
  if (exp >= 31) return sign | 0x7c00;
  return sign | (exp << 10) | Math.round(mant / 0x2000);
}

export interface TensorSpec {
  data: InitArray;
  dims: number[];
  dtype?: BuilderDType;
  storage?: Storage;
}

export function tensorProto(name: string, spec: TensorSpec): OnnxTypes.TensorProto {
  const dtype = spec.dtype ?? defaultDType(spec.data);
  const storage = spec.storage ?? 'raw';
  const t = onnx.TensorProto.create({ name, dims: spec.dims, dataType: ONNX_CODE[dtype] });
  if (storage === 'raw' || storage === 'external') {
    t.rawData = rawBytes(spec.data, dtype);
    return t;
  }
  const nums = Array.from(spec.data as ArrayLike<number | bigint>, (v) => Number(v));
  switch (dtype) {
    case 'float32': t.floatData = nums; break;
    case 'float64': t.doubleData = nums; break;
    case 'int64': t.int64Data = nums; break;
    case 'float16': t.int32Data = nums.map(floatToHalf); break;
    default: t.int32Data = nums; // int8/uint8/int16/uint16/int32/bool all live in int32_data
  }
  return t;
}

/** Explicitly typed attribute values, for when a plain number is ambiguous (e.g. a float attribute equal to 1). */
export class Attr {
  private constructor(readonly proto: OnnxTypes.IAttributeProto) {}
  static int(i: number): Attr { return new Attr({ type: 2, i }); }
  static float(f: number): Attr { return new Attr({ type: 1, f }); }
  static ints(ints: number[]): Attr { return new Attr({ type: 7, ints }); }
  static floats(floats: number[]): Attr { return new Attr({ type: 6, floats }); }
  static string(s: string): Attr { return new Attr({ type: 3, s: new TextEncoder().encode(s) }); }
  static strings(s: string[]): Attr { return new Attr({ type: 8, strings: s.map((x) => new TextEncoder().encode(x)) }); }
  static tensor(spec: TensorSpec): Attr { return new Attr({ type: 4, t: tensorProto('', spec) }); }
}

/** Plain values: integer → INT, other number → FLOAT, all-integer array → INTS, else FLOATS, string → STRING. */
export type AttrInput = number | string | number[] | string[] | Attr;

function attributeProto(name: string, v: AttrInput): OnnxTypes.AttributeProto {
  let a: Attr;
  if (v instanceof Attr) a = v;
  else if (typeof v === 'number') a = Number.isInteger(v) ? Attr.int(v) : Attr.float(v);
  else if (typeof v === 'string') a = Attr.string(v);
  else if (v.every((x): x is string => typeof x === 'string')) a = Attr.strings(v as string[]);
  else a = (v as number[]).every(Number.isInteger) ? Attr.ints(v as number[]) : Attr.floats(v as number[]);
  return onnx.AttributeProto.create({ ...a.proto, name });
}

/** The IR version onnx assigns to each opset release (ORT rejects opsets newer than the IR version allows). */
export function irVersionFor(opset: number): number {
  if (opset <= 8) return 3;
  if (opset === 9) return 4;
  if (opset === 10) return 5;
  if (opset === 11) return 6;
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function valueInfo(name: string, dtype: BuilderDType | undefined, dims: Dim[] | undefined): OnnxTypes.ValueInfoProto {
  const vi = onnx.ValueInfoProto.create({ name });
  if (dtype === undefined) return vi;
  const tensorType = onnx.TypeProto.Tensor.create({ elemType: ONNX_CODE[dtype] });
  if (dims) {
    tensorType.shape = onnx.TensorShapeProto.create({
      dim: dims.map((d) => (d === null ? {} : typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
    });
  }
  vi.type = onnx.TypeProto.create({ tensorType });
  return vi;
}

export interface BuilderOptions {
  opset?: number;
  name?: string;
  irVersion?: number;
  /** Extra opset imports, e.g. { 'com.microsoft': 1 }. */
  domains?: Record<string, number>;
}

export interface InitializerOptions {
  dtype?: BuilderDType;
  storage?: Storage;
  /** Also list it as a graph input, as exporters before IR 4 did. */
  alsoInput?: boolean;
}

export class OnnxBuilder {
  readonly opset: number;
  private readonly graph: OnnxTypes.GraphProto;
  private readonly irVersion: number;
  private readonly domains: Record<string, number>;
  private readonly external = new Set<string>();
  private counter = 0;

  constructor(opts: BuilderOptions = {}) {
    this.opset = opts.opset ?? 13;
    this.irVersion = opts.irVersion ?? irVersionFor(this.opset);
    this.domains = opts.domains ?? {};
    this.graph = onnx.GraphProto.create({ name: opts.name ?? 'test_graph' });
  }

  /** A tensor name not used yet, `<prefix>_<k>`. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, dtype: BuilderDType, dims: Dim[] | undefined): this {
    this.graph.input.push(valueInfo(name, dtype, dims));
    return this;
  }

  /** dtype is required by onnxruntime; dims may be omitted (shape unknown). */
  output(name: string, dtype: BuilderDType, dims?: Dim[]): this {
    this.graph.output.push(valueInfo(name, dtype, dims));
    return this;
  }

  valueInfo(name: string, dtype: BuilderDType, dims?: Dim[]): this {
    this.graph.valueInfo.push(valueInfo(name, dtype, dims));
    return this;
  }

  initializer(name: string, data: InitArray, dims: number[], opts: InitializerOptions = {}): this {
    const dtype = opts.dtype ?? defaultDType(data);
    this.graph.initializer.push(tensorProto(name, { data, dims, dtype, storage: opts.storage }));
    if (opts.storage === 'external') this.external.add(name);
    if (opts.alsoInput) this.graph.input.push(valueInfo(name, dtype, dims));
    return this;
  }

  /** int64 initializer from plain numbers (shapes, axes, pads...). */
  int64(name: string, values: number[], dims: number[] = [values.length]): this {
    return this.initializer(name, BigInt64Array.from(values, toInt64), dims);
  }

  /** float32 scalar or vector initializer. */
  float(name: string, values: number | number[], dims?: number[]): this {
    const arr = Float32Array.from(typeof values === 'number' ? [values] : values);
    return this.initializer(name, arr, dims ?? (typeof values === 'number' ? [] : [arr.length]));
  }

  node(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrInput> = {}, opts: { name?: string; domain?: string } = {}): this {
    this.graph.node.push(onnx.NodeProto.create({
      opType,
      input: inputs,
      output: outputs,
      name: opts.name ?? '',
      domain: opts.domain ?? '',
      attribute: Object.entries(attrs).map(([k, v]) => attributeProto(k, v)),
    }));
    return this;
  }

  /** Add a single-output node with a fresh output name and return that name. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrInput> = {}, opts: { name?: string; output?: string; domain?: string } = {}): string {
    const out = opts.output ?? this.fresh(opType.toLowerCase());
    this.node(opType, inputs, [out], attrs, opts);
    return out;
  }

  /** Rename a tensor everywhere (node inputs/outputs, graph inputs/outputs, initializers). */
  rename(from: string, to: string): this {
    const swap = (n: string): string => (n === from ? to : n);
    for (const n of this.graph.node) {
      n.input = (n.input ?? []).map(swap);
      n.output = (n.output ?? []).map(swap);
    }
    for (const v of [...this.graph.input, ...this.graph.output, ...this.graph.valueInfo]) v.name = swap(v.name ?? '');
    for (const t of this.graph.initializer) t.name = swap(t.name ?? '');
    return this;
  }

  /** Reverse node order (tests the loader's topological sort). */
  reverseNodes(): this {
    this.graph.node.reverse();
    return this;
  }

  build(): OnnxTypes.ModelProto {
    return onnx.ModelProto.create({
      irVersion: this.irVersion,
      producerName: 'edgec-test-builder',
      opsetImport: [{ domain: '', version: this.opset }, ...Object.entries(this.domains).map(([domain, version]) => ({ domain, version }))],
      graph: this.graph,
    });
  }

  toBytes(): Uint8Array {
    if (this.external.size) throw new Error('models with external data must be written with save()');
    return onnx.ModelProto.encode(this.build()).finish();
  }

  /** Write the model (and `<file>.data` for external initializers); returns the path. */
  save(path: string): string {
    mkdirSync(dirname(path), { recursive: true });
    // Work on a copy: externalising data must not change the builder's own graph.
    const model = onnx.ModelProto.decode(onnx.ModelProto.encode(this.build()).finish());
    if (this.external.size) {
      const location = `${basename(path)}.data`;
      const chunks: Uint8Array[] = [];
      let offset = 0;
      for (const t of model.graph!.initializer!) {
        if (!this.external.has(t.name ?? '')) continue;
        const bytes = t.rawData!;
        chunks.push(bytes);
        t.externalData = [
          { key: 'location', value: location },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(bytes.length) },
        ];
        t.dataLocation = 1; // EXTERNAL
        delete (t as { rawData?: Uint8Array }).rawData;
        offset += bytes.length;
      }
      writeFileSync(join(dirname(path), location), Buffer.concat(chunks));
    }
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
    return path;
  }
}

// ---------------------------------------------------------------------------
// QDQ models (onnxruntime quantize_static, QuantFormat.QDQ)
// ---------------------------------------------------------------------------

export type QType = 'int8' | 'uint8';

export interface QParams {
  scale: number;
  zeroPoint: number;
  dtype: QType;
}

/** A quantized activation: the name of the int8/uint8 tensor (a QuantizeLinear output or an int8 graph input). */
export interface QTensor extends QParams {
  q: string;
}

/** numpy's rounding (half to even), which onnxruntime's quantization tools use. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export function qRange(dtype: QType): [number, number] {
  return dtype === 'int8' ? [-128, 127] : [0, 255];
}

/** Activation qparams from a float range, as onnxruntime's compute_scale_zp (range widened to include 0). */
export function qparamsFromRange(min: number, max: number, dtype: QType): QParams {
  const [qmin, qmax] = qRange(dtype);
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = hi === lo ? 1 : Math.fround((hi - lo) / (qmax - qmin));
  const zeroPoint = Math.min(qmax, Math.max(qmin, roundHalfEven(qmin - lo / scale)));
  return { scale, zeroPoint, dtype };
}

export function quantizeValues(x: ArrayLike<number>, p: QParams): Int8Array | Uint8Array {
  const [qmin, qmax] = qRange(p.dtype);
  const out = p.dtype === 'int8' ? new Int8Array(x.length) : new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(qmax, Math.max(qmin, roundHalfEven(x[i]! / p.scale) + p.zeroPoint));
  return out;
}

export interface QuantizedWeights {
  data: Int8Array;
  /** One scale per channel along `axis` (or one for per-tensor). */
  scales: Float32Array;
  axis: number;
}

/** Symmetric int8 weights (zero point 0, scale = max|w| / 127), per channel along `axis` or per tensor (axis = -1). */
export function quantizeWeights(w: Float32Array, shape: readonly number[], axis: number): QuantizedWeights {
  const channels = axis < 0 ? 1 : shape[axis]!;
  const inner = axis < 0 ? w.length : shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number): number => (axis < 0 ? 0 : Math.floor(i / inner) % channels);
  const maxAbs = new Float32Array(channels);
  w.forEach((v, i) => { maxAbs[channelOf(i)] = Math.max(maxAbs[channelOf(i)]!, Math.abs(v)); });
  const scales = Float32Array.from(maxAbs, (m) => (m === 0 ? 1 : m / 127));
  const data = Int8Array.from(w, (v, i) => Math.min(127, Math.max(-127, roundHalfEven(v / scales[channelOf(i)]!))));
  return { data, scales, axis };
}

export interface QdqWeightedParams {
  /** Float weights and their shape: Conv [M, C/group, kH, kW]; Gemm [N, K] (transB = 1, as PyTorch Linear exports). */
  weight: Float32Array;
  weightShape: number[];
  bias?: Float32Array;
  out: QParams;
  /** Per-channel weights along the output-channel axis (default true, like quantize_static per_channel=True). */
  perChannel?: boolean;
  attrs?: Record<string, AttrInput>;
  name?: string;
}

/**
 * QDQ graph construction. Each activation is a QTensor; consumers read it
 * through one shared DequantizeLinear (onnxruntime's default
 * DedicatedQDQPair=False), and every float op output goes through
 * QuantizeLinear with the given output qparams.
 */
export class QdqBuilder {
  readonly b: OnnxBuilder;
  private readonly dequantized = new Map<string, string>();
  /** Scale / zero-point initializers of each quantized tensor, shared by its Q and DQ nodes as onnxruntime does. */
  private readonly qparamNames = new Map<string, [string, string]>();

  constructor(opts: BuilderOptions = {}) {
    this.b = new OnnxBuilder(opts);
  }

  private qparamInitializers(t: QTensor): [string, string] {
    const known = this.qparamNames.get(t.q);
    if (known) return known;
    const s = `${t.q}_scale`;
    const z = `${t.q}_zero_point`;
    this.b.float(s, t.scale);
    this.b.initializer(z, t.dtype === 'int8' ? Int8Array.of(t.zeroPoint) : Uint8Array.of(t.zeroPoint), []);
    this.qparamNames.set(t.q, [s, z]);
    return [s, z];
  }

  /** QuantizeLinear of a float tensor. */
  quantize(floatName: string, p: QParams, outName?: string): QTensor {
    const t: QTensor = { scale: p.scale, zeroPoint: p.zeroPoint, dtype: p.dtype, q: outName ?? `${floatName}_quantized` };
    const [s, z] = this.qparamInitializers(t);
    this.b.node('QuantizeLinear', [floatName, s, z], [t.q]);
    return t;
  }

  /** The float view of a quantized tensor (one DequantizeLinear per tensor). */
  dq(t: QTensor): string {
    const known = this.dequantized.get(t.q);
    if (known) return known;
    const [s, z] = this.qparamInitializers(t);
    const out = this.b.op('DequantizeLinear', [t.q, s, z], {}, { output: `${t.q}_dequantized` });
    this.dequantized.set(t.q, out);
    return out;
  }

  /** Graph input: float → QuantizeLinear (io 'float'), or an int8/uint8 graph input used directly (io 'int8'). */
  input(name: string, dims: Dim[], p: QParams, io: 'float' | 'int8' = 'float'): QTensor {
    if (io === 'int8') {
      this.b.input(name, p.dtype, dims);
      return { ...p, q: name };
    }
    this.b.input(name, 'float32', dims);
    return this.quantize(name, p);
  }

  /** Graph output: float (DequantizeLinear named `name`) or the quantized tensor itself renamed to `name`. */
  output(t: QTensor, name: string, io: 'float' | 'int8' = 'float'): this {
    if (io === 'int8') {
      this.b.rename(t.q, name);
      const names = this.qparamNames.get(t.q);
      if (names) {
        this.qparamNames.delete(t.q);
        this.qparamNames.set(name, names);
      }
      this.b.output(name, t.dtype);
    } else {
      const [s, z] = this.qparamInitializers(t);
      this.b.node('DequantizeLinear', [t.q, s, z], [name]);
      this.b.output(name, 'float32');
    }
    return this;
  }

  /** Int8 weights through DequantizeLinear (axis 0 per channel), int32 bias with scale in_scale · w_scale. */
  private weighted(x: QTensor, p: QdqWeightedParams, prefix: string): string[] {
    const axis = p.perChannel === false ? -1 : 0;
    const qw = quantizeWeights(p.weight, p.weightShape, axis);
    const channels = p.weightShape[0]!;
    const unique = p.name ?? this.b.fresh(prefix);
    const wName = `${unique}_weight_quantized`;
    const wScale = `${unique}_weight_scale`;
    const wZp = `${unique}_weight_zero_point`;
    const perChannel = axis === 0;
    this.b.initializer(wName, qw.data, p.weightShape);
    this.b.initializer(wScale, qw.scales, perChannel ? [channels] : []);
    this.b.initializer(wZp, new Int8Array(perChannel ? channels : 1), perChannel ? [channels] : []);
    const wDq = this.b.op('DequantizeLinear', [wName, wScale, wZp], perChannel ? { axis: 0 } : {}, { output: `${unique}_weight_dequantized` });
    const inputs = [this.dq(x), wDq];
    if (p.bias) {
      const bScales = Float32Array.from({ length: perChannel ? channels : 1 }, (_, c) => Math.fround(x.scale * qw.scales[c]!));
      const bq = Int32Array.from(p.bias, (v, c) => roundHalfEven(v / bScales[perChannel ? c : 0]!));
      const bName = `${unique}_bias_quantized`;
      const bScale = `${unique}_bias_scale`;
      const bZp = `${unique}_bias_zero_point`;
      this.b.initializer(bName, bq, [channels]);
      this.b.initializer(bScale, bScales, perChannel ? [channels] : []);
      this.b.initializer(bZp, new Int32Array(perChannel ? channels : 1), perChannel ? [channels] : []);
      inputs.push(this.b.op('DequantizeLinear', [bName, bScale, bZp], perChannel ? { axis: 0 } : {}, { output: `${unique}_bias_dequantized` }));
    }
    return inputs;
  }

  conv(x: QTensor, p: QdqWeightedParams): QTensor {
    const inputs = this.weighted(x, p, p.name ?? 'conv');
    const y = this.b.op('Conv', inputs, p.attrs ?? {}, { name: p.name, output: p.name ? `${p.name}_output` : undefined });
    return this.quantize(y, p.out);
  }

  /** Gemm with B = weight [N, K], transB = 1 (PyTorch Linear). */
  gemm(x: QTensor, p: QdqWeightedParams): QTensor {
    const inputs = this.weighted(x, p, p.name ?? 'gemm');
    const y = this.b.op('Gemm', inputs, { transB: 1, ...(p.attrs ?? {}) }, { name: p.name, output: p.name ? `${p.name}_output` : undefined });
    return this.quantize(y, p.out);
  }

  /**
   * Any float op on dequantized inputs, re-quantized with `out` (default: the
   * first input's qparams, as for MaxPool/Relu/Reshape). Extra float or int64
   * inputs (e.g. a Reshape shape) are passed by name in `extraInputs`.
   */
  op(opType: string, xs: QTensor[], attrs: Record<string, AttrInput> = {}, opts: { out?: QParams; extraInputs?: string[]; name?: string } = {}): QTensor {
    const first = xs[0];
    if (!first) throw new Error('QdqBuilder.op needs at least one quantized input');
    const y = this.b.op(opType, [...xs.map((x) => this.dq(x)), ...(opts.extraInputs ?? [])], attrs, { name: opts.name, output: opts.name ? `${opts.name}_output` : undefined });
    return this.quantize(y, opts.out ?? { scale: first.scale, zeroPoint: first.zeroPoint, dtype: first.dtype });
  }

  toBytes(): Uint8Array {
    return this.b.toBytes();
  }

  save(path: string): string {
    return this.b.save(path);
  }
}
