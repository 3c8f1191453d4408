/**
 * The one timing harness (compression reports, `tlc bench`, benchmarks): warm-up runs, then timed runs until a
 * run count or a time limit, summarised as percentiles.
 */
import { percentile } from '../util/percentile.js';
import { type OrtFeeds, type OrtSession, runSession } from './session.js';

export interface TimingOptions {
  /** Untimed runs first (default 3). */
  readonly warmup?: number;
  /** Timed runs at least (default 5) … */
  readonly minRuns?: number;
  /** … and at most (default 200) … */
  readonly maxRuns?: number;
  /** … stopping once this many seconds of timed runs have passed after minRuns (default 2). */
  readonly seconds?: number;
}

export interface LatencySummary {
  readonly p50_ms: number;
  readonly p90_ms: number;
  readonly p95_ms: number;
  readonly p99_ms: number;
  readonly mean_ms: number;
  readonly runs: number;
  /** Inputs per second over the timed runs: batch × runs / their total time. */
  readonly throughput: number;
}

/** Percentiles (linear interpolation between ranks, as numpy's default) of run times in ms. */
export function summarise(times: readonly number[], batch: number): LatencySummary {
  const sorted = [...times].sort((a, b) => a - b);
  const total = sorted.reduce((s, t) => s + t, 0);
  return {
    p50_ms: percentile(sorted, 50),
    p90_ms: percentile(sorted, 90),
    p95_ms: percentile(sorted, 95),
    p99_ms: percentile(sorted, 99),
    mean_ms: sorted.length === 0 ? Number.NaN : total / sorted.length,
    runs: sorted.length,
    throughput: total === 0 ? Number.NaN : (batch * sorted.length * 1000) / total,
  };
}

/** Runs `run` (warm-up first) and returns the timed runs' durations in milliseconds. */
export async function timeRuns(run: () => Promise<void>, o: TimingOptions = {}): Promise<number[]> {
  for (let i = 0; i < (o.warmup ?? 3); i++) await run();
  const times: number[] = [];
  const minRuns = o.minRuns ?? 5;
  const maxRuns = Math.max(minRuns, o.maxRuns ?? 200);
  const deadline = performance.now() + (o.seconds ?? 2) * 1000;
  while (times.length < maxRuns && (times.length < minRuns || performance.now() < deadline)) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Latency of one session on fixed feeds, in milliseconds. */
export interface Latency {
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly runs: number;
}

/**
 * Milliseconds per run of `session` on `feeds`: `warmup` untimed runs (default 3), then at least 3 and at most
 * `runs` (default 20) timed ones, stopping early once `maxSeconds` (default 20) have passed.
 */
export async function measureLatency(
  session: OrtSession,
  feeds: OrtFeeds,
  options: { warmup?: number; runs?: number; maxSeconds?: number } = {},
): Promise<Latency> {
  const times = await timeRuns(
    async () => {
      await runSession(session, feeds);
    },
    {
      warmup: options.warmup ?? 3,
      minRuns: 3,
      maxRuns: options.runs ?? 20,
      seconds: options.maxSeconds ?? 20,
    },
  );
  const s = summarise(times, 1);
  return { p50: s.p50_ms, p95: s.p95_ms, mean: s.mean_ms, runs: s.runs };
}

/**
 * Session config for timing several sessions in interleaved rounds: ORT's intra-op threads spin for a while after
 * each run, stealing the next session's CPU on a small machine, so every contestant runs with spinning off.
 */
export const NO_SPINNING: Readonly<Record<string, unknown>> = {
  session: { intra_op: { allow_spinning: '0' } },
};

/** One contestant of an interleaved measurement. */
export interface Contestant {
  readonly name: string;
  readonly run: () => Promise<void>;
}

export interface InterleavedOptions {
  /** Untimed runs of each contestant first (default 2). */
  readonly warmup?: number;
  /** Rounds at least (default 5) … */
  readonly minRounds?: number;
  /** … and at most (default 30) … */
  readonly maxRounds?: number;
  /** … stopping once this many seconds of rounds have passed after minRounds (default 10). */
  readonly seconds?: number;
  /**
   * Run each contestant once untimed before its timed run in every round (default false), so that what the
   * previous contestant left behind (ORT's spinning threads, caches) does not fall on the timed run.
   */
  readonly settle?: boolean;
}

/** A contestant's run times and its speed against the reference (the first contestant), round by round. */
export interface InterleavedResult {
  readonly name: string;
  readonly times: readonly number[];
  readonly latency: Latency;
  /** Median over rounds of reference time / this time, with the quartiles of those per-round ratios. */
  readonly speedup: { readonly median: number; readonly q25: number; readonly q75: number };
}

/**
 * Times several sessions on equal footing: every round runs each contestant once, in an order that rotates
 * from round to round, so that a noisy neighbour or a CPU frequency change hits all of them alike; the
 * speed-up of each is the median of its per-round ratios to the first contestant (a ratio measured within
 * one round, as in the benchmarks), not a ratio of medians taken minutes apart.
 */
export async function timeInterleaved(
  contestants: readonly Contestant[],
  o: InterleavedOptions = {},
): Promise<InterleavedResult[]> {
  for (const c of contestants) for (let i = 0; i < (o.warmup ?? 2); i++) await c.run();
  const times = contestants.map((): number[] => []);
  const minRounds = o.minRounds ?? 5;
  const maxRounds = Math.max(minRounds, o.maxRounds ?? 30);
  const deadline = performance.now() + (o.seconds ?? 10) * 1000;
  for (let round = 0; round < maxRounds && (round < minRounds || performance.now() < deadline); round++) {
    for (let k = 0; k < contestants.length; k++) {
      const i = (round + k) % contestants.length;
      if (o.settle === true) await contestants[i]!.run();
      const t0 = performance.now();
      await contestants[i]!.run();
      times[i]!.push(performance.now() - t0);
    }
  }
  const reference = times[0]!;
  return contestants.map((c, i) => {
    const own = times[i]!;
    const ratios = own.map((t, r) => reference[r]! / t).sort((a, b) => a - b);
    const s = summarise(own, 1);
    return {
      name: c.name,
      times: own,
      latency: { p50: s.p50_ms, p95: s.p95_ms, mean: s.mean_ms, runs: s.runs },
      speedup: {
        median: percentile(ratios, 50),
        q25: percentile(ratios, 25),
        q75: percentile(ratios, 75),
      },
    };
  });
}
