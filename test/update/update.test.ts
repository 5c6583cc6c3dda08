/**
 * Field updates end to end on a simulated A/B flash (test/update/sim_flash.c):
 * blob build, delta, streaming apply in runtime-c, the updated model against
 * onnxruntime on the new ONNX, refusals with their own status, power cuts,
 * and ECDSA signatures checked with mbedTLS.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileModel, type Compiled } from '../../compiler/pipeline.js';
import { applyPatch, makePatch } from '../../compiler/update/delta.js';
import { generateKeys, loadPrivateKey, loadPublicKey, publicKeyC, signBytes, verifyBytes } from '../../compiler/update/sign.js';
import { lzssCompress, lzssDecompress } from '../../compiler/update/lzss.js';
import { retrainClassifier } from './perturb.js';
import { buildSim, expectAppliedModelMatches, sim } from './sim.js';

const DIGITS = 'examples/digits/digits_int8.onnx';
const KWS = 'examples/kws_dscnn/kws_dscnn_int8.onnx';
const HAS_MBEDTLS = existsSync('/usr/include/mbedtls/ecdsa.h');

let work: string;
let base: Compiled;
let target: Compiled;
let targetModel: string;
const files: Record<string, string> = {};

function write(name: string, data: Uint8Array | string): string {
  const p = join(work, name);
  writeFileSync(p, data);
  files[name] = p;
  return p;
}

let exe: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'edgec-update-'));
  targetModel = write('digits_retrained.onnx', retrainClassifier(DIGITS, 7));
  base = compileModel(DIGITS, { name: 'model', weights: 'blob' });
  target = compileModel(targetModel, { name: 'model', weights: 'blob' });
  write('base.weights', base.emitted.weightsBlob as Uint8Array);
  write('target.weights', target.emitted.weightsBlob as Uint8Array);
  write('update.patch', makePatch(base.emitted.weightsBlob as Uint8Array, target.emitted.weightsBlob as Uint8Array));
  exe = buildSim(join(work, 'sim'), target);
});

describe('weight blob build', () => {
  it('const builds carry no blob code; blob builds read arrays in place from a 16-byte aligned layout', () => {
    const plain = compileModel(DIGITS, { name: 'model' });
    expect(plain.emitted.weightsBlob).toBeUndefined();
    expect(plain.emitted.files.some((f) => f.path.startsWith('edgec_blob') || f.path.startsWith('edgec_update'))).toBe(false);
    const c = base.emitted.files.find((f) => f.path === 'model.c')?.contents ?? '';
    const refs = [...c.matchAll(/model_weights_blob \+ (\d+)/g)].map((m) => Number(m[1]));
    expect(refs.length).toBeGreaterThan(0);
    expect(refs.every((o) => o % 16 === 0 && o >= 80)).toBe(true);
    expect(base.emitted.files.find((f) => f.path === 'model_weights.c')?.contents).not.toMatch(/const int8_t model_/);
  });

  it('same fingerprint after retraining the classifier, another for another model', () => {
    const fp = (b: Uint8Array | undefined): string => Buffer.from((b as Uint8Array).subarray(16, 48)).toString('hex');
    expect(fp(target.emitted.weightsBlob)).toBe(fp(base.emitted.weightsBlob));
    expect(Buffer.compare(target.emitted.weightsBlob as Uint8Array, base.emitted.weightsBlob as Uint8Array)).not.toBe(0);
    expect(fp(compileModel(KWS, { name: 'model', weights: 'blob' }).emitted.weightsBlob)).not.toBe(fp(base.emitted.weightsBlob));
  });
});

describe('delta', () => {
  it('LZSS round-trips runs, literals and overlapping copies', () => {
    const data = Uint8Array.from({ length: 5000 }, (_, i) => (i < 1000 ? 0 : i % 3 === 0 ? (i * 7) & 255 : i & 15));
    expect(Buffer.compare(lzssDecompress(lzssCompress(data)), data)).toBe(0);
    expect(lzssCompress(new Uint8Array(4096)).length).toBeLessThan(100);
  });

  it('a classifier-only change travels as a small patch that rebuilds the target', () => {
    const b = base.emitted.weightsBlob as Uint8Array;
    const t = target.emitted.weightsBlob as Uint8Array;
    const patch = readFileSync(files['update.patch']);
    expect(Buffer.compare(applyPatch(b, patch), t)).toBe(0);
    // digits' classifier is half of its weights: the patch carries it (incompressible new int8
    // weights cost 9/8 in LZSS literals) and little else
    const classifierBytes = 10 * 512 + 10 * 4;
    expect(patch.length).toBeLessThan(classifierBytes * 1.125 + 200);
    expect(patch.length).toBeLessThan(t.length * 0.6);
  });
});

describe('on-device apply (simulated A/B flash)', () => {
  it('applies the patch into slot B and the updated model matches onnxruntime on the new ONNX', async () => {
    await expectAppliedModelMatches(exe, files['base.weights'], files['update.patch'], targetModel, target, work, 11);
  });

  it('refuses a patch for another base, truncated transfers and every flipped bit, leaving slot A intact', () => {
    const other = compileModel(write('other.onnx', retrainClassifier(DIGITS, 99)), { name: 'model', weights: 'blob' }).emitted.weightsBlob as Uint8Array;
    write('other.patch', makePatch(other, target.emitted.weightsBlob as Uint8Array));
    const wrongBase = sim(exe, ['apply', files['base.weights'], files['other.patch']]);
    expect(wrongBase.apply).toBe('wrong-base');
    expect(wrongBase.active).toBe('intact');
    const patch = readFileSync(files['update.patch']);
    for (const cut of [0, 3, 60, 88, 200, patch.length - 1]) {
      const r = sim(exe, ['apply', files['base.weights'], write(`cut${cut}.patch`, patch.subarray(0, cut))]);
      expect(r.apply, `cut at ${cut}`).toBe('truncated');
      expect(r.active).toBe('intact');
    }
    const flips = sim(exe, ['flips', files['base.weights'], files['update.patch'], '1']);
    expect(Number(flips.flips)).toBe(patch.length * 8);
    expect(flips['flips.accepted']).toBe('0');
    expect(flips['flips.damaged']).toBe('0');
  });

  it('a power cut at every erase/program leaves the active model valid and a retry completes', () => {
    const r = sim(exe, ['powercut', files['base.weights'], files['update.patch']]);
    const cuts = Number(r.cuts);
    // one erase + one program per 32-byte chunk of the target
    expect(cuts).toBeGreaterThanOrEqual(Math.ceil((target.emitted.weightsBlob as Uint8Array).length / 32));
    expect(Number(r['cuts.active-intact'])).toBe(cuts);
    expect(Number(r['cuts.retry-ok'])).toBe(cuts);
    expect(r['cuts.b-valid-after-cut']).toBe('0');
  });

  it('binding checks magic, version, model, length and hash, each with its own status', () => {
    const blob = new Uint8Array(readFileSync(files['base.weights']));
    const bind = (name: string, bytes: Uint8Array): string => sim(exe, ['bind', write(name, bytes)]).bind;
    const flipped = (at: number): Uint8Array => { const b = blob.slice(); b[at] ^= 0x10; return b; };
    expect(bind('ok.weights', blob)).toBe('ok');
    expect(sim(exe, ['bind', files['ok.weights']]).invoke).toBe('ok');
    expect(bind('kws.weights', compileModel(KWS, { name: 'model', weights: 'blob' }).emitted.weightsBlob as Uint8Array)).toBe('wrong-model');
    expect(bind('trunc.weights', blob.subarray(0, blob.length - 1))).toBe('truncated');
    expect(bind('magic.weights', flipped(0))).toBe('bad-magic');
    expect(bind('version.weights', flipped(4))).toBe('bad-version');
    expect(bind('fp.weights', flipped(20))).toBe('wrong-model');
    expect(bind('sha.weights', flipped(50))).toBe('corrupt');
    const r = sim(exe, ['bind', write('payload.weights', flipped(blob.length - 700))]);
    expect(r.bind).toBe('corrupt');
    expect(r.invoke).toBe('refused');
  });
});

describe.skipIf(!HAS_MBEDTLS)('signatures (mbedTLS, EDGEC_WITH_MBEDTLS)', () => {
  it('signed patches and blobs verify on the device; unsigned or tampered ones are refused', () => {
    const keys = generateKeys();
    const priv = loadPrivateKey(keys.privatePem, 'key.pem');
    const pub = write('edgec_pubkey.c', publicKeyC(priv));
    const sexe = buildSim(join(work, 'signed'), target, ['-DEDGEC_WITH_MBEDTLS'], [pub, '-lmbedcrypto']);
    const patch = new Uint8Array(readFileSync(files['update.patch']));
    const signedPatch = signBytes(patch, priv);
    expect(verifyBytes(signedPatch, loadPublicKey(keys.publicPem, 'key.pub.pem'))).toBe('ok');
    const signedBase = signBytes(new Uint8Array(readFileSync(files['base.weights'])), priv);
    write('base.signed.weights', signedBase);
    expect(sim(sexe, ['apply', files['base.signed.weights'], write('s.patch', signedPatch)]).apply).toBe('ok');
    expect(sim(sexe, ['apply', files['base.signed.weights'], files['update.patch']]).apply).toBe('unsigned');
    const badSig = signedPatch.slice(); badSig[badSig.length - 5] ^= 1;
    expect(sim(sexe, ['apply', files['base.signed.weights'], write('badsig.patch', badSig)]).apply).toBe('bad-signature');
    expect(sim(sexe, ['apply', files['base.signed.weights'], write('cutsig.patch', signedPatch.subarray(0, signedPatch.length - 10))]).apply).toBe('truncated');
    // every 13th bit, signature trailer included: nothing is accepted, slot A never changes
    const flips = sim(sexe, ['flips', files['base.signed.weights'], files['s.patch'], '13']);
    expect(flips['flips.accepted']).toBe('0');
    expect(flips['flips.damaged']).toBe('0');
    expect(sim(sexe, ['bind', files['base.signed.weights']]).bind).toBe('ok');
    expect(sim(sexe, ['bind', files['base.weights']]).bind).toBe('unsigned');
    const tampered = signedBase.slice(); tampered[tampered.length - 40] ^= 4;
    expect(sim(sexe, ['bind', write('tampered.weights', tampered)]).bind).toBe('bad-signature');
  });
});
