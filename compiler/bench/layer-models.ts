/**
 * Single-layer QDQ models for the kernel cost measurements
 * (measure-kernel-costs.ts): one int8 layer of a given kind and shape between
 * a QuantizeLinear edge and a DequantizeLinear edge. Built with --int8-io and
 * --input-layout nhwc, and ending in a Transpose to NHWC, so that the lowered
 * program is the layer alone (no quantize, no layout copy): the emulator's
 * instruction count is the layer's plus the invoke call.
 */
import { onnx, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../onnx/proto.js';

const FLOAT = 1;
const INT8 = 3;
const INT16 = 5;
const INT32 = 6;

/**
 * Every layer kind the cost table models (compiler/backends/kernel-costs.ts
 * names the same kinds). `int16`: the 16x8 layer (int16 activations with
 * zero point 0, int8 weights per channel, as TFLite's 16x8 converter makes
 * them) instead of the int8 one.
 */
export type LayerSpec = (
  | { kind: 'conv'; h: number; w: number; cin: number; cout: number; kh: number; kw: number; stride: number; pad: number }
  | { kind: 'depthwise'; h: number; w: number; c: number; kh: number; kw: number; stride: number; pad: number }
  | { kind: 'fc'; cin: number; cout: number }
  | { kind: 'add' | 'mul'; h: number; w: number; c: number }
  | { kind: 'max_pool' | 'avg_pool'; h: number; w: number; c: number; k: number; stride: number }
  | { kind: 'softmax'; rows: number; size: number }
) & { int16?: boolean };

/** A short, file-name-safe description of a layer (also the row label of the measurements). */
export function layerLabel(s: LayerSpec): string {
  return `${shapeLabel(s)}${s.int16 ? '_s16' : ''}`;
}

function shapeLabel(s: LayerSpec): string {
  switch (s.kind) {
    case 'conv': return `conv_${s.h}x${s.w}x${s.cin}_to_${s.cout}_k${s.kh}x${s.kw}_s${s.stride}_p${s.pad}`;
    case 'depthwise': return `dw_${s.h}x${s.w}x${s.c}_k${s.kh}x${s.kw}_s${s.stride}_p${s.pad}`;
    case 'fc': return `fc_${s.cin}_to_${s.cout}`;
    case 'add': case 'mul': return `${s.kind}_${s.h}x${s.w}x${s.c}`;
    case 'max_pool': case 'avg_pool': return `${s.kind}_${s.h}x${s.w}x${s.c}_k${s.k}_s${s.stride}`;
    case 'softmax': return `softmax_${s.rows}x${s.size}`;
  }
}

/** Deterministic pseudo-random int8 weights (a fixed LCG: the measurement is reproducible). */
function int8Values(n: number, seed: number): number[] {
  let x = seed >>> 0;
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return ((x >>> 24) % 255) - 127;
  });
}

const scalar = (name: string, dataType: number, v: number): TensorProto =>
  dataType === FLOAT ? { name, dataType, dims: [], floatData: [v] } : { name, dataType, dims: [], int32Data: [v] };

function node(opType: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []): NodeProto {
  return { opType, input, output, name: output[0], attribute };
}

const ints = (name: string, v: number[]): NonNullable<NodeProto['attribute']>[number] => ({ name, type: 7, ints: v });
const int = (name: string, v: number): NonNullable<NodeProto['attribute']>[number] => ({ name, type: 2, i: v });

function valueInfo(name: string, dims: number[], elemType = FLOAT): ValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } } };
}

/** Activation quantization: one scale for every tensor (the kernels' cost does not depend on it). */
const ACT_SCALE = 0.05;
const W_SCALE = 0.01;

interface Built { nodes: NodeProto[]; inits: TensorProto[]; inputs: { name: string; dims: number[] }[]; out: string; outDims: number[] }

/**
 * Weight (int8) and bias (int32) dequantized for a conv / FC node: per
 * tensor, or per output channel (axis 0) for the 16x8 layers.
 */
