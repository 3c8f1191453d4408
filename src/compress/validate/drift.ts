/**
 * How far a compressed variant's outputs drift from the original's on the same inputs: max absolute difference,
 * mean per-position cosine similarity over the last axis, top-1 agreement, how often the original top-1 stays in
 * the variant's top-5, and the mean KL divergence of the variant's softmax from the original's (the outputs read as
 * logits: a classifier's label distribution, an MLM's token distribution) — the agreement measures of a model
 * scored without labels.
 */
import type { OrtTensor } from '../../ort/session.js';

export interface Drift {
  readonly maxAbs: number;
  readonly meanCosine: number;
  readonly top1Agreement: number;
  readonly top1InTop5: number;
  /** Mean over positions of KL(softmax(original) ‖ softmax(variant)), in nats. */
  readonly meanKl: number;
  readonly positions: number;
}

/** log Σ exp over `x[start, end)`, stably. */
function logSumExp(x: Float32Array, start: number, end: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = start; i < end; i++) if (x[i]! > max) max = x[i]!;
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (let i = start; i < end; i++) sum += Math.exp(x[i]! - max);
  return max + Math.log(sum);
}

/** KL(softmax(a) ‖ softmax(b)) over one position `[start, end)`. */
function klOfLogits(a: Float32Array, b: Float32Array, start: number, end: number): number {
  const la = logSumExp(a, start, end);
  const lb = logSumExp(b, start, end);
  let kl = 0;
  for (let i = start; i < end; i++) {
    const logP = a[i]! - la;
    kl += Math.exp(logP) * (logP - (b[i]! - lb));
  }
  return Math.max(0, kl);
}

/** Accumulates drift statistics over batches of one float output of shape [..., classes]. */
export class DriftAccumulator {
  private maxAbs = 0;
  private cosine = 0;
  private agree = 0;
  private inTop5 = 0;
  private kl = 0;
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
      this.kl += klOfLogits(a, b, start, start + classes);
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
      meanKl: this.kl / n,
      positions: this.positions,
    };
  }
}
