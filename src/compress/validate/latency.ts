/** Latency percentiles of a session on fixed feeds, after warm-up. */
import { type OrtFeeds, type OrtSession, runSession } from '../../runtime/ort.js';

export interface Latency {
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly runs: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo);
}

/** Milliseconds per run: `warmup` untimed runs, then `runs` timed ones (or until `maxSeconds`). */
export async function measureLatency(
  session: OrtSession,
  feeds: OrtFeeds,
  options: { warmup?: number; runs?: number; maxSeconds?: number } = {},
): Promise<Latency> {
  for (let i = 0; i < (options.warmup ?? 3); i++) await runSession(session, feeds);
  const times: number[] = [];
  const deadline = performance.now() + (options.maxSeconds ?? 20) * 1000;
  for (let i = 0; i < (options.runs ?? 20) && (i < 3 || performance.now() < deadline); i++) {
    const t0 = performance.now();
    await runSession(session, feeds);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    mean: times.reduce((s, t) => s + t, 0) / times.length,
    runs: times.length,
  };
}
