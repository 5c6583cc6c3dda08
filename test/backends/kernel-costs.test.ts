/**
 * The measured kernel cost tables (compiler/data/kernel-costs/*.json, written
 * by `npm run measure:kernel-costs`) and the fit behind them: the Cortex-M4
 * table covers every kind auto can choose for both implementations, its
 * coefficients are sane and reproduce the measurements they come from, and
 * the fit recovers known coefficients.
 */
import { describe, expect, it } from 'vitest';
import {
  costKindOf, costTableFor, estimateInstructions, estimateWith, FEATURE_NAMES, fitCoefficients, LIBRARY_COST_KINDS, MAX_TRUSTED_FIT_ERROR,
  isS16Kind, medianLibraryRatio, S16_COST_KINDS, SHARING_COST_KINDS, sharingVariantOf, shapeFeatures, trustedFit, WIDE_COST_KINDS, type ShapeFeatures,
} from '../../compiler/backends/kernel-costs.js';
import type { Op } from '../../compiler/ir/program.js';
import { compileModel } from '../../compiler/pipeline.js';
import { layerLabel, layerModelBytes } from '../../compiler/bench/layer-models.js';
import { MEASURED_SHAPES } from '../../compiler/bench/measure-kernel-costs.js';

const conv = (params: Record<string, number>, kind: Op['kind'] = 'conv2d'): Op => ({
  kind, name: 'c', onnxOp: 'Conv', inputs: ['x'], outputs: ['y'], consts: {},
  params: { batches: 1, in_h: 4, in_w: 4, in_c: 8, out_h: 4, out_w: 4, out_c: 8, k_h: 3, k_w: 3, stride_h: 1, stride_w: 1, dil_h: 1, dil_w: 1, pad_top: 1, pad_left: 1, groups: 1, ...params },
  macs: 4 * 4 * 8 * 8 * 9,
});

const LIBRARY_OF_CORE = { 'cortex-m4': 'cmsis-nn', 'cortex-m7': 'cmsis-nn', 'cortex-m55': 'cmsis-nn', rv32imc: 'esp-nn' } as const;
/** Fits the features do not explain (kept in the table, not used by estimates): the Helium max pool costs by 16-channel vectors. */
const UNTRUSTED: Record<string, string[]> = { 'cortex-m55': ['max_pool cmsis-nn'] };

