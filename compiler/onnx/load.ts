/**
 * ONNX import (design.md pipeline step 1): decode the protobuf, resolve
 * initializers / Constant nodes / external data, pick the default-domain
 * opset, resolve dynamic input dims, infer every tensor's dtype and static
 * shape, fold shape plumbing into constants, and return a topologically
 * sorted Graph. Every user-caused problem is a one-line EdgecError (exit 2).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { bytesPerElement, elementCount, type AttrValue, type Graph, type Node, type Tensor } from '../ir/graph.js';
import { largestBoardBytes } from '../boards.js';
import { displayName, EdgecError, modelError } from '../errors.js';
import { decodeAttribute } from './attributes.js';
import { foldConstants, evaluateNode } from './fold-constants.js';
import { dtypeFromOnnx, has, onnx, onnxDTypeName, toNumber, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from './proto.js';
import { ShapeContext, fmtShape } from './shapes/context.js';
import { DEFAULT_DOMAINS, ruleFor, unsupportedOp } from './shapes/index.js';
import { constantNodeTensor } from './shapes/tensor-ops.js';
import { decodeTensor, type TensorSource } from './tensor-data.js';
import { topoSort } from './topo-sort.js';

export interface LoadOptions {
  /** Graph input name → full static dims (the CLI's `--shape name=1,49,10,1`). */
  shapes?: Record<string, number[]>;
  /**
   * Drop folded nodes and unused tensors (default true). With false, every
   * node and tensor of the file stays (computable ones still carry data),
   * which tools use to look at intermediates.
   */
  fold?: boolean;
  /**
   * `--stateful`: `shapes` may also change dims the model fixes, e.g. a
   * 16-step sequence axis to 1 so each invoke runs one step (the state
   * carries the rest); shape inference then re-derives every tensor.
   */
  overrideFixedDims?: boolean;
}

export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

export function loadModel(path: string, options: LoadOptions = {}): Graph {
  if (!existsSync(path)) throw modelError(path, undefined, 'file not found');
  if (!statSync(path).isFile()) throw modelError(path, undefined, 'not a file');
  return loadModelBytes(readFileSync(path), { ...options, fileName: path, baseDir: dirname(path) });
}

/** Same as loadModel for bytes in memory; fileName is used in messages, baseDir for external data. */
export function loadModelBytes(bytes: Uint8Array, options: LoadOptions & { fileName?: string; baseDir?: string } = {}): Graph {
  const src: TensorSource = { file: options.fileName ?? 'model.onnx', baseDir: options.baseDir ?? '.' };
  return importModel(decodeModel(bytes, src.file), src, options);
}

export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  if (bytes.length === 0) throw modelError(file, undefined, 'file is empty, not an ONNX model');
  let model: ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (e) {
    // protobufjs throws RangeError/Error on bad wire types and reads past the end.
    const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw modelError(file, undefined, `corrupt or truncated ONNX protobuf (${why})`, 'is this an .onnx file, completely downloaded?');
  }
  if (!has(model, 'graph') || !model.graph) throw modelError(file, undefined, 'not an ONNX model (no graph)');
  return model;
}

function defaultOpset(model: ModelProto, file: string): number {
  const entry = model.opsetImport.find((o) => DEFAULT_DOMAINS.includes(o.domain ?? ''));
  if (!entry) throw modelError(file, undefined, 'no opset import for the default ONNX domain');
  const version = toNumber(entry.version);
  if (version < MIN_OPSET || version > MAX_OPSET) {
    throw modelError(file, undefined, `unsupported opset ${version} (edgec accepts opsets ${MIN_OPSET}-${MAX_OPSET})`, 're-export the model with a supported opset_version');
  }
  return version;
}

/** A declared dim: a number, a symbolic name, or undefined when neither is set. */
type DeclaredDim = number | string | undefined;

