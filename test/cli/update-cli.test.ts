/** edgec build --weights blob, delta, keygen, sign through the real CLI, and their bad-input errors. */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgec } from '../helpers/cli.js';
import { retrainClassifier } from '../update/perturb.js';
import { loadPublicKey, verifyBytes } from '../../compiler/update/sign.js';

describe('edgec field-update commands', () => {
  it('build --weights blob, delta of two ONNX models, keygen and sign', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-cli-upd-'));
    const b = edgec(['build', 'examples/digits/digits_int8.onnx', '--weights', 'blob', '-n', 'digits', '-o', join(dir, 'out')]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/digits\.weights \(10672 bytes/);
    expect(existsSync(join(dir, 'out', 'digits.weights'))).toBe(true);
    writeFileSync(join(dir, 'new.onnx'), retrainClassifier('examples/digits/digits_int8.onnx', 7));
    const d = edgec(['delta', 'examples/digits/digits_int8.onnx', join(dir, 'new.onnx'), '-n', 'digits', '-o', join(dir, 'u.patch')]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/\d+ bytes = [\d.]+% of the 10672-byte blob/);
    expect(edgec(['keygen', '-o', join(dir, 'keys')]).code).toBe(0);
    const s = edgec(['sign', join(dir, 'u.patch'), '--key', join(dir, 'keys', 'key.pem')]);
    expect(s.code, s.stderr).toBe(0);
    expect(verifyBytes(readFileSync(join(dir, 'u.patch')), loadPublicKey(readFileSync(join(dir, 'keys', 'key.pub.pem'), 'utf8'), 'pub'))).toBe('ok');
    expect(readFileSync(join(dir, 'keys', 'edgec_pubkey.c'), 'utf8')).toMatch(/edgec_signing_pubkey\[EDGEC_SIG_PUBKEY_BYTES\] = \{\n {2}0x04,/);
  });

  it('refuses other architectures and non-update files in one line, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-cli-upd-'));
    const d = edgec(['delta', 'examples/digits/digits_int8.onnx', 'examples/kws_dscnn/kws_dscnn_int8.onnx', '-o', join(dir, 'x.patch')]);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/^edgec: error: .*compiled graph differs/);
    expect(d.stderr).not.toMatch(/at .*\.js:/);
    expect(edgec(['sign', 'examples/digits/info.json', '--key', 'nope.pem']).code).toBe(2);
    expect(edgec(['delta', 'examples/digits/info.json', 'examples/digits/info.json', '-o', join(dir, 'y')]).stderr).toMatch(/neither a weight blob/);
  });
});
