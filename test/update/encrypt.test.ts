/**
 * Encrypted transfer (`--encrypt`, AES-128-CTR, encrypt-then-sign) on the
 * simulated A/B flash: node:crypto encrypts, runtime-c decrypts with mbedTLS
 * while streaming into slot B. The updated model must match onnxruntime;
 * wrong key, no decryption support, tampering and truncation are refused
 * with their own status, and power cuts leave slot A valid.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { applyPatch, fullImagePatch, makePatch } from '../../compiler/update/delta.js';
import { decryptPatch, deviceKeyC, encryptPatch, generateDeviceKey, keyCheck, parseDeviceKey } from '../../compiler/update/crypt.js';
import { lzssDecompress } from '../../compiler/update/lzss.js';
import { crc32, PATCH_CRYPT_BYTES, PATCH_HEADER_BYTES } from '../../compiler/update/format.js';
import { generateKeys, loadPrivateKey, publicKeyC, signBytes } from '../../compiler/update/sign.js';
import { EdgecError } from '../../compiler/errors.js';
import { retrainClassifier } from './perturb.js';
import { buildSim, expectAppliedModelMatches, sim } from './sim.js';

const DIGITS = 'examples/digits/digits_int8.onnx';
const HAS_MBEDTLS = existsSync('/usr/include/mbedtls/aes.h');
const BODY = PATCH_HEADER_BYTES + PATCH_CRYPT_BYTES;

let work: string;
let base: Compiled;
let target: Compiled;
let targetModel: string;
let deviceKey: Uint8Array;
let plainPatch: Uint8Array;
let encPatch: Uint8Array;
const files: Record<string, string> = {};

function write(name: string, data: Uint8Array | string): string {
  const p = join(work, name);
  writeFileSync(p, data);
  files[name] = p;
  return p;
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgec-encrypt-'));
  targetModel = write('digits_retrained.onnx', retrainClassifier(DIGITS, 7));
  base = compileModel(DIGITS, { name: 'model', weights: 'blob' });
  target = compileModel(targetModel, { name: 'model', weights: 'blob' });
  deviceKey = generateDeviceKey();
  plainPatch = makePatch(base.emitted.weightsBlob as Uint8Array, target.emitted.weightsBlob as Uint8Array);
  encPatch = encryptPatch(plainPatch, deviceKey, 'update.patch');
});

describe('encryption format (host)', () => {
  it('hides the weights, round-trips with the key and names a wrong or missing key', () => {
    const t = target.emitted.weightsBlob as Uint8Array;
    // anyone can decompress a plain patch and read the retrained classifier; not an encrypted one
    const probe = Buffer.from(t.subarray(t.length - 600, t.length - 584));
    const opsOf = (body: Uint8Array): Buffer => { try { return Buffer.from(lzssDecompress(body)); } catch { return Buffer.alloc(0); } };
    expect(opsOf(plainPatch.subarray(PATCH_HEADER_BYTES)).indexOf(probe)).toBeGreaterThan(0);
    expect(opsOf(encPatch.subarray(BODY)).indexOf(probe)).toBe(-1);
    expect(Buffer.from(encPatch).indexOf(probe.subarray(0, 6))).toBe(-1);
    expect(encPatch[7]).toBe(1);
    expect(encPatch.length).toBe(plainPatch.length + PATCH_CRYPT_BYTES);
    expect(Buffer.compare(applyPatch(base.emitted.weightsBlob as Uint8Array, encPatch, deviceKey), t)).toBe(0);
    expect(() => decryptPatch(encPatch, generateDeviceKey(), 'u.patch')).toThrow(/another device key/);
    expect(() => applyPatch(base.emitted.weightsBlob as Uint8Array, encPatch)).toThrow(/no device key/);
    // a fresh nonce each time: the same patch never reuses keystream
    expect(Buffer.compare(encryptPatch(plainPatch, deviceKey, 'p'), encPatch)).not.toBe(0);
    expect(() => encryptPatch(encPatch, deviceKey, 'e.patch')).toThrow(/already encrypted/);
    const signed = signBytes(plainPatch, loadPrivateKey(generateKeys().privatePem, 'k'));
    expect(() => encryptPatch(signed, deviceKey, 's.patch')).toThrow(/already signed; encrypt first/);
  });

  it('key check is AES-128(key, nonce || ffffffff) (AESAVS VarTxt128 vector), key files are raw or hex', () => {
    // zero key, all-ones block -> 3f5b8cc9ea855a0afa7347d23e8d664e (AESAVS VarTxt128, last entry)
    expect(Buffer.from(keyCheck(new Uint8Array(16), new Uint8Array(16).fill(0xff, 0, 12))).toString('hex')).toBe('3f5b8cc9ea855a0a');
    const key = new Uint8Array(Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex'));
    expect(Buffer.from(parseDeviceKey(new TextEncoder().encode('  2b7e151628aed2a6abf7158809cf4f3c\n'), 'k')).toString('hex')).toBe('2b7e151628aed2a6abf7158809cf4f3c');
    expect(Buffer.compare(parseDeviceKey(key, 'k'), key)).toBe(0);
    expect(() => parseDeviceKey(new Uint8Array(15), 'short.key')).toThrow(EdgecError);
    expect(() => parseDeviceKey(new TextEncoder().encode('-----BEGIN PRIVATE KEY-----'), 'key.pem')).toThrow(/not an AES-128 device key/);
    expect(deviceKeyC(key)).toMatch(/edgec_device_key\[EDGEC_DEVICE_KEY_BYTES\] = \{\n {2}0x2b, 0x7e,/);
  });
});

describe.skipIf(!HAS_MBEDTLS)('encrypted apply on the device (mbedTLS AES-128-CTR, simulated A/B flash)', () => {
  let sexe: string;
  let signedPatch: Uint8Array;
  let priv: ReturnType<typeof loadPrivateKey>;

  beforeAll(() => {
    priv = loadPrivateKey(generateKeys().privatePem, 'key.pem');
    const pub = write('edgec_pubkey.c', publicKeyC(priv));
    const dev = write('edgec_devkey.c', deviceKeyC(deviceKey));
    sexe = buildSim(join(work, 'enc'), target, ['-DEDGEC_WITH_MBEDTLS', '-DSIM_DEVICE_KEY'], [pub, dev, '-lmbedcrypto']);
    // slot A holds a signed blob; the target travels with its signature so slot B binds
    write('base.signed.weights', signBytes(base.emitted.weightsBlob as Uint8Array, priv));
    const signedTarget = signBytes(target.emitted.weightsBlob as Uint8Array, priv);
    write('target.signed.weights', signedTarget);
    signedPatch = signBytes(encryptPatch(makePatch(base.emitted.weightsBlob as Uint8Array, signedTarget), deviceKey, 'u'), priv);
    write('enc.patch', signedPatch);
  });

  it('decrypts while streaming into slot B; the updated model matches onnxruntime', async () => {
    await expectAppliedModelMatches(sexe, files['base.signed.weights'], files['enc.patch'], targetModel, target, work, 5);
  });

  it('a whole blob travels encrypted as a full-image patch (edgec encrypt) and binds', () => {
    const full = signBytes(encryptPatch(fullImagePatch(readFileSync(files['target.signed.weights'])), deviceKey, 'full'), priv);
    const r = sim(sexe, ['apply', files['base.signed.weights'], write('full.enc', full)]);
    expect(r.apply).toBe('ok');
    expect(r.active).toBe('intact');
  });

  it('refuses a wrong key, a build or device without decryption, and flags it does not know, before erasing', () => {
    const other = signBytes(encryptPatch(plainPatch, generateDeviceKey(), 'u'), priv);
    const wrong = sim(sexe, ['apply', files['base.signed.weights'], write('wrongkey.patch', other)]);
    expect(wrong.apply).toBe('wrong-key');
    expect(wrong.active).toBe('intact');
    expect(sim(sexe, ['apply', files['base.signed.weights'], files['enc.patch']], { SIM_NO_KEY: '1' }).apply).toBe('no-decryption');
    // the plain build (no EDGEC_WITH_MBEDTLS) cannot decrypt: refused, not written as ciphertext
    const plainExe = buildSim(join(work, 'plain'), target);
    write('base.weights', base.emitted.weightsBlob as Uint8Array);
    const noAes = sim(plainExe, ['apply', files['base.weights'], write('enc.unsigned.patch', encPatch)]);
    expect(noAes.apply).toBe('no-decryption');
    expect(noAes.active).toBe('intact');
    const flag2 = signedPatch.slice(); flag2[7] |= 2;
    expect(sim(sexe, ['apply', files['base.signed.weights'], write('flag2.patch', flag2)]).apply).toBe('bad-version');
  });

  it('refuses unsigned, tampered and truncated encrypted patches, each with its status', () => {
    const unsigned = encryptPatch(makePatch(base.emitted.weightsBlob as Uint8Array, readFileSync(files['target.signed.weights'])), deviceKey, 'u');
    expect(sim(sexe, ['apply', files['base.signed.weights'], write('unsigned.enc', unsigned)]).apply).toBe('unsigned');
    // tampering that keeps the body CRC and the LZSS structure intact (a literal byte, CRC
    // recomputed): it decodes fine, and the signature over the ciphertext refuses it
    const bodyLen = signedPatch.length - 72 - BODY;
    const tamper = (at: number): Uint8Array => {
      const t = signedPatch.slice();
      t[BODY + at] ^= 0x20;
      new DataView(t.buffer).setUint32(20, crc32(t.subarray(BODY, BODY + bodyLen)), true);
      return t;
    };
    const literal = Array.from({ length: 64 }, (_, k) => Math.floor(bodyLen / 2) + k).find((at) => {
      try { applyPatch(base.emitted.weightsBlob as Uint8Array, tamper(at), deviceKey); return false; } catch (e) { return /target hash mismatch/.test(String(e)); }
    });
    expect(literal).toBeDefined();
    const t = sim(sexe, ['apply', files['base.signed.weights'], write('tampered.patch', tamper(literal as number))]);
    expect(t.apply).toBe('bad-signature');
    expect(t.active).toBe('intact');
    const raw = signedPatch.slice(); raw[BODY + 40] ^= 1;
    expect(sim(sexe, ['apply', files['base.signed.weights'], write('raw.patch', raw)]).apply).toBe('corrupt');
    const kcv = signedPatch.slice(); kcv[PATCH_HEADER_BYTES + 20] ^= 1;
    expect(sim(sexe, ['apply', files['base.signed.weights'], write('kcv.patch', kcv)]).apply).toBe('wrong-key');
    for (const cut of [60, 100, BODY + 1, BODY + Math.floor(bodyLen / 2), signedPatch.length - 1]) {
      const r = sim(sexe, ['apply', files['base.signed.weights'], write(`cut${cut}.patch`, signedPatch.subarray(0, cut))]);
      expect(r.apply, `cut at ${cut}`).toBe('truncated');
      expect(r.active).toBe('intact');
    }
    // every 11th bit of the signed encrypted patch: nothing accepted, slot A never changes
    const flips = sim(sexe, ['flips', files['base.signed.weights'], files['enc.patch'], '11']);
    expect(Number(flips.flips)).toBe(Math.ceil((signedPatch.length * 8) / 11));
    expect(flips['flips.accepted']).toBe('0');
    expect(flips['flips.damaged']).toBe('0');
  });

  it('a power cut at every erase/program leaves the active model valid and a retry completes', () => {
    const r = sim(sexe, ['powercut', files['base.signed.weights'], files['enc.patch']]);
    const cuts = Number(r.cuts);
    expect(cuts).toBeGreaterThanOrEqual(Math.ceil((target.emitted.weightsBlob as Uint8Array).length / 32));
    expect(Number(r['cuts.active-intact'])).toBe(cuts);
    expect(Number(r['cuts.retry-ok'])).toBe(cuts);
    expect(r['cuts.b-valid-after-cut']).toBe('0');
  });
});
