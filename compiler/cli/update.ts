/**
 * Field-update commands: `edgec delta`, `edgec keygen`, `edgec sign`, and
 * the `--weights blob` output of `edgec build` (see compiler/update/).
 */
import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Compiled } from '../pipeline.js';
import { compileModel } from '../pipeline.js';
import { EdgecError } from '../errors.js';
import { parseShapeOption } from './options.js';
import { applyPatch, makePatch } from '../update/delta.js';
import { BLOB_MAGIC, hex, magicOf, PATCH_MAGIC, readBlob, signedLength } from '../update/format.js';
import { generateKeys, loadPrivateKey, publicKeyC, signBytes } from '../update/sign.js';
import type { WeightsMode } from '../update/emit-blob.js';

export function weightsMode(value: string | undefined): WeightsMode {
  if (value === undefined || value === 'const' || value === 'blob') return value ?? 'const';
  throw new EdgecError(`--weights ${value}: expected const or blob`, 2);
}

/** `edgec build --weights blob`: writes <name>.weights beside the sources; returns the line to print. */
export function writeWeightsBlob(c: Compiled, outDir: string): string | undefined {
  const blob = c.emitted.weightsBlob;
  if (!blob) return undefined;
  const path = join(outDir, `${c.program.name}.weights`);
  writeFileSync(path, blob);
  return `weights: ${path} (${blob.length} bytes, bind with ${c.program.name}_bind_weights())`;
}

function readInput(path: string): Uint8Array {
  if (!existsSync(path)) throw new EdgecError(`${path}: no such file`, 2);
  return new Uint8Array(readFileSync(path));
}

interface DeltaFlags { output: string; name: string; board: string; shape: string[]; backend?: string }

/** A blob from a .weights file, or compiled from an ONNX model with the same options for both sides. */
function blobOf(path: string, flags: DeltaFlags): Uint8Array {
  const bytes = readInput(path);
  if (magicOf(bytes) === BLOB_MAGIC) return readBlob(bytes.subarray(0, signedLength(bytes)), path).bytes;
  if (!path.endsWith('.onnx')) throw new EdgecError(`${path}: neither a weight blob (.weights) nor an ONNX model`, 2);
  const c = compileModel(path, { name: flags.name, board: flags.board, backend: flags.backend, shapes: parseShapeOption(flags.shape), weights: 'blob' });
  return c.emitted.weightsBlob as Uint8Array;
}

function runDelta(oldPath: string, newPath: string, flags: DeltaFlags, log: (s: string) => void): void {
  const base = blobOf(oldPath, flags);
  const target = blobOf(newPath, flags);
  const fpBase = hex(base.subarray(16, 48));
  const fpTarget = hex(target.subarray(16, 48));
  if (fpBase !== fpTarget) {
    throw new EdgecError(`${newPath}: compiled graph differs from ${oldPath} (fingerprint ${fpTarget.slice(0, 16)} vs ${fpBase.slice(0, 16)}): a weight patch cannot change structure, shapes or activation quantization`, 2, 'rebuild and flash the firmware for an architecture change');
  }
  const patch = makePatch(base, target);
  // the host decoder re-applies it: a patch that does not rebuild the target is never written
  if (Buffer.compare(applyPatch(base, patch), target) !== 0) throw new Error('internal: patch does not reproduce the target');
  const out = resolve(flags.output);
  writeFileSync(out, patch);
  const pct = ((100 * patch.length) / target.length).toFixed(1);
  log(`patch: ${out}: ${patch.length} bytes = ${pct}% of the ${target.length}-byte blob (base sha256 ${hex(patch.subarray(24, 56)).slice(0, 16)}..., target ${hex(patch.subarray(56, 88)).slice(0, 16)}...)`);
}

function runKeygen(flags: { output: string }, log: (s: string) => void): void {
  const dir = resolve(flags.output);
  mkdirSync(dir, { recursive: true });
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
    .action((oldPath: string, newPath: string, flags: DeltaFlags) => runDelta(oldPath, newPath, flags, log));
  program.command('keygen').description('ECDSA P-256 key pair for signing updates, and its public key as C')
    .option('-o, --output <dir>', 'folder for key.pem, key.pub.pem, edgec_pubkey.c', 'keys')
    .action((flags: { output: string }) => runKeygen(flags, log));
  program.command('sign').description('sign a weight blob or patch (appends a 72-byte signature trailer)').argument('<file>')
    .requiredOption('--key <key.pem>', 'private key from edgec keygen')
    .option('-o, --output <file>', 'signed file (default: sign in place)')
    .action((file: string, flags: { key: string; output?: string }) => runSign(file, flags, log));
}
