/**
 * Hybrid split end to end on the bundled examples: the head compiled with
 * strict gcc runs on real samples (calibration data), its packets are decoded
 * by the TS decoder and by the shipped edgec_wire.py, and tail.onnx in
 * onnxruntime finishes the inference.
 *  - The head's cut tensor equals, bit for bit, the same tensor in the whole
 *    model built for the device (traced): the split adds no error of its own.
 *  - Against the whole model in onnxruntime: top-1 equal on every sample, and
 *    outputs within `maxLsb` output LSB. The only difference left is the
 *    device's fixed-point arithmetic in the head vs onnxruntime's float
 *    requantization (±1 LSB per layer where they round differently; the
 *    layer-isolated golden tests hold each layer to 1 LSB). Along the head it
 *    compounds: on these samples the cut tensor differs from onnxruntime's by
 *    up to 5 LSB (KWS, 5 layers), 3 LSB (ResNet-8 uint8) and 21 LSB (VWW, 13
 *    layers, one element), and the softmax outputs by 1, 1 and 13 LSB (1/256
 *    each). The bounds are the whole build's documented ones
 *    (test/helpers/examples.ts: KWS and ResNet-8 4) and, for VWW on real
 *    images rather than random inputs, 16.
 *  - The two decoders agree bit for bit; compressed and raw packets decode to
 *    the same values.
 */
import { describe, expect, it } from 'vitest';
import { compileModel } from '../../compiler/pipeline.js';
import { readInputSamples } from '../../compiler/verify/inputs.js';
import { decodeWire, dequantizeWire, encodeWire } from '../../compiler/split/wire.js';
import { runOrt } from '../helpers/ort.js';
import { buildHead, buildTracedRunner, pythonDecode, runHead, runTraced, sampleBytes } from './helpers.js';

const CASES = [
  // the float tensor before the QuantizeLinear: the cut is its int8 output
  { id: 'kws_dscnn', path: 'examples/kws_dscnn/kws_dscnn_int8.onnx', samples: 'examples/kws_dscnn/calibration.npy', count: 8, cut: 'kws_dscnn_1/pw2_relu_1/Relu:0', maxLsb: 4 },
  // a DequantizeLinear output: the same int8 tensor
  // a uint8 model: the device sends int8 (zero point - 128), the tail quantizes to uint8 again
  { id: 'ic_resnet8_uint8', path: 'examples/ic_resnet8/ic_resnet8_uint8.onnx', samples: 'examples/ic_resnet8/calibration.npy', count: 4, cut: '/stack1/Relu_1_output_0_QuantizeLinear_Output', maxLsb: 4 },
  { id: 'vww_mobilenet', path: 'examples/vww_mobilenet/vww_mobilenet_int8.onnx', samples: 'examples/vww_mobilenet/calibration.npy', count: 4, cut: '/38/Relu_output_0_DequantizeLinear_Output', maxLsb: 16 },
];

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/**
 * The whole model built for the device (no split), traced: the int8 values of
 * `tensor` per sample, and the whole model's output scale (the int8 tensor
 * its final dequantize reads).
 */
async function wholeBuild(path: string, tensor: string, inputs: Uint8Array, samples: number): Promise<{ cut: Int8Array[]; lsb: number }> {
  const whole = compileModel(path, { name: 'whole' });
  const trace = await runTraced(await buildTracedRunner(whole.emitted.files, 'whole'), inputs, samples);
  const layer = whole.program.ops.findIndex((op) => whole.program.values.get(op.outputs[0])?.onnxName === tensor);
  const value = whole.program.values.get(whole.program.ops[layer]?.outputs[0] ?? '');
  if (!value) throw new Error(`the whole build has no layer writing '${tensor}'`);
  const cut: Int8Array[] = [];
  const view = new DataView(trace.buffer, trace.byteOffset, trace.byteLength);
  for (let o = 0; o < trace.length;) {
    const index = view.getInt32(o, true);
    const bytes = view.getUint32(o + 4, true);
    if (index === layer) cut.push(toLogicalLayout(Int8Array.from(trace.subarray(o + 8, o + 8 + bytes), (b) => (b << 24) >> 24), value.shape, value.perm));
    o += 8 + bytes;
  }
  return { cut, lsb: outputScale(whole) };
}

