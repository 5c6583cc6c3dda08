/**
 * TFLite import: a .tflite flatbuffer becomes the same IR Graph the ONNX
 * front end produces after its QDQ pass (ONNX op names, Tensor.quant on
 * every quantized tensor), so the rest of the pipeline is shared.
 *
 * TFLite tensors keep their NHWC shapes and names. Ops whose ONNX form is
 * channels-first (Conv, pools, ReduceMean) read through a Transpose into NCHW
 * and write through one back; the lowering treats those Transposes as layout
 * relabels (compiler/ops/layout-ops.ts), so no copy is generated. Weights are
 * reordered to ONNX's OIHW, biases kept bit for bit in the accumulator scale,
 * fused activations become the producer's clamp (edgec.act), and every
 * multiplier is later derived from the file's float32 scales exactly as TFLite
 * Micro derives them. Every user-caused problem is one EdgecError line naming
 * the file, the operator index and op name.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { AttrValue, ConstData, DType, Graph, Node, QuantInfo, Tensor } from '../ir/graph.js';
import { elementCount } from '../ir/graph.js';
import { EdgecError, modelError } from '../errors.js';
import { ShapeContext, fmtShape, ruleFor } from '../onnx/shapes/index.js';
import { topoSort } from '../onnx/topo-sort.js';
import { ACT_ATTR } from '../passes/fuse-activations.js';
import { FlatError } from './flat.js';
import {
  ACTIVATION_NAMES, OptionsType, Options, binaryActivation, concatenationOptions, convOptions, depthwiseOptions,
  fullyConnectedOptions, leakyReluAlpha, poolOptions, reducerKeepDims, resizeOptions, sequenceLstmOptions, softmaxBeta, splitCount, stridedSliceOptions, transposeConvOptions, unpackAxis, type Padding,
  ACTIVATION_SIGMOID, ACTIVATION_TANH,
} from './options.js';
import { hardSwishTable, leakyReluTable, relu6Table, reluTable, rsqrtTable, type QuantParams } from '../ops/tflm-tables.js';
import { TFL_LSTM_OP, cellScalePower, tflLstmAttrs } from '../ops/lstm.js';
import { CUSTOM_CODE, TensorType, readTfliteModel, type TflModel, type TflOperator, type TflSubGraph, type TflTensor } from './schema.js';

/** The ONNX opset the produced graph follows (attribute forms of ReduceMean, Softmax axis). */
const GRAPH_OPSET = 13;
/** Largest tensor edgec accepts (elements): far above any microcontroller model, small enough to never exhaust memory. */
const MAX_ELEMENTS = 1 << 28;

export function loadTflite(path: string): Graph {
  if (!existsSync(path)) throw modelError(path, undefined, 'file not found');
  if (!statSync(path).isFile()) throw modelError(path, undefined, 'not a file');
  return loadTfliteBytes(readFileSync(path), path);
}

export function loadTfliteBytes(bytes: Uint8Array, fileName = 'model.tflite'): Graph {
  let model: TflModel;
  try {
    model = readTfliteModel(bytes);
  } catch (e) {
    if (e instanceof FlatError) throw modelError(fileName, undefined, `corrupt or truncated TFLite flatbuffer: ${e.message}`, 'is this a .tflite file, completely downloaded?');
    throw e;
  }
  return new TfliteImporter(model, fileName).run();
}

const DTYPES: Partial<Record<number, DType>> = {
  [TensorType.FLOAT32]: 'float32', [TensorType.INT32]: 'int32', [TensorType.UINT8]: 'uint8', [TensorType.INT64]: 'int64',
  [TensorType.BOOL]: 'bool', [TensorType.INT16]: 'int16', [TensorType.INT8]: 'int8', [TensorType.FLOAT64]: 'float64',
};

/** Real-valued clamp of a fused activation; undefined for NONE. */
function activationBounds(code: number): [number, number] | undefined {
  switch (code) {
    case 0: return undefined;
    case 1: return [0, 1e30];
    case 2: return [-1, 1];
    case 3: return [0, 6];
    default: return [Number.NaN, Number.NaN];
  }
}

function decodeData(dtype: DType, bytes: Uint8Array): ConstData {
  // a fresh, exactly sized buffer (Node's Buffer.slice would share the whole file's memory)
  const copy = new Uint8Array(bytes);
  const view = new DataView(copy.buffer);
  switch (dtype) {
    case 'int8': return new Int8Array(copy.buffer);
    case 'uint8': case 'bool': return copy;
    case 'int16': return Int16Array.from({ length: copy.length / 2 }, (_, i) => view.getInt16(2 * i, true));
    case 'int32': return Int32Array.from({ length: copy.length / 4 }, (_, i) => view.getInt32(4 * i, true));
    case 'float32': return Float32Array.from({ length: copy.length / 4 }, (_, i) => view.getFloat32(4 * i, true));
    case 'int64': return Float64Array.from({ length: copy.length / 8 }, (_, i) => Number(view.getBigInt64(8 * i, true)));
    case 'float64': return Float64Array.from({ length: copy.length / 8 }, (_, i) => view.getFloat64(8 * i, true));
  }
}

const NHWC_TO_NCHW = [0, 3, 1, 2];
const NCHW_TO_NHWC = [0, 2, 3, 1];

function permute<T>(values: readonly T[], perm: readonly number[]): T[] {
  return perm.map((p) => values[p]);
}

class TfliteImporter {
  private readonly sg: TflSubGraph;
  private readonly names: string[];
  private readonly fileNames: Set<string>;
  /** NCHW tensor an ONNX-convention op writes -> the TFLite (NHWC) tensor it stands for, for messages. */
  private readonly nhwcTwin = new Map<string, string>();
  private readonly tensors = new Map<string, Tensor>();
  private readonly nodes: Node[] = [];
  /** Node -> TFLite operator index, for messages. */
  private readonly origin = new Map<Node, TflOperator>();
  /** Nodes whose output shapes the mapper checked itself (no ONNX shape rule covers them). */
  private readonly shapesChecked = new Set<Node>();
  private op!: TflOperator;
  private opName = '';

  constructor(private readonly model: TflModel, private readonly file: string) {
    if (model.subgraphs.length === 0) throw modelError(file, undefined, 'the model has no subgraph');
    this.sg = model.subgraphs[0];
    this.names = this.uniqueTensorNames(this.sg.tensors);
    this.fileNames = new Set(this.names);
  }

  run(): Graph {
    const sg = this.sg;
    if (sg.operators.length === 0) throw modelError(this.file, undefined, 'subgraph 0 is empty (no operators)');
    const inputs = sg.inputs.map((i) => this.graphTensor(i, 'subgraph input'));
    const outputs = sg.outputs.map((i) => this.graphTensor(i, 'subgraph output'));
    for (const name of inputs) {
      const t = this.tensors.get(name)!;
      if (t.data) throw modelError(this.file, undefined, `input '${name}' has constant data`);
    }
    for (const op of sg.operators) this.importOperatorChecked(op);
    const available = new Set([...inputs, ...[...this.tensors.values()].filter((t) => t.data).map((t) => t.name)]);
    const sorted = this.sortOperators(available);
    const graph: Graph = { name: sg.name, fileName: this.file, opset: GRAPH_OPSET, tensors: this.tensors, nodes: sorted, inputs, outputs };
    for (const o of outputs) {
      if (!available.has(o) && !sorted.some((n) => n.outputs.includes(o))) throw modelError(this.file, undefined, `subgraph output '${o}' is not produced by any operator`);
    }
    this.checkShapes(graph);
    // TFLM's MicroInterpreter runs subgraph 0 unless told otherwise; the others are control-flow bodies
    // (whose WHILE / IF / CALL_ONCE callers are refused as unsupported builtins) or other signatures
    const others = this.model.subgraphs.length - 1;
    if (others > 0) graph.notes = [...(graph.notes ?? []), `subgraph 0 built, as TFLite Micro's interpreter runs it; the file's ${others} other subgraph${others > 1 ? 's' : ''} ignored`];
    return graph;
  }