for (const [cpu, library] of Object.entries(LIBRARY_OF_CORE)) describe(`kernel cost table ${cpu}`, () => {
  const table = costTableFor(cpu);

  it(`covers every kind auto can choose, for portable and ${library}, and our sharing kernels, from several measured shapes`, () => {
    expect(table).toBeDefined();
    const kinds = [...LIBRARY_COST_KINDS.map((kind) => [kind, ['portable', library]] as const), ...SHARING_COST_KINDS.map((kind) => [kind, ['portable']] as const)];
    for (const [kind, impls] of kinds) {
      for (const impl of impls) {
        const fit = table!.kinds[kind]?.[impl];
        expect(fit, `${kind} ${impl}`).toBeDefined();
        expect(fit!.points).toBeGreaterThanOrEqual(4);
        for (const name of FEATURE_NAMES) {
          expect(Number.isFinite(fit!.coefficients[name]), `${kind} ${impl} ${name}`).toBe(true);
          expect(fit!.coefficients[name]).toBeGreaterThanOrEqual(0);
        }
        // A model, not a lookup: it must still be close on the shapes it was fitted on, or be known as unusable.
        const untrusted = (UNTRUSTED[cpu] ?? []).includes(`${kind} ${impl}`);
        if (untrusted) expect(fit!.maxRelError, `${kind} ${impl}`).toBeGreaterThan(MAX_TRUSTED_FIT_ERROR);
        else expect(fit!.maxRelError, `${kind} ${impl}`).toBeLessThanOrEqual(MAX_TRUSTED_FIT_ERROR);
        expect(trustedFit(table!, kind, impl), `${kind} ${impl}`).toBe(untrusted ? undefined : fit);
      }
    }
  });

  it('reproduces its own measurements within the stated error', () => {
    for (const m of table!.measurements) {
      const fit = table!.kinds[m.kind]![m.implementation]!;
      const est = estimateWith(fit.coefficients, m.features);
      expect(Math.abs(est - m.instructions) / m.instructions, m.layer).toBeLessThanOrEqual(fit.maxRelError + 1e-3);
    }
  });

  it('gives the library\'s median ratio over the shapes measured with both', () => {
    const r = medianLibraryRatio(table!, library)!;
    const pairs = table!.measurements.filter((m) => m.implementation === library && !isS16Kind(m.kind)).length;
    expect(r.shapes).toBe(pairs);
    expect(r.median).toBeGreaterThan(0);
    // CMSIS-NN's Helium kernels beat ours on the M55; on the M4 and M7 ours are faster (README "Other cores").
    if (cpu === 'cortex-m55') expect(r.median).toBeLessThan(0.6);
    if (cpu === 'cortex-m4' || cpu === 'cortex-m7') expect(r.median).toBeGreaterThan(1);
  });

  if (cpu === 'cortex-m4') it('covers the 16x8 kinds for portable and cmsis-nn; CMSIS-NN\'s _s16 kernels beat ours where its int8 ones do not', () => {
    for (const kind of S16_COST_KINDS) {
      for (const impl of ['portable', 'cmsis-nn'] as const) {
        const fit = table!.kinds[kind]?.[impl];
        expect(fit, `${kind} ${impl}`).toBeDefined();
        expect(fit!.points, `${kind} ${impl}`).toBeGreaterThanOrEqual(4);
        expect(trustedFit(table!, kind, impl), `${kind} ${impl}`).toBe(fit);
      }
    }
    const s16 = medianLibraryRatio(table!, 'cmsis-nn', 's16')!;
    expect(s16.shapes).toBe(table!.measurements.filter((m) => m.implementation === 'cmsis-nn' && isS16Kind(m.kind)).length);
    expect(s16.median).toBeLessThan(1);
    expect(medianLibraryRatio(table!, 'cmsis-nn', 'int8')!.median).toBeGreaterThan(1);
  });

  it('has no table for a core nobody measured (auto then keeps the board\'s library)', () => {
    expect(costTableFor('xtensa-lx6')).toBeUndefined();
    expect(costTableFor('../boards/host')).toBeUndefined();
  });
});

