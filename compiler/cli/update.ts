/**
 * Field-update commands: `edgec delta`, `edgec keygen`, `edgec sign`, and
 * the `--weights blob` output of `edgec build` (see compiler/update/).
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Compiled } from '../pipeline.js';
import { compileModel } from '../pipeline.js';
import { EdgecError } from '../errors.js';
import { parseShapeOption } from './options.js';
import { applyPatch, fullImagePatch, makePatch } from '../update/delta.js';
import { BLOB_MAGIC, hex, magicOf, PATCH_MAGIC, readBlob, readPatchHeader, signedLength } from '../update/format.js';
import { deviceKeyC, encryptPatch, generateDeviceKey, parseDeviceKey } from '../update/crypt.js';
import { generateKeys, loadPrivateKey, publicKeyC, signBytes } from '../update/sign.js';
import type { WeightsMode } from '../update/emit-blob.js';
import { ensureFolder, type OutputFile } from './output-folder.js';

/** `encrypt`: build's --encrypt, checked before compiling as it only makes sense for a blob. */
export function weightsMode(value: string | undefined, encrypt?: string): WeightsMode {
  if (encrypt !== undefined && value !== 'blob') throw new EdgecError('--encrypt needs --weights blob (const weights are compiled into the firmware, not transferred)', 2);
  if (value === undefined || value === 'const' || value === 'blob') return value ?? 'const';
  throw new EdgecError(`--weights ${value}: expected const or blob`, 2);
}

function readDeviceKey(path: string): Uint8Array {
  return parseDeviceKey(readInput(path), path);
}

/**
 * `edgec build --weights blob`: writes <name>.weights beside the sources; with
 * `--encrypt`, also <name>.weights.enc (the blob as an encrypted full-image
 * patch for edgec_update_apply). Returns the lines to print.
 */
/** `--weights blob`: <name>.weights (and with --encrypt <name>.weights.enc) for the output folder, and the report lines. */
export function weightsBlobFiles(c: Compiled, outDir: string, encryptKey?: string): { files: OutputFile[]; note?: string } {
  const blob = c.emitted.weightsBlob;
  if (!blob) return { files: [] };
  const file = `${c.program.name}.weights`;
  const path = join(outDir, file);
  const line = `weights: ${path} (${blob.length} bytes, bind with ${c.program.name}_bind_weights())`;
  if (encryptKey === undefined) return { files: [{ path: file, contents: blob }], note: line };
  const enc = encryptPatch(fullImagePatch(blob), readDeviceKey(encryptKey), path);
  return {
    files: [{ path: file, contents: blob }, { path: `${file}.enc`, contents: enc }],
    note: `${line}\nencrypted: ${path}.enc (${enc.length} bytes, AES-128-CTR full image for edgec_update_apply; sign it with edgec sign)`,
  };
}

function readInput(path: string): Uint8Array {
  if (!existsSync(path)) throw new EdgecError(`${path}: no such file`, 2);
  return new Uint8Array(readFileSync(path));
}

interface DeltaFlags { output: string; name: string; board: string; shape: string[]; backend?: string; encrypt?: string }

/**
 * A blob from a .weights file, or compiled from an ONNX model with the same
 * options for both sides. A signed target keeps its trailer: the device's
 * bind (edgec_blob_check with mbedTLS) needs it in the new slot; the base may
 * be given with or without it (the patch hashes the bytes it names).
 */
function blobOf(path: string, flags: DeltaFlags, keepSignature = false): Uint8Array {
  const bytes = readInput(path);
  if (magicOf(bytes) === BLOB_MAGIC) {
    const blob = readBlob(bytes.subarray(0, signedLength(bytes)), path).bytes;
    return keepSignature && signedLength(bytes) === blob.length && bytes.length > blob.length ? bytes : blob;
  }
  if (!path.endsWith('.onnx')) throw new EdgecError(`${path}: neither a weight blob (.weights) nor an ONNX model`, 2);
  const c = compileModel(path, { name: flags.name, board: flags.board, backend: flags.backend, shapes: parseShapeOption(flags.shape), weights: 'blob' });
  return c.emitted.weightsBlob as Uint8Array;
}