function declaredType(vi: ValueInfoProto): { elemType: number; dims: DeclaredDim[] | undefined } | undefined {
  const tt = vi.type?.tensorType;
  if (!tt) return undefined;
  const dims = tt.shape ? (tt.shape.dim ?? []).map((d): DeclaredDim => {
    if (has(d, 'dimValue')) {
      const v = toNumber(d.dimValue);
      return v >= 0 ? v : undefined;
    }
    return has(d, 'dimParam') && d.dimParam ? d.dimParam : undefined;
  }) : undefined;
  return { elemType: tt.elemType ?? 0, dims };
}

const showDims = (dims: readonly DeclaredDim[]): string => `[${dims.map((d) => d ?? '?').join(', ')}]`;

/**
 * Static dims for a graph input: an explicit --shape wins (it must agree with
 * the declared static dims); otherwise a dynamic leading (batch) axis becomes
 * 1 and any other dynamic dim is an error naming the tensor.
 */
export function resolveInputDims(file: string, name: string, declared: DeclaredDim[] | undefined, override: number[] | undefined, overrideFixed = false): number[] {
  if (override) {
    if (override.some((d) => !Number.isInteger(d) || d < 1)) throw new EdgecError(`--shape ${name}=${override.join(',')}: dims must be positive integers`);
    if (declared && declared.length !== override.length) {
      throw new EdgecError(`--shape ${name}=${override.join(',')} has rank ${override.length} but the model declares ${showDims(declared)}`);
    }
    declared?.forEach((d, i) => {
      if (typeof d === 'number' && d !== override[i] && !overrideFixed) {
        throw new EdgecError(`--shape ${name}=${override.join(',')} conflicts with the model's declared shape ${showDims(declared)} at axis ${i}`);
      }
    });
    return [...override];
  }
  if (!declared) throw modelError(file, undefined, `input '${name}' has no declared shape`, `give it with --shape ${name}=<dims>`);
  return declared.map((d, i) => {
    if (typeof d === 'number') return d;
    if (i === 0) return 1;
    const hint = `pass --shape ${name}=${declared.map((x, j) => (typeof x === 'number' ? x : j === 0 ? 1 : `<${x ?? 'n'}>`)).join(',')}`;
    throw modelError(file, undefined, `input '${name}' has unresolved dimension ${d === undefined ? '(unknown)' : `'${d}'`} at axis ${i} of ${showDims(declared)}`, hint);
  });
}

function graphInputTensor(vi: ValueInfoProto, file: string, override: number[] | undefined, overrideFixed: boolean): Tensor {
  const name = vi.name ?? '';
  const type = declaredType(vi);
  if (!type) throw modelError(file, undefined, `input '${name}' is not a tensor`);
  const dtype = dtypeFromOnnx(type.elemType);
  if (!dtype) throw modelError(file, undefined, `input '${name}' has unsupported element type ${onnxDTypeName(type.elemType)}`);
  return { name, dtype, shape: resolveInputDims(file, name, type.dims, override, overrideFixed) };
}

/** Unique node names: explicit names kept (first occurrence), anonymous ones become `<OpType>_<index>`, clashes get `_k`. */
export function uniqueNodeNames(protos: readonly { name?: string | null; opType?: string | null }[]): string[] {
  const used = new Set<string>();
  const explicit = new Set(protos.map((p) => p.name ?? '').filter((n) => n !== ''));
  const names: string[] = [];
  protos.forEach((p, i) => {
    const own = p.name ?? '';
    let base = own !== '' ? own : `${p.opType ?? 'node'}_${i}`;
    // An anonymous node must not take a name that an explicit node uses later in the file.
    if (own === '' && explicit.has(base)) base = `${base}_anon`;
    let name = base;
    for (let k = 1; used.has(name) || (own === '' && explicit.has(name)); k++) name = `${base}_${k}`;
    used.add(name);
    names.push(name);
  });
  return names;
}

