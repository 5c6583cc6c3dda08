/**
 * What a shape rule sees: the node, its (already shaped) inputs, constant
 * input values, the opset, and typed attribute readers that fail with a
 * one-line model error naming the node.
 */
import type { AttrValue, ConstData, DType, Graph, Node, Tensor } from '../../ir/graph.js';
import { modelError, type EdgecError } from '../../errors.js';

export interface OutputInfo {
  dtype: DType;
  shape: number[];
}

/** A shape rule: the dtype and static shape of each node output, in order. */
export type ShapeRule = (ctx: ShapeContext) => OutputInfo[];

export class ShapeContext {
  constructor(
    readonly file: string,
    readonly opset: number,
    readonly node: Node,
    private readonly lookup: (name: string) => Tensor | undefined,
  ) {}

  static forGraph(graph: Graph, node: Node): ShapeContext {
    return new ShapeContext(graph.fileName, graph.opset, node, (n) => graph.tensors.get(n));
  }

  get inputCount(): number {
    // Trailing '' entries are omitted optionals, not real inputs.
    let n = this.node.inputs.length;
    while (n > 0 && this.node.inputs[n - 1] === '') n--;
    return n;
  }

  error(reason: string): EdgecError {
    return modelError(this.file, this.node, reason);
  }

  fail(reason: string): never {
    throw this.error(reason);
  }

  /** Input tensor at `slot`, or undefined when the optional input is omitted. */
  optional(slot: number): Tensor | undefined {
    const name = this.node.inputs[slot];
    if (name === undefined || name === '') return undefined;
    const t = this.lookup(name);
    if (!t) this.fail(`input '${name}' has no known shape`);
    return t;
  }

  input(slot: number): Tensor {
    const t = this.optional(slot);
    if (!t) this.fail(`missing required input ${slot}`);
    return t;
  }

  /** Constant data of an input (initializer, Constant or folded), undefined if computed at run time or omitted. */
  value(slot: number): ConstData | undefined {
    return this.optional(slot)?.data;
  }

  /** Integer values an input must hold at compile time (shapes, axes, pads...). */
  requireInts(slot: number, what: string): number[] {
    const t = this.optional(slot);
    if (!t) this.fail(`missing ${what} input`);
    if (!t.data) this.fail(`${what} input '${t.name}' must be a constant (it is computed at run time)`);
    return Array.from(t.data, (v) => v);
  }

  optionalInts(slot: number, what: string): number[] | undefined {
    return this.optional(slot) ? this.requireInts(slot, what) : undefined;
  }

  attr(name: string): AttrValue | undefined {
    return this.node.attrs[name];
  }

  int(name: string, fallback: number): number;
  int(name: string): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const v = this.node.attrs[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`attribute '${name}' must be an int`);
    return v;
  }

  float(name: string, fallback: number): number;
  float(name: string): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    const v = this.node.attrs[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'number') this.fail(`attribute '${name}' must be a float`);
    return v;
  }

  ints(name: string): number[] | undefined {
    const v = this.node.attrs[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x))) this.fail(`attribute '${name}' must be a list of ints`);
    return v as number[];
  }

  floats(name: string): number[] | undefined {
    const v = this.node.attrs[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) this.fail(`attribute '${name}' must be a list of floats`);
    return v as number[];
  }

  string(name: string, fallback: string): string {
    const v = this.node.attrs[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'string') this.fail(`attribute '${name}' must be a string`);
    return v;
  }

  tensor(name: string): Tensor | undefined {
    const v = this.node.attrs[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) this.fail(`attribute '${name}' must be a tensor`);
    return v;
  }

  /** Normalise a possibly negative axis against `rank`, failing if out of range. */
  axis(axis: number, rank: number, what = 'axis'): number {
    if (axis < -rank || axis >= rank) this.fail(`${what} ${axis} is out of range for rank ${rank}`);
    return axis < 0 ? axis + rank : axis;
  }
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function isIntegerDType(dtype: DType): boolean {
  return dtype !== 'float32' && dtype !== 'float64';
}

/** ONNX multidirectional (numpy) broadcasting. */
export function broadcastShapes(ctx: ShapeContext, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let dim = 1;
    for (const s of shapes) {
      const d = s[s.length - rank + i] ?? 1;
      if (d === dim || d === 1) continue;
      if (dim !== 1) ctx.fail(`cannot broadcast shapes ${shapes.map(fmtShape).join(' and ')}`);
      dim = d;
    }
    out.push(dim);
  }
  return out;
}
