/**
 * State shared by the per-op lowerings (compiler/ops/*): maps ONNX tensors to
 * program values with their physical layout, inserts layout copies only when
 * an op needs a layout the value does not already have in memory, and
 * collects constants and ops.
 */
import type { Graph, Node, Tensor } from '../ir/graph.js';
import { typeBytes, type ConstArray, type Op, type Program, type Value, type ValueType } from '../ir/program.js';
import { channelsLastPerm, copyPerm, identityPerm, physicalShape, sameMemoryOrder, type Perm } from '../ir/layout.js';
import { displayName, modelError, type EdgecError } from '../errors.js';
import { isGeneratedSymbolSuffix, UniqueCNames } from '../emit/c-names.js';

/** Ids are C identifier suffixes (`<name>_<id>`): short enough that the whole stays within C99's 63 significant characters for usual names. */
const VALUE_ID_MAX = 40;

export interface Lowered {
  value: string;
  perm: Perm;
}

export interface Quant { scale: number; zeroPoint: number }

export class LoweringContext {
  readonly program: Program;
  private readonly lowered = new Map<string, Lowered>();
  private readonly copies = new Map<string, Lowered>();
  private readonly usedIds = new UniqueCNames(isGeneratedSymbolSuffix);
  /**
   * Flattened tensors whose features stay in their producer's memory order
   * (NHWC) because every reader is a fully connected layer that permutes its
   * weight columns instead: position j in memory holds logical feature order[j].
   */
  readonly featureOrder = new Map<string, number[]>();
  /** Layout copies into declared-layout graph outputs, waiting for the op that writes their source. */
  private readonly pendingCopies = new Map<string, Op>();

  constructor(readonly graph: Graph, name: string) {
    this.program = { name, values: new Map(), consts: new Map(), ops: [], inputs: [], outputs: [] };
  }

  tensor(name: string): Tensor {
    const t = this.graph.tensors.get(name);
    if (!t) throw new Error(`internal: unknown tensor '${name}'`);
    return t;
  }

  fail(node: Node, reason: string, hint?: string): EdgecError {
    return modelError(this.graph.fileName, node, reason, hint);
  }

