/**
 * `edgec verify --from <folder>` on a folder built with --int8-io: the build
 * takes and gives int8 where the model takes and gives float; onnxruntime is
 * fed the dequantized inputs and its outputs compare in the build's int8
 * (compiler/verify/int8-edges.ts). Before, the int8 bytes went to onnxruntime
 * as they were and the int8 output was compared with the float one (120 LSB,
 * FAIL on a correct build).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgec } from '../helpers/cli.js';

describe('verify --from an --int8-io folder', () => {
  it('passes on a correct build, with every layer within 1 LSB', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'edgec-from-int8-')), 'kws');
    const model = 'examples/kws_dscnn/kws_dscnn_int8.onnx';
    expect(edgec(['build', model, '--board', 'host', '--int8-io', '-o', dir, '--name', 'kws']).code).toBe(0);
    const r = edgec(['verify', model, '--from', dir, '--name', 'kws', '--native']);
    expect(r.stdout).toMatch(/^PASS/m);
    expect(r.stdout).toMatch(/layers \(isolated: each fed onnxruntime's input\): 13 compared, max \|diff\| 1 LSB, all within tolerance/);
    expect(r.code).toBe(0);
  }, 120_000);
});
