/**
 * Program pass: const arrays with the same type and bytes are kept once and
 * every op reads that one. An unrolled LSTM/GRU has the same weights, bias,
 * requantization multipliers and LUT table in every time step (its steps
 * share one quantization, passes/unroll-recurrent.ts); without sharing, flash
 * grows with the sequence length.
 *
 * Not for `--weights blob` builds: their code fingerprint lists the const
 * arrays, and a retrained model whose arrays happen to coincide differently
 * must still take the same code (compiler/update).
 */
import type { ConstArray, Program } from '../ir/program.js';

/** A cheap key that separates almost all distinct arrays; equal keys are compared byte for byte. */
function contentKey(c: ConstArray): string {
  let hash = 2166136261;
  const bytes = new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength);
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i], 16777619) >>> 0;
  return `${c.type}:${c.data.length}:${hash}`;
}

function sameData(a: ConstArray, b: ConstArray): boolean {
  if (a.type !== b.type || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

export function shareConstants(program: Program): Program {
  const byKey = new Map<string, ConstArray[]>();
  const replacement = new Map<string, string>();
  for (const c of program.consts.values()) {
    const key = contentKey(c);
    const candidates = byKey.get(key) ?? [];
    const twin = candidates.find((k) => sameData(k, c));
    if (twin) { replacement.set(c.id, twin.id); continue; }
    candidates.push(c);
    byKey.set(key, candidates);
  }
  if (replacement.size === 0) return program;
  for (const op of program.ops) {
    for (const [role, id] of Object.entries(op.consts)) op.consts[role] = replacement.get(id) ?? id;
  }
  for (const id of replacement.keys()) program.consts.delete(id);
  return program;
}
