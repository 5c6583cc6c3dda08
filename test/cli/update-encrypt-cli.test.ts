/** edgec keygen --aes, delta --encrypt, encrypt, build --weights blob --encrypt through the real CLI, and their bad-input errors. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { edgec } from '../helpers/cli.js';
import { retrainClassifier } from '../update/perturb.js';
import { applyPatch } from '../../compiler/update/delta.js';
import { parseDeviceKey } from '../../compiler/update/crypt.js';
import { loadPublicKey, verifyBytes } from '../../compiler/update/sign.js';

const DIGITS = 'examples/digits/digits_int8.onnx';

describe('edgec encrypted transfer commands', () => {
  it('keygen --aes, build --encrypt, encrypt, delta --encrypt, then sign', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-cli-enc-'));
    const k = edgec(['keygen', '--aes', '-o', join(dir, 'dev')]);
    expect(k.code, k.stderr).toBe(0);
    const keyText = readFileSync(join(dir, 'dev', 'device.key'), 'utf8');
    expect(keyText).toMatch(/^[0-9a-f]{32}\n$/);
    expect(statSync(join(dir, 'dev', 'device.key')).mode & 0o077).toBe(0);
    const key = parseDeviceKey(readFileSync(join(dir, 'dev', 'device.key')), 'device.key');
    expect(readFileSync(join(dir, 'dev', 'edgec_devkey.c'), 'utf8')).toContain(`0x${keyText.slice(0, 2)}, 0x${keyText.slice(2, 4)},`);
    // the same key as 16 raw bytes works too
    writeFileSync(join(dir, 'raw.key'), key);

    const b = edgec(['build', DIGITS, '--weights', 'blob', '--encrypt', join(dir, 'raw.key'), '-n', 'digits', '-o', join(dir, 'out')]);
    expect(b.code, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/encrypted: .*digits\.weights\.enc \(\d+ bytes, AES-128-CTR full image/);
    const blob = readFileSync(join(dir, 'out', 'digits.weights'));
    expect(Buffer.compare(applyPatch(new Uint8Array(0), readFileSync(join(dir, 'out', 'digits.weights.enc')), key), blob)).toBe(0);

    const e = edgec(['encrypt', join(dir, 'out', 'digits.weights'), '--key', join(dir, 'dev', 'device.key'), '-o', join(dir, 'full.enc')]);
    expect(e.code, e.stderr).toBe(0);
    expect(Buffer.compare(applyPatch(new Uint8Array(0), readFileSync(join(dir, 'full.enc')), key), blob)).toBe(0);

    writeFileSync(join(dir, 'new.onnx'), retrainClassifier(DIGITS, 7));
    const d = edgec(['delta', DIGITS, join(dir, 'new.onnx'), '-n', 'digits', '--encrypt', join(dir, 'dev', 'device.key'), '-o', join(dir, 'u.patch')]);
    expect(d.code, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/AES-128-CTR encrypted: sign it with edgec sign/);
    expect(readFileSync(join(dir, 'u.patch'))[7]).toBe(1);
    expect(edgec(['keygen', '-o', join(dir, 'sig')]).code).toBe(0);
    const s = edgec(['sign', join(dir, 'u.patch'), '--key', join(dir, 'sig', 'key.pem')]);
    expect(s.code, s.stderr).toBe(0);
    const signed = readFileSync(join(dir, 'u.patch'));
    expect(verifyBytes(signed, loadPublicKey(readFileSync(join(dir, 'sig', 'key.pub.pem'), 'utf8'), 'pub'))).toBe('ok');
    expect(applyPatch(blob, signed, key).length).toBe(blob.length);

    // encrypt-then-sign only: a signed patch is not encrypted afterwards
    const again = edgec(['encrypt', join(dir, 'u.patch'), '--key', join(dir, 'dev', 'device.key'), '-o', join(dir, 'x')]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/^edgec: error: .*already signed; encrypt first/);
  });

  it('refuses bad key files and --encrypt without a blob in one line, exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edgec-cli-enc-'));
    writeFileSync(join(dir, 'bad.key'), 'not a key\n');
    const bad = edgec(['encrypt', 'examples/digits/info.json', '--key', join(dir, 'bad.key'), '-o', join(dir, 'x')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^edgec: error: .*bad\.key: not an AES-128 device key/);
    expect(bad.stderr).not.toMatch(/at .*\.js:/);
    const noBlob = edgec(['build', DIGITS, '--encrypt', join(dir, 'bad.key'), '-o', join(dir, 'o')]);
    expect(noBlob.code).toBe(2);
    expect(noBlob.stderr).toMatch(/--encrypt needs --weights blob/);
    expect(edgec(['delta', DIGITS, DIGITS, '--encrypt', join(dir, 'missing.key'), '-o', join(dir, 'y')]).stderr).toMatch(/missing\.key: no such file/);
  });
});
