/**
 * Physical layouts. A layout is a permutation `perm` of the logical (ONNX)
 * axes: physical dim i holds logical axis perm[i]. NCHW feature maps live as
 * NHWC: perm [0, 2, 3, 1]. Transposes in the model mostly just relabel perm.
 */

export type Perm = number[];

export function identityPerm(rank: number): Perm {
  return Array.from({ length: rank }, (_, i) => i);
}

/** The channels-last layout for a channels-first logical rank (N, C, spatial...). */
export function channelsLastPerm(rank: number): Perm {
  if (rank < 3) return identityPerm(rank);
  return [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1];
}

export function physicalShape(logical: readonly number[], perm: Perm): number[] {
  return perm.map((axis) => logical[axis]);
}

/**
 * Two layouts store a tensor identically when the non-unit axes appear in the
 * same memory order (unit axes can sit anywhere).
 */
export function sameMemoryOrder(logical: readonly number[], a: Perm, b: Perm): boolean {
  const nonUnit = (p: Perm): number[] => p.filter((axis) => logical[axis] !== 1);
  const x = nonUnit(a);
  const y = nonUnit(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/**
 * Layout of a Transpose's output that keeps the input's memory untouched:
 * output axis j is input axis t[j]; memory order stays the input's.
 */
export function permAfterTranspose(inputPerm: Perm, t: readonly number[]): Perm {
  const inverse: number[] = [];
  t.forEach((inAxis, outAxis) => { inverse[inAxis] = outAxis; });
  return inputPerm.map((inAxis) => inverse[inAxis]);
}

/**
 * The physical permutation a copy must apply to go from layout `from` to
 * layout `to` (both over the same logical tensor): result[i] = index in the
 * source's physical dims of the axis destination dim i holds.
 */
export function copyPerm(from: Perm, to: Perm): number[] {
  return to.map((axis) => from.indexOf(axis));
}

/** Strides (elements) of a row-major physical shape. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}
