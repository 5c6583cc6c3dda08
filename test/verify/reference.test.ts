/**
 * verify/reference.ts: onnxruntime is the reference `verify`, `--selftest` and
 * calibration run. A model it cannot load (here a batch-major LSTM: it runs
 * no `layout` 1 recurrent layer, which edgec builds) is one line naming the
 * model and onnxruntime's reason, exit 2, not an internal error.
 */
import { describe, expect, it } from 'vitest';
import { edgec } from '../helpers/cli.js';
import { openReference } from '../../compiler/verify/reference.js';
import { EdgecError } from '../../compiler/errors.js';

const TWIN = 'test/fixtures/recurrent/lstm_h8_seq_twin.onnx';

describe('onnxruntime as the reference', () => {
  it('a model onnxruntime cannot load: one line with its reason', async () => {
    const err = await openReference(TWIN).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EdgecError);
    expect((err as EdgecError).exitCode).toBe(2);
    expect((err as EdgecError).message).toMatch(/^onnxruntime, edgec's reference, cannot run '.*lstm_h8_seq_twin\.onnx': layout_ == 0 was false\. Batchwise recurrent operations \(layout == 1\) are not supported\./);
    expect((err as EdgecError).message).not.toContain('\n');
  });

  it('edgec verify on it: exit 2, one line, while edgec build builds it', () => {
    const r = edgec(['verify', TWIN]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^edgec: error: onnxruntime, edgec's reference, cannot run/);
    expect(edgec(['inspect', TWIN]).code).toBe(0);
  }, 60_000);
});
