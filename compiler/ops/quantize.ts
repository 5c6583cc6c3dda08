/**
 * Quantization changes: requantize (int8 -> int8 with another scale), and the
 * model's edges: quantize (float input -> int8), dequantize (int8 -> float
 * output), u8 <-> s8 (uint8 I/O of onnxruntime QUInt8 models).
 */
import type { Node, Tensor } from '../ir/graph.js';
import { AFFINE_STEPS, type AffineStep } from '../passes/fold-input-affine.js';
import type { Op, ParamValue, Value, ValueType } from '../ir/program.js';
import { identityPerm, physicalShape } from '../ir/layout.js';
import { quantizeMultiplier } from '../ir/quant.js';
import type { LoweringContext, Quant } from '../passes/lower-context.js';
import { fusedActivationRange, fusedClamp } from '../passes/fuse-activations.js';
import type { EmitEnv, OpDefinition } from './types.js';

export function sameQuant(a: Quant, b: Quant): boolean {
  return Math.fround(a.scale) === Math.fround(b.scale) && a.zeroPoint === b.zeroPoint;
}

/** A requantize op from value `input` (quant `from`) into value `output` (quant `to`). */
export function requantizeOp(name: string, input: string, from: Quant, output: string, to: Quant, act = { min: -128, max: 127 }): Op {
  const m = quantizeMultiplier(from.scale / to.scale);
  return {
    kind: 'requantize', name, onnxOp: 'Requantize', inputs: [input], outputs: [output],
    params: { size: 0, input_offset: -from.zeroPoint, output_offset: to.zeroPoint, mult: m.mult, shift: m.shift, act_min: act.min, act_max: act.max },
    consts: {}, macs: 0, inPlace: true,
  };
}

/**
 * Lower an op whose kernel keeps its input's quantization: it writes a
 * temporary with the input's quantization, then requantizes into the ONNX
 * output when the model asks for another one. Returns the value to write.
 */
export function outputWithQuant(ctx: LoweringContext, node: Node, perm: number[], kernelQuant: Quant): { write: string; finish: () => void } {
  const outName = node.outputs[0];
  const outQ = ctx.quant(node, outName);
  if (sameQuant(outQ, kernelQuant)) return { write: ctx.define(outName, perm), finish: () => undefined };
  const t = ctx.tensor(outName);
  const tmp = ctx.newValue(`${node.name}_pre_requant`, {
    type: 'int8', shape: physicalShape(t.shape, perm), scale: kernelQuant.scale, zeroPoint: kernelQuant.zeroPoint,
    role: 'activation', onnxName: outName, logicalShape: t.shape,
  });
  return {
    write: tmp,
    finish: () => {
      const out = ctx.define(outName, perm);
      // named after the op it completes, so reports show it as part of that op
      ctx.addOp({ ...requantizeOp(`${node.name}_requant`, tmp, kernelQuant, out, outQ), onnxOp: node.opType });
    },
  };
}

/**
 * Requantization with an int16 side (TFLM's QUANTIZE int16 -> int16 / int8,
 * int8 -> int16): the int8 rule, clamped to the output type.
 */
export function requantizeS16Op(name: string, input: string, inType: ValueType, from: Quant, output: string, outType: ValueType, to: Quant): Op {
  const m = quantizeMultiplier(from.scale / to.scale);
  return {
    kind: 'requantize_s16', name, onnxOp: 'Requantize', inputs: [input], outputs: [output],
    params: { in_type: inType, out_type: outType, input_offset: -from.zeroPoint, output_offset: to.zeroPoint, mult: m.mult, shift: m.shift },
    consts: {}, macs: 0, inPlace: inType === outType,
  };
}

