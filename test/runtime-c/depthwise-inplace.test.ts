// The in-place depthwise kernel (runtime-c/edgec_depthwise_conv_inplace_s8.c)
// against the ordinary one on ~2,700 random shapes (stride, dilation,
// asymmetric pads, batches) and DS-CNN's layer: byte-identical outputs,
// temporary bounded by edgec_depthwise_inplace_temp_bytes
// (test/runtime-c/depthwise_inplace_test.c); natively (plain C rows) and on
// QEMU's Cortex-M4 (DSP path: rows of four-channel groups through a ring).
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectEquivalentNatively, expectEquivalentOnCortexM4, has, hasCortexM4, runtimeDir, testDir } from './kernel-equivalence.js';

const sources = [join(testDir, 'depthwise_inplace_test.c'), join(runtimeDir, 'edgec_depthwise_conv_s8.c'),
  join(runtimeDir, 'edgec_depthwise_conv_inplace_s8.c')];

describe('edgec_depthwise_conv_inplace_s8', () => {
  it.skipIf(!has('gcc'))('equals edgec_depthwise_conv_s8 byte for byte on random shapes (native)', () => {
    expectEquivalentNatively(sources, [], 'dw_inplace');
  });

  it.skipIf(!hasCortexM4())('equals edgec_depthwise_conv_s8 on Cortex-M4 (DSP path, QEMU mps2-an386)', () => {
    expectEquivalentOnCortexM4(sources, [], 'dw_inplace');
  }, 150_000);
});
