/**
 * Slice, Split, Gather (constant indices), Tile, Expand, Pad (edge / reflect
 * / wrap), DepthToSpace (DCR / CRD), SpaceToDepth against onnxruntime, on a
 * graph input (identity layout) and after a Conv (channels-last in memory),
 * with the output quantized like the input (a pure copy: exact) or not (a
 * requantize follows).
 */
import { describeOp, QdqBuilder, Rand, inputRms, type OpCase } from './harness.js';
import type { AttrInput, QParams, QTensor } from '../helpers/onnx-builder.js';

interface Source { q: QdqBuilder; x: QTensor; r: Rand; dims: number[] }

function source(r: Rand, dims: number[], opset: number, afterConv: boolean): Source {
  const q = new QdqBuilder({ opset });
  let x = q.input('x', dims, r.qparams(), 'int8');
  if (afterConv) {
    const cin = dims[1] as number;
    const std = Math.sqrt((cin * 9) / 3) * inputRms(x);
    x = q.conv(x, { weight: r.floats(cin * cin * 9), weightShape: [cin, cin, 3, 3], bias: r.floats(cin, -std / 2, std / 2), out: r.outFor(std), attrs: { pads: [1, 1, 1, 1] } });
  }
  return { q, x, r, dims };
}

function ints(q: QdqBuilder, base: string, values: number[]): string {
  const name = q.b.fresh(base);
  q.b.int64(name, values);
  return name;
}

function finish(s: Source, ys: QTensor[], name: string, requant: boolean): OpCase {
  ys.forEach((y, i) => s.q.output(y, `y${i}`, 'int8'));
  return { name, model: s.q.toBytes(), ...(requant ? { knownDifference: { minExact: 0.6, why: 'TFLite double rounding in the requantization' } } : {}) };
}

function outQ(s: Source, requant: boolean): QParams | undefined {
  return requant ? s.r.outFor(s.x.scale * 60) : undefined;
}

type Maker = (r: Rand, dims: number[], afterConv: boolean, requant: boolean) => OpCase;

const label = (op: string, dims: number[], afterConv: boolean, requant: boolean, extra: string): string =>
  [op, `[${dims.join(',')}]`, extra, afterConv ? 'after Conv (NHWC)' : '', requant ? 'requant' : ''].filter(Boolean).join(' ');

const slice: Maker = (r, dims, afterConv, requant) => {
  const s = source(r, dims, 13, afterConv);
  const axes = dims.map((_, i) => i).filter(() => r.bool(0.6));
  const used = axes.length ? axes : [dims.length - 1];
  const starts: number[] = [];
  const ends: number[] = [];
  const steps: number[] = [];
  for (const a of used) {
    const d = dims[a] as number;
    const step = r.pick([1, 1, 2, 3, -1, -2]);
    const lo = r.int(0, d - 1);
    const hi = r.int(lo, d);
    if (step > 0) { starts.push(r.bool(0.3) ? lo - d : lo); ends.push(r.bool(0.2) ? 2 ** 31 - 1 : hi === lo ? lo + 1 : hi); } else { starts.push(r.bool(0.3) ? -1 : hi === d ? d - 1 : hi); ends.push(r.bool(0.2) || lo === 0 ? -(2 ** 31) : lo - 1); }
    steps.push(step);
  }
  const negAxes = used.map((a) => (r.bool(0.3) ? a - dims.length : a));
  const y = s.q.op('Slice', [s.x], {}, { out: outQ(s, requant), extraInputs: [ints(s.q, 'starts', starts), ints(s.q, 'ends', ends), ints(s.q, 'axes', negAxes), ints(s.q, 'steps', steps)] });
  return finish(s, [y], label('Slice', dims, afterConv, requant, `starts[${starts}] ends[${ends}] axes[${negAxes}] steps[${steps}]`), requant);
};

const split: Maker = (r, dims, afterConv, requant) => {
  const s = source(r, dims, 13, afterConv);
  const axis = r.int(0, dims.length - 1);
  const d = dims[axis] as number;
  const parts: number[] = [];
  for (let left = d; left > 0;) { const p = r.int(1, left); parts.push(p); left -= p; }
  const outs = parts.map((_, i) => s.q.b.fresh(`split${i}`));
  s.q.b.node('Split', [s.q.dq(s.x), ints(s.q, 'split', parts)], outs, { axis: r.bool(0.3) ? axis - dims.length : axis });
  const ys = outs.map((o) => s.q.quantize(o, outQ(s, requant) ?? s.x));
  return finish(s, ys, label('Split', dims, afterConv, requant, `axis ${axis} [${parts}]`), requant);
};

