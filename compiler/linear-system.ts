/**
 * Solves the square system a·x = b by Gauss-Jordan elimination with partial
 * pivoting; undefined when a pivot is not above `minPivot` (dependent
 * equations). The cost models' least-squares fits (backends/kernel-costs.ts,
 * cost-model.ts) solve their normal equations with it.
 */
export function solveLinearSystem(a: number[][], b: number[], minPivot: number): number[] | undefined {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    if (!(Math.abs(m[pivot]![col]!) > minPivot)) return undefined;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r]![col]! / m[col]![col]!;
      for (let k = col; k <= n; k++) m[r]![k]! -= f * m[col]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}