  /** An operator's options are read as it is imported: a field outside the file is reported against that operator. */
  private importOperatorChecked(op: TflOperator): void {
    try {
      this.importOperator(op);
    } catch (e) {
      if (!(e instanceof FlatError)) throw e;
      this.useOperator(op);
      throw this.fail(`corrupt or truncated TFLite flatbuffer: ${e.message}`, 'is this a .tflite file, completely downloaded?');
    }
  }

  /** Execution order; a cycle or a read of a tensor nothing writes is reported against the TFLite operator. */
  private sortOperators(available: Set<string>): Node[] {
    try {
      return topoSort(this.nodes, available, this.file);
    } catch (e) {
      const node = e instanceof EdgecError ? this.nodes.find((n) => e.message.startsWith(`${this.file}: node '${n.name}' `)) : undefined;
      if (!node || !(e instanceof EdgecError)) throw e;
      this.useOperator(this.origin.get(node)!);
      throw this.fail(e.message.slice(`${this.file}: node '${node.name}' (${node.opType}): `.length).replace('this node', 'this operator'));
    }
  }

  private useOperator(op: TflOperator): void {
    this.op = op;
    const code = this.model.operatorCodes[op.opcodeIndex];
    this.opName = code ? (code.builtin === CUSTOM_CODE ? `CUSTOM '${code.custom ?? ''}'` : code.name) : `opcode ${op.opcodeIndex}`;
  }

  // ---- messages -----------------------------------------------------------

  private fail(reason: string, hint?: string): EdgecError {
    return new EdgecError(`${this.file}: operator ${this.op.index} (${this.opName}): ${reason}`, 2, hint);
  }

  // ---- tensors ------------------------------------------------------------

  private uniqueTensorNames(tensors: readonly TflTensor[]): string[] {
    const used = new Set<string>();
    return tensors.map((t, i) => {
      let name = t.name !== '' ? t.name : `tensor_${i}`;
      if (used.has(name)) name = `${name}_${i}`;
      used.add(name);
      return name;
    });
  }

  /** The Graph tensor for TFLite tensor `index` (created on first use). */
  private graphTensor(index: number, role: string): string {
    const t = this.sg.tensors[index];
    const where = (reason: string): EdgecError => (this.op ? this.fail(reason) : modelError(this.file, undefined, reason));
    if (!Number.isInteger(index) || !t) throw where(`${role} refers to tensor ${index}, but the subgraph has ${this.sg.tensors.length} tensors`);
    const name = this.names[index];
    if (this.tensors.has(name)) return name;
    const dtype = DTYPES[t.type];
    if (!dtype) throw where(`tensor '${name}' has TFLite type ${t.type}, which edgec does not support`);
    if (t.isVariable) throw where(`tensor '${name}' is a variable (stateful models are not supported)`);
    if (t.shape.some((d) => !Number.isInteger(d) || d < 1)) throw where(`tensor '${name}' has an invalid shape ${fmtShape(t.shape)}`);
    const count = elementCount(t.shape);
    if (t.shape.length > 8 || count > MAX_ELEMENTS) throw where(`tensor '${name}' shape ${fmtShape(t.shape)} is too large`);
    const tensor: Tensor = { name, dtype, shape: [...t.shape] };
    if (t.quantization) tensor.quant = this.quantOf(t, name, where);
    if (t.buffer !== 0) {
      const bytes = this.model.buffers[t.buffer];
      if (!bytes) throw where(`tensor '${name}' refers to buffer ${t.buffer}, but the model has ${this.model.buffers.length} buffers`);
      if (bytes.length > 0) {
        const expected = count * bytesOf(dtype);
        if (bytes.length !== expected) throw where(`tensor '${name}' ${fmtShape(t.shape)} ${dtype} needs ${expected} bytes but its buffer ${t.buffer} holds ${bytes.length}`);
        tensor.data = decodeData(dtype, bytes);
      }
    }
    this.tensors.set(name, tensor);
    return name;
  }

  private quantOf(t: TflTensor, name: string, where: (reason: string) => EdgecError): QuantInfo {
    const q = t.quantization!;
    const zeroPoint = q.zeroPoint.length === 0 ? q.scale.map(() => 0) : q.zeroPoint;
    if (zeroPoint.length !== q.scale.length) throw where(`tensor '${name}' has ${q.scale.length} scales but ${zeroPoint.length} zero points`);
    const bad = q.scale.find((s) => !(s > 0) || !Number.isFinite(s));
    if (bad !== undefined) throw where(`tensor '${name}' has scale ${bad}; scales must be positive and finite`);
    const range = t.type === TensorType.UINT8 ? [0, 255] : t.type === TensorType.INT8 ? [-128, 127] : t.type === TensorType.INT16 ? [-32768, 32767] : [-(2 ** 31), 2 ** 31 - 1];
    const badZp = zeroPoint.find((z) => z < range[0] || z > range[1]);
    if (badZp !== undefined) throw where(`tensor '${name}' has zero point ${badZp}, outside its type's range`);
    // the 16x8 scheme (TFLM, CMSIS-NN) is symmetric: its kernels assume int16 activations with zero point 0
    const int16Zp = t.type === TensorType.INT16 ? zeroPoint.find((z) => z !== 0) : undefined;
    if (int16Zp !== undefined) throw where(`int16 tensor '${name}' has zero point ${int16Zp}; 16x8 activations must be symmetric (zero point 0)`);
    if (q.scale.length === 1) return { scale: [...q.scale], zeroPoint: [...zeroPoint], axis: -1 };
    const axis = q.quantizedDimension;
    if (axis < 0 || axis >= t.shape.length || t.shape[axis] !== q.scale.length) {
      throw where(`tensor '${name}' has ${q.scale.length} scales along dimension ${axis} of ${fmtShape(t.shape)}`);
    }
    return { scale: [...q.scale], zeroPoint: [...zeroPoint], axis };
  }

  private tensor(name: string): Tensor {
    return this.tensors.get(name)!;
  }

  /** Input `slot` of the current operator (required). */
  private input(slot: number, what: string): string {
    const index = this.op.inputs[slot];
    if (index === undefined || index === -1) throw this.fail(`missing ${what} (input ${slot})`);
    return this.graphTensor(index, `input ${slot}`);
  }

  private optionalInput(slot: number): string | undefined {
    const index = this.op.inputs[slot];
    return index === undefined || index === -1 ? undefined : this.graphTensor(index, `input ${slot}`);
  }

  private output(slot: number): string {
    const index = this.op.outputs[slot];
    if (index === undefined || index === -1) throw this.fail(`missing output ${slot}`);
    return this.graphTensor(index, `output ${slot}`);
  }

  private constant(name: string, what: string): Tensor {
    const t = this.tensor(name);
    if (!t.data) throw this.fail(`${what} '${name}' must be a constant (it is computed at run time)`);
    return t;
  }

  private constInts(name: string, what: string): number[] {
    const t = this.constant(name, what);
    if (t.dtype !== 'int32' && t.dtype !== 'int64') throw this.fail(`${what} '${name}' must be int32 or int64, not ${t.dtype}`);
    return Array.from(t.data!, Number);
  }