function runDelta(oldPath: string, newPath: string, flags: DeltaFlags, log: (s: string) => void): void {
  const base = blobOf(oldPath, flags);
  const target = blobOf(newPath, flags, true);
  const key = flags.encrypt === undefined ? undefined : readDeviceKey(flags.encrypt);
  const fpBase = hex(base.subarray(16, 48));
  const fpTarget = hex(target.subarray(16, 48));
  if (fpBase !== fpTarget) {
    throw new EdgecError(`${newPath}: compiled graph differs from ${oldPath} (fingerprint ${fpTarget.slice(0, 16)} vs ${fpBase.slice(0, 16)}): a weight patch cannot change structure, shapes or activation quantization`, 2, 'rebuild and flash the firmware for an architecture change');
  }
  const plain = makePatch(base, target);
  const patch = key ? encryptPatch(plain, key, flags.output) : plain;
  // the host decoder re-applies it: a patch that does not rebuild the target is never written
  if (Buffer.compare(applyPatch(base, patch, key), target) !== 0) throw new Error('internal: patch does not reproduce the target');
  const out = resolve(flags.output);
  writeFileSync(out, patch);
  const pct = ((100 * patch.length) / target.length).toFixed(1);
  const how = key ? ', AES-128-CTR encrypted: sign it with edgec sign' : '';
  log(`patch: ${out}: ${patch.length} bytes = ${pct}% of the ${target.length}-byte blob (base sha256 ${hex(patch.subarray(24, 56)).slice(0, 16)}..., target ${hex(patch.subarray(56, 88)).slice(0, 16)}...${how})`);
}

/** `edgec encrypt`: a blob becomes an encrypted full-image patch; a plain patch gets its body encrypted. */
function runEncrypt(file: string, flags: { key: string; output: string }, log: (s: string) => void): void {
  const data = readInput(file);
  const key = readDeviceKey(flags.key);
  const magic = magicOf(data);
  let plain: Uint8Array;
  if (magic === BLOB_MAGIC) {
    const blob = readBlob(data.subarray(0, signedLength(data)), file).bytes;
    // a signed blob travels with its trailer, so the new slot binds under EDGEC_WITH_MBEDTLS
    plain = fullImagePatch(data.length > blob.length && signedLength(data) === blob.length ? data : blob);
  } else if (magic === PATCH_MAGIC) {
    readPatchHeader(data.subarray(0, signedLength(data)), file);
    plain = data;
  } else {
    throw new EdgecError(`${file}: not an edgec weight blob or patch`, 2);
  }
  const enc = encryptPatch(plain, key, file);
  const out = resolve(flags.output);
  writeFileSync(out, enc);
  log(`encrypted: ${out} (${enc.length} bytes, AES-128-CTR${magic === BLOB_MAGIC ? ' full-image patch' : ''}; sign it with edgec sign, the signature covers the ciphertext)`);
}

function runKeygen(flags: { output: string; aes?: boolean }, log: (s: string) => void): void {
  if (flags.output.trim() === '') throw new EdgecError('-o needs a folder name (got an empty string)', 2);
  const dir = resolve(flags.output);
  ensureFolder(dir);
  // a key pair is not reproducible: never write over one
  const existing = (flags.aes ? ['device.key', 'edgec_devkey.c'] : ['key.pem', 'key.pub.pem', 'edgec_pubkey.c']).map((f) => join(dir, f)).find((f) => existsSync(f));
  if (existing) throw new EdgecError(`${existing}: already exists; not overwriting a key`, 2, 'choose another -o folder, or move the old keys away first');
  if (flags.aes) {
    const key = generateDeviceKey();
    writeFileSync(join(dir, 'device.key'), `${hex(key)}\n`, { mode: 0o600 });
    writeFileSync(join(dir, 'edgec_devkey.c'), deviceKeyC(key), { mode: 0o600 });
    log(`device key: ${join(dir, 'device.key')} (AES-128, hex; for --encrypt), ${join(dir, 'edgec_devkey.c')} (compile into the firmware with -DEDGEC_WITH_MBEDTLS, set io.device_key = edgec_device_key)`);
    return;
  }
  const keys = generateKeys();
  writeFileSync(join(dir, 'key.pem'), keys.privatePem, { mode: 0o600 });
  writeFileSync(join(dir, 'key.pub.pem'), keys.publicPem);
  writeFileSync(join(dir, 'edgec_pubkey.c'), publicKeyC(loadPrivateKey(keys.privatePem, 'key.pem')));
  log(`keys: ${join(dir, 'key.pem')} (private, keep off devices), ${join(dir, 'key.pub.pem')}, ${join(dir, 'edgec_pubkey.c')} (compile into the firmware with -DEDGEC_WITH_MBEDTLS)`);
}

