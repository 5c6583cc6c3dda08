// The bitmap-sparse kernels (runtime-c/edgec_{fully_connected,conv,depthwise_conv}_sparse_s8.c,
// format in runtime-c/edgec_sparse.h) against the dense ones on ~1,600 random
// shapes and sparse weights (unstructured 0-100 % zeros, 2:4, pruned filters,
// pruned input channels): byte-identical outputs (test/runtime-c/sparse_kernels_test.c),
// natively (plain C dense kernels) and on QEMU's Cortex-M4 (the dense kernels' DSP paths).
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { expectEquivalentNatively, expectEquivalentOnCortexM4, has, hasCortexM4, runtimeDir, testDir } from './kernel-equivalence.js';

const sources = [join(testDir, 'sparse_kernels_test.c'), ...['fully_connected', 'conv', 'depthwise_conv']
  .flatMap((k) => [join(runtimeDir, `edgec_${k}_s8.c`), join(runtimeDir, `edgec_${k}_sparse_s8.c`)])];

describe('sparse kernels', () => {
  // -DEDGEC_SPARSE_NO_CTZ: the bit loop of cores without a count-trailing-zeros instruction (Cortex-M0+, plain RISC-V)
  it.skipIf(!has('gcc')).each([{ flags: [] as string[] }, { flags: ['-DEDGEC_SPARSE_NO_CTZ'] }])('equal the dense kernels byte for byte on random sparse weights (native $flags)', ({ flags }) => {
    expectEquivalentNatively(sources, flags, 'sparse');
  });

  it.skipIf(!hasCortexM4())('equal the dense kernels on Cortex-M4 (DSP dense paths, QEMU mps2-an386)', () => {
    expectEquivalentOnCortexM4(sources, [], 'sparse');
  }, 150_000);
});
