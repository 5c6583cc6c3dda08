/**
 * Backend selection without the libraries: the board picks the library and
 * its code path, --backend overrides, unsupported parameter combinations
 * fall back to portable per layer with a reason, the MVE 1xN defect shapes
 * go to arm_convolve_s8, MVE depthwise arrays are padded, and kernel scratch
 * is planned inside the arena.
 */
import { describe, expect, it } from 'vitest';
import type { Op } from '../../compiler/ir/program.js';
import { backendFor, libraryUsed } from '../../compiler/backends/index.js';
import { cmsisConv, convWrapperBuffer, mve1xNDefect } from '../../compiler/backends/cmsis-nn.js';
import { windowGeometry } from '../../compiler/backends/geometry.js';
import { boardById } from '../../compiler/boards.js';
import { compileModel } from '../../compiler/pipeline.js';
import { kernelScratchId } from '../../compiler/plan/program.js';
import type { EmitEnv } from '../../compiler/ops/types.js';

const KWS = 'examples/kws_dscnn/kws_dscnn_int8.onnx';

function conv(params: Record<string, number>, kind: Op['kind'] = 'conv2d'): Op {
  const base = { batches: 1, in_h: 1, in_w: 9, in_c: 4, out_h: 1, out_w: 4, out_c: 8, k_h: 1, k_w: 3, stride_h: 1, stride_w: 2, dil_h: 1, dil_w: 1, pad_top: 0, pad_left: 0, groups: 1, input_offset: 0, output_offset: 0, act_min: -128, act_max: 127 };
  return { kind, name: 'c', onnxOp: 'Conv', inputs: ['x'], outputs: ['y'], params: { ...base, ...params }, consts: { filter: 'f', bias: 'b', mult: 'm', shift: 's' }, macs: 0 };
}

const env: EmitEnv = { program: { name: 'm', values: new Map(), consts: new Map(), ops: [], inputs: [], outputs: [] }, ptr: (id) => id, constName: (id) => id, scratch: () => 'NULL' };

describe('backend selection', () => {
  it('the board picks the library and its code path; --backend overrides', () => {
    // Boards default to auto; without a measured cost table for the core, auto keeps the board's library where it has a kernel.
    for (const [board, lib, target] of [['esp32', 'esp-nn', 'esp32'], ['corstone-300', 'cmsis-nn', 'mve'], ['pico', 'cmsis-nn', 'c']] as const) {
      const c = compileModel(KWS, { board });
      expect(c.backend).toMatchObject({ id: 'auto', target });
      expect(libraryUsed(c.backend, c.program.ops)).toBe(lib);
      expect(compileModel(KWS, { board, backend: lib }).backend).toMatchObject({ id: lib, target });
    }
    expect(compileModel(KWS, { board: 'nano33ble', backend: 'portable' }).backend.id).toBe('portable');
  });

  it('falls back to portable per layer with a reason', () => {
    const esp = backendFor('esp-nn', boardById('esp32'));
    expect(esp.kernelFor(conv({ dil_w: 2, in_w: 11 }))).toMatchObject({ backend: 'portable', fallbackReason: expect.stringMatching(/dilation/) });
    expect(esp.kernelFor(conv({})).backend).toBe('esp-nn');
    const cmsis = backendFor('cmsis-nn', boardById('nano33ble'));
    expect(cmsis.kernelFor(conv({ groups: 2 })).fallbackReason).toMatch(/grouped/);
    const add: Op = { kind: 'add', name: 'a', onnxOp: 'Add', inputs: ['x', 'y'], outputs: ['z'], params: { broadcast: true }, consts: {}, macs: 0 };
    expect(cmsis.kernelFor(add).fallbackReason).toMatch(/broadcast/);
    expect(esp.kernelFor(add).fallbackReason).toMatch(/broadcast/);
    const transpose: Op = { kind: 'transpose', name: 't', onnxOp: 'Transpose', inputs: ['x'], outputs: ['y'], params: {}, consts: {}, macs: 0 };
    expect(cmsis.kernelFor(transpose).backend).toBe('portable');
  });

  it('routes the MVE 1xN defect shapes to arm_convolve_s8 (wrapper elsewhere)', () => {
    // W 9, K 3, stride 2, VALID: (W - K) % stride == 0 -> fine; W 10 -> window stops short
    const ok = conv({});
    const shortWindow = conv({ in_w: 10 });
    expect(mve1xNDefect(windowGeometry(ok))).toBe(false);
    expect(mve1xNDefect(windowGeometry(shortWindow))).toBe(true);
    // right pad = (out_w - 1) * 2 + 3 - in_w - pad_left: 2 with stride 2 is a defect shape, 0 is not
    expect(mve1xNDefect(windowGeometry(conv({ in_w: 6, out_w: 4, pad_left: 1 })))).toBe(true);
    expect(mve1xNDefect(windowGeometry(conv({ in_w: 8, out_w: 4, pad_left: 1 })))).toBe(false);
    expect(cmsisConv.view(shortWindow, env, 'mve').fn).toBe('arm_convolve_s8');
    expect(cmsisConv.view(shortWindow, env, 'dsp').fn).toBe('arm_convolve_wrapper_s8');
    expect(cmsisConv.view(ok, env, 'mve').fn).toBe('arm_convolve_wrapper_s8');
    // scratch for the direct call on MVE: 4 im2col columns of ceil(3*4/16)*16 bytes
    expect(cmsisConv.scratchBytes(shortWindow, 'mve')).toBe(64);
    expect(convWrapperBuffer(windowGeometry(ok), 'dsp')).toBe(2 * 12 * 2);
  });

  it('plans kernel scratch inside the arena and pads MVE depthwise arrays', () => {
    const c = compileModel(KWS, { name: 'k', board: 'corstone-300' });
    const scratch = c.program.ops.map((op) => c.plan.placements.get(kernelScratchId(op))).filter((p) => p !== undefined);
    expect(scratch.length).toBeGreaterThan(0);
    for (const p of scratch) expect(p.offset + p.bytes).toBeLessThanOrEqual(c.plan.arenaBytes);
    const source = c.emitted.files.find((f) => f.path === 'k.c')?.contents ?? '';
    expect(source).toMatch(/#include "arm_nnfunctions.h"/);
    expect(source).toMatch(/arm_depthwise_conv_wrapper_s8\(&ctx/);
    expect(source).toMatch(/arm_convolve_wrapper_s8_get_buffer_size\(&cp, &in_d, &f_d, &o_d\) > \d+\) return EDGEC_ERROR/);
    const dw = c.program.ops.find((op) => op.kind === 'depthwise_conv2d' && Number(op.params.out_c) % 4 !== 0);
    if (dw) {
      const weights = c.emitted.files.find((f) => f.path === 'k_weights.c')?.contents ?? '';
      const bias = c.program.consts.get(dw.consts.bias)!;
      expect(weights).toContain(`k_${bias.id}[${bias.data.length + 4}]`);
    }
    const portable = compileModel(KWS, { name: 'k', board: 'corstone-300', backend: 'portable' });
    expect(portable.program.ops.every((op) => !portable.plan.placements.has(kernelScratchId(op)))).toBe(true);
  });
});