  private newTensor(base: string, t: Omit<Tensor, 'name'>): string {
    let name = base;
    // also clear of TFLite tensor names not created yet
    for (let k = 1; this.tensors.has(name) || this.fileNames.has(name); k++) name = `${base}_${k}`;
    this.tensors.set(name, { ...t, name });
    return name;
  }

  private int64Const(base: string, values: number[]): string {
    return this.newTensor(base, { dtype: 'int64', shape: [values.length], data: Float64Array.from(values) });
  }

  private nodeName(suffix = ''): string {
    return `${this.opName.toLowerCase()}_${this.op.index}${suffix}`;
  }

  private addNode(opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}, suffix = ''): Node {
    const node: Node = { name: this.nodeName(suffix), opType, domain: opType.startsWith('edgec.') ? 'edgec' : '', inputs, outputs, attrs };
    this.nodes.push(node);
    this.origin.set(node, this.op);
    return node;
  }

  /** `x` (NHWC, rank 4) seen as NCHW through a Transpose node. */
  private toNchw(x: string, suffix: string): string {
    const t = this.tensor(x);
    if (t.shape.length !== 4) throw this.fail(`input '${x}' has rank ${t.shape.length}; a 4-D NHWC tensor is required`);
    const out = this.newTensor(`${x}_nchw`, { dtype: t.dtype, shape: permute(t.shape, NHWC_TO_NCHW), quant: t.quant });
    this.addNode('Transpose', [x], [out], { perm: NHWC_TO_NCHW }, `_${suffix}`);
    return out;
  }

  private fusedActivation(node: Node, code: number): void {
    const bounds = activationBounds(code);
    if (!bounds) return;
    if (Number.isNaN(bounds[0])) throw this.fail(`fused activation ${ACTIVATION_NAMES[code] ?? code} is not supported`);
    node.attrs[ACT_ATTR] = bounds;
  }

  private noActivation(code: number): void {
    if (code !== 0) throw this.fail(`fused activation ${ACTIVATION_NAMES[code] ?? code} on this op is not supported`);
  }

  private options(expected: number): Options {
    if (this.op.options && this.op.optionsType !== expected) {
      throw this.fail(`builtin options have type ${this.op.optionsType}, expected ${expected}`);
    }
    return new Options(this.model.reader, this.op.options);
  }

  // ---- operators ----------------------------------------------------------

  private importOperator(op: TflOperator): void {
    this.useOperator(op);
    const code = this.model.operatorCodes[op.opcodeIndex];
    if (!code) throw this.fail(`opcode index ${op.opcodeIndex} is out of range (the model has ${this.model.operatorCodes.length} operator codes)`);
    if (code.builtin === CUSTOM_CODE) throw this.fail('custom operators are not supported (edgec compiles TFLite builtin ops only)');
    const mapper = OPERATORS[code.name];
    if (!mapper) throw this.fail(`unsupported op ${code.name}`, `edgec maps: ${Object.keys(OPERATORS).sort().join(', ')}`);
    for (const o of op.outputs) {
      const name = o === -1 ? undefined : this.graphTensor(o, 'output');
      if (name && this.tensor(name).data) throw this.fail(`output '${name}' is a constant tensor`);
    }
    mapper.call(this, op);
  }

  conv2d(): void {
    const o = convOptions(this.options(OptionsType.Conv2D));
    const x = this.input(0, 'input');
    const w = this.constant(this.input(1, 'filter'), 'filter');
    const y = this.output(0);
    if (w.shape.length !== 4) throw this.fail(`filter has shape ${fmtShape(w.shape)}; [out, kh, kw, in] is required`);
    const [cout, kh, kw, ci] = w.shape;
    const cin = this.tensor(x).shape[3];
    if (cin === undefined || cin % ci !== 0) throw this.fail(`input channels ${cin} are not a multiple of the filter's ${ci}`);
    this.weightAxis(w, 0);
    const filter = this.newTensor(`${w.name}_oihw`, { dtype: w.dtype, shape: [cout, ci, kh, kw], data: ohwiToOihw(w.data!, cout, kh, kw, ci), quant: w.quant });
    const bias = this.bias(x, w, cout, 2);
    const mid = this.fromNchwLater(y);
    const node = this.addNode('Conv', [this.toNchw(x, 'in'), filter, bias], [mid.name], {
      kernel_shape: [kh, kw], strides: [o.strideH, o.strideW], dilations: [o.dilationH, o.dilationW], auto_pad: autoPad(o.padding), group: cin / ci,
    });
    this.fusedActivation(node, o.activation);
    mid.finish();
  }

  depthwiseConv2d(): void {
    const o = depthwiseOptions(this.options(OptionsType.DepthwiseConv2D));
    const x = this.input(0, 'input');
    const w = this.constant(this.input(1, 'filter'), 'filter');
    const y = this.output(0);
    if (w.shape.length !== 4 || w.shape[0] !== 1) throw this.fail(`filter has shape ${fmtShape(w.shape)}; [1, kh, kw, channels] is required`);
    const [, kh, kw, cout] = w.shape;
    const cin = this.tensor(x).shape[3];
    if (cin === undefined || cout % cin !== 0) throw this.fail(`filter channels ${cout} are not a multiple of the input channels ${cin}`);
    this.weightAxis(w, 3);
    const quant = w.quant && w.quant.axis === 3 ? { ...w.quant, axis: 0 } : w.quant;
    const filter = this.newTensor(`${w.name}_oihw`, { dtype: w.dtype, shape: [cout, 1, kh, kw], data: hwcToChw(w.data!, kh, kw, cout), quant });
    const bias = this.bias(x, { ...w, quant }, cout, 2);
    const mid = this.fromNchwLater(y);
    const node = this.addNode('Conv', [this.toNchw(x, 'in'), filter, bias], [mid.name], {
      kernel_shape: [kh, kw], strides: [o.strideH, o.strideW], dilations: [o.dilationH, o.dilationW], auto_pad: autoPad(o.padding), group: cin,
    });
    this.fusedActivation(node, o.activation);
    mid.finish();
  }

  /**
   * The output's NCHW twin. The Transpose back to NHWC is added after the
   * op's own node (finish), so nodes stay in execution order.
   */
  private fromNchwLater(y: string): { name: string; finish: () => void } {
    const t = this.tensor(y);
    if (t.shape.length !== 4) throw this.fail(`output '${y}' has rank ${t.shape.length}; a 4-D NHWC tensor is required`);
    const name = this.newTensor(`${y}_nchw`, { dtype: t.dtype, shape: permute(t.shape, NHWC_TO_NCHW), quant: t.quant });
    this.nhwcTwin.set(name, y);
    return { name, finish: () => { this.addNode('Transpose', [name], [y], { perm: NCHW_TO_NHWC }, '_out'); } };
  }

  private weightAxis(w: Tensor, axis: number): void {
    if (w.quant && w.quant.axis !== -1 && w.quant.axis !== axis) {
      throw this.fail(`filter '${w.name}' is quantized along dimension ${w.quant.axis}; per-channel quantization must be along the output channels (dimension ${axis})`);
    }
  }

  /**
   * Bias input: int32 values (int64 for the 16x8 scheme's int16 input) used
   * bit for bit, as TFLite Micro does. Its quantization is set to the
   * accumulator scale the lowering derives (input scale × weight scale), so
   * the lowering keeps the raw values.
   */
  private bias(x: string, w: Tensor, channels: number, slot: number): string {
    const name = this.optionalInput(slot);
    if (name === undefined) return '';
    const b = this.constant(name, 'bias');
    const int16 = this.tensor(x).dtype === 'int16';
    // TFLM runs a 16x8 layer with an int32 bias through a 32-bit accumulator and another requantization
    if (int16 && b.dtype !== 'int64') throw this.fail(`bias '${name}' of an int16 layer has type ${b.dtype}; edgec's 16x8 kernels take the converter's int64 bias`);
    if (!int16 && b.dtype !== 'int32') throw this.fail(`bias '${name}' has type ${b.dtype}; int32 is required`);
    if (elementCount(b.shape) !== channels) throw this.fail(`bias '${name}' has ${elementCount(b.shape)} values for ${channels} output channels`);
    const xq = this.tensor(x).quant;
    if (!xq || !w.quant) return name; // the lowering reports the float tensor
    const scales = Array.from({ length: channels }, (_, c) => xq.scale[0] * w.quant!.scale[w.quant!.axis === -1 ? 0 : c]);
    return this.newTensor(`${name}_acc`, { dtype: b.dtype, shape: [channels], data: b.data, quant: { scale: scales, zeroPoint: scales.map(() => 0), axis: channels > 1 ? 0 : -1 } });
  }

  fullyConnected(): void {
    const o = fullyConnectedOptions(this.options(OptionsType.FullyConnected));
    if (o.weightsFormat !== 0) throw this.fail(`weights format ${o.weightsFormat} (shuffled) is not supported`);
    const x = this.input(0, 'input');
    const w = this.constant(this.input(1, 'weights'), 'weights');
    const y = this.output(0);
    if (w.shape.length !== 2) throw this.fail(`weights have shape ${fmtShape(w.shape)}; [out, in] is required`);
    const [units, depth] = w.shape;
    const xs = this.tensor(x).shape;
    const count = elementCount(xs);
    if (count % depth !== 0) throw this.fail(`input ${fmtShape(xs)} does not divide into rows of ${depth}`);
    const batches = count / depth;
    this.weightAxis(w, 0);
    const expected = o.keepNumDims ? [...xs.slice(0, -1), units] : [batches, units];
    const ys = this.tensor(y).shape;
    if (fmtShape(ys) !== fmtShape(expected)) throw this.fail(`output '${y}' is declared ${fmtShape(ys)} but keep_num_dims=${o.keepNumDims} gives ${fmtShape(expected)}`);
    let flat = x;
    if (xs.length !== 2 || xs[1] !== depth) {
      flat = this.newTensor(`${x}_rows`, { ...this.tensor(x), shape: [batches, depth], data: undefined });
      this.addNode('Reshape', [x, this.int64Const(`${this.nodeName()}_rows_shape`, [batches, depth])], [flat], {}, '_rows');
    }
    const bias = this.bias(x, w, units, 2);
    const twoD = ys.length === 2;
    const out = twoD ? y : this.newTensor(`${y}_rows`, { ...this.tensor(y), shape: [batches, units] });
    const node = this.addNode('Gemm', [flat, w.name, bias], [out], { transB: 1 });
    this.fusedActivation(node, o.activation);
    if (!twoD) this.addNode('Reshape', [out, this.int64Const(`${this.nodeName()}_out_shape`, ys)], [y], {}, '_out');
  }

  binary(opType: 'Add' | 'Mul' | 'Sub', optionsType: number): void {
    const act = binaryActivation(this.options(optionsType));
    const node = this.addNode(opType, [this.input(0, 'first operand'), this.input(1, 'second operand')], [this.output(0)]);
    this.fusedActivation(node, act);
  }

  pool(opType: 'AveragePool' | 'MaxPool'): void {
    const o = poolOptions(this.options(OptionsType.Pool2D));
    this.noActivation(o.activation);
    const x = this.input(0, 'input');
    const mid = this.fromNchwLater(this.output(0));
    const attrs: Record<string, AttrValue> = { kernel_shape: [o.filterH, o.filterW], strides: [o.strideH, o.strideW], auto_pad: autoPad(o.padding) };
    if (opType === 'AveragePool') attrs.count_include_pad = 0;
    this.addNode(opType, [this.toNchw(x, 'in')], [mid.name], attrs);
    mid.finish();
  }

  /**
   * MEAN / SUM / REDUCE_MAX / REDUCE_MIN over any constant axes, keep_dims
   * either way, on the tensor in its TFLite layout (the ONNX reduction
   * lowers in whatever layout its input has). MEAN and SUM are TFLite
   * Micro's QuantizedMeanOrSum, also when the output keeps the input's
   * quantization (TFLM has no separate path for that case since its
   * reduce_common rewrite); REDUCE_MAX / REDUCE_MIN compare raw int8 values.
   */
  reduce(opType: 'ReduceMean' | 'ReduceSum' | 'ReduceMax' | 'ReduceMin'): void {
    const keep = reducerKeepDims(this.options(OptionsType.Reducer));
    const x = this.input(0, 'input');
    const y = this.output(0);
    const rank = this.tensor(x).shape.length;
    const raw = this.constInts(this.input(1, 'axes'), 'axes');
    const bad = raw.find((a) => !Number.isInteger(a) || a < -rank || a >= rank);
    if (bad !== undefined) throw this.fail(`axis ${bad} is out of range for a rank-${rank} input`);
    if (raw.length === 0) throw this.fail('an empty axes list is not supported');
    const axes = [...new Set(raw.map((a) => (a < 0 ? a + rank : a)))].sort((a, b) => a - b);
    const keepdims = keep ? 1 : 0;
    // opset 13: ReduceSum takes its axes as an input, the others as an attribute
    if (opType === 'ReduceSum') this.addNode(opType, [x, this.int64Const(`${this.nodeName()}_axes`, axes)], [y], { keepdims });
    else this.addNode(opType, [x], [y], { axes, keepdims });
  }

  softmax(): void {
    const beta = softmaxBeta(this.options(OptionsType.Softmax));
    if (beta !== 1) throw this.fail(`softmax beta ${beta} is not supported (only 1)`);
    this.addNode('Softmax', [this.input(0, 'input')], [this.output(0)], { axis: -1 });
  }

  unary(opType: string, attrs: Record<string, AttrValue> = {}): void {
    this.addNode(opType, [this.input(0, 'input')], [this.output(0)], attrs);
  }

  clip(min: number, max: number): void {
    const lo = this.newTensor(`${this.nodeName()}_min`, { dtype: 'float32', shape: [], data: Float32Array.of(min) });
    const hi = this.newTensor(`${this.nodeName()}_max`, { dtype: 'float32', shape: [], data: Float32Array.of(max) });
    this.addNode('Clip', [this.input(0, 'input'), lo, hi], [this.output(0)]);
  }

  leakyRelu(): void {
    const alpha = leakyReluAlpha(this.options(OptionsType.LeakyRelu));
    if (!this.tflmTable((i, o) => leakyReluTable(i, o, alpha))) this.unary('LeakyRelu', { alpha });
  }

  /**
   * An int8 -> int8 activation as a table of TFLite Micro's own integer
   * results (compiler/ops/tflm-tables.ts). False when the tensors are not
   * per-tensor int8 (the ONNX op's table then applies).
   */
  tflmTable(build: (input: QuantParams, output: QuantParams) => Int8Array): boolean {
    const x = this.input(0, 'input');
    const y = this.output(0);
    const xt = this.tensor(x);
    const yt = this.tensor(y);
    if (xt.dtype !== 'int8' || yt.dtype !== 'int8' || xt.quant?.axis !== -1 || yt.quant?.axis !== -1) return false;
    const q = (t: Tensor): QuantParams => ({ scale: t.quant!.scale[0], zeroPoint: t.quant!.zeroPoint[0] });
    const table: Tensor = { name: `${this.nodeName()}_table`, dtype: 'int8', shape: [256], data: build(q(xt), q(yt)) };
    this.addNode('edgec.Lut', [x], [y], { table });
    return true;
  }

  /** An op TFLM runs only on int8 (RSQRT): its table, or a refusal naming the types. */
  tflmTableOnly(build: (input: QuantParams, output: QuantParams) => Int8Array): void {
    if (!this.tflmTable(build)) throw this.fail('only per-tensor int8 input and output are supported');
  }

  /** RESHAPE, SQUEEZE, EXPAND_DIMS: the declared output shape is the new shape. */
  reshape(): void {
    const x = this.input(0, 'input');
    const y = this.output(0);
    const xs = this.tensor(x).shape;
    const ys = this.tensor(y).shape;
    if (elementCount(xs) !== elementCount(ys)) throw this.fail(`cannot reshape ${fmtShape(xs)} to ${fmtShape(ys)} (element counts differ)`);
    this.addNode('Reshape', [x, this.int64Const(`${this.nodeName()}_shape`, ys)], [y]);
  }

  concatenation(): void {
    const o = concatenationOptions(this.options(OptionsType.Concatenation));
    this.noActivation(o.activation);
    const inputs = this.op.inputs.map((_, i) => this.input(i, `input ${i}`));
    if (inputs.length === 0) throw this.fail('no inputs');
    this.addNode('Concat', inputs, [this.output(0)], { axis: o.axis });
  }

  pad(withValue: boolean): void {
    const x = this.input(0, 'input');
    const rank = this.tensor(x).shape.length;
    const pads = this.constInts(this.input(1, 'paddings'), 'paddings');
    if (pads.length !== 2 * rank) throw this.fail(`paddings hold ${pads.length} values for a rank-${rank} input`);
    const onnxPads = [...pads.filter((_, i) => i % 2 === 0), ...pads.filter((_, i) => i % 2 === 1)];
    const inputs = [x, this.int64Const(`${this.nodeName()}_pads`, onnxPads)];
    if (withValue) {
      const v = this.optionalInput(2);
      if (v !== undefined) inputs.push(this.constant(v, 'constant_values').name);
    }
    this.addNode('Pad', inputs, [this.output(0)], { mode: 'constant' });
  }

  transpose(): void {
    const x = this.input(0, 'input');
    const perm = this.constInts(this.input(1, 'perm'), 'perm');
    this.addNode('Transpose', [x], [this.output(0)], { perm });
  }

  /** QUANTIZE: float -> int8/uint8 at the model's edge, or a requantization between quantized types. */
  quantize(): void {
    const x = this.input(0, 'input');
    const y = this.output(0);
    const yt = this.tensor(y);
    if (!yt.quant || yt.quant.axis !== -1) throw this.fail(`output '${y}' needs one per-tensor scale`);
    if (this.tensor(x).dtype === 'float32') {
      const scale = this.newTensor(`${y}_scale`, { dtype: 'float32', shape: [], data: Float32Array.of(yt.quant.scale[0]) });
      const zpData = zeroPointData(yt.dtype, yt.quant.zeroPoint[0]);
      const zp = this.newTensor(`${y}_zero_point`, { dtype: yt.dtype, shape: [], data: zpData });
      this.addNode('QuantizeLinear', [x, scale, zp], [y]);
      return;
    }
    if (!this.tensor(x).quant) throw this.fail(`input '${x}' is not quantized`);
    this.addNode('edgec.Requantize', [x], [y]);
  }

  /** DEQUANTIZE: int8/uint8 -> float at the model's edge. */
  dequantize(): void {
    const x = this.input(0, 'input');
    const xt = this.tensor(x);
    if (!xt.quant || xt.quant.axis !== -1) throw this.fail(`input '${x}' needs one per-tensor scale`);
    if (xt.data) throw this.fail(`dequantizing the constant '${x}' at run time is not supported (float16 or hybrid models are not int8 models)`);
    const scale = this.newTensor(`${x}_scale`, { dtype: 'float32', shape: [], data: Float32Array.of(xt.quant.scale[0]) });
    const zpData = zeroPointData(xt.dtype, xt.quant.zeroPoint[0]);
    const zp = this.newTensor(`${x}_zero_point`, { dtype: xt.dtype, shape: [], data: zpData });
    this.addNode('DequantizeLinear', [x, scale, zp], [this.output(0)]);
  }

  /**
   * TRANSPOSE_CONV (output_shape, filter [O, KH, KW, I], input, bias?): ONNX
   * ConvTranspose on the NCHW view, filter [I, O, KH, KW], with the explicit
   * pads TFLite derives (the conv whose transpose this is, padded SAME or VALID
   * on the output; the odd pixel at the end).
   */
  transposeConv(): void {
    const o = transposeConvOptions(this.options(OptionsType.TransposeConv));
    const outShape = this.constInts(this.input(0, 'output_shape'), 'output_shape');
    const w = this.constant(this.input(1, 'filter'), 'filter');
    const x = this.input(2, 'input');
    const y = this.output(0);
    if (w.shape.length !== 4) throw this.fail(`filter has shape ${fmtShape(w.shape)}; [out, kh, kw, in] is required`);
    const [cout, kh, kw, cin] = w.shape;
    const xs = this.tensor(x).shape;
    if (xs.length !== 4 || xs[3] !== cin) throw this.fail(`input ${fmtShape(xs)} does not match the filter's ${cin} input channels`);
    if (fmtShape(outShape) !== fmtShape(this.tensor(y).shape)) throw this.fail(`output_shape [${outShape.join(', ')}] differs from the output tensor ${fmtShape(this.tensor(y).shape)}`);
    this.weightAxis(w, 0);
    const pads = [[xs[1], outShape[1], kh, o.strideH], [xs[2], outShape[2], kw, o.strideW]].map(([inLen, outLen, k, s]) => {
      const convOut = o.padding === 'SAME' ? Math.ceil(outLen / s) : Math.floor((outLen - k + s) / s);
      const before = Math.max(Math.floor(((convOut - 1) * s + k - outLen) / 2), 0);
      return { before, after: (inLen - 1) * s + k - outLen - before };
    });
    if (pads.some((p) => p.after < 0)) throw this.fail(`output_shape [${outShape.join(', ')}] is larger than the transposed convolution produces`);
    const quant = w.quant && w.quant.axis === 0 ? { ...w.quant, axis: 1 } : w.quant;
    const filter = this.newTensor(`${w.name}_iohw`, { dtype: w.dtype, shape: [cin, cout, kh, kw], data: ohwiToIohw(w.data!, cout, kh, kw, cin), quant });
    const bias = this.bias(x, w, cout, 3);
    const mid = this.fromNchwLater(y);
    const node = this.addNode('ConvTranspose', [this.toNchw(x, 'in'), filter, bias], [mid.name], {
      kernel_shape: [kh, kw], strides: [o.strideH, o.strideW], pads: [pads[0].before, pads[1].before, pads[0].after, pads[1].after],
    });
    this.fusedActivation(node, o.activation);
    mid.finish();
  }

  /**
   * STRIDED_SLICE as ONNX Slice (begin / end masks as open ends), then a
   * Reshape dropping the shrink_axis_mask axes. Ellipsis, new axes and
   * offset=true are refused.
   */
  stridedSlice(): void {
    const o = stridedSliceOptions(this.options(OptionsType.StridedSlice));
    if (o.ellipsisMask !== 0 || o.newAxisMask !== 0 || o.offset) throw this.fail('ellipsis_mask, new_axis_mask and offset are not supported');
    const x = this.input(0, 'input');
    const y = this.output(0);
    const shape = this.tensor(x).shape;
    const begin = this.constInts(this.input(1, 'begin'), 'begin');
    const end = this.constInts(this.input(2, 'end'), 'end');
    const strides = this.constInts(this.input(3, 'strides'), 'strides');
    const rank = shape.length;
    if (begin.length !== rank || end.length !== rank || strides.length !== rank) throw this.fail(`begin, end and strides need ${rank} values each`);
    if (strides.some((v) => v === 0)) throw this.fail('a stride of 0 is not allowed');
    const open = 2 ** 62; // an end past any dimension (ONNX clamps it)
    const bit = (mask: number, i: number): boolean => ((mask >> i) & 1) === 1;
    const starts = begin.map((b, i) => (bit(o.beginMask, i) ? (strides[i] > 0 ? 0 : open) : b));
    const ends = end.map((e, i) => {
      if (bit(o.shrinkAxisMask, i)) {
        const b = begin[i] < 0 ? begin[i] + shape[i] : begin[i];
        if (b < 0 || b >= shape[i]) throw this.fail(`shrunk axis ${i} index ${begin[i]} is out of range for dimension ${shape[i]}`);
        starts[i] = b;
        return b + 1;
      }
      return bit(o.endMask, i) ? (strides[i] > 0 ? open : -open) : e;
    });
    const steps = strides.map((v, i) => (bit(o.shrinkAxisMask, i) ? 1 : v));
    const shrinks = o.shrinkAxisMask & ((1 << rank) - 1);
    const sliced = shrinks === 0 ? y : this.newTensor(`${y}_unshrunk`, { ...this.tensor(y), shape: [] });
    const c = (what: string, v: number[]): string => this.int64Const(`${this.nodeName()}_${what}`, v);
    this.addNode('Slice', [x, c('starts', starts), c('ends', ends), c('axes', shape.map((_, i) => i)), c('steps', steps)], [sliced]);
    if (shrinks !== 0) {
      // the shape rule gives the sliced shape (only the reshaped output is declared in the file)
      const node = this.nodes[this.nodes.length - 1];
      const rule = ruleFor(node)!;
      const graphView: Graph = { name: '', fileName: this.file, opset: GRAPH_OPSET, tensors: this.tensors, nodes: [], inputs: [], outputs: [] };
      try {
        this.tensor(sliced).shape = rule(ShapeContext.forGraph(graphView, node))[0].shape;
      } catch (e) {
        if (e instanceof EdgecError) throw this.fail(e.message.replace(/^.*?\): /, ''));
        throw e;
      }
      this.addNode('Reshape', [sliced, c('shape', this.tensor(y).shape)], [y], {}, '_shrink');
    }
  }

  /** MAXIMUM, MINIMUM, PRELU (constant slope broadcast NHWC-wise, as numpy): two inputs, no options. */
  twoInputs(opType: 'Max' | 'Min' | 'PRelu'): void {
    this.addNode(opType, [this.input(0, 'first input'), this.input(1, 'second input')], [this.output(0)]);
  }

  /** SPLIT (axis, input; num_splits equal parts) and SPLIT_V (input, size_splits, axis). */
  split(variable: boolean): void {
    const x = this.input(variable ? 0 : 1, 'input');
    const axisValues = this.constInts(this.input(variable ? 2 : 0, 'axis'), 'axis');
    const shape = this.tensor(x).shape;
    if (axisValues.length !== 1) throw this.fail(`axis holds ${axisValues.length} values; one is required`);
    const axis = axisValues[0] < 0 ? axisValues[0] + shape.length : axisValues[0];
    if (axis < 0 || axis >= shape.length) throw this.fail(`axis ${axisValues[0]} is out of range for rank ${shape.length}`);
    const outputs = this.op.outputs.map((_, i) => this.output(i));
    let sizes: number[];
    if (variable) {
      sizes = this.constInts(this.input(1, 'size_splits'), 'size_splits');
      const known = sizes.filter((v) => v !== -1).reduce((a, b) => a + b, 0);
      sizes = sizes.map((v) => (v === -1 ? shape[axis] - known : v));
    } else {
      const n = splitCount(this.options(OptionsType.Split)) || outputs.length;
      if (shape[axis] % n !== 0) throw this.fail(`dimension ${shape[axis]} does not split into ${n} equal parts`);
      sizes = new Array<number>(n).fill(shape[axis] / n);
    }
    if (sizes.length !== outputs.length || sizes.some((v) => v < 0) || sizes.reduce((a, b) => a + b, 0) !== shape[axis]) {
      throw this.fail(`split sizes [${sizes.join(', ')}] do not divide dimension ${shape[axis]} into ${outputs.length} outputs`);
    }
    this.addNode('Split', [x, this.int64Const(`${this.nodeName()}_sizes`, sizes)], outputs, { axis });
  }

  /**
   * UNPACK (the converter's per-step slicing of an unrolled Keras LSTM): a
   * SPLIT into size-1 parts along the axis, each reshaped to its output (the
   * axis removed). TFLM copies the bytes, so the parts keep the input's
   * quantization.
   */
  unpack(): void {
    const x = this.input(0, 'input');
    const xt = this.tensor(x);
    const given = unpackAxis(this.options(OptionsType.Unpack));
    const axis = given < 0 ? given + xt.shape.length : given;
    if (axis < 0 || axis >= xt.shape.length) throw this.fail(`axis ${given} is out of range for rank ${xt.shape.length}`);
    const outputs = this.op.outputs.map((_, i) => this.output(i));
    if (outputs.length !== xt.shape[axis]) throw this.fail(`${outputs.length} outputs for dimension ${xt.shape[axis]} of axis ${axis}`);
    const parts = outputs.map((y) => this.newTensor(`${y}_part`, { dtype: xt.dtype, shape: xt.shape.map((d, k) => (k === axis ? 1 : d)), quant: xt.quant }));
    this.addNode('Split', [x, this.int64Const(`${this.nodeName()}_sizes`, outputs.map(() => 1))], parts, { axis });
    outputs.forEach((y, i) => this.addNode('Reshape', [parts[i], this.int64Const(`${this.nodeName()}_shape_${i}`, this.tensor(y).shape)], [y], {}, `_${i}`));
  }

  /**
   * RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR on NHWC: an ONNX Resize on the
   * NCHW view with the coordinate and rounding modes that reproduce TFLite's
   * align_corners / half_pixel_centers (tf2onnx's mapping).
   */
  resize(bilinear: boolean): void {
    const o = resizeOptions(this.options(bilinear ? OptionsType.ResizeBilinear : OptionsType.ResizeNearestNeighbor), bilinear);
    const x = this.input(0, 'input');
    const size = this.constInts(this.input(1, 'size'), 'size');
    const y = this.output(0);
    const xs = this.tensor(x).shape;
    if (size.length !== 2) throw this.fail(`size holds ${size.length} values; [height, width] is required`);
    if (o.alignCorners && o.halfPixelCenters) throw this.fail('align_corners and half_pixel_centers together are not supported');
    const coordinate = o.alignCorners ? 'align_corners' : o.halfPixelCenters ? (bilinear ? 'half_pixel' : 'tf_half_pixel_for_nn') : 'asymmetric';
    const attrs: Record<string, AttrValue> = bilinear
      ? { mode: 'linear', coordinate_transformation_mode: coordinate }
      // TFLite GetNearestNeighbor: round(x * scale) with align_corners, else floor((x + offset) * scale)
      : { mode: 'nearest', coordinate_transformation_mode: coordinate, nearest_mode: o.alignCorners ? 'round_prefer_ceil' : 'floor' };
    const mid = this.fromNchwLater(y);
    const sizes = this.int64Const(`${this.nodeName()}_sizes`, [xs[0], xs[3], size[0], size[1]]);
    this.addNode('Resize', [this.toNchw(x, 'in'), '', '', sizes], [mid.name], attrs);
    mid.finish();
  }

  /**
   * UNIDIRECTIONAL_SEQUENCE_LSTM with TFLite Micro's integer arithmetic (int8
   * input, hidden state and output, int8 weights, int16 cell state, int32
   * bias): one edgec.TflLstm node (compiler/ops/lstm.ts) reading x, the four
   * gates' input weights, recurrent weights and biases (order input, forget,
   * cell, output). The hidden and cell states are the op's variable tensors,
   * which TFLM zeroes (h at its zero point) on Reset() and otherwise carries
   * from one Invoke() to the next; edgec starts each invoke from zero (state in
   * the kernel's arena scratch) unless built --stateful (ops/lstm.ts,
   * exposeTflLstmState). Variants TFLM's integer kernel or
   * edgec's does not run are refused: peepholes, projection, layer
   * normalization, CIFG, float and hybrid (float input, int8 weights) LSTMs.
   */
  sequenceLstm(): void {
    const o = sequenceLstmOptions(this.options(OptionsType.UnidirectionalSequenceLSTM));
    const slots = this.op.inputs;
    if (slots.length !== 24) throw this.fail(`${slots.length} inputs; UNIDIRECTIONAL_SEQUENCE_LSTM has 24`);
    const present = (slot: number): boolean => slots[slot] !== -1;
    if ([9, 10, 11].some(present)) throw this.fail('peephole connections are not supported');
    if ([16, 17].some(present)) throw this.fail('a projection layer is not supported');
    if ([20, 21, 22, 23].some(present)) throw this.fail('layer normalization is not supported');
    if (!present(1) || !present(5)) throw this.fail('coupled input and forget gates (CIFG: no input-gate weights) are not supported');
    if (o.diagonalRecurrentTensors) throw this.fail('diagonal recurrent weights are not supported');
    const x = this.input(0, 'input');
    const xt = this.tensor(x);
    const weights = [1, 2, 3, 4, 5, 6, 7, 8].map((slot) => this.constant(this.input(slot, slot < 5 ? 'input weights' : 'recurrent weights'), 'weights'));
    if (xt.dtype === 'float32') {
      const hybrid = weights.some((w) => w.dtype === 'int8');
      throw this.fail(hybrid ? 'a hybrid LSTM (float activations, int8 weights) is not supported; convert with full-int8 quantization' : 'a float LSTM is not supported; edgec compiles the full-int8 LSTM (int8 activations, int16 cell state)');
    }
    if (xt.dtype !== 'int8' || !xt.quant || xt.quant.axis !== -1) throw this.fail(`input '${x}' is ${xt.dtype}; the integer LSTM needs per-tensor int8`);
    if (xt.shape.length !== 3) throw this.fail(`input '${x}' has shape ${fmtShape(xt.shape)}; [batch, time, features] (or time-major) is required`);
    const [d0, d1, inputSize] = xt.shape;
    const batches = o.timeMajor ? d1 : d0;
    const hiddenState = this.stateTensor(18, 'hidden state', TensorType.INT8);
    const cellState = this.stateTensor(19, 'cell state', TensorType.INT16);
    const hidden = hiddenState.shape[1];
    for (const [what, t] of [['hidden state', hiddenState], ['cell state', cellState]] as const) {
      if (fmtShape(t.shape) !== fmtShape([batches, hidden])) throw this.fail(`${what} '${t.name}' has shape ${fmtShape(t.shape)}; [${batches}, ${hidden}] is required`);
    }
    weights.forEach((w, i) => {
      const expected = [hidden, i < 4 ? inputSize : hidden];
      if (w.dtype !== 'int8' || !w.quant) throw this.fail(`weights '${w.name}' are ${w.dtype}; the integer LSTM needs int8 weights`);
      if (w.quant.axis !== -1) throw this.fail(`weights '${w.name}' are quantized per channel; TFLite Micro's LSTM takes one scale per weight tensor`);
      if (w.quant.zeroPoint[0] !== 0) throw this.fail(`weights '${w.name}' have zero point ${w.quant.zeroPoint[0]}; symmetric int8 weights are required`);
      if (fmtShape(w.shape) !== fmtShape(expected)) throw this.fail(`weights '${w.name}' have shape ${fmtShape(w.shape)}; ${fmtShape(expected)} is required`);
    });
    const biases = [12, 13, 14, 15].map((slot) => {
      const b = this.constant(this.input(slot, 'gate bias'), 'gate bias');
      if (b.dtype !== 'int32') throw this.fail(`gate bias '${b.name}' has type ${b.dtype}; int32 is required`);
      if (fmtShape(b.shape) !== fmtShape([hidden])) throw this.fail(`gate bias '${b.name}' has shape ${fmtShape(b.shape)}; [${hidden}] is required`);
      return b.name;
    });
    const y = this.output(0);
    const yt = this.tensor(y);
    const expectedOut = [d0, d1, hidden]; // the input's layout, features replaced by the hidden units
    if (yt.dtype !== 'int8' || !yt.quant) throw this.fail(`output '${y}' is ${yt.dtype}; int8 is required`);
    if (fmtShape(yt.shape) !== fmtShape(expectedOut)) throw this.fail(`output '${y}' is declared ${fmtShape(yt.shape)} but the op gives ${fmtShape(expectedOut)}`);
    if (o.activation !== ACTIVATION_TANH && o.activation !== ACTIVATION_SIGMOID) throw this.fail(`cell activation ${ACTIVATION_NAMES[o.activation] ?? o.activation} is not supported (TANH or SIGMOID)`);
    const cellScale = cellState.quantization!.scale[0];
    if (cellScalePower(cellScale) === undefined) throw this.fail(`cell state scale ${cellScale} is not a power of two (TFLite Micro's integer LSTM requires one)`);
    // TFLM copies the hidden state's bytes to the output whatever the output's own parameters (the
    // converter gives both the same); the kernel does the same
    const hq = hiddenState.quantization!;
    const node = this.addNode(TFL_LSTM_OP, [x, ...weights.map((w) => w.name), ...biases], [y], tflLstmAttrs({
      timeMajor: o.timeMajor, cellClip: o.cellClip, cellScale, hiddenScale: hq.scale[0], hiddenZeroPoint: hq.zeroPoint[0] ?? 0,
      cellActivation: o.activation === ACTIVATION_SIGMOID ? 'sigmoid' : 'tanh', hiddenStateName: hiddenState.name, cellStateName: cellState.name,
    }));
    this.shapesChecked.add(node);
  }

  /** The LSTM's hidden or cell state: a per-tensor quantized variable tensor of the given type (read, not imported). */
  private stateTensor(slot: number, what: string, type: number): TflTensor {
    const index = this.op.inputs[slot];
    const t = index === -1 ? undefined : this.sg.tensors[index];
    if (!t) throw this.fail(`missing ${what} (input ${slot})`);
    const name = this.names[index];
    if (!t.isVariable) throw this.fail(`${what} '${name}' is not a variable tensor`);
    const typeName = type === TensorType.INT8 ? 'int8' : 'int16';
    if (t.type !== type) throw this.fail(`${what} '${name}' has TFLite type ${t.type}; the integer LSTM needs ${typeName}`);
    const q = t.quantization;
    if (!q || q.scale.length !== 1 || !(q.scale[0] > 0) || !Number.isFinite(q.scale[0])) throw this.fail(`${what} '${name}' needs one positive per-tensor scale`);
    if (t.shape.length !== 2 || t.shape.some((d) => !Number.isInteger(d) || d < 1)) throw this.fail(`${what} '${name}' has shape ${fmtShape(t.shape)}; [batch, units] is required`);
    if (type === TensorType.INT16 && (q.zeroPoint[0] ?? 0) !== 0) throw this.fail(`${what} '${name}' has zero point ${q.zeroPoint[0]}; 0 is required`);
    if (type === TensorType.INT8 && ((q.zeroPoint[0] ?? 0) < -128 || (q.zeroPoint[0] ?? 0) > 127)) throw this.fail(`${what} '${name}' has zero point ${q.zeroPoint[0]}, outside int8`);
    return { ...t, name };
  }

  logSoftmax(): void {
    this.addNode('LogSoftmax', [this.input(0, 'input')], [this.output(0)], { axis: -1 });
  }

  // ---- validation ---------------------------------------------------------

  /**
   * Every node's output shape, computed by the ONNX shape rules, must equal
   * the declared TFLite shape: a file whose shapes disagree with its ops
   * would otherwise compile to C that reads or writes out of bounds.
   */
  private checkShapes(graph: Graph): void {
    for (const node of graph.nodes) {
      if (this.shapesChecked.has(node)) continue;
      const rule = ruleFor(node);
      this.useOperator(this.origin.get(node)!);
      if (!rule) {
        const a = this.tensor(node.inputs[0]).shape;
        const b = this.tensor(node.outputs[0]).shape;
        if (fmtShape(a) !== fmtShape(b)) throw this.fail(`output shape ${fmtShape(b)} differs from input shape ${fmtShape(a)}`);
        continue;
      }
      let outs;
      try {
        outs = rule(ShapeContext.forGraph(graph, node));
      } catch (e) {
        if (e instanceof EdgecError) throw this.fail(e.message.replace(/^.*?\): /, ''));
        throw e;
      }
      node.outputs.forEach((name, i) => {
        const declared = this.tensor(name).shape;
        const inferred = outs[i]?.shape ?? [];
        if (fmtShape(declared) === fmtShape(inferred)) return;
        const twin = this.nhwcTwin.get(name);
        if (twin && inferred.length === 4) throw this.fail(`tensor '${twin}' is declared ${fmtShape(this.tensor(twin).shape)} but the op gives ${fmtShape(permute(inferred, NCHW_TO_NHWC))}`);
        throw this.fail(`tensor '${name}' is declared ${fmtShape(declared)} but the op gives ${fmtShape(inferred)}`);
      });
    }
  }
}

