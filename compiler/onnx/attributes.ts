/**
 * AttributeProto → AttrValue. Ints become numbers (every int attribute edgec
 * reads — axes, pads, kernel sizes, dtype codes — fits a double), tensors
 * become constant Tensors. Graph-valued attributes (If/Loop bodies) have no
 * AttrValue form; those ops are rejected as unsupported later, so they are
 * skipped here rather than failing with a less useful message.
 */
import type { AttrValue } from '../ir/graph.js';
import { has, toNumber, type AttributeProto, type IntLike } from './proto.js';
import { decodeTensor, type TensorSource } from './tensor-data.js';
import { modelError } from '../errors.js';

const enum AttrType { UNDEFINED = 0, FLOAT = 1, INT = 2, STRING = 3, TENSOR = 4, GRAPH = 5, FLOATS = 6, INTS = 7, STRINGS = 8, TENSORS = 9, GRAPHS = 10, SPARSE_TENSOR = 11 }

const utf8 = new TextDecoder();

/** Old exporters leave `type` unset; infer it from the populated field. */
function attrType(a: AttributeProto): number {
  if (a.type) return a.type;
  if (a.floats && a.floats.length) return AttrType.FLOATS;
  if (a.ints && a.ints.length) return AttrType.INTS;
  if (a.strings && a.strings.length) return AttrType.STRINGS;
  if (has(a, 't')) return AttrType.TENSOR;
  if (has(a, 'g')) return AttrType.GRAPH;
  if (has(a, 's')) return AttrType.STRING;
  if (has(a, 'i')) return AttrType.INT;
  if (has(a, 'f')) return AttrType.FLOAT;
  return AttrType.UNDEFINED;
}

export function decodeAttribute(a: AttributeProto, src: TensorSource, where: { name: string; opType: string }): AttrValue | undefined {
  const name = a.name ?? '';
  switch (attrType(a)) {
    case AttrType.FLOAT: return a.f ?? 0;
    case AttrType.INT: return toNumber(a.i);
    case AttrType.STRING: return utf8.decode(a.s ?? new Uint8Array());
    case AttrType.TENSOR: {
      if (!a.t) throw modelError(src.file, where, `attribute '${name}' has no tensor`);
      return decodeTensor(a.t, src, a.t.name || `${where.name}.${name}`);
    }
    case AttrType.FLOATS: return [...(a.floats ?? [])];
    case AttrType.INTS: return (a.ints ?? []).map((v: IntLike) => toNumber(v));
    case AttrType.STRINGS: return (a.strings ?? []).map((s) => utf8.decode(s));
    case AttrType.UNDEFINED:
      // An empty repeated attribute (e.g. `axes=[]`) carries no field at all on the wire.
      return [];
    default: return undefined;
  }
}