/** Values stored in a physical layout (physical dim i = logical axis perm[i]) in the model's declared order, as the head's output is. */
function toLogicalLayout(data: Int8Array, physical: number[], perm: number[] | undefined): Int8Array {
  if (!perm || perm.every((p, i) => p === i)) return data;
  const logical = perm.map((_, axis) => physical[perm.indexOf(axis)]);
  const strides = physical.map((_, i) => physical.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Int8Array(data.length);
  const index = new Array<number>(logical.length).fill(0);
  for (let n = 0; n < data.length; n++) {
    // logical index -> physical offset
    out[n] = data[perm.reduce((a, axis, i) => a + index[axis] * strides[i], 0)];
    for (let d = logical.length - 1; d >= 0 && ++index[d] === logical[d]; d--) index[d] = 0;
  }
  return out;
}

function outputScale(whole: ReturnType<typeof compileModel>): number {
  const dq = whole.program.ops.find((op) => op.kind === 'dequantize' && op.outputs[0] === whole.program.outputs[0]);
  const scale = dq && whole.program.values.get(dq.inputs[0])?.scale;
  if (!scale) throw new Error('no int8 output before the final dequantize');
  return scale;
}

describe('split: head on the device + tail.onnx equals the whole model', () => {
  for (const ex of CASES) {
    it(ex.id, async () => {
      const head = await buildHead(ex.path, ex.cut);
      const { split } = head;
      const samples = readInputSamples(split.compiled.program, ex.samples).slice(0, ex.count);
      const raw = await runHead(head, sampleBytes(samples), samples.length, false);
      const lzss = await runHead(head, sampleBytes(samples), samples.length, true);
      expect(raw.status).toBe(0);
      expect(lzss.status).toBe(0);
      expect(raw.packets.length).toBe(samples.length);
      const pyRaw = await pythonDecode(head.dir, raw.packets);
      const pyLzss = await pythonDecode(head.dir, lzss.packets);
      // the head computes the cut tensor exactly as the whole device build does: the split adds no error of its own
      const reference = await wholeBuild(ex.path, split.cut.tensor, sampleBytes(samples), samples.length);
      expect(reference.cut.length).toBe(samples.length);
      const lsb = reference.lsb;
      let worstOut = 0;
      let worstCut = 0;
      let rawBytes = 0;
      let lzssBytes = 0;
      for (let s = 0; s < samples.length; s++) {
        const p = decodeWire(raw.packets[s]);
        const c = decodeWire(lzss.packets[s]);
        rawBytes += raw.packets[s].length;
        lzssBytes += lzss.packets[s].length;
        expect(p.compressed).toBe(false);
        expect(p.dims).toEqual(split.cutShape);
        expect(Array.from(c.values)).toEqual(Array.from(p.values));
        expect(Array.from(p.values), `sample ${s}: head vs whole build`).toEqual(Array.from(reference.cut[s]));
        // the TS encoder (split-advisor's sizes) writes the device's packets byte for byte
        expect(Array.from(encodeWire({ dims: p.dims, scale: p.scale, zeroPoint: p.zeroPoint, values: p.values }, true))).toEqual(Array.from(lzss.packets[s]));
        const x = dequantizeWire(p);
        // edgec_wire.py gives the same float32 values, from either packet
        expect(pyRaw[s]).toEqual(x);
        expect(pyLzss[s]).toEqual(x);
        const feeds = Object.fromEntries(samples[s].map((t) => [t.name, { data: t.data as Float32Array, dims: t.dims }]));
        const whole = await runOrt(ex.path, feeds, { extraOutputs: [split.cut.tensor], optimization: 'disabled' });
        const tail = await runOrt(split.tailOnnx, { [split.cut.dequantizedName]: { data: x, dims: split.cutShape } }, { optimization: 'disabled' });
        const outName = Object.keys(tail)[0];
        const expected = whole[outName].data;
        const got = tail[outName].data;
        expect(argmax(got), `sample ${s} top-1`).toBe(argmax(expected));
        for (let i = 0; i < got.length; i++) worstOut = Math.max(worstOut, Math.abs(Number(got[i]) - Number(expected[i])) / lsb);
        const ort = whole[split.cut.tensor].data;
        const shift = ort instanceof Uint8Array ? 128 : 0;
        for (let i = 0; i < ort.length; i++) worstCut = Math.max(worstCut, Math.abs(p.values[i] - (Number(ort[i]) - shift)));
      }
      console.log(`${ex.id} cut '${split.cut.tensor}' [${split.cutShape.join('x')}]: ${samples.length} samples, top-1 equal, output max ${worstOut.toFixed(2)} LSB, cut tensor max ${worstCut} LSB; packet ${rawBytes / samples.length} B raw, ${(lzssBytes / samples.length).toFixed(0)} B lzss (mean)`);
      expect(worstOut).toBeLessThanOrEqual(ex.maxLsb + 1e-6);
    }, 120_000);
  }
});