function weightsAndBias(prefix: string, wDims: number[], cout: number, seed: number, perChannel: boolean): { nodes: NodeProto[]; inits: TensorProto[] } {
  const n = wDims.reduce((a, b) => a * b, 1);
  const scales = perChannel ? Array.from({ length: cout }, (_, c) => W_SCALE * (1 + c / 1000)) : [W_SCALE];
  const vector = (name: string, dataType: number, v: number[]): TensorProto =>
    (dataType === FLOAT ? { name, dataType, dims: [v.length], floatData: v } : { name, dataType, dims: [v.length], int32Data: v });
  const param = (name: string, dataType: number, v: number[]): TensorProto => (perChannel ? vector(name, dataType, v) : scalar(name, dataType, v[0]!));
  const inits: TensorProto[] = [
    { name: `${prefix}_w`, dataType: INT8, dims: wDims, int32Data: int8Values(n, seed) },
    param(`${prefix}_ws`, FLOAT, scales), param(`${prefix}_wz`, INT8, scales.map(() => 0)),
    { name: `${prefix}_b`, dataType: INT32, dims: [cout], int32Data: int8Values(cout, seed + 1).map((v) => v * 16) },
    param(`${prefix}_bs`, FLOAT, scales.map((s) => ACT_SCALE * s)), param(`${prefix}_bz`, INT32, scales.map(() => 0)),
  ];
  const axis = perChannel ? [int('axis', 0)] : [];
  const nodes = [
    node('DequantizeLinear', [`${prefix}_w`, `${prefix}_ws`, `${prefix}_wz`], [`${prefix}_wf`], axis),
    node('DequantizeLinear', [`${prefix}_b`, `${prefix}_bs`, `${prefix}_bz`], [`${prefix}_bf`], axis),
  ];
  return { nodes, inits };
}

/** The float layer between dequantized input(s) `xs` and its float output `y`. */
function layerNodes(s: LayerSpec, xs: string[], y: string): Built {
  switch (s.kind) {
    case 'conv': case 'depthwise': {
      const cin = s.kind === 'conv' ? s.cin : s.c;
      const cout = s.kind === 'conv' ? s.cout : s.c;
      const group = s.kind === 'conv' ? 1 : s.c;
      const wb = weightsAndBias('l', [cout, cin / group, s.kh, s.kw], cout, 7, !!s.int16);
      const outH = Math.floor((s.h + 2 * s.pad - s.kh) / s.stride) + 1;
      const outW = Math.floor((s.w + 2 * s.pad - s.kw) / s.stride) + 1;
      const conv = node('Conv', [xs[0]!, 'l_wf', 'l_bf'], [y], [
        ints('kernel_shape', [s.kh, s.kw]), ints('strides', [s.stride, s.stride]), ints('pads', [s.pad, s.pad, s.pad, s.pad]), int('group', group),
      ]);
      return { nodes: [...wb.nodes, conv], inits: wb.inits, inputs: [{ name: xs[0]!, dims: [1, cin, s.h, s.w] }], out: y, outDims: [1, cout, outH, outW] };
    }
    case 'fc': {
      const wb = weightsAndBias('l', [s.cout, s.cin], s.cout, 11, !!s.int16);
      const gemm = node('Gemm', [xs[0]!, 'l_wf', 'l_bf'], [y], [int('transB', 1)]);
      return { nodes: [...wb.nodes, gemm], inits: wb.inits, inputs: [{ name: xs[0]!, dims: [1, s.cin] }], out: y, outDims: [1, s.cout] };
    }
    case 'add': case 'mul': {
      const dims = [1, s.c, s.h, s.w];
      return { nodes: [node(s.kind === 'add' ? 'Add' : 'Mul', [xs[0]!, xs[1]!], [y])], inits: [], inputs: [{ name: xs[0]!, dims }, { name: xs[1]!, dims }], out: y, outDims: dims };
    }
    case 'max_pool': case 'avg_pool': {
      const outH = Math.floor((s.h - s.k) / s.stride) + 1;
      const outW = Math.floor((s.w - s.k) / s.stride) + 1;
      const pool = node(s.kind === 'max_pool' ? 'MaxPool' : 'AveragePool', [xs[0]!], [y], [ints('kernel_shape', [s.k, s.k]), ints('strides', [s.stride, s.stride])]);
      return { nodes: [pool], inits: [], inputs: [{ name: xs[0]!, dims: [1, s.c, s.h, s.w] }], out: y, outDims: [1, s.c, outH, outW] };
    }
    case 'softmax':
      return { nodes: [node('Softmax', [xs[0]!], [y], [int('axis', -1)])], inits: [], inputs: [{ name: xs[0]!, dims: [s.rows, s.size] }], out: y, outDims: [s.rows, s.size] };
  }
}

