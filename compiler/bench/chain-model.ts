/**
 * A synthetic QDQ model of any length for the build-time benchmark and the
 * scale tests: input -> Q -> (DQ -> op -> Q) x layers -> DQ -> output, where
 * the ops cycle through LUT activations (Sigmoid, Tanh), a Relu and a small
 * fully connected layer (Gemm 8x8). Long unrolled recurrent models look like
 * this to the compiler: one long dependency chain of small int8 layers.
 */
import { onnx, type ModelProto, type NodeProto, type TensorProto } from '../onnx/proto.js';

const FLOAT = 1;
const INT8 = 3;
const INT32 = 6;
const WIDTH = 8;

function scalarFloat(name: string, value: number): TensorProto {
  return { name, dataType: FLOAT, dims: [], floatData: [value] };
}

function scalarInt8(name: string, value: number): TensorProto {
  return { name, dataType: INT8, dims: [], int32Data: [value] };
}

function node(opType: string, input: string[], output: string[], attribute: NodeProto['attribute'] = []): NodeProto {
  return { opType, input, output, name: output[0], attribute };
}

/** The layer kinds the chain cycles through; every one lowers to one int8 kernel. */
const KINDS = ['Sigmoid', 'Gemm', 'Tanh', 'Relu'] as const;

/** An ONNX model of `layers` int8 layers in one chain (about 3 ONNX nodes per layer). */
export function chainModel(layers: number): ModelProto {
  const initializer: TensorProto[] = [scalarFloat('s', 0.05), scalarInt8('z', 0), scalarFloat('s_lut', 1 / 256), scalarInt8('z_lut', -128)];
  const weights = Array.from({ length: WIDTH * WIDTH }, (_, i) => ((i * 37) % 255) - 127);
  initializer.push({ name: 'w', dataType: INT8, dims: [WIDTH, WIDTH], int32Data: weights }, scalarFloat('w_s', 0.01), scalarInt8('w_z', 0));
  initializer.push({ name: 'b', dataType: INT32, dims: [WIDTH], int32Data: Array.from({ length: WIDTH }, (_, i) => i * 10 - 40) });
  initializer.push(scalarFloat('b_s', 0.05 * 0.01), { name: 'b_z', dataType: INT32, dims: [], int32Data: [0] });
  const nodes: NodeProto[] = [
    node('DequantizeLinear', ['w', 'w_s', 'w_z'], ['w_dq']),
    node('DequantizeLinear', ['b', 'b_s', 'b_z'], ['b_dq']),
    node('QuantizeLinear', ['x', 's', 'z'], ['q0']),
  ];
  let q = 'q0';
  let inScale = ['s', 'z'];
  for (let i = 0; i < layers; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const f = `f${i}`;
    const y = `y${i}`;
    nodes.push(node('DequantizeLinear', [q, ...inScale], [f]));
    if (kind === 'Gemm') nodes.push(node('Gemm', [f, 'w_dq', 'b_dq'], [y], [{ name: 'transB', type: 2, i: 1 }]));
    else nodes.push(node(kind, [f], [y]));
    // Sigmoid's output range is [0, 1]: it gets the LUT scale; the others the common one.
    const out = kind === 'Sigmoid' ? ['s_lut', 'z_lut'] : ['s', 'z'];
    q = `q${i + 1}`;
    nodes.push(node('QuantizeLinear', [y, ...out], [q]));
    inScale = out;
  }
  nodes.push(node('DequantizeLinear', [q, ...inScale], ['y']));
  const valueInfo = (name: string) => ({ name, type: { tensorType: { elemType: FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: WIDTH }] } } } });
  return onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'edgec-bench',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'chain', node: nodes, initializer, input: [valueInfo('x')], output: [valueInfo('y')] },
  });
}

export function chainModelBytes(layers: number): Uint8Array {
  return onnx.ModelProto.encode(chainModel(layers)).finish();
}