function convertNode(p: NodeProto, name: string, src: TensorSource): Node {
  const node: Node = { name, opType: p.opType ?? '', domain: p.domain ?? '', inputs: [...(p.input ?? [])], outputs: [...(p.output ?? [])], attrs: {} };
  // No prototype: an attribute named '__proto__' is just an (unknown) attribute.
  const attrs = Object.create(null) as Record<string, AttrValue>;
  for (const a of p.attribute ?? []) {
    const v = decodeAttribute(a, src, node);
    if (v !== undefined) attrs[a.name ?? ''] = v;
  }
  node.attrs = attrs;
  return node;
}

/**
 * Declared output / value_info types must agree with inference where they
 * are concrete; `checkDims` false: the element type only (--stateful
 * --shape changed a dim the model fixes, so the exporter's declared shapes
 * downstream are stale).
 */
function checkDeclared(vi: ValueInfoProto, t: Tensor, file: string, checkDims: boolean): void {
  const type = declaredType(vi);
  if (!type) return;
  const dtype = dtypeFromOnnx(type.elemType);
  if (type.elemType !== 0 && dtype && dtype !== t.dtype) {
    throw modelError(file, undefined, `tensor '${t.name}' is declared ${dtype} but its producer yields ${t.dtype}`);
  }
  const dims = type.dims;
  if (!dims || !checkDims) return;
  if (dims.length !== t.shape.length || dims.some((d, i) => typeof d === 'number' && d !== t.shape[i])) {
    throw modelError(file, undefined, `tensor '${t.name}' is declared ${showDims(dims)} but infers to ${fmtShape(t.shape)}`);
  }
}

export function importModel(model: ModelProto, src: TensorSource, options: LoadOptions = {}): Graph {
  const file = src.file;
  const opset = defaultOpset(model, file);
  const g = model.graph as GraphProto;
  if ((g.node ?? []).length === 0) throw modelError(file, undefined, 'graph is empty (no nodes)');
  if ((g.sparseInitializer ?? []).length > 0) throw modelError(file, undefined, 'sparse initializers are not supported');

  const tensors = new Map<string, Tensor>();
  for (const init of g.initializer ?? []) {
    const t = decodeTensor(init, src);
    checkSize(file, `initializer '${displayName(t.name)}'`, t);
    const twin = tensors.get(t.name);
    // Which of two different values would win is unspecified: refuse rather than pick one.
    if (twin && !sameConstant(twin, t)) throw modelError(file, undefined, `initializer '${displayName(t.name)}' is defined twice with different values`);
    tensors.set(t.name, t);
  }
  if ((g.output ?? []).length === 0) throw modelError(file, undefined, 'graph has no outputs', 'a model must declare at least one graph output');

  // Older exporters list initializers among the graph inputs too; those are constants, not inputs.
  const inputs: string[] = [];
  const overrides = options.shapes ?? {};
  for (const vi of g.input ?? []) {
    const name = vi.name ?? '';
    if (inputs.includes(name)) throw modelError(file, undefined, `graph input '${displayName(name)}' is declared twice`);
    if (tensors.has(name)) continue;
    const t = graphInputTensor(vi, file, Object.hasOwn(overrides, name) ? overrides[name] : undefined, options.overrideFixedDims === true);
    checkSize(file, `input '${displayName(name)}'`, t);
    tensors.set(name, t);
    inputs.push(name);
  }
  for (const name of Object.keys(overrides)) {
    if (!inputs.includes(name)) throw new EdgecError(`--shape ${name}: the model has no graph input '${name}' (inputs: ${inputs.join(', ') || 'none'})`, 2);
  }

  const protos = g.node ?? [];
  const names = uniqueNodeNames(protos);
  const nodes: Node[] = [];
  const producedBy = new Map<string, Node>();
  protos.forEach((p, i) => {
    const node = convertNode(p, names[i]!, src);
    for (const o of node.outputs) {
      if (o === '') continue;
      if (tensors.has(o) && !producedBy.has(o)) throw modelError(file, node, `output '${o}' is also a graph input or initializer`);
      const other = producedBy.get(o);
      if (other) throw modelError(file, node, `output '${o}' is also produced by node '${other.name}'`);
      producedBy.set(o, node);
    }
    const isConstant = node.opType === 'Constant' && DEFAULT_DOMAINS.includes(node.domain);
    if (isConstant) {
      const out = node.outputs[0] ?? '';
      tensors.set(out, constantNodeTensor(ShapeContext.forGraph({ name: '', fileName: file, opset, tensors, nodes: [], inputs: [], outputs: [] }, node), out));
    } else {
      nodes.push(node);
    }
  });

  // Report unsupported ops before anything else: they are the most useful first message.
  for (const node of nodes) if (!ruleFor(node)) throw unsupportedOp(file, node, opset);

  const sorted = topoSort(nodes, new Set(tensors.keys()), file);
  const outputs = (g.output ?? []).map((o) => o.name ?? '');
  const twice = outputs.find((o, i) => outputs.indexOf(o) !== i);
  if (twice !== undefined) throw modelError(file, undefined, `graph output '${displayName(twice)}' is listed twice`);
  for (const o of outputs) if (!tensors.has(o) && !producedBy.has(o)) throw modelError(file, undefined, `graph output '${o}' is not produced by any node`);

  const graph: Graph = { name: g.name ?? '', fileName: file, opset, tensors, nodes: sorted, inputs, outputs };
  inferAll(graph);

  const declared = [...(g.output ?? []), ...(g.valueInfo ?? [])];
  const fixedDimsChanged = options.overrideFixedDims === true && Object.keys(overrides).length > 0;
  for (const vi of declared) {
    const t = tensors.get(vi.name ?? '');
    if (t) checkDeclared(vi, t, file, !fixedDimsChanged);
  }
  return options.fold === false ? graph : foldConstants(graph);
}

