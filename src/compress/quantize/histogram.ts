/**
 * Range statistics for calibration: running min/max, and histograms over [−absmax, absmax] from which a
 * percentile range or a KL-divergence (entropy) threshold is chosen.
 *
 * The entropy method is TensorRT's (Migacz, "8-bit Inference with TensorRT", 2017) as onnxruntime ports it
 * from MXNet: for each candidate window of the histogram around zero, the reference distribution P is the
 * window with the outliers folded into its edge bins, Q is the window merged into `quantizedBins` levels and
 * spread back over P's non-empty bins, and the window with the smallest KL(P‖Q) wins. Like MXNet (and unlike
 * onnxruntime's port, which truncates Q to integers) Q stays fractional and is zero where P is.
 */
import type { TensorRange } from './options.js';

export class RangeTracker {
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  add(values: Float32Array): void {
    let { min, max } = this;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    this.min = min;
    this.max = max;
  }

  range(): TensorRange {
    return { min: this.min, max: this.max };
  }
}

/** A histogram of `bins` equal bins over [−limit, limit], plus the observed min and max. */
export class Histogram {
  readonly counts: Float64Array;
  readonly tracker = new RangeTracker();

  constructor(
    readonly bins: number,
    readonly limit: number,
  ) {
    this.counts = new Float64Array(bins);
  }

  add(values: Float32Array): void {
    this.tracker.add(values);
    const { bins, limit, counts } = this;
    if (!(limit > 0)) {
      counts[bins >> 1]! += values.length;
      return;
    }
    const width = (2 * limit) / bins;
    for (let i = 0; i < values.length; i++) {
      let b = Math.floor((values[i]! + limit) / width);
      if (b < 0) b = 0;
      else if (b >= bins) b = bins - 1;
      counts[b]! += 1;
    }
  }

  /** Left edge of bin i (i = bins gives the right end). */
  edge(i: number): number {
    return -this.limit + (2 * this.limit * i) / this.bins;
  }
}

function clampToObserved(range: TensorRange, h: Histogram): TensorRange {
  return { min: Math.max(range.min, h.tracker.min), max: Math.min(range.max, h.tracker.max) };
}

/** First index whose cumulative share reaches `share` (numpy's searchsorted on the CDF). */
function searchCdf(counts: Float64Array, total: number, share: number): number {
  let sum = 0;
  for (let i = 0; i < counts.length; i++) {
    sum += counts[i]!;
    if (sum / total >= share) return i;
  }
  return counts.length - 1;
}

/**
 * The range holding `percentile` % of the values: symmetric (±t, t the percentile of |x|) or cutting
 * (100 − percentile) / 2 % from each side. Clipped to the observed min/max.
 */
export function percentileRange(h: Histogram, percentile: number, symmetric: boolean): TensorRange {
  const total = h.counts.reduce((a, b) => a + b, 0);
  if (total === 0) return h.tracker.range();
  if (symmetric) {
    // Fold the symmetric histogram into one of |x| over [0, limit].
    const half = h.bins >> 1;
    const abs = new Float64Array(half);
    for (let i = 0; i < h.bins; i++) abs[i < half ? half - 1 - i : i - half]! += h.counts[i]!;
    const idx = searchCdf(abs, total, percentile / 100);
    const t = (h.limit * (idx + 1)) / half;
    return clampToObserved({ min: -t, max: t }, h);
  }
  const cut = (100 - percentile) / 200;
  const left = searchCdf(h.counts, total, cut);
  const right = searchCdf(h.counts, total, 1 - cut);
  return clampToObserved({ min: h.edge(left), max: h.edge(right + 1) }, h);
}

/** Adds eps to empty bins and takes it from the others (MXNet's _smooth_distribution); null if all empty. */
function smooth(p: Float64Array, eps = 1e-4): Float64Array | null {
  let zeros = 0;
  for (const v of p) if (v === 0) zeros++;
  const nonZeros = p.length - zeros;
  if (nonZeros === 0) return null;
  const eps1 = (eps * zeros) / nonZeros;
  if (eps1 >= 1) return null;
  return p.map((v) => (v === 0 ? eps : v - eps1));
}

/** KL(p‖q) of two unnormalised distributions (scipy.stats.entropy). */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let sp = 0;
  let sq = 0;
  for (let i = 0; i < p.length; i++) {
    sp += p[i]!;
    sq += q[i]!;
  }
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i]! / sp;
    if (pi > 0) kl += pi * Math.log(pi / (q[i]! / sq));
  }
  return kl;
}

/** The KL-optimal range of a histogram for `quantizedBins` levels (128 for int8), clipped to min/max. */
export function entropyRange(h: Histogram, quantizedBins = 128): TensorRange {
  const { counts, bins } = h;
  const zeroBin = bins >> 1;
  const halfQ = quantizedBins >> 1;
  if (zeroBin < halfQ) return h.tracker.range();
  let best = Number.POSITIVE_INFINITY;
  let bestRange = h.tracker.range();
  for (let i = halfQ; i <= zeroBin; i++) {
    const start = zeroBin - i;
    const end = Math.min(bins, zeroBin + i + 1);
    const sliced = counts.subarray(start, end);
    const p = Float64Array.from(sliced);
    let left = 0;
    for (let j = 0; j < start; j++) left += counts[j]!;
    let right = 0;
    for (let j = end; j < bins; j++) right += counts[j]!;
    p[0]! += left;
    p[p.length - 1]! += right;
    const merged = Math.floor(sliced.length / quantizedBins);
    const q = new Float64Array(sliced.length);
    for (let j = 0; j < quantizedBins; j++) {
      const s = j * merged;
      const e = j === quantizedBins - 1 ? sliced.length : s + merged;
      let sum = 0;
      let nonZero = 0;
      for (let k = s; k < e; k++) {
        sum += sliced[k]!;
        if (p[k] !== 0) nonZero++;
      }
      if (nonZero > 0) for (let k = s; k < e; k++) q[k] = p[k] === 0 ? 0 : sum / nonZero;
    }
    const ps = smooth(p);
    const qs = smooth(q);
    const kl = ps === null || qs === null ? Number.POSITIVE_INFINITY : klDivergence(ps, qs);
    if (kl < best) {
      best = kl;
      bestRange = { min: h.edge(start), max: h.edge(end) };
    }
  }
  return clampToObserved(bestRange, h);
}