/**
 * The QDQ model of one layer: x_i -> Q -> DQ -> layer -> Q -> DQ (-> Transpose
 * to NHWC for 4-D outputs, so the lowered output needs no layout copy).
 *
 * `wrapped`: a 1x1 max pool (int8, one read per element) before and after
 * the layer, so that its input and output are arena activations rather than
 * model input and output, which the planner never shares: the sharing
 * variants (in-place depthwise, overlapped pointwise) run only then. Their
 * cost is the wrapped model's count with sharing minus without.
 *
 * A 16x8 layer (`int16`) has int16 model I/O instead (x_i -> DQ -> layer ->
 * Q, then the Transpose): --int8-io does not take int16 edges, and the
 * lowered program must still be the layer alone. No wrapped form (the
 * sharing kernels are int8).
 */
export function layerModel(s: LayerSpec, wrapped = false): ModelProto {
  if (s.int16 && wrapped) throw new Error('internal: 16x8 layer models have no wrapped form');
  const arity = s.kind === 'add' || s.kind === 'mul' ? 2 : 1;
  const xs = Array.from({ length: arity }, (_, i) => `x${i}`);
  const built = layerNodes(s, xs.map((x) => `${x}_f`), 'y_f');
  const softmax = s.kind === 'softmax';
  const act = s.int16 ? INT16 : INT8;
  const inits: TensorProto[] = [
    scalar('s', FLOAT, ACT_SCALE), scalar('z', act, 0),
    // Softmax's output quantization is fixed: int8 (1/256, -128), int16 (1/32768, 0).
    scalar('s_out', FLOAT, softmax ? (s.int16 ? 1 / 32768 : 1 / 256) : ACT_SCALE), scalar('z_out', act, softmax && !s.int16 ? -128 : 0),
    ...built.inits,
  ];
  const nodes: NodeProto[] = [];
  const qdq = (from: string, to: string, scale = 's', zero = 'z'): NodeProto[] => [node('QuantizeLinear', [from, scale, zero], [`${to}_q`]), node('DequantizeLinear', [`${to}_q`, scale, zero], [to])];
  const pool1x1 = (from: string, to: string): NodeProto => node('MaxPool', [from], [to], [ints('kernel_shape', [1, 1])]);
  for (const x of xs) {
    if (s.int16) { nodes.push(node('DequantizeLinear', [x, 's', 'z'], [`${x}_f`])); continue; }
    if (!wrapped) { nodes.push(...qdq(x, `${x}_f`)); continue; }
    nodes.push(...qdq(x, `${x}_in`), pool1x1(`${x}_in`, `${x}_pre`), ...qdq(`${x}_pre`, `${x}_f`));
  }
  nodes.push(...built.nodes);
  if (wrapped) nodes.push(...qdq('y_f', 'y_mid', 's_out', 'z_out'), pool1x1('y_mid', 'y_post'), ...qdq('y_post', 'y_dq', 's_out', 'z_out'));
  else if (s.int16) nodes.push(node('QuantizeLinear', ['y_f', 's_out', 'z_out'], ['y_dq']));
  else nodes.push(...qdq('y_f', 'y_dq', 's_out', 'z_out'));
  let outDims = built.outDims;
  let out = 'y_dq';
  if (outDims.length === 4) {
    nodes.push(node('Transpose', ['y_dq'], ['y'], [ints('perm', [0, 2, 3, 1])]));
    outDims = [outDims[0]!, outDims[2]!, outDims[3]!, outDims[1]!];
    out = 'y';
  }
  return onnx.ModelProto.create({
    // int16 QuantizeLinear / DequantizeLinear: opset 21
    irVersion: s.int16 ? 10 : 7, producerName: 'edgec-kernel-costs', opsetImport: [{ domain: '', version: s.int16 ? 21 : 13 }],
    graph: {
      name: layerLabel(s), node: nodes, initializer: inits,
      input: built.inputs.map((x, i) => valueInfo(xs[i]!, x.dims, s.int16 ? INT16 : FLOAT)), output: [valueInfo(out, outDims, s.int16 ? INT16 : FLOAT)],
    },
  });
}

export function layerModelBytes(s: LayerSpec, wrapped = false): Uint8Array {
  return onnx.ModelProto.encode(layerModel(s, wrapped)).finish();
}