/** Shape-infer every node in order, evaluating foldable ones so later value-dependent rules (Reshape...) see constants. */
function inferAll(graph: Graph): void {
  for (const node of graph.nodes) {
    const rule = ruleFor(node);
    if (!rule) throw unsupportedOp(graph.fileName, node, graph.opset);
    const ctx = ShapeContext.forGraph(graph, node);
    const outs = rule(ctx);
    node.outputs.forEach((name, i) => {
      if (name === '') return;
      const info = outs[i];
      if (!info) throw modelError(graph.fileName, node, `output ${i} ('${name}') is not supported`);
      const t: Tensor = { name, dtype: info.dtype, shape: info.shape };
      // Before any constant is evaluated: a huge inferred shape must not reach an allocation.
      checkSize(graph.fileName, `output '${displayName(name)}'`, t, node);
      graph.tensors.set(name, t);
    });
    if (node.outputs.some((o) => graph.outputs.includes(o))) continue;
    const values = evaluateNode(ctx, outs);
    if (values) node.outputs.forEach((name, i) => graph.tensors.set(name, { ...graph.tensors.get(name)!, data: values[i]! }));
  }
}

/**
 * No tensor may be larger than the largest board's memory (RAM or flash,
 * boards/*.json): beyond that no build can run, and sizes stop fitting the
 * generated C's int32 dims and uint32 byte counts.
 */
function checkSize(file: string, what: string, t: Tensor, node?: Node): void {
  const limit = largestBoardBytes();
  const elements = elementCount(t.shape);
  const bytes = elements * bytesPerElement(t.dtype);
  if (t.shape.some((d) => !Number.isSafeInteger(d) || d < 0) || !(bytes <= limit)) {
    throw modelError(file, node, `${what} of shape ${fmtShape(t.shape)} (${t.dtype}) is ${Number.isFinite(bytes) ? `${bytes} bytes` : 'unboundedly large'}, more than the largest board's memory (${limit} bytes)`);
  }
}

/** Same dtype, shape and values (two initializers of one name that agree are harmless). */
function sameConstant(a: Tensor, b: Tensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) return false;
  if (!a.data || !b.data || a.data.length !== b.data.length) return a.data === b.data;
  for (let i = 0; i < a.data.length; i++) if (!Object.is(a.data[i], b.data[i])) return false;
  return true;
}
