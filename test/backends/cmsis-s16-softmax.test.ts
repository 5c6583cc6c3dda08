/**
 * Why backends/cmsis-nn-s16.ts gives arm_softmax_s16 rows of 2 to 8 only: its
 * normalisation step, transcribed from the library's source (commit
 * 99f736a6) with its C types, against ours (edgec_softmax_s16.c, TFLite
 * Micro's), for every sum of exps a row can reach. The library keeps
 * `(sum << (headroom - 1)) + (1 << 13)` in an int32 and the reciprocal
 * table's index in an int16, and casts the output to int16; ours computes in
 * 64 bits and clamps. On every sum a row of 2 to 8 can reach they agree,
 * reciprocal and output; a row of one (output 1.0) and sums of 2^18 - 1
 * (reachable from rows of 9) differ. The library itself is run by
 * cmsis-s16.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { int16SoftmaxTables } from '../../compiler/ops/softmax.js';

const { exp, reciprocal } = int16SoftmaxTables();
const int16 = (x: number): number => (x << 16) >> 16;

/** arm_softmax_s16's reciprocal of a row's sum (its types: int32 shift-and-round, int16 index and slope). */
function libraryReciprocal(sum: number): number {
  const headroom = Math.clz32(sum);
  const shifted = (((sum << (headroom - 1)) + (1 << 13)) | 0) >> 14;
  const symmetric = int16(shifted - 98304);
  const index = 256 + (symmetric >> 7);
  const offset = symmetric & 0x7f;
  const base = reciprocal[index]!;
  const slope = int16(reciprocal[index + 1]! - base);
  return int16(base + int16((slope * offset + 64) >> 7));
}

/** Ours: the same step in 64 bits, the index clamped to the table. */
function ourReciprocal(sum: number): number {
  const headroom = Math.clz32(sum);
  const shifted = Math.floor((sum * 2 ** (headroom - 1) + 2 ** 13) / 2 ** 14);
  const value = Math.min(Math.max(shifted - 98304, -32768), 32767);
  const index = 256 + Math.floor(value / 128);
  const offset = value & 0x7f;
  const base = reciprocal[index]!;
  return base + Math.floor(((reciprocal[index + 1]! - base) * offset + 64) / 128);
}

/** The output of an element of exp `e` in a row of sum `sum`: the library's int16 cast, our clamp. */
const libraryOutput = (e: number, sum: number): number => int16((((e * libraryReciprocal(sum)) >> (30 - Math.clz32(sum))) + 1) >> 1);
const ourOutput = (e: number, sum: number): number =>
  Math.min(Math.max(Math.floor((e * ourReciprocal(sum) + 2 ** (30 - Math.clz32(sum))) / 2 ** (31 - Math.clz32(sum))), 0), 32767);

/** The exp table's smallest and largest lookups (a difference of at most -10, and 0: the row's maximum). */
const MIN_EXP = exp[0]!;
const MAX_EXP = exp[511]! + Math.floor(((exp[512]! - exp[511]!) * 127 + 64) / 128);

/** Rows of `n` elements whose normalisation or output differ: every sum a row can reach, with its maximum's exp (the largest output). */
function differingSums(n: number): number {
  let differ = 0;
  for (let sum = MAX_EXP + (n - 1) * MIN_EXP; sum <= n * MAX_EXP; sum++) {
    const e = Math.min(MAX_EXP, sum - (n - 1) * MIN_EXP);
    if (libraryReciprocal(sum) !== ourReciprocal(sum) || libraryOutput(e, sum) !== ourOutput(e, sum)) differ++;
  }
  return differ;
}

describe('arm_softmax_s16 normalisation vs ours', () => {
  it('agrees on every sum a row of 2 to 8 elements can reach, its largest output included', () => {
    for (let n = 2; n <= 8; n++) expect(differingSums(n), `rows of ${n}`).toBe(0);
  });

  it('differs on a row of one (its output 1.0 needs our clamp; the library wraps it negative) and from rows of 9 (a sum of 2^18 - 1 overflows its int32 rounding)', () => {
    expect(differingSums(1)).toBe(1);
    expect(ourOutput(MAX_EXP, MAX_EXP)).toBe(32767);
    expect(libraryOutput(MAX_EXP, MAX_EXP)).toBeLessThan(0);
    expect(differingSums(9)).toBeGreaterThan(0);
    expect(libraryReciprocal(2 ** 18 - 1)).not.toBe(ourReciprocal(2 ** 18 - 1));
  });
});