describe('cost features and fit', () => {
  it('classifies ops, sharing variants as kinds of their own', () => {
    const pointwise = conv({ k_h: 1, k_w: 1, pad_top: 0, pad_left: 0 });
    expect(costKindOf(pointwise)).toBe('conv_1x1');
    expect(costKindOf(conv({ k_h: 1, k_w: 1, pad_top: 0, pad_left: 0 }, 'conv2d_1x1_overlap'))).toBe('conv_1x1_overlap');
    expect(costKindOf(conv({}))).toBe('conv_kxk');
    expect(costKindOf(conv({}, 'depthwise_conv2d'))).toBe('depthwise');
    expect(costKindOf(conv({}, 'depthwise_conv2d_inplace'))).toBe('depthwise_inplace');
    expect(costKindOf({ ...conv({}), kind: 'transpose' })).toBeUndefined();
    expect(costKindOf(sharingVariantOf(pointwise)!)).toBe('conv_1x1_overlap');
    expect(sharingVariantOf(conv({}))).toBeUndefined();
  });

  it('estimates a sharing variant from its own fit, or as its plain kind when the table lacks it', () => {
    const dw = conv({}, 'depthwise_conv2d');
    const inplace = sharingVariantOf(dw)!;
    const table = costTableFor('cortex-m4')!;
    const own = estimateWith(table.kinds.depthwise_inplace!.portable!.coefficients, shapeFeatures(inplace));
    expect(estimateInstructions(table, inplace, 'portable')).toBe(Math.round(own));
    const older = { ...table, kinds: { ...table.kinds, depthwise_inplace: undefined } };
    expect(estimateInstructions(older, inplace, 'portable')).toBe(estimateInstructions(table, dw, 'portable'));
  });

  it('counts outputs, MACs, im2col patch and border outputs of a 3x3 pad-1 conv on 4x4', () => {
    // 16 pixels, the 4 inner ones see no padding: 12 border pixels x 8 channels.
    // 8 x 3x3 x 8 weights; a tap row of 24 bytes is read in place, so only the 12 border pixels' windows (72 bytes) are gathered
    expect(shapeFeatures(conv({}))).toEqual({ outputs: 128, macs: 9216, patch: 16 * 9 * 8, edge: 96, weights: 576, gathered: 12 * 72 });
    expect(shapeFeatures(conv({ pad_top: 0, pad_left: 0, in_h: 6, in_w: 6 })).edge).toBe(0);
    expect(shapeFeatures(conv({ pad_top: 0, pad_left: 0, in_h: 6, in_w: 6 })).gathered).toBe(0);
  });

  it('counts the per-call copies of our kernels: every im2col window of a 3-channel stem, the input of a depthwise', () => {
    // tap rows of 9 bytes are no whole words: all 16 pixels gathered, 27 bytes each
    expect(shapeFeatures(conv({ in_c: 3, macs: 16 * 8 * 27 }))).toMatchObject({ weights: 8 * 27, gathered: 16 * 27 });
    // filters over EDGEC_CONV_MAX_FSIZE (288) take the direct path, which gathers nothing
    expect(shapeFeatures(conv({ in_c: 64 })).gathered).toBe(0);
    const dw = conv({ in_h: 9, in_w: 9, out_h: 4, out_w: 4, stride_h: 2, stride_w: 2, pad_top: 0, pad_left: 0, out_c: 8, groups: 8 }, 'depthwise_conv2d');
    expect(shapeFeatures(dw)).toMatchObject({ weights: 8 * 9, gathered: 9 * 9 * 8, patch: 0, edge: 0 });
  });

  it('recovers known coefficients and drops a feature that would come out negative', () => {
    const truth = { fixed: 500, outputs: 12, macs: 1.5, patch: 0, edge: 3, weights: 2.5, gathered: 0.75 };
    const shapes: ShapeFeatures[] = [
      { outputs: 100, macs: 9000, patch: 0, edge: 10, weights: 300, gathered: 0 }, { outputs: 400, macs: 20000, patch: 0, edge: 0, weights: 50, gathered: 900 },
      { outputs: 50, macs: 90000, patch: 0, edge: 40, weights: 4000, gathered: 100 }, { outputs: 1000, macs: 5000, patch: 0, edge: 300, weights: 8, gathered: 3000 },
      { outputs: 7, macs: 700, patch: 0, edge: 7, weights: 900, gathered: 60 }, { outputs: 300, macs: 2700, patch: 0, edge: 120, weights: 1200, gathered: 5 },
      { outputs: 2000, macs: 64000, patch: 0, edge: 0, weights: 16, gathered: 40 },
    ];
    const fit = fitCoefficients(shapes.map((features) => ({ features, instructions: estimateWith(truth, features) })));
    for (const k of FEATURE_NAMES) expect(fit.coefficients[k]).toBeCloseTo(truth[k], 3);
    expect(fit.maxRelError).toBeLessThan(1e-4);
    // Cost falling with size is noise: the negative feature is dropped, the rest refitted.
    const noisy = fitCoefficients([
      { features: { outputs: 10, macs: 0, patch: 0, edge: 0, weights: 0, gathered: 0 }, instructions: 1000 },
      { features: { outputs: 20, macs: 0, patch: 0, edge: 0, weights: 0, gathered: 0 }, instructions: 990 },
      { features: { outputs: 30, macs: 0, patch: 0, edge: 0, weights: 0, gathered: 0 }, instructions: 1010 },
    ]);
    expect(noisy.coefficients.outputs).toBeGreaterThanOrEqual(0);
    expect(noisy.coefficients.fixed).toBeGreaterThan(900);
  });
});