const gather: Maker = (r, dims, afterConv, requant) => {
  const s = source(r, dims, 13, afterConv);
  const axis = r.int(0, dims.length - 1);
  const d = dims[axis] as number;
  const scalar = r.bool(0.3);
  const count = scalar ? 1 : r.int(1, 5);
  const idx = Array.from({ length: count }, () => { const i = r.int(0, d - 1); return r.bool(0.3) ? i - d : i; });
  const name = s.q.b.fresh('indices');
  s.q.b.int64(name, idx, scalar ? [] : [count]);
  const y = s.q.op('Gather', [s.x], { axis }, { out: outQ(s, requant), extraInputs: [name] });
  return finish(s, [y], label('Gather', dims, afterConv, requant, `axis ${axis} indices ${scalar ? idx[0] : `[${idx}]`}`), requant);
};

const tile: Maker = (r, dims, afterConv, requant) => {
  const s = source(r, dims, 13, afterConv);
  const reps = dims.map(() => r.int(1, 3));
  const y = s.q.op('Tile', [s.x], {}, { out: outQ(s, requant), extraInputs: [ints(s.q, 'repeats', reps)] });
  return finish(s, [y], label('Tile', dims, afterConv, requant, `repeats[${reps}]`), requant);
};

const expand: Maker = (r, dims, afterConv, requant) => {
  const unitDims = dims.map((d) => (r.bool(0.5) ? 1 : d));
  const s = source(r, afterConv ? [unitDims[0] as number, dims[1] as number, ...unitDims.slice(2)] : unitDims, 13, afterConv);
  const inDims = s.dims;
  const target = [...(r.bool(0.3) ? [r.int(1, 2)] : []), ...inDims.map((d, i) => (d === 1 ? (r.bool(0.7) ? (dims[i] as number) + 1 : 1) : d))];
  const y = s.q.op('Expand', [s.x], {}, { out: outQ(s, requant), extraInputs: [ints(s.q, 'shape', target)] });
  return finish(s, [y], label('Expand', inDims, afterConv, requant, `to [${target}]`), requant);
};

const pad: Maker = (r, dims, afterConv, requant) => {
  const mode = r.pick(['edge', 'reflect', 'wrap']);
  const opset = mode === 'wrap' ? 19 : 13;
  const s = source(r, dims, opset, afterConv);
  const pads = [...dims, ...dims].map((d) => (r.bool(0.5) ? r.int(0, Math.min(3, d - 1)) : 0));
  const y = s.q.op('Pad', [s.x], { mode }, { out: outQ(s, requant), extraInputs: [ints(s.q, 'pads', pads)] });
  return finish(s, [y], label('Pad', dims, afterConv, requant, `${mode} pads[${pads}]${opset !== 13 ? ` opset ${opset}` : ''}`), requant);
};

const depthSpace: Maker = (r, dims, afterConv, requant) => {
  const b = r.pick([2, 2, 3]);
  const toSpace = r.bool();
  const d = toSpace ? [dims[0] as number, b * b * r.int(1, 3), dims[2] as number, dims[3] as number] : [dims[0] as number, dims[1] as number, b * r.int(1, 3), b * r.int(1, 3)];
  const s = source(r, d, 13, afterConv);
  const mode = r.pick(['DCR', 'CRD']);
  const attrs: Record<string, AttrInput> = toSpace ? { blocksize: b, mode } : { blocksize: b };
  const y = s.q.op(toSpace ? 'DepthToSpace' : 'SpaceToDepth', [s.x], attrs, { out: outQ(s, requant) });
  return finish(s, [y], label(toSpace ? 'DepthToSpace' : 'SpaceToDepth', d, afterConv, requant, `b${b}${toSpace ? ` ${mode}` : ''}`), requant);
};

function cases(): OpCase[] {
  const r = new Rand(21);
  const makers: [Maker, number][] = [[slice, 10], [split, 6], [gather, 6], [tile, 5], [expand, 5], [pad, 8], [depthSpace, 6]];
  const out: OpCase[] = [];
  for (const [make, n] of makers) {
    for (let k = 0; k < n; k++) {
      const rank = make === depthSpace ? 4 : r.int(2, 4);
      const dims = Array.from({ length: rank }, (_, i) => (i === 0 ? r.int(1, 2) : r.int(1, 6)));
      const afterConv = rank === 4 && r.bool(0.5);
      out.push(make(r, dims, afterConv, r.bool(0.2)));
    }
  }
  return out;
}

describeOp('DataMovement', cases(), { maxLsb: 1 });