function lowerRequantize(node: Node, ctx: LoweringContext): void {
  const src = ctx.readAny(node, node.inputs[0]);
  const inType = ctx.value(src.value).type;
  const outType = ctx.tensor(node.outputs[0]).dtype;
  if (inType === 'int16' || outType === 'int16') {
    const clamp = fusedClamp(node);
    if (node.attrs['edgec.factor'] !== undefined || Number.isFinite(clamp.min) || Number.isFinite(clamp.max)) throw ctx.fail(node, 'a requantization of int16 data with a folded scale or clamp is not supported');
    if (inType !== 'int16' && inType !== 'int8') throw ctx.fail(node, `requantizing ${inType} to int16 is not supported`);
    if (outType !== 'int16' && outType !== 'int8') throw ctx.fail(node, `requantizing int16 to ${outType} is not supported`);
    const out = ctx.define(node.outputs[0], src.perm);
    ctx.addOp(requantizeS16Op(node.name, src.value, inType, ctx.quant(node, node.inputs[0]), out, outType, ctx.quant(node, node.outputs[0])));
    return;
  }
  // edgec.factor (passes/fold-constant-scale.ts): the real value is also multiplied by a constant on the way
  const factor = node.attrs['edgec.factor'];
  const given = ctx.quant(node, node.inputs[0]);
  const inQ = typeof factor === 'number' ? { ...given, scale: given.scale * factor } : given;
  const outQ = ctx.quant(node, node.outputs[0]);
  const out = ctx.define(node.outputs[0], src.perm);
  const act = fusedActivationRange(node, outQ);
  ctx.addOp(requantizeOp(node.name, src.value, inQ, out, outQ, act));
}

function lowerQuantizeEdge(node: Node, ctx: LoweringContext): void {
  const t = ctx.tensor(node.outputs[0]);
  if (!t.quant || t.quant.axis !== -1) throw ctx.fail(node, 'only per-tensor QuantizeLinear is supported on activations');
  if (t.dtype === 'int16') return lowerQuantizeEdgeS16(node, ctx);
  if (t.dtype !== 'int8' && t.dtype !== 'uint8') throw ctx.fail(node, `QuantizeLinear to ${t.dtype} is not supported (int8/uint8/int16 only)`);
  // elementwise: quantize in whatever layout the float input is in (a Transpose before Q, as onnxruntime's
  // pre-processing leaves Keras Conv1D inputs, then costs no copy)
  const src = ctx.readAny(node, node.inputs[0]);
  if (ctx.value(src.value).type !== 'float32') throw ctx.fail(node, 'QuantizeLinear input must be float32');
  const q = { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] };
  // A uint8 result is produced as int8 (zero point - 128): uint8 only exists at the edges.
  const asInt8 = t.dtype === 'uint8' ? { scale: q.scale, zeroPoint: q.zeroPoint - 128 } : q;
  const out = ctx.define(node.outputs[0], src.perm, { type: 'int8', quant: asInt8 });
  ctx.addOp({ kind: 'quantize', name: node.name, onnxOp: 'QuantizeLinear', inputs: [src.value], outputs: [out], params: { scale: asInt8.scale, zero_point: asInt8.zeroPoint }, consts: {}, macs: 0 });
}

/** float -> int16 at a 16x8 model's edge (TFLM's AffineQuantize: round half away from zero). */
function lowerQuantizeEdgeS16(node: Node, ctx: LoweringContext): void {
  const src = ctx.readAny(node, node.inputs[0]);
  if (ctx.value(src.value).type !== 'float32') throw ctx.fail(node, 'QuantizeLinear input must be float32');
  const q = ctx.quant(node, node.outputs[0]);
  const out = ctx.define(node.outputs[0], src.perm);
  ctx.addOp({ kind: 'quantize_s16', name: node.name, onnxOp: 'QuantizeLinear', inputs: [src.value], outputs: [out], params: { scale: q.scale, zero_point: q.zeroPoint }, consts: {}, macs: 0 });
}

/**
 * edgec.QuantizeAffine (passes/fold-input-affine.ts): a float input's
 * normalisation steps, then QuantizeLinear, in one pass over the input. The
 * steps' constants vary along one logical axis; in memory that axis has
 * `channels` entries `inner` elements apart.
 */
