/**
 * The compression report's latency: every kept variant timed against the fp32 model in the same rounds
 * (ort/timing.ts's timeInterleaved), once all variants are built. Timing each variant right after its rewrite,
 * minutes apart from the fp32 figure, gave speed-ups that other measurements did not reproduce (0.79× where
 * interleaved runs measured 1.6×) and took most of the command's time.
 *
 * What is timed is what the server runs (the task's `tlc bench` probe: fill-mask's top-k serving graph, a
 * translation's encoder plus cached decoder steps), so the report's speed-ups are the ones `tlc bench` and the
 * server see. Timing the exported graph instead (full-vocabulary logits at every position) understated the
 * speed-up of int8 on a 41M BERT by half (1.35× against 2.49× served). Only a task TLC does not serve falls back to
 * the exported graph, its first file on sample inputs.
 *
 * Each turn of a round runs the variant once untimed before the timed run (timeInterleaved's `settle`): ORT's
 * intra-op threads spin for a while after a run, and on two cores the previous variant's spinning threads took
 * CPU from the timed one, squeezing the speed-ups towards 1 (a 41M BERT's heads + FFN + int8: 2.72× against
 * 3.53–3.82× in `tlc bench`). Turning spinning off instead slowed the short runs more than the long ones (3.30×).
 * Settled, the report's speed-ups fall within 4% of `tlc bench`'s (int8 2.37× against 2.28–2.44×, q4 0.95×
 * against 0.94–0.95×).
 */
import { join } from 'node:path';
import { createSession, type Device, type OrtFeeds, type OrtSession, runSession } from '../../ort/session.js';
import { type Latency, timeInterleaved } from '../../ort/timing.js';

/**
 * Rounds, not seconds: a fixed 10 s of rounds gave a 41M model 5 rounds, and one report under load then measured
 * int8 at 0.97× where `tlc bench` measured 1.8–2.2×. 15 rounds put the quartiles of the per-round speed-ups within
 * a few percent of the median on an idle machine, and show how noisy the run was on a busy one.
 */
export const DEFAULT_LATENCY_ROUNDS = 15;
const MAX_ROUNDS = 60;

export interface VariantLatency extends Latency {
  /** fp32 time / this variant's time, per round: the median and the quartiles. */
  readonly speedup: { readonly median: number; readonly q25: number; readonly q75: number };
}

interface Timeable {
  readonly name: string;
  readonly files: readonly string[];
  readonly kept: boolean;
}

/** One variant made ready to time: a unit of work and the sessions to release afterwards. */
export interface TimedWork {
  readonly run: () => Promise<void>;
  release(): Promise<void>;
}

/** Opens a kept variant for timing (the first one opened is the fp32 reference). */
export type OpenWork<R> = (report: R) => Promise<TimedWork>;

export interface LatencyOptions {
  /** Rounds always timed (default DEFAULT_LATENCY_ROUNDS). */
  readonly rounds?: number;
  /** Keep adding rounds until this many seconds have passed since the first (default 0), at most MAX_ROUNDS. */
  readonly seconds?: number;
  readonly log?: (message: string) => void;
}

/**
 * Times every kept report's work interleaved with the first kept one (fp32); returns the reports with `latency`
 * set on the kept ones.
 */
export async function measureVariantLatency<R extends Timeable>(
  reports: readonly R[],
  open: OpenWork<R>,
  o: LatencyOptions = {},
): Promise<(R & { latency?: VariantLatency })[]> {
  const timed = reports.filter((r) => r.kept);
  const rounds = o.rounds ?? DEFAULT_LATENCY_ROUNDS;
  o.log?.(
    `timing ${timed.length} variant(s) interleaved with ${timed[0]?.name ?? 'fp32'}: ${rounds} rounds` +
      (o.seconds ? ` or ${o.seconds} s` : ''),
  );
  const works: TimedWork[] = [];
  try {
    for (const r of timed) works.push(await open(r));
    const results = await timeInterleaved(
      works.map((work, i) => ({ name: timed[i]!.name, run: work.run })),
      {
        settle: true,
        minRounds: rounds,
        maxRounds: Math.max(rounds, MAX_ROUNDS),
        seconds: o.seconds ?? 0,
      },
    );
    const byName = new Map(results.map((r) => [r.name, { ...r.latency, speedup: r.speedup }]));
    return reports.map((r) => {
      const latency = byName.get(r.name);
      return latency === undefined ? r : { ...r, latency };
    });
  } finally {
    for (const w of works) await w.release();
  }
}

/**
 * The fallback for a task TLC does not serve: each variant's first graph on the same sample inputs, made for the
 * first (fp32) session opened.
 */
export function graphWork(
  dir: string,
  o: { readonly threads: number; readonly device: Device; readonly feedsFor: (s: OrtSession) => OrtFeeds },
): OpenWork<Timeable> {
  let feeds: OrtFeeds | undefined;
  return async (report) => {
    const file = report.files[0]!;
    const session = await createSession(join(dir, file), {
      threads: o.threads,
      device: o.device,
      source: file,
    });
    const inputs = feeds ?? o.feedsFor(session);
    feeds = inputs;
    return {
      run: async () => {
        await runSession(session, inputs);
      },
      release: () => session.release(),
    };
  };
}