type Mapper = (this: TfliteImporter, op: TflOperator) => void;

/** TFLite builtin name -> how it becomes Graph nodes. */
const OPERATORS: Record<string, Mapper> = {
  CONV_2D() { this.conv2d(); },
  DEPTHWISE_CONV_2D() { this.depthwiseConv2d(); },
  FULLY_CONNECTED() { this.fullyConnected(); },
  ADD() { this.binary('Add', OptionsType.Add); },
  MUL() { this.binary('Mul', OptionsType.Mul); },
  SUB() { this.binary('Sub', OptionsType.Sub); },
  MAXIMUM() { this.twoInputs('Max'); },
  MINIMUM() { this.twoInputs('Min'); },
  PRELU() { this.twoInputs('PRelu'); },
  SPLIT() { this.split(false); },
  SPLIT_V() { this.split(true); },
  UNPACK() { this.unpack(); },
  RESIZE_NEAREST_NEIGHBOR() { this.resize(false); },
  RESIZE_BILINEAR() { this.resize(true); },
  LOG_SOFTMAX() { this.logSoftmax(); },
  UNIDIRECTIONAL_SEQUENCE_LSTM() { this.sequenceLstm(); },
  TRANSPOSE_CONV() { this.transposeConv(); },
  STRIDED_SLICE() { this.stridedSlice(); },
  AVERAGE_POOL_2D() { this.pool('AveragePool'); },
  MAX_POOL_2D() { this.pool('MaxPool'); },
  MEAN() { this.reduce('ReduceMean'); },
  SUM() { this.reduce('ReduceSum'); },
  REDUCE_MAX() { this.reduce('ReduceMax'); },
  REDUCE_MIN() { this.reduce('ReduceMin'); },
  SOFTMAX() { this.softmax(); },
  LOGISTIC() { this.unary('Sigmoid'); },
  TANH() { this.unary('Tanh'); },
  HARD_SWISH() { if (!this.tflmTable(hardSwishTable)) this.unary('HardSwish'); },
  LEAKY_RELU() { this.leakyRelu(); },
  RELU() { if (!this.tflmTable(reluTable)) this.unary('Relu'); },
  RELU6() { if (!this.tflmTable(relu6Table)) this.clip(0, 6); },
  RELU_N1_TO_1() { this.clip(-1, 1); },
  RSQRT() { this.tflmTableOnly(rsqrtTable); },
  ABS() { this.unary('Abs'); }, // ONNX Abs already runs TFLM's ABS arithmetic (ops/unary-table.ts)
  RESHAPE() { this.reshape(); },
  SQUEEZE() { this.reshape(); },
  EXPAND_DIMS() { this.reshape(); },
  CONCATENATION() { this.concatenation(); },
  PAD() { this.pad(false); },
  PADV2() { this.pad(true); },
  TRANSPOSE() { this.transpose(); },
  QUANTIZE() { this.quantize(); },
  DEQUANTIZE() { this.dequantize(); },
};