function lowerQuantizeAffine(node: Node, ctx: LoweringContext): void {
  const t = ctx.tensor(node.outputs[0]);
  if (!t.quant || t.quant.axis !== -1) throw ctx.fail(node, 'only per-tensor QuantizeLinear is supported on activations');
  if (t.dtype === 'int16') throw ctx.fail(node, 'a normalised float input quantized to int16 is not supported (the folded normalisation kernel writes int8)');
  const src = ctx.readAny(node, node.inputs[0]);
  const x = ctx.value(src.value);
  if (x.type !== 'float32') throw ctx.fail(node, 'the normalised input must be float32');
  const steps = node.attrs.steps as string[];
  const constants = node.attrs.constants as Tensor;
  const axis = Number(node.attrs.axis);
  const physicalAxis = axis < 0 ? -1 : src.perm.indexOf(axis);
  const channels = physicalAxis < 0 ? 1 : x.shape[physicalAxis]!;
  const inner = physicalAxis < 0 ? 1 : x.shape.slice(physicalAxis + 1).reduce((a, b) => a * b, 1);
  const size = x.shape.reduce((a, b) => a * b, 1);
  const q = { scale: t.quant.scale[0], zeroPoint: t.quant.zeroPoint[0] };
  const asInt8 = t.dtype === 'uint8' ? { scale: q.scale, zeroPoint: q.zeroPoint - 128 } : q;
  const out = ctx.define(node.outputs[0], src.perm, { type: 'int8', quant: asInt8 });
  ctx.addOp({
    kind: 'quantize_affine', name: node.name, onnxOp: `${String(node.attrs['edgec.chain'])} -> QuantizeLinear`, inputs: [src.value], outputs: [out],
    params: { outer: size / (channels * inner), channels, inner, n_steps: steps.length, scale: asInt8.scale, zero_point: asInt8.zeroPoint },
    consts: {
      steps: ctx.addConst(`${node.name}_steps`, 'int8', Int8Array.from(steps, (st) => AFFINE_STEPS.indexOf(st as AffineStep))),
      constants: ctx.addConst(`${node.name}_constants`, 'float32', Float32Array.from(constants.data as Float32Array)),
    },
    macs: 0,
  });
}

function lowerDequantizeEdge(node: Node, ctx: LoweringContext): void {
  const inName = node.inputs[0];
  const q = ctx.quant(node, inName);
  const shape = ctx.tensor(inName).shape;
  const src = ctx.read(node, inName, identityPerm(shape.length));
  const out = ctx.define(node.outputs[0], src.perm, { type: 'float32', quant: { scale: 0, zeroPoint: 0 } });
  const int16 = ctx.value(src.value).type === 'int16';
  ctx.addOp({ kind: int16 ? 'dequantize_s16' : 'dequantize', name: node.name, onnxOp: 'DequantizeLinear', inputs: [src.value], outputs: [out], params: { scale: q.scale, zero_point: q.zeroPoint }, consts: {}, macs: 0 });
}

function lowerSignFlip(node: Node, ctx: LoweringContext, kind: 'u8_to_s8' | 's8_to_u8'): void {
  const src = ctx.readAny(node, node.inputs[0]);
  const t = ctx.tensor(node.outputs[0]);
  const q = ctx.tensor(node.inputs[0]).quant;
  const zp = q ? q.zeroPoint[0] : 0;
  const out = ctx.define(node.outputs[0], src.perm, {
    type: kind === 'u8_to_s8' ? 'int8' : 'uint8',
    quant: { scale: t.quant?.scale[0] ?? 0, zeroPoint: kind === 'u8_to_s8' ? zp - 128 : zp + 128 },
  });
  ctx.addOp({ kind, name: node.name, onnxOp: kind, inputs: [src.value], outputs: [out], params: {}, consts: {}, macs: 0, inPlace: true });
}

function elementCount(env: EmitEnv, id: string): number {
  const v: Value | undefined = env.program.values.get(id);
  return v ? v.shape.reduce((a, b) => a * b, 1) : 0;
}

function cFloat(x: number): string {
  const s = Math.fround(x).toPrecision(9);
  return `${s.includes('e') || s.includes('.') ? s : `${s}.0`}f`;
}

/** The kernels of a model's float edges: float -> int8 / int16, and back (the ops --int8-io and --stateful drop). */
export const EDGE_QUANTIZE_KINDS: ReadonlySet<string> = new Set(['quantize', 'quantize_s16']);
export const EDGE_DEQUANTIZE_KINDS: ReadonlySet<string> = new Set(['dequantize', 'dequantize_s16']);

