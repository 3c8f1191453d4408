/**
 * How far a compressed variant's outputs drift from the original's on the same inputs: max absolute difference,
 * mean per-position cosine similarity over the last axis, top-1 agreement, and how often the original top-1
 * stays in the variant's top-5.
 */
import type { OrtTensor } from '../../ort/session.js';

export interface Drift {
  readonly maxAbs: number;
  readonly meanCosine: number;
  readonly top1Agreement: number;
  readonly top1InTop5: number;
  readonly positions: number;
}

/** Accumulates drift statistics over batches of one float output of shape [..., classes]. */
export class DriftAccumulator {
  private maxAbs = 0;
  private cosine = 0;
  private agree = 0;
  private inTop5 = 0;
  private positions = 0;

  add(original: OrtTensor, variant: OrtTensor): this {
    const a = original.data as Float32Array;
    const b = variant.data as Float32Array;
    if (a.length !== b.length) throw new RangeError(`output sizes differ: ${a.length} vs ${b.length}`);
    const classes = original.dims[original.dims.length - 1] ?? 1;
    for (let start = 0; start < a.length; start += classes) {
      let dot = 0;
      let na = 0;
      let nb = 0;
      let bestA = start;
      let bestB = start;
      for (let i = start; i < start + classes; i++) {
        const x = a[i]!;
        const y = b[i]!;
        const d = Math.abs(x - y);
        if (d > this.maxAbs) this.maxAbs = d;
        dot += x * y;
        na += x * x;
        nb += y * y;
        if (x > a[bestA]!) bestA = i;
        if (y > b[bestB]!) bestB = i;
      }
      this.cosine += na === 0 || nb === 0 ? (na === nb ? 1 : 0) : dot / Math.sqrt(na * nb);
      if (bestA === bestB) this.agree += 1;
      // The original top-1 is in the variant's top-5 when fewer than 5 classes score higher in the variant.
      const target = b[bestA]!;
      let higher = 0;
      for (let i = start; i < start + classes && higher < 5; i++) if (b[i]! > target) higher += 1;
      if (higher < 5) this.inTop5 += 1;
      this.positions += 1;
    }
    return this;
  }

  result(): Drift {
    const n = Math.max(1, this.positions);
    return {
      maxAbs: this.maxAbs,
      meanCosine: this.cosine / n,
      top1Agreement: this.agree / n,
      top1InTop5: this.inTop5 / n,
      positions: this.positions,
    };
  }
}