/** A QuantizeLinear / DequantizeLinear zero-point constant in the quantized tensor's own type. */
function zeroPointData(dtype: DType, zeroPoint: number): ConstData {
  return dtype === 'uint8' ? Uint8Array.of(zeroPoint) : dtype === 'int16' ? Int16Array.of(zeroPoint) : Int8Array.of(zeroPoint);
}

function autoPad(p: Padding): string {
  return p === 'SAME' ? 'SAME_UPPER' : 'VALID';
}

function bytesOf(dtype: DType): number {
  switch (dtype) {
    case 'int8': case 'uint8': case 'bool': return 1;
    case 'int16': return 2;
    case 'int32': case 'float32': return 4;
    case 'int64': case 'float64': return 8;
  }
}

/** TFLite conv filter [O, KH, KW, I] -> ONNX [O, I, KH, KW]. */
function ohwiToOihw(w: ConstData, o: number, kh: number, kw: number, i: number): ConstData {
  const out = new (w.constructor as Int8ArrayConstructor)(w.length) as unknown as ConstData;
  for (let oc = 0; oc < o; oc++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let ic = 0; ic < i; ic++)
          out[((oc * i + ic) * kh + y) * kw + x] = w[((oc * kh + y) * kw + x) * i + ic];
  return out;
}

/** TFLite transpose-conv filter [O, KH, KW, I] -> ONNX ConvTranspose [I, O, KH, KW]. */
function ohwiToIohw(w: ConstData, o: number, kh: number, kw: number, i: number): ConstData {
  const out = new (w.constructor as Int8ArrayConstructor)(w.length) as unknown as ConstData;
  for (let oc = 0; oc < o; oc++)
    for (let y = 0; y < kh; y++)
      for (let x = 0; x < kw; x++)
        for (let ic = 0; ic < i; ic++)
          out[((ic * o + oc) * kh + y) * kw + x] = w[((oc * kh + y) * kw + x) * i + ic];
  return out;
}

/** TFLite depthwise filter [1, KH, KW, C] -> ONNX [C, 1, KH, KW]. */
function hwcToChw(w: ConstData, kh: number, kw: number, c: number): ConstData {
  const out = new (w.constructor as Int8ArrayConstructor)(w.length) as unknown as ConstData;
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let ch = 0; ch < c; ch++)
        out[(ch * kh + y) * kw + x] = w[(y * kw + x) * c + ch];
  return out;
}
