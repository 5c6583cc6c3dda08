/**
 * HardSwish written out: PyTorch's `nn.Hardswish` exported below opset 14 (and
 * NNCF's graphs of it) is `Mul(x, HardSigmoid(x, alpha = 1/6, beta = 0.5))`.
 * That is exactly ONNX HardSwish, which edgec runs as one int8 op (a 256-entry
 * table with TFLite Micro's HARD_SWISH arithmetic), so the pair becomes one
 * HardSwish node before the quantization canonicalisation sees it (a float
 * producer output read by two ops is then read by one, and
 * unquantized-activation can quantize it).
 */
import type { Graph, Node } from '../ir/graph.js';
import { attrFloat } from '../ops/attrs.js';
import { producerOf } from '../ir/graph.js';
import { pruneTensors, removeNodes } from './graph-edit.js';
import { readersOf } from './qdq-edit.js';

/** HardSigmoid(x) = max(0, min(1, x/6 + 1/2)): the factor of HardSwish. */
function isHardSwishGate(node: Node): boolean {
  return node.opType === 'HardSigmoid'
    && Math.abs(attrFloat(node, 'alpha', 0.2) - 1 / 6) < 1e-6 && Math.abs(attrFloat(node, 'beta', 0.5) - 0.5) < 1e-6;
}

export function fuseHardSwish(graph: Graph): Graph {
  const dead = new Set<Node>();
  for (const mul of graph.nodes) {
    if (mul.opType !== 'Mul' || mul.inputs.length !== 2) continue;
    for (const [gateSlot, xSlot] of [[0, 1], [1, 0]]) {
      const gate = producerOf(graph, mul.inputs[gateSlot]);
      const x = mul.inputs[xSlot];
      if (!gate || dead.has(gate) || !isHardSwishGate(gate) || gate.inputs[0] !== x) continue;
      if (readersOf(graph, gate.outputs[0]).length !== 1 || graph.outputs.includes(gate.outputs[0])) continue;
      mul.opType = 'HardSwish';
      mul.inputs = [x];
      mul.attrs = {};
      dead.add(gate);
      break;
    }
  }
  removeNodes(graph, dead);
  pruneTensors(graph);
  return graph;
}