function runSign(file: string, flags: { key: string; output?: string }, log: (s: string) => void): void {
  const data = readInput(file);
  const magic = magicOf(data);
  if (magic !== BLOB_MAGIC && magic !== PATCH_MAGIC) throw new EdgecError(`${file}: not an edgec weight blob or patch`, 2);
  const key = loadPrivateKey(readFileSync(readInputPath(flags.key), 'utf8'), flags.key);
  const signed = signBytes(data, key);
  const out = resolve(flags.output ?? file);
  writeFileSync(out, signed);
  log(`signed: ${out} (${signed.length} bytes, ECDSA P-256 over SHA-256 of the first ${signed.length - 72})`);
}

function readInputPath(path: string): string {
  if (!existsSync(path)) throw new EdgecError(`${path}: no such file`, 2);
  return path;
}

export function addUpdateCommands(program: Command, log: (s: string) => void, collect: (v: string, p: string[]) => string[]): void {
  program.command('delta').description('compact patch from one weight blob (or ONNX model) to another of the same architecture')
    .argument('<old>', 'base: .weights blob or .onnx model').argument('<new>', 'target: .weights blob or .onnx model')
    .requiredOption('-o, --output <file>', 'patch file to write')
    .option('-n, --name <name>', 'C name prefix (ONNX inputs: as in edgec build)', 'model')
    .option('-b, --board <id>', 'target board (ONNX inputs)', 'host')
    .option('--backend <id>', 'kernel backend (ONNX inputs)')
    .option('--shape <name=dims>', 'static input shape (ONNX inputs, repeatable)', collect, [])
    .option('--encrypt <device-key-file>', 'encrypt the patch body with AES-128-CTR (key from edgec keygen --aes); sign afterwards')
    .action((oldPath: string, newPath: string, flags: DeltaFlags) => runDelta(oldPath, newPath, flags, log));
  program.command('keygen').description('ECDSA P-256 key pair for signing updates, and its public key as C (--aes: an AES-128 device key)')
    .option('-o, --output <dir>', 'folder for key.pem, key.pub.pem, edgec_pubkey.c (--aes: device.key, edgec_devkey.c)', 'keys')
    .option('--aes', 'make an AES-128 device key for encrypted transfer instead')
    .action((flags: { output: string; aes?: boolean }) => runKeygen(flags, log));
  program.command('encrypt').description('encrypt a weight blob (as a full-image patch) or a patch for transfer, AES-128-CTR').argument('<file>')
    .requiredOption('--key <device-key-file>', 'device key from edgec keygen --aes (16 raw bytes or 32 hex digits)')
    .requiredOption('-o, --output <file>', 'encrypted patch to write')
    .action((file: string, flags: { key: string; output: string }) => runEncrypt(file, flags, log));
  program.command('sign').description('sign a weight blob or patch (appends a 72-byte signature trailer)').argument('<file>')
    .requiredOption('--key <key.pem>', 'private key from edgec keygen')
    .option('-o, --output <file>', 'signed file (default: sign in place)')
    .action((file: string, flags: { key: string; output?: string }) => runSign(file, flags, log));
}
