/**
 * IR Graph → serialized ONNX model. Quantization edits the imported Graph
 * (static shapes, folded constants) and writes it back as ONNX so that the
 * float model can be calibrated in onnxruntime, the QDQ result can be saved
 * (`edgec quantize`) and the normal import path compiles exactly that file.
 */
import type { AttrValue, Graph, Node, Tensor } from '../ir/graph.js';
import { elementCount } from '../ir/graph.js';
import { onnx, onnxFromDType, type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto } from '../onnx/proto.js';

const AttrType = onnx.AttributeProto.AttributeType;

/**
 * The IR keeps attribute numbers as plain numbers, so int vs float is lost on
 * import. These attribute names are float in every default-domain op edgec
 * handles (Gemm alpha/beta, BatchNormalization epsilon, LeakyRelu alpha,
 * Clip min/max before opset 11, Pad value, ...); everything else is an int.
 */
const FLOAT_ATTRS = new Set(['alpha', 'beta', 'epsilon', 'momentum', 'min', 'max', 'value', 'gamma', 'lambd', 'bias', 'ratio', 'scale', 'scales']);

function bytesOf(data: Tensor['data'], dtype: Tensor['dtype']): Uint8Array {
  if (!data) return new Uint8Array();
  if (dtype === 'int64') {
    // int64 constants are held as doubles in the IR
    const out = new BigInt64Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = BigInt(Math.round(Number(data[i])));
    return new Uint8Array(out.buffer);
  }
  if (dtype === 'bool') return Uint8Array.from(data, (v) => (v ? 1 : 0));
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

export function encodeTensor(t: Tensor): TensorProto {
  const n = elementCount(t.shape);
  if (t.data && t.data.length !== n) throw new Error(`internal: tensor '${t.name}' has ${t.data.length} values for shape [${t.shape.join(',')}]`);
  return onnx.TensorProto.create({ name: t.name, dims: t.shape, dataType: onnxFromDType(t.dtype), rawData: bytesOf(t.data, t.dtype) });
}

function encodeAttr(name: string, v: AttrValue): AttributeProto {
  if (typeof v === 'number') {
    return FLOAT_ATTRS.has(name) || !Number.isInteger(v)
      ? onnx.AttributeProto.create({ name, type: AttrType.FLOAT, f: v })
      : onnx.AttributeProto.create({ name, type: AttrType.INT, i: v });
  }
  if (typeof v === 'string') return onnx.AttributeProto.create({ name, type: AttrType.STRING, s: new TextEncoder().encode(v) });
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === 'string') {
      return onnx.AttributeProto.create({ name, type: AttrType.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) });
    }
    const nums = v as number[];
    return FLOAT_ATTRS.has(name) || nums.some((x) => !Number.isInteger(x))
      ? onnx.AttributeProto.create({ name, type: AttrType.FLOATS, floats: nums })
      : onnx.AttributeProto.create({ name, type: AttrType.INTS, ints: nums });
  }
  return onnx.AttributeProto.create({ name, type: AttrType.TENSOR, t: encodeTensor(v) });
}

function encodeNode(node: Node): NodeProto {
  // edgec-internal attributes (edgec.act ...) never reach a written model
  const attribute = Object.entries(node.attrs).filter(([k]) => !k.startsWith('edgec.')).map(([k, v]) => encodeAttr(k, v));
  return onnx.NodeProto.create({ name: node.name, opType: node.opType, domain: node.domain, input: node.inputs, output: node.outputs, attribute });
}

function valueInfo(t: Tensor): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name: t.name,
    type: { tensorType: { elemType: onnxFromDType(t.dtype), shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } },
  });
}

/** Serializes `graph`; `extraOutputs` are appended to the graph outputs (calibration reads intermediates). */
export function writeOnnx(graph: Graph, extraOutputs: readonly string[] = []): Uint8Array {
  const used = new Set<string>();
  graph.nodes.forEach((n) => n.inputs.forEach((i) => used.add(i)));
  graph.outputs.forEach((o) => used.add(o));
  const initializer = [...graph.tensors.values()].filter((t) => t.data && used.has(t.name) && !graph.inputs.includes(t.name)).map(encodeTensor);
  const outputs = [...graph.outputs, ...extraOutputs.filter((o) => !graph.outputs.includes(o))];
  const tensor = (name: string): Tensor => {
    const t = graph.tensors.get(name);
    if (!t) throw new Error(`internal: no tensor '${name}' to write`);
    return t;
  };
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'edgec',
    opsetImport: [{ domain: '', version: graph.opset }],
    graph: onnx.GraphProto.create({
      name: graph.name || 'edgec',
      node: graph.nodes.map(encodeNode),
      initializer,
      input: graph.inputs.map((i) => valueInfo(tensor(i))),
      output: outputs.map((o) => valueInfo(tensor(o))),
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
