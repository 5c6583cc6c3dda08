/** Typed access to ONNX node attributes and constant inputs. */
import type { Graph, Node } from '../ir/graph.js';
import { modelError } from '../errors.js';

export function attrInt(node: Node, name: string, dflt: number): number {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : dflt;
}

export function attrFloat(node: Node, name: string, dflt: number): number {
  return attrInt(node, name, dflt);
}

export function attrInts(node: Node, name: string, dflt: number[]): number[] {
  const v = node.attrs[name];
  return Array.isArray(v) ? v.map(Number) : dflt;
}

export function attrString(node: Node, name: string, dflt: string): string {
  const v = node.attrs[name];
  return typeof v === 'string' ? v : dflt;
}

/** A constant integer-list input (pads, axes, shape); undefined when the input is omitted. */
export function constInts(graph: Graph, node: Node, index: number): number[] | undefined {
  const name = node.inputs[index] ?? '';
  if (name === '') return undefined;
  const t = graph.tensors.get(name);
  if (!t?.data) throw modelError(graph.fileName, node, `input ${index} ('${name}') must be a constant`);
  return Array.from(t.data, Number);
}

/** Window geometry along one spatial axis. */
export interface AxisWindow { padBegin: number; padEnd: number }

/**
 * Padding per spatial axis from auto_pad / pads (ONNX semantics). `inSizes`,
 * `outSizes`, kernel, stride and dilation are per spatial axis.
 */
export function windowPads(graph: Graph, node: Node, inSizes: number[], outSizes: number[], kernel: number[], strides: number[], dilations: number[]): AxisWindow[] {
  const autoPad = attrString(node, 'auto_pad', 'NOTSET');
  const n = inSizes.length;
  if (autoPad === 'VALID') return inSizes.map(() => ({ padBegin: 0, padEnd: 0 }));
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    return inSizes.map((inSize, i) => {
      const total = Math.max(0, (outSizes[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSize);
      const small = Math.floor(total / 2);
      return autoPad === 'SAME_UPPER' ? { padBegin: small, padEnd: total - small } : { padBegin: total - small, padEnd: small };
    });
  }
  if (autoPad !== 'NOTSET') throw modelError(graph.fileName, node, `unsupported auto_pad '${autoPad}'`);
  const pads = attrInts(node, 'pads', new Array<number>(2 * n).fill(0));
  if (pads.some((p) => p < 0)) throw modelError(graph.fileName, node, 'negative pads are not supported');
  return inSizes.map((_, i) => ({ padBegin: pads[i], padEnd: pads[i + n] }));
}
