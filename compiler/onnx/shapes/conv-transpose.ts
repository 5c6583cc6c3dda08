/** ConvTranspose (compiler/ops/conv-transpose.ts). */
import { fmtShape, type ShapeRule } from './context.js';

/**
 * Y [N, M*group, ...]: out_i = stride_i (in_i - 1) + output_padding_i +
 * (k_i - 1) dilation_i + 1 - pad_begin_i - pad_end_i, or the output_shape
 * attribute when given. W is [C, M, k...].
 */
export const ConvTranspose: ShapeRule = (ctx) => {
  const x = ctx.input(0);
  const w = ctx.input(1);
  const spatial = x.shape.length - 2;
  if (spatial < 1) ctx.fail(`input must be N x C x spatial..., got ${fmtShape(x.shape)}`);
  if (w.shape.length !== x.shape.length) ctx.fail(`weight ${fmtShape(w.shape)} does not match input rank ${x.shape.length}`);
  const group = ctx.int('group', 1);
  if (w.shape[0] !== x.shape[1]) ctx.fail(`weight ${fmtShape(w.shape)} expects ${w.shape[0]} input channels, input has ${x.shape[1]}`);
  const kernel = ctx.ints('kernel_shape') ?? w.shape.slice(2);
  const ones = new Array<number>(spatial).fill(1);
  const strides = ctx.ints('strides') ?? ones;
  const dil = ctx.ints('dilations') ?? ones;
  const outPad = ctx.ints('output_padding') ?? new Array<number>(spatial).fill(0);
  const pads = ctx.ints('pads') ?? new Array<number>(2 * spatial).fill(0);
  const autoPad = ctx.string('auto_pad', 'NOTSET');
  const given = ctx.ints('output_shape');
  const outSpatial = given ? given.slice(-spatial) : x.shape.slice(2).map((n, i) => {
    const full = strides[i]! * (n - 1) + outPad[i]! + (kernel[i]! - 1) * dil[i]! + 1;
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') return n * strides[i]!;
    return autoPad === 'VALID' ? full : full - pads[i]! - pads[i + spatial]!;
  });
  if (outSpatial.some((d) => !(d > 0))) ctx.fail(`output spatial size ${fmtShape(outSpatial)} is not positive`);
  return [{ dtype: x.dtype, shape: [x.shape[0]!, w.shape[1]! * group, ...outSpatial] }];
};
