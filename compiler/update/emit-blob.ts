/**
 * The emitter's `--weights blob` mode (compiler/emit/c-emitter.ts calls in
 * here): const arrays become typed pointers into the bound blob, and the
 * weights files declare the blob instead of defining arrays.
 */
import type { Program, Value } from '../ir/program.js';
import type { Plan } from '../plan/types.js';
import { blobConstRef, buildBlob, cByteArray, fingerprint, layoutConsts, type BlobLayout } from './blob.js';
import { BLOB_HEADER_BYTES } from './format.js';

export type WeightsMode = 'const' | 'blob';

/** Runtime files of the update machinery: shipped with blob builds only, so const builds stay as they were. */
export const BLOB_RUNTIME_HEADERS = ['edgec_blob.h', 'edgec_sha256.h', 'edgec_sig.h', 'edgec_update.h'];
export const BLOB_RUNTIME_SOURCES = ['edgec_blob.c', 'edgec_sha256.c', 'edgec_sig.c', 'edgec_update.c'];

export interface BlobEmission {
  layout: BlobLayout;
  /** C expression for a const array (EmitEnv.constName in blob mode). */
  ref(id: string): string;
}

export const blobPointerName = (name: string): string => `${name}_weights_blob`;

export function planBlob(program: Program, padding: ReadonlyMap<string, number>): BlobEmission {
  const layout = layoutConsts(program, padding);
  return { layout, ref: blobConstRef(program, layout, blobPointerName(program.name)) };
}

function tensorIdentity(v: Value, plan: Plan): unknown[] {
  return [v.onnxName, v.type, v.shape, v.logicalShape, v.scale, v.zeroPoint, plan.placements.get(v.id)?.offset ?? 0];
}

export interface BlobOutput { view: Record<string, unknown>; bytes: Uint8Array }

/** Fingerprint over the rendered calls (they hold every compiled-in parameter), then the blob and the template view. */
export function finishBlob(program: Program, plan: Plan, blob: BlobEmission, callCode: string[]): BlobOutput {
  const tensors = [...program.inputs, ...program.outputs].map((id) => tensorIdentity(program.values.get(id) as Value, plan));
  const fp = fingerprint({ name: program.name, calls: callCode, tensors, arenaBytes: plan.arenaBytes, layout: blob.layout, program });
  const bytes = buildBlob(program, blob.layout, fp);
  return {
    bytes,
    view: {
      blob: true, blobPointer: blobPointerName(program.name), fingerprintHex: Buffer.from(fp).toString('hex'), fingerprintBytes: cByteArray(fp),
      payloadBytes: blob.layout.payloadBytes, blobBytes: BLOB_HEADER_BYTES + blob.layout.payloadBytes, weightsFile: `${program.name}.weights`,
    },
  };
}
