import { percentile } from '../util/percentile.js';

/** The most recent N latencies of a variant, for percentiles of recent traffic (variant=auto). */
export class LatencyWindow {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(readonly capacity: number) {
    this.values = new Float64Array(capacity);
  }

  get count(): number {
    return this.filled;
  }

  add(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
  }

  /** Percentile (0–100) of the values held, computed as export-and-compress computes it; undefined when empty. */
  percentile(p: number): number | undefined {
    if (this.filled === 0) return undefined;
    return percentile(
      Array.from(this.values.subarray(0, this.filled)).sort((a, b) => a - b),
      p,
    );
  }
}
