/**
 * The two ONNX models of a split: the head (the nodes the cut tensor is
 * computed from, ending in a DequantizeLinear of it, which the device build
 * exposes as int8) and the tail (a float input, quantized again exactly as
 * the model did, then the rest of the user's nodes unchanged).
 */
import { onnx, type GraphProto, type ModelProto, type NodeProto, type ValueInfoProto } from '../onnx/proto.js';
import type { Cut } from './cut.js';

const FLOAT = 1; // onnx.TensorProto.DataType.FLOAT

function floatValueInfo(name: string, shape: readonly number[]): ValueInfoProto {
  return onnx.ValueInfoProto.fromObject({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: shape.map((d) => ({ dimValue: d })) } } } });
}

/** A copy of `model` whose graph holds only `nodes`, the given inputs / outputs, and the initializers those nodes read. */
function subModel(model: ModelProto, nodes: NodeProto[], inputs: ValueInfoProto[], outputs: ValueInfoProto[], graphName: string): Uint8Array {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const graph = copy.graph as GraphProto;
  const read = new Set(nodes.flatMap((n) => n.input ?? []));
  const written = new Set(nodes.flatMap((n) => n.output ?? []));
  graph.node = nodes.map((n) => onnx.NodeProto.fromObject(onnx.NodeProto.toObject(n as InstanceType<typeof onnx.NodeProto>)));
  graph.initializer = graph.initializer.filter((t) => read.has(t.name ?? ''));
  const initializerNames = new Set(graph.initializer.map((t) => t.name ?? ''));
  // older exporters list initializers among the inputs as well: keep those the nodes still read
  const listedInitializers = graph.input.filter((v) => initializerNames.has(v.name ?? ''));
  graph.input = [...inputs, ...listedInitializers].map((v) => onnx.ValueInfoProto.fromObject(v));
  graph.output = outputs.map((v) => onnx.ValueInfoProto.fromObject(v));
  graph.valueInfo = graph.valueInfo.filter((v) => written.has(v.name ?? ''));
  graph.name = graphName;
  return onnx.ModelProto.encode(copy).finish();
}

/** head.onnx: the model up to the cut, whose only output is the cut tensor dequantized (the build exposes it as int8, so the device sends the int8 values). */
export function headModel(model: ModelProto, cut: Cut, cutShape: readonly number[]): Uint8Array {
  const nodes = model.graph?.node ?? [];
  const [, scale, zeroPoint] = cut.quantizeNode.input ?? [];
  // the head's output carries the cut tensor's own name (what <name>_output(0)->name says on the device);
  // the int8 tensor inside the head, written by the model's QuantizeLinear, takes another
  const inner = cut.headInnerName;
  const headNodes = cut.headNodes.map((i) => {
    const n = onnx.NodeProto.fromObject(onnx.NodeProto.toObject(nodes[i] as InstanceType<typeof onnx.NodeProto>));
    n.output = n.output.map((o) => (o === cut.tensor ? inner : o));
    return n;
  });
  const dequantize = onnx.NodeProto.fromObject({
    name: `${cut.tensor}_split_dequantize`, opType: 'DequantizeLinear',
    input: zeroPoint ? [inner, scale, zeroPoint] : [inner, scale], output: [cut.tensor],
  });
  const headInputs = new Set(cut.headNodes.flatMap((i) => nodes[i].input ?? []));
  const inputs = (model.graph?.input ?? []).filter((v) => headInputs.has(v.name ?? ''));
  return subModel(model, [...headNodes, dequantize], inputs, [floatValueInfo(cut.tensor, cutShape)], `${model.graph?.name ?? 'model'}_head`);
}

/** tail.onnx: float input = the cut tensor dequantized; quantized again with the model's own QuantizeLinear, then the rest of the graph. */
export function tailModel(model: ModelProto, cut: Cut, cutShape: readonly number[]): Uint8Array {
  const nodes = model.graph?.node ?? [];
  const requantize = onnx.NodeProto.fromObject({
    ...onnx.NodeProto.toObject(cut.quantizeNode as InstanceType<typeof onnx.NodeProto>),
    name: `${cut.tensor}_split_quantize`,
    input: [cut.dequantizedName, ...(cut.quantizeNode.input ?? []).slice(1)],
  });
  return subModel(model, [requantize, ...cut.tailNodes.map((i) => nodes[i])], [floatValueInfo(cut.dequantizedName, cutShape)], model.graph?.output ?? [], `${model.graph?.name ?? 'model'}_tail`);
}
