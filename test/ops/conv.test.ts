/**
 * Conv against onnxruntime: strides, asymmetric pads (also larger than the
 * stride), auto_pad, dilation, groups, depthwise with channel multiplier,
 * 1-D, 1×1 inputs, odd channel counts, bias or not, fused Relu / Relu6 (Clip),
 * per-tensor weights, float and uint8 I/O.
 */
import { describeOp, QdqBuilder, Rand, inputRms, type OpCase, type QType } from './harness.js';
import type { AttrInput } from '../helpers/onnx-builder.js';

interface ConvConfig {
  cin: number;
  cout: number;
  /** [H, W]; 1-D conv when `oneD` (H ignored). */
  hw: [number, number];
  k: [number, number];
  strides?: [number, number];
  dil?: [number, number];
  /** [top, left, bottom, right] */
  pads?: [number, number, number, number];
  autoPad?: 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  group?: number;
  bias?: boolean;
  act?: 'relu' | 'relu6' | 'relu-removed';
  io?: 'int8' | 'float';
  dtype?: QType;
  perChannel?: boolean;
  oneD?: boolean;
}

function outSize(inSize: number, k: number, s: number, d: number, pb: number, pe: number): number {
  return Math.floor((inSize + pb + pe - d * (k - 1) - 1) / s) + 1;
}

function describeConfig(c: ConvConfig): string {
  const parts = [`${c.oneD ? `1-D w${c.hw[1]}` : `${c.hw[0]}x${c.hw[1]}`} c${c.cin}->${c.cout}`, `k${c.oneD ? c.k[1] : c.k.join('x')}`];
  if (c.strides) parts.push(`s${c.strides.join(',')}`);
  if (c.dil) parts.push(`d${c.dil.join(',')}`);
  if (c.pads) parts.push(`pads[${c.pads.join(',')}]`);
  if (c.autoPad) parts.push(c.autoPad);
  if ((c.group ?? 1) > 1) parts.push(c.group === c.cin ? `depthwise x${c.cout / c.cin}` : `g${c.group}`);
  if (c.bias === false) parts.push('no bias');
  if (c.act) parts.push(c.act);
  if (c.io === 'float') parts.push('float I/O');
  if (c.dtype === 'uint8') parts.push('uint8');
  if (c.perChannel === false) parts.push('per-tensor w');
  return parts.join(' ');
}

function convCase(r: Rand, c: ConvConfig): OpCase {
  const dtype = c.dtype ?? 'int8';
  const q = new QdqBuilder({ opset: 13 });
  const inQ = r.qparams(dtype);
  const g = c.group ?? 1;
  const dims = c.oneD ? [1, c.cin, c.hw[1]] : [1, c.cin, c.hw[0], c.hw[1]];
  const x = q.input('x', dims, inQ, c.io ?? 'int8');
  const kernel = c.oneD ? [c.k[1]] : c.k;
  const wShape = [c.cout, c.cin / g, ...kernel];
  const fanIn = (c.cin / g) * kernel.reduce((a, b) => a * b, 1);
  const weight = r.floats(wShape.reduce((a, b) => a * b, 1));
  let std = Math.sqrt(fanIn / 3) * inputRms(inQ);
  if (c.act) {
    // keep the pre-activation around ±6 so Relu6 really clips and Relu sees both signs
    const f = 3 / std;
    weight.forEach((v, i) => { weight[i] = v * f; });
    std = 3;
  }
  const attrs: Record<string, AttrInput> = {};
  const pick = (v: [number, number]): number[] => (c.oneD ? [v[1]] : v);
  if (c.strides) attrs.strides = pick(c.strides);
  if (c.dil) attrs.dilations = pick(c.dil);
  if (c.pads) attrs.pads = c.oneD ? [c.pads[1], c.pads[3]] : c.pads;
  if (c.autoPad) attrs.auto_pad = c.autoPad;
  if (g > 1) attrs.group = g;
  const out = c.act === 'relu-removed'
    // quantize_static drops a Relu it can fold: the output range starts at 0 (zero point at the bottom)
    ? { scale: Math.fround((3 * std) / 255), zeroPoint: dtype === 'int8' ? -128 : 0, dtype }
    : c.act ? { scale: Math.fround(12 / 255), zeroPoint: dtype === 'int8' ? r.int(-10, 10) : r.int(118, 138), dtype } : r.outFor(std, dtype);
  let y = q.conv(x, {
    weight, weightShape: wShape, bias: c.bias === false ? undefined : r.floats(c.cout, -std / 2, std / 2),
    out, attrs, perChannel: c.perChannel, name: 'conv',
  });
  if (c.act === 'relu') y = q.op('Relu', [y]);
  if (c.act === 'relu6') {
    q.b.float('clip_min', 0).float('clip_max', 6);
    y = q.op('Clip', [y], {}, { extraInputs: ['clip_min', 'clip_max'] });
  }
  q.output(y, 'y', c.io ?? 'int8');
  return { name: describeConfig(c), model: q.toBytes() };
}

