/**
 * --input-layout nhwc: channels-first inputs are exposed channels-last. Fed
 * the same image in NHWC order, the model must give byte-identical outputs
 * to the declared-layout build fed NCHW, without the layout copy.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { buildNativeRunner, runNative } from '../../compiler/verify/native.js';
import { prng } from '../../compiler/verify/samples.js';

function exe(c: Compiled): string {
  const dir = mkdtempSync(join(tmpdir(), 'edgec-layout-'));
  for (const f of c.emitted.files) writeFileSync(join(dir, f.path), f.contents);
  return buildNativeRunner(dir, c.program.name);
}

describe('--input-layout nhwc', () => {
  for (const model of ['examples/ic_resnet8/ic_resnet8_int8.onnx', 'examples/vww_mobilenet/vww_mobilenet_int8.onnx']) {
    it(`${model}: same outputs from NHWC data, no layout copy`, () => {
      const declared = compileModel(model, { name: 'd', int8Io: true });
      const nhwc = compileModel(model, { name: 'h', int8Io: true, inputLayout: 'nhwc' });
      const inD = declared.program.values.get(declared.program.inputs[0]);
      const inH = nhwc.program.values.get(nhwc.program.inputs[0]);
      if (!inD || !inH) throw new Error('inputs missing');
      const [n, c, h, w] = inD.logicalShape;
      expect(inH.logicalShape).toEqual([n, h, w, c]);
      expect(nhwc.program.ops.some((op) => op.kind === 'transpose')).toBe(false);
      expect(declared.program.ops.some((op) => op.kind === 'transpose')).toBe(true);
      expect(nhwc.plan.arenaBytes).toBeLessThanOrEqual(declared.plan.arenaBytes);

      const rand = prng(11);
      const samples = 2;
      const size = n * c * h * w;
      const nchw = Int8Array.from({ length: size * samples }, () => Math.floor(rand() * 256) - 128);
      const nhwcData = new Int8Array(nchw.length);
      for (let s = 0; s < samples; s++)
        for (let ch = 0; ch < c; ch++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) nhwcData[s * size + (y * w + x) * c + ch] = nchw[s * size + (ch * h + y) * w + x];
      const a = runNative(exe(declared), new Uint8Array(nchw.buffer), samples);
      const b = runNative(exe(nhwc), new Uint8Array(nhwcData.buffer), samples);
      expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
    });
  }
});