  /** Per-tensor quantization of an int8 activation or constant. */
  quant(node: Node, name: string): Quant {
    const t = this.tensor(name);
    if (!t.quant) {
      throw this.fail(node, `tensor '${name}' is not quantized (float ${t.dtype}); edgec compiles int8 QDQ models`, 'pass --calibration <samples.npy> to let edgec quantize it, or give a QDQ model (onnxruntime quantize_static)');
    }
    if (t.quant.axis !== -1) throw this.fail(node, `tensor '${name}' is quantized per channel where per-tensor is required`);
    return { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] };
  }

  isLowered(name: string): boolean {
    return this.lowered.has(name);
  }

  /** The value holding ONNX tensor `name`, in any layout. */
  readAny(node: Node, name: string): Lowered {
    const l = this.lowered.get(name);
    if (!l) {
      const t = this.graph.tensors.get(name);
      if (t?.data) throw this.fail(node, `constant input '${name}' is not supported here`);
      throw this.fail(node, `input '${name}' is not produced by any supported node`);
    }
    return l;
  }

  /** The value holding `name` in layout `perm` (copying through a transpose if its memory order differs). */
  read(node: Node, name: string, perm: Perm): Lowered {
    const l = this.readAny(node, name);
    const shape = this.tensor(name).shape;
    if (sameMemoryOrder(shape, l.perm, perm)) return l;
    const key = `${l.value}|${perm.join(',')}`;
    const cached = this.copies.get(key);
    if (cached) return cached;
    const src = this.value(l.value);
    const id = this.newValue(`${l.value}_t`, { ...src, role: 'activation', aliasOf: undefined, aliasOffset: undefined, shape: physicalShape(shape, perm), perm });
    this.addOp({
      kind: 'transpose', name: `${node.name}_layout`, onnxOp: 'Transpose', inputs: [l.value], outputs: [id],
      params: { rank: src.shape.length, in_dims: src.shape, perm: copyPerm(l.perm, perm), elem_bytes: elementBytes(src.type) }, consts: {}, macs: 0,
    });
    const copy = { value: id, perm };
    this.copies.set(key, copy);
    return copy;
  }

  value(id: string): Value {
    const v = this.program.values.get(id);
    if (!v) throw new Error(`internal: unknown value '${id}'`);
    return v;
  }

  /** Value and constant ids become C identifiers (`<name>_<id>`): sanitised, bounded, unique (emit/c-names.ts). */
  private uniqueId(base: string): string {
    return this.usedIds.take(base, VALUE_ID_MAX);
  }

  newValue(base: string, v: Omit<Value, 'id'>): string {
    const id = this.uniqueId(base);
    this.program.values.set(id, { ...v, id });
    return id;
  }

  /** Define the value of ONNX tensor `name` with the given layout (and quantization override). */
  define(name: string, perm: Perm, opts: { type?: ValueType; quant?: Quant; aliasOf?: string; aliasOffset?: number } = {}): string {
    const t = this.tensor(name);
    // a view of a view is a view of the root, at the summed offset
    const base = opts.aliasOf === undefined ? undefined : this.value(opts.aliasOf);
    const aliasOf = base?.aliasOf ?? opts.aliasOf;
    const offset = (base?.aliasOffset ?? 0) + (opts.aliasOffset ?? 0);
    const q = opts.quant ?? (t.quant && t.quant.axis === -1 ? { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] } : { scale: 0, zeroPoint: 0 });
    const type = opts.type ?? valueTypeOf(t);
    const isOutput = this.graph.outputs.includes(name);
    const natural = identityPerm(t.shape.length);
    const needsCopy = isOutput && !sameMemoryOrder(t.shape, perm, natural);
    const id = this.newValue(needsCopy ? `${name}_internal` : name, {
      type, shape: physicalShape(t.shape, perm), scale: q.scale, zeroPoint: q.zeroPoint,
      role: isOutput && !needsCopy ? 'output' : 'activation', onnxName: name, logicalShape: t.shape, aliasOf, aliasOffset: aliasOf !== undefined && offset > 0 ? offset : undefined, perm,
    });
    this.lowered.set(name, { value: id, perm });
    if (needsCopy) {
      // Outputs are exposed in the model's declared layout. The copy must run
      // after the op that writes `id`, which the lowering adds after define():
      // it is held back until then (an alias already has its data).
      const out = this.newValue(name, { ...this.value(id), role: 'output', aliasOf: undefined, aliasOffset: undefined, shape: t.shape.slice(), perm: natural });
      const copy: Op = {
        kind: 'transpose', name: `${name}_to_declared_layout`, onnxOp: 'Transpose', inputs: [id], outputs: [out],
        params: { rank: t.shape.length, in_dims: physicalShape(t.shape, perm), perm: copyPerm(perm, natural), elem_bytes: elementBytes(type) }, consts: {}, macs: 0,
      };
      if (aliasOf) this.addOp(copy);
      else this.pendingCopies.set(id, copy);
      this.program.outputs.push(out);
    } else if (isOutput) {
      this.program.outputs.push(id);
    }
    return id;
  }

  /**
   * A model input. `channelsLast`: a rank-4 (or rank-3) channels-first input
   * is exposed in NHWC order instead (`--input-layout nhwc`), so the first
   * convolution reads the user's data without a layout copy.
   */
  defineInput(name: string, channelsLast = false): string {
    const t = this.tensor(name);
    if (channelsLast && t.shape.length >= 3) {
      const perm = channelsLastPerm(t.shape.length);
      const q = t.quant ? { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] } : { scale: 0, zeroPoint: 0 };
      const shape = physicalShape(t.shape, perm);
      const id = this.newValue(name, {
        type: valueTypeOf(t), shape, scale: q.scale, zeroPoint: q.zeroPoint,
        role: 'input', onnxName: name, logicalShape: shape, perm,
      });
      this.lowered.set(name, { value: id, perm });
      this.program.inputs.push(id);
      return id;
    }
    const q = t.quant ? { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] } : { scale: 0, zeroPoint: 0 };
    const id = this.newValue(name, {
      type: valueTypeOf(t), shape: t.shape.slice(), scale: q.scale, zeroPoint: q.zeroPoint,
      role: 'input', onnxName: name, logicalShape: t.shape, perm: identityPerm(t.shape.length),
    });
    this.lowered.set(name, { value: id, perm: identityPerm(t.shape.length) });
    this.program.inputs.push(id);
    return id;
  }

  addConst(base: string, type: ConstArray['type'], data: ConstArray['data']): string {
    const id = this.uniqueId(`${base}`);
    this.program.consts.set(id, { id, type, data });
    return id;
  }

  addOp(op: Op): void {
    this.program.ops.push(op);
    for (const id of op.outputs) {
      const copy = this.pendingCopies.get(id);
      if (!copy) continue;
      this.pendingCopies.delete(id);
      this.addOp(copy);
    }
  }

  /** Output copies whose source no op wrote (should not happen; kept so the output is still produced). */
  flushPendingCopies(): void {
    for (const copy of this.pendingCopies.values()) this.program.ops.push(copy);
    this.pendingCopies.clear();
  }
}

export function valueTypeOf(t: Tensor): ValueType {
  switch (t.dtype) {
    case 'int8': return 'int8';
    case 'uint8': return 'uint8';
    case 'int16': return 'int16';
    case 'int32': return 'int32';
    case 'float32': return 'float32';
    default: throw new ValueTypeError(t);
  }
}

/** A tensor of a type the generated code has no buffers for (float64, int64, bool...); lowering names the node. */
export class ValueTypeError extends Error {
  constructor(readonly tensor: Tensor) {
    super(`tensor '${displayName(tensor.name)}' has type ${tensor.dtype}; edgec's generated code holds int8, uint8, int16, int32 and float32 tensors`);
    this.name = 'ValueTypeError';
  }
}

/** Bytes per element of a value type (a transpose's `elem_bytes`: the libraries move int8 / uint8 only). */
export function elementBytes(type: ValueType): number {
  return typeBytes(type);
}