describe('measurement models', () => {
  // as measure-kernel-costs builds them: the int8 kernels (no pre-widened fully connected weights)
  it('every measured shape lowers to exactly its one layer (no quantize, no layout copy around it)', () => {
    for (const kind of [...LIBRARY_COST_KINDS, ...S16_COST_KINDS]) {
      expect(MEASURED_SHAPES[kind].length, kind).toBeGreaterThanOrEqual(4);
      for (const spec of MEASURED_SHAPES[kind].slice(0, 2)) {
        const c = compileModel(`${layerLabel(spec)}.onnx`, { name: 'layer', modelBytes: layerModelBytes(spec), board: 'nucleo-f446re', backend: 'portable', int8Io: true, inputLayout: 'nhwc', plan: { inPlaceDepthwise: false, overlapPointwise: false }, wideWeights: false });
        expect(c.program.ops.map((op) => costKindOf(op)), layerLabel(spec)).toEqual([kind]);
      }
    }
  });

  it('a wrapped layer model runs the sharing kernel between two 1x1 pools when the planner may share wherever it can', () => {
    for (const kind of SHARING_COST_KINDS) {
      const spec = MEASURED_SHAPES[kind][0]!;
      const kindsWith = (plan: Record<string, boolean>): string[] => compileModel(`${layerLabel(spec)}.onnx`, {
        name: 'layer', modelBytes: layerModelBytes(spec, true), board: 'nucleo-f446re', backend: 'portable', int8Io: true, inputLayout: 'nhwc', plan, wideWeights: false,
      }).program.ops.map((op) => costKindOf(op) ?? op.kind);
      expect(kindsWith({ shareWherePossible: true }), kind).toEqual(['max_pool', kind, 'max_pool']);
      expect(kindsWith({ inPlaceDepthwise: false, overlapPointwise: false }), kind).toEqual(['max_pool', kind === 'depthwise_inplace' ? 'depthwise' : 'conv_1x1', 'max_pool']);
    }
  });
});

describe('widened convolutions (passes/wide-conv-weights.ts)', () => {
  it('every measured shape lowers to its one widened layer on a DSP board', () => {
    for (const kind of WIDE_COST_KINDS) {
      expect(MEASURED_SHAPES[kind].length, kind).toBeGreaterThanOrEqual(4);
      for (const spec of MEASURED_SHAPES[kind]) {
        const c = compileModel(`${layerLabel(spec)}.onnx`, { name: 'layer', modelBytes: layerModelBytes(spec), board: 'nucleo-f446re', backend: 'portable', int8Io: true, inputLayout: 'nhwc', plan: { inPlaceDepthwise: false, overlapPointwise: false }, patch: 'off' });
        expect(c.program.ops.map((op) => costKindOf(op)), layerLabel(spec)).toEqual([kind]);
      }
    }
  });

  for (const cpu of ['cortex-m4', 'cortex-m7']) {
    it(`${cpu}: measured from several shapes, and estimated under the int8 kernels they replace`, () => {
      const table = costTableFor(cpu)!;
      for (const kind of WIDE_COST_KINDS) {
        const fit = table.kinds[kind]?.portable;
        expect(fit, kind).toBeDefined();
        expect(fit!.points).toBeGreaterThanOrEqual(4);
        expect(trustedFit(table, kind, 'portable'), kind).toBe(fit);
      }
      const pointwise = conv({ in_h: 25, in_w: 5, in_c: 64, out_h: 25, out_w: 5, out_c: 64, k_h: 1, k_w: 1, pad_top: 0, pad_left: 0 });
      const pw = { ...pointwise, macs: 25 * 5 * 64 * 64 };
      expect(estimateInstructions(table, { ...pw, kind: 'conv2d_1x1_wide' }, 'portable')!).toBeLessThan(estimateInstructions(table, pw, 'portable')!);
      const kxk = conv({ in_h: 16, in_w: 16, in_c: 16, out_h: 16, out_w: 16, out_c: 16 });
      const k3 = { ...kxk, macs: 16 * 16 * 16 * 16 * 9 };
      expect(estimateInstructions(table, { ...k3, kind: 'conv2d_wide' }, 'portable')!).toBeLessThan(estimateInstructions(table, k3, 'portable')!);
    });
  }
});
