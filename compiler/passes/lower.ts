/**
 * Lowering: the quantized ONNX graph becomes edgec's int8 program. Each ONNX
 * op is lowered by its declaration in compiler/ops; this pass only walks the
 * graph in order and checks that every output got a value.
 */
import type { Graph } from '../ir/graph.js';
import type { Program } from '../ir/program.js';
import { displayName, modelError } from '../errors.js';
import { loweringFor } from '../ops/index.js';
import { MultiplierRangeError } from '../ir/quant.js';
import { LoweringContext, ValueTypeError } from './lower-context.js';
import { unsupportedInt16Op } from '../ops/int16.js';

export interface LowerOptions {
  /** 'nhwc': channels-first model inputs are exposed channels-last (no layout copy before the first conv). */
  inputLayout?: 'declared' | 'nhwc';
}

export function lowerGraph(graph: Graph, name: string, options: LowerOptions = {}): Program {
  const ctx = new LoweringContext(graph, name);
  for (const input of graph.inputs) {
    const t = graph.tensors.get(input);
    if (t && !t.data && !['float32', 'int8', 'uint8', 'int16', 'int32'].includes(t.dtype)) {
      throw modelError(graph.fileName, undefined, `graph input '${displayName(input)}' has type ${t.dtype}; edgec takes float32, int8, uint8, int16 or int32 inputs`);
    }
    if (t && !t.data) ctx.defineInput(input, options.inputLayout === 'nhwc');
  }
  for (const node of graph.nodes) {
    const lowering = loweringFor(node.opType);
    if (!lowering) {
      const t = graph.tensors.get(node.inputs[0] ?? '');
      const why = t && !t.quant && t.dtype === 'float32' ? ' on float data (edgec compiles int8 models: pass --calibration <samples.npy> to quantize it)' : '';
      throw modelError(graph.fileName, node, `unsupported op ${node.opType} (opset ${graph.opset})${why}`);
    }
    const opsBefore = ctx.program.ops.length;
    try {
      lowering.lower(node, ctx);
      // a kernel handed data of another type computes garbage: int16 values only meet 16x8 kernels, and those only int16
      const mismatched = unsupportedInt16Op(ctx.program, ctx.program.ops.slice(opsBefore));
      if (mismatched) {
        const types = [...new Set([...mismatched.inputs, ...mismatched.outputs].map((id) => ctx.value(id).type))].join(' and ');
        throw modelError(graph.fileName, node, `${node.opType} on ${types} data is not supported (16x8 kernels: Conv, depthwise Conv, fully connected, Add, Mul, pools, ReduceMean/Sum, Softmax, Sigmoid, Tanh, Concat, Quantize / Dequantize, layout ops; int16 throughout)`);
      }
    } catch (e) {
      // Scales whose ratio the kernels cannot represent: one line naming the node, its output and the value.
      if (e instanceof ValueTypeError) throw modelError(graph.fileName, node, e.message);
      if (e instanceof MultiplierRangeError) throw modelError(graph.fileName, node, `output '${displayName(node.outputs[0] ?? '')}': ${e.message} (from the scales of its inputs and output)`, 'the model\'s quantization scales are out of range; re-quantize it');
      throw e;
    }
  }
  ctx.flushPendingCopies();
  // The generated API lists outputs in the model's declared order, not in the order ops happen to write them.
  const declaredIndex = (id: string): number => graph.outputs.indexOf(ctx.value(id).onnxName);
  ctx.program.outputs.sort((a, b) => declaredIndex(a) - declaredIndex(b));
  for (const out of graph.outputs) {
    if (!ctx.isLowered(out)) throw modelError(graph.fileName, undefined, `output '${out}' is not produced by any node`);
  }
  return ctx.program;
}