/** A random valid configuration. */
function randomConfig(r: Rand): ConvConfig {
  for (;;) {
    const oneD = r.bool(0.15);
    const hw: [number, number] = [oneD ? 1 : r.int(1, 11), r.int(1, 11)];
    const k: [number, number] = [oneD ? 1 : r.int(1, 4), r.int(1, 4)];
    const strides: [number, number] = [oneD ? 1 : r.int(1, 3), r.int(1, 3)];
    const dil: [number, number] = [oneD ? 1 : r.pick([1, 1, 2]), r.pick([1, 1, 2])];
    const padOf = (axis: 0 | 1): number => (oneD && axis === 0 ? 0 : r.int(0, dil[axis] * (k[axis] - 1) + 1));
    const pads: [number, number, number, number] = [padOf(0), padOf(1), padOf(0), padOf(1)];
    const autoPad = r.pick([undefined, undefined, undefined, 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const);
    const mode = r.pick(['plain', 'plain', 'group', 'depthwise'] as const);
    const group = mode === 'plain' ? 1 : mode === 'depthwise' ? r.int(2, 9) : r.int(2, 3);
    const cin = mode === 'depthwise' ? group : group * r.int(1, 5);
    const cout = mode === 'depthwise' ? cin * r.int(1, 3) : group * r.int(1, 4);
    // onnxruntime runs no dilated SAME_* convolution
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') dil.fill(1);
    const cfg: ConvConfig = {
      cin, cout, hw, k, strides, dil, oneD, group,
      ...(autoPad ? { autoPad } : { pads }),
      bias: r.bool(0.8), act: r.pick([undefined, undefined, 'relu', 'relu6'] as const),
    };
    const p = cfg.pads ?? [0, 0, 0, 0];
    const ok = [0, 1].every((a) => outSize(hw[a]!, k[a]!, strides[a]!, dil[a]!, autoPad ? 0 : p[a]!, autoPad ? 0 : p[a + 2]!) >= 1);
    if (ok) return cfg;
  }
}

const r = new Rand(101);
const fixed: ConvConfig[] = [
  { cin: 3, cout: 8, hw: [9, 9], k: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  { cin: 5, cout: 7, hw: [8, 7], k: [3, 2], strides: [1, 2], pads: [0, 2, 1, 0] },
  { cin: 4, cout: 6, hw: [6, 6], k: [3, 3], strides: [1, 1], pads: [2, 2, 2, 2] }, // padding larger than stride
  { cin: 2, cout: 3, hw: [7, 5], k: [3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' },
  { cin: 2, cout: 3, hw: [7, 6], k: [4, 3], strides: [2, 3], autoPad: 'SAME_LOWER' },
  { cin: 3, cout: 4, hw: [7, 7], k: [3, 3], strides: [2, 1], autoPad: 'VALID' },
  { cin: 3, cout: 5, hw: [10, 9], k: [3, 3], dil: [2, 3], pads: [2, 3, 1, 2] },
  { cin: 6, cout: 9, hw: [5, 5], k: [3, 3], group: 3, pads: [1, 1, 1, 1] },
  { cin: 5, cout: 15, hw: [6, 6], k: [3, 3], group: 5, pads: [1, 0, 1, 2], strides: [2, 1] }, // depthwise x3
  { cin: 7, cout: 7, hw: [8, 8], k: [3, 3], group: 7, pads: [1, 1, 1, 1], act: 'relu6' },
  { cin: 4, cout: 8, hw: [1, 12], k: [1, 5], pads: [0, 2, 0, 2], oneD: true, strides: [1, 2] },
  { cin: 3, cout: 5, hw: [1, 1], k: [1, 1] }, // 1x1 input
  { cin: 6, cout: 3, hw: [1, 1], k: [3, 3], pads: [1, 1, 1, 1] }, // 1x1 input, padded 3x3
  { cin: 5, cout: 3, hw: [6, 5], k: [3, 3], pads: [1, 1, 1, 1], bias: false },
  { cin: 3, cout: 6, hw: [7, 7], k: [3, 3], pads: [1, 1, 1, 1], act: 'relu' },
  { cin: 3, cout: 6, hw: [7, 7], k: [3, 3], pads: [1, 1, 1, 1], act: 'relu-removed' },
  { cin: 5, cout: 6, hw: [6, 6], k: [3, 3], pads: [1, 1, 1, 1], act: 'relu6', dtype: 'uint8' },
  { cin: 3, cout: 4, hw: [8, 8], k: [3, 3], strides: [2, 2], pads: [0, 0, 1, 1], io: 'float' },
  { cin: 3, cout: 4, hw: [6, 6], k: [2, 2], io: 'float', dtype: 'uint8' },
  { cin: 4, cout: 5, hw: [5, 6], k: [3, 3], pads: [1, 1, 1, 1], perChannel: false },
  { cin: 1, cout: 1, hw: [5, 5], k: [5, 5], pads: [4, 4, 4, 4], strides: [3, 3] },
];
const cases = [...fixed, ...Array.from({ length: 10 }, () => randomConfig(r))].map((c) => convCase(r, c));

describeOp('Conv', cases, { maxLsb: 1 });