export const quantize: OpDefinition = {
  lowerings: [
    { onnxOps: ['edgec.Requantize'], lower: lowerRequantize },
    { onnxOps: ['QuantizeLinear'], lower: lowerQuantizeEdge },
    { onnxOps: ['edgec.QuantizeAffine'], lower: lowerQuantizeAffine },
    { onnxOps: ['DequantizeLinear'], lower: lowerDequantizeEdge },
    { onnxOps: ['edgec.U8ToS8'], lower: (n, c) => lowerSignFlip(n, c, 'u8_to_s8') },
    { onnxOps: ['edgec.S8ToU8'], lower: (n, c) => lowerSignFlip(n, c, 's8_to_u8') },
  ],
  portable: {
    requantize: {
      sources: ['edgec_requantize_s8.c'], template: 'requantize',
      view: (op, env) => ({
        input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'int8_t'), size: elementCount(env, op.outputs[0]),
        args: ['input_offset', 'output_offset', 'mult', 'shift', 'act_min', 'act_max'].map((f) => op.params[f]).join(', '),
      }),
    },
    quantize: {
      sources: ['edgec_quantize_s8.c'], template: 'quantize',
      view: (op, env) => ({ input: env.ptr(op.inputs[0], 'const float'), output: env.ptr(op.outputs[0], 'int8_t'), size: elementCount(env, op.outputs[0]), scale: cFloat(Number(op.params.scale)), zero_point: op.params.zero_point }),
    },
    quantize_affine: {
      sources: ['edgec_quantize_affine_f32_s8.c'], template: 'quantize_affine',
      view: (op, env) => ({
        input: env.ptr(op.inputs[0], 'const float'), output: env.ptr(op.outputs[0], 'int8_t'),
        steps: env.constName(op.consts.steps!), constants: env.constName(op.consts.constants!), scale: cFloat(Number(op.params.scale)),
        args: ['outer', 'channels', 'inner', 'n_steps'].map((f) => op.params[f]).join(', '), zero_point: op.params.zero_point,
      }),
    },
    dequantize: {
      sources: ['edgec_quantize_s8.c'], template: 'dequantize',
      view: (op, env) => ({ input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'float'), size: elementCount(env, op.outputs[0]), scale: cFloat(Number(op.params.scale)), zero_point: op.params.zero_point }),
    },
    requantize_s16: {
      sources: ['edgec_requantize_s16.c'], template: 'requantize_s16',
      view: (op, env) => {
        const ctype = (t: ParamValue): string => (t === 'int16' ? 'int16_t' : 'int8_t');
        const suffix = (t: ParamValue): string => (t === 'int16' ? 's16' : 's8');
        return {
          fn: `edgec_requantize_${suffix(op.params.in_type)}_${suffix(op.params.out_type)}`,
          input: env.ptr(op.inputs[0], `const ${ctype(op.params.in_type)}`), output: env.ptr(op.outputs[0], ctype(op.params.out_type)), size: elementCount(env, op.outputs[0]),
          args: ['input_offset', 'output_offset', 'mult', 'shift'].map((f) => op.params[f]).join(', '),
        };
      },
    },
    quantize_s16: {
      sources: ['edgec_quantize_s16.c'], template: 'quantize_s16',
      view: (op, env) => ({ input: env.ptr(op.inputs[0], 'const float'), output: env.ptr(op.outputs[0], 'int16_t'), size: elementCount(env, op.outputs[0]), scale: cFloat(Number(op.params.scale)), zero_point: op.params.zero_point }),
    },
    dequantize_s16: {
      sources: ['edgec_quantize_s16.c'], template: 'dequantize_s16',
      view: (op, env) => ({ input: env.ptr(op.inputs[0], 'const int16_t'), output: env.ptr(op.outputs[0], 'float'), size: elementCount(env, op.outputs[0]), scale: cFloat(Number(op.params.scale)), zero_point: op.params.zero_point }),
    },
    u8_to_s8: {
      sources: ['edgec_quantize_s8.c'], template: 'u8_to_s8',
      view: (op, env) => ({ input: env.ptr(op.inputs[0], 'const uint8_t'), output: env.ptr(op.outputs[0], 'int8_t'), size: elementCount(env, op.outputs[0]) }),
    },
    s8_to_u8: {
      sources: ['edgec_quantize_s8.c'], template: 's8_to_u8',
      view: (op, env) => ({ input: env.ptr(op.inputs[0], 'const int8_t'), output: env.ptr(op.outputs[0], 'uint8_t'), size: elementCount(env, op.outputs[0]) }),
    },
  },
};

export { cFloat };
