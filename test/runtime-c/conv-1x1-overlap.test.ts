// The overlapped pointwise kernel (runtime-c/edgec_conv_1x1_overlap_s8.c)
// against edgec_conv_s8 on ~1,500 random shapes with the input placed inside
// the output block as the planner places it (test/runtime-c/conv_1x1_overlap_test.c):
// natively (plain C path) and on QEMU's Cortex-M4 (DSP path), each with the
// default stack copy and with a 32-lane one (two, one staged pixels and the
// run fallback through the arena temporary).
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectEquivalentNatively, expectEquivalentOnCortexM4, has, hasCortexM4, runtimeDir, testDir } from './kernel-equivalence.js';

const sources = [join(testDir, 'conv_1x1_overlap_test.c'), join(runtimeDir, 'edgec_conv_s8.c'), join(runtimeDir, 'edgec_conv_1x1_overlap_s8.c')];

describe('edgec_conv_1x1_overlap_s8', () => {
  it.skipIf(!has('gcc')).each(['default stack copy', '-DEDGEC_PW_STAGE_HALVES=32'])('equals edgec_conv_s8 byte for byte with the input inside the output (native, %s)', (variant: string) => {
    const defines = variant.startsWith('-D') ? [variant] : [];
    expectEquivalentNatively(sources, defines, 'pw_overlap');
  });

  it.skipIf(!hasCortexM4()).each(['default stack copy', '-DEDGEC_PW_STAGE_HALVES=32'])('equals edgec_conv_s8 on Cortex-M4 (DSP path, QEMU mps2-an386, %s)', (variant: string) => {
    const defines = variant.startsWith('-D') ? [variant] : [];
    expectEquivalentOnCortexM4(sources, defines, 'pw_overlap');
  }, 150_000);
});
