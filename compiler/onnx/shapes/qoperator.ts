/**
 * Shape rules of the QOperator ops (onnx/qoperator.ts): the float op's rule
 * on the node's data inputs, with the output type of its zero point (uint8
 * when omitted) or float32 when the op writes float (QGemm without y_scale).
 */
import type { DType, Node } from '../../ir/graph.js';
import { qoperatorForm } from '../qoperator.js';
import { ShapeContext, type ShapeRule } from './context.js';

const QUANTIZED: readonly DType[] = ['int8', 'uint8'];

export function qoperatorShapeRule(floatRule: (opType: string) => ShapeRule | undefined): ShapeRule {
  return (ctx) => {
    const form = qoperatorForm(ctx.node);
    if (!form) throw ctx.error('internal: not a QOperator node');
    const rule = floatRule(form.floatOp);
    if (!rule) throw ctx.error(`internal: no shape rule for ${form.floatOp}`);
    for (const operand of form.inputs) {
      if (operand.name === '') ctx.fail('missing required input');
      if (!operand.quant) continue;
      const t = ctx.optional(ctx.node.inputs.indexOf(operand.name));
      if (t && !QUANTIZED.includes(t.dtype)) ctx.fail(`quantized input '${operand.name}' has type ${t.dtype} (int8 or uint8 expected)`);
      if (operand.quant.scale === '') ctx.fail(`input '${operand.name}' has no scale`);
    }
    const floatNode: Node = { ...ctx.node, opType: form.floatOp, domain: '', inputs: form.inputs.map((i) => i.name), attrs: form.attrs };
    const opset = form.opset ?? ctx.opset;
    const lookup = (name: string) => {
      const zp = ctx.node.inputs.indexOf(name);
      return zp >= 0 ? ctx.optional(zp) : undefined;
    };
    const outs = rule(new ShapeContext(ctx.file, opset, floatNode, lookup));
    const outZp = form.output?.zeroPoint ? ctx.optional(ctx.node.inputs.indexOf(form.output.zeroPoint)) : undefined;
    if (outZp && !QUANTIZED.includes(outZp.dtype)) ctx.fail(`output zero point has type ${outZp.dtype} (int8 or uint8 expected)`);
    const dtype: DType = form.output ? outZp?.dtype ?? 'uint8' : 'float32';
    return outs.slice(0, 1).map((o) => ({ dtype, shape: o.shape }));
  };
}
