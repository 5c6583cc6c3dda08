/** Output comparison figures: exact-match rate, |diff| in LSB, top-1 agreement. */
import type { TensorData } from './reference.js';

export interface OutputStats {
  name: string;
  elements: number;
  exact: number;
  exactRate: number;
  maxDiffLsb: number;
  meanDiffLsb: number;
  /** Samples whose argmax agrees (classifier-like outputs), else undefined. */
  top1Agree?: number;
  /**
   * Rows whose argmax differs although the reference's score of our pick is
   * more than `tieLsb` below its best: a real disagreement, not a near-tie
   * that a 1-LSB rounding difference can legitimately flip.
   */
  top1Mismatches?: number;
  samples: number;
}

export function argmax(a: ArrayLike<number>, start: number, len: number): number {
  let best = start;
  for (let i = start + 1; i < start + len; i++) if (a[i] > a[best]) best = i;
  return best - start;
}

/**
 * Accumulates per-sample comparisons. `lsb` converts a difference to LSB
 * (1 for int8 data, the output scale for dequantized float outputs).
 */
export class OutputComparison {
  private exact = 0;
  private elements = 0;
  private maxDiff = 0;
  private sumDiff = 0;
  private top1 = 0;
  private mismatches = 0;
  private samples = 0;

  constructor(readonly name: string, readonly lsb: number, readonly classes?: number, readonly tieLsb = 0) {}

  add(ours: TensorData, reference: TensorData): void {
    for (let i = 0; i < ours.length; i++) {
      const d = Math.abs(Number(ours[i]) - Number(reference[i])) / this.lsb;
      // dequantized outputs sit on the LSB grid: round away float noise of diff / scale
      const lsbDiff = Math.round(d * 1e3) / 1e3;
      if (lsbDiff === 0) this.exact++;
      this.maxDiff = Math.max(this.maxDiff, lsbDiff);
      this.sumDiff += lsbDiff;
    }
    this.elements += ours.length;
    if (this.classes) {
      for (let r = 0; r + this.classes <= ours.length; r += this.classes) {
        // ties in the reference count as agreement: any of its maxima is a correct top-1
        const ref = reference[r + argmax(reference, r, this.classes)];
        const mine = reference[r + argmax(ours, r, this.classes)];
        if (mine === ref) this.top1++;
        else if ((Number(ref) - Number(mine)) / this.lsb > this.tieLsb + 1e-3) this.mismatches++;
      }
    }
    this.samples++;
  }

  stats(): OutputStats {
    const rows = this.classes ? this.samples * Math.max(1, Math.floor(this.elements / this.samples / this.classes)) : 0;
    return {
      name: this.name, elements: this.elements, exact: this.exact, exactRate: this.elements ? this.exact / this.elements : 1,
      maxDiffLsb: this.maxDiff, meanDiffLsb: this.elements ? this.sumDiff / this.elements : 0,
      top1Agree: this.classes ? this.top1 / Math.max(1, rows) : undefined,
      top1Mismatches: this.classes ? this.mismatches : undefined, samples: this.samples,
    };
  }
}
