/**
 * The compression report's latency: every kept variant timed against the fp32 model in the same rounds
 * (ort/timing.ts's timeInterleaved), once all variants are built, on one set of sample inputs. Timing each
 * variant right after its rewrite, minutes apart from the fp32 figure, gave speed-ups that other measurements
 * did not reproduce (0.79× where interleaved runs measured 1.6×) and took most of the command's time.
 */
import { join } from 'node:path';
import { createSession, type Device, type OrtFeeds, type OrtSession, runSession } from '../../ort/session.js';
import { type Latency, timeInterleaved } from '../../ort/timing.js';

export interface VariantLatency extends Latency {
  /** fp32 time / this variant's time, per round: the median and the quartiles. */
  readonly speedup: { readonly median: number; readonly q25: number; readonly q75: number };
}

interface Timeable {
  readonly name: string;
  readonly files: readonly string[];
  readonly kept: boolean;
}

export interface LatencyOptions {
  readonly threads: number;
  readonly device: Device;
  /** The inputs, made for the fp32 session (every variant takes the same ones). */
  readonly feedsFor: (session: OrtSession) => OrtFeeds;
  readonly seconds?: number;
  readonly log?: (message: string) => void;
}

/**
 * Times the first graph of each kept variant (the whole model of a fill-mask folder, the encoder of a
 * translation one) interleaved with the first (fp32) one; returns the reports with `latency` set.
 */
export async function measureVariantLatency<R extends Timeable>(
  dir: string,
  reports: readonly R[],
  o: LatencyOptions,
): Promise<(R & { latency?: VariantLatency })[]> {
  const timed = reports.filter((r) => r.kept);
  o.log?.(`timing ${timed.length} variant(s) interleaved with ${timed[0]?.name ?? 'fp32'}`);
  const sessions = await Promise.all(
    timed.map((r) =>
      createSession(join(dir, r.files[0]!), { threads: o.threads, device: o.device, source: r.files[0]! }),
    ),
  );
  try {
    const feeds = o.feedsFor(sessions[0]!);
    const results = await timeInterleaved(
      sessions.map((session, i) => ({
        name: timed[i]!.name,
        run: async () => {
          await runSession(session, feeds);
        },
      })),
      { ...(o.seconds !== undefined && { seconds: o.seconds }) },
    );
    const byName = new Map(results.map((r) => [r.name, { ...r.latency, speedup: r.speedup }]));
    return reports.map((r) => {
      const latency = byName.get(r.name);
      return latency === undefined ? r : { ...r, latency };
    });
  } finally {
    for (const s of sessions) await s.release();
  }
}
