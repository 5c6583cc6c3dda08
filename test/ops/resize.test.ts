/**
 * Resize (opsets 10, 11, 13, 18, 19) against onnxruntime: nearest with every coordinate_transformation_mode
 * (but tf_crop_and_resize) and every nearest_mode, up- and down-scaling by
 * integer and fractional factors, scales or sizes; linear (TFLite
 * RESIZE_BILINEAR arithmetic) with half_pixel / pytorch_half_pixel /
 * align_corners / asymmetric. On a graph input and after a Conv (NHWC).
 */
import { describeOp, QdqBuilder, Rand, inputRms, type OpCase } from './harness.js';
import type { AttrInput, QTensor } from '../helpers/onnx-builder.js';

const COORDS = ['half_pixel', 'asymmetric', 'pytorch_half_pixel', 'tf_half_pixel_for_nn', 'align_corners', 'half_pixel_symmetric'];
const NEAREST = ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'];

interface ResizeConfig {
  dims: number[];
  mode: 'nearest' | 'linear';
  coord?: string;
  nearest?: string;
  scales?: number[];
  sizes?: number[];
  opset: number;
  afterConv?: boolean;
  upsample?: boolean;
}

function resizeCase(r: Rand, c: ResizeConfig): OpCase {
  const q = new QdqBuilder({ opset: c.opset });
  let x: QTensor = q.input('x', c.dims, r.qparams(), 'int8');
  if (c.afterConv && c.opset >= 13) {
    const cin = c.dims[1] as number;
    const std = Math.sqrt((cin * 9) / 3) * inputRms(x);
    x = q.conv(x, { weight: r.floats(cin * cin * 9), weightShape: [cin, cin, 3, 3], bias: r.floats(cin, -std / 2, std / 2), out: r.outFor(std), attrs: { pads: [1, 1, 1, 1] } });
  }
  const attrs: Record<string, AttrInput> = { mode: c.mode };
  const extra: string[] = [];
  const scalesName = (): string => { const n = q.b.fresh('scales'); q.b.float(n, c.scales as number[], [c.dims.length]); return n; };
  if (c.upsample || c.opset < 11) extra.push(scalesName());
  else {
    if (c.coord) attrs.coordinate_transformation_mode = c.coord;
    if (c.nearest) attrs.nearest_mode = c.nearest;
    const roi = q.b.fresh('roi');
    q.b.float(roi, [], [0]);
    const noScales = (): string => { const n = q.b.fresh('scales'); q.b.float(n, [], [0]); return n; }; // opset 11 takes no ''
    extra.push(roi, c.scales ? scalesName() : c.opset === 11 ? noScales() : '');
    if (c.sizes) { const n = q.b.fresh('sizes'); q.b.int64(n, c.sizes); extra.push(n); }
  }
  const y = q.op(c.upsample ? 'Upsample' : 'Resize', [x], attrs, { extraInputs: extra });
  q.output(y, 'y', 'int8');
  const name = [c.upsample ? 'Upsample' : 'Resize', `[${c.dims.join(',')}]`, c.mode, c.coord ?? '', c.nearest ?? '', c.scales ? `scales[${c.scales.map((s) => +s.toFixed(3))}]` : `sizes[${c.sizes}]`,
    `opset ${c.opset}`, c.afterConv ? 'after Conv (NHWC)' : ''].filter(Boolean).join(' ');
  // linear: TFLite's 10-bit fixed-point coordinates vs onnxruntime's float ones
  // (the 10-bit scale's error grows with the output position: 2 LSB on these sizes)
  const known = c.mode === 'linear' ? { maxLsb: 2, knownDifference: { minExact: 0.5, why: 'TFLite RESIZE_BILINEAR 10-bit coordinates and integer rounding vs float interpolation' } } : {};
  return { name, model: q.toBytes(), ...known };
}

function cases(): OpCase[] {
  const r = new Rand(33);
  const out: OpCase[] = [];
  const spatial = (): number[] => [1, r.int(1, 4), r.int(2, 6), r.int(2, 6)];
  // Keras UpSampling2D through tf2onnx, the common FPN head
  out.push(resizeCase(r, { dims: [1, 3, 4, 5], mode: 'nearest', coord: 'asymmetric', nearest: 'floor', scales: [1, 1, 2, 2], opset: 13, afterConv: true }));
  out.push(resizeCase(r, { dims: [1, 3, 4, 5], mode: 'nearest', scales: [1, 1, 2, 2], opset: 10 }));
  out.push(resizeCase(r, { dims: [1, 2, 6, 4], mode: 'nearest', scales: [1, 1, 0.5, 0.5], opset: 10 }));
  for (const coord of COORDS) {
    for (const nearest of NEAREST) {
      const dims = spatial();
      const useSizes = r.bool(0.3);
      const factors = [1, 1, r.pick([0.5, 0.6, 1.5, 2, 2.5, 3, 0.75]), r.pick([0.5, 1.7, 2, 3, 1.25])];
      const sizes = dims.map((d, i) => Math.max(1, Math.round(d * (factors[i] as number))));
      out.push(resizeCase(r, {
        dims, mode: 'nearest', coord, nearest, opset: coord === 'half_pixel_symmetric' ? 19 : r.pick([11, 13, 18]),
        ...(useSizes ? { sizes } : { scales: factors }), afterConv: r.bool(0.3) && coord !== 'half_pixel_symmetric',
      }));
    }
  }
  for (const coord of ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric']) {
    for (let k = 0; k < 3; k++) {
      const dims = spatial();
      const factors = [1, 1, r.pick([2, 3, 1.5, 0.5]), r.pick([2, 2.5, 4, 0.75])];
      const sizes = dims.map((d, i) => Math.max(2, Math.round(d * (factors[i] as number))));
      out.push(resizeCase(r, { dims, mode: 'linear', coord, opset: 13, ...(k === 2 ? { sizes: [dims[0] as number, dims[1] as number, ...sizes.slice(2)] } : { scales: factors }), afterConv: r.bool(0.3) }));
    }
  }
  return out;
}

describeOp('Resize', cases(), { maxLsb: 1 });
