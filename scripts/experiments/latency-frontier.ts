/**
 * Accuracy against served latency for every variant of every preset, with the Pareto frontier over all of
 * them: the plot that says which model to deploy under a latency budget (experiments D and E).
 */
import { benchModel } from '../../src/bench/bench-model.js';
import { modelFolderTlc } from '../../src/model-folder/read.js';
import { type Point, paretoFrontier, type Series } from './plot.js';
import type { StudyOptions } from './study.js';

/** Suffix of the plot key of a frontier series: drawn as the overlay of the plot it names. */
export const FRONTIER = '#frontier';

export interface LatencyInput {
  readonly preset: string;
  readonly folder: string;
  /** Variant name → task score (higher is better). */
  readonly scores: ReadonlyMap<string, number>;
}

export interface LatencyRow {
  readonly preset: string;
  readonly variant: string;
  readonly p50_ms: number;
  readonly p95_ms: number;
  readonly score: number;
  readonly megabytes: number;
  readonly on_frontier: boolean;
}

/**
 * The precision the table shows. The plot and the frontier use the same rounded figures, so that the frontier is
 * computed on the numbers a reader sees (unrounded, a row could appear to beat its own frontier point).
 */
const ms = (x: number) => Number(x.toFixed(3));
const pts = (x: number) => Number(x.toFixed(2));

/** Times each folder's variants at one shape (served path) and builds the series, frontier and table. */
export async function latencyFrontier(
  o: StudyOptions,
  inputs: readonly LatencyInput[],
  shape: { batch: number; sequence: number },
  plot: string,
): Promise<{ series: Series[]; frontier: Series; rows: LatencyRow[] }> {
  const measured: { preset: string; variant: string; p50: number; p95: number; score: number; mb: number }[] =
    [];
  for (const input of inputs) {
    const sequence = Math.min(shape.sequence, modelFolderTlc(input.folder).architecture.maxLength);
    o.log(`${input.preset}: timing every variant at batch ${shape.batch} × ${sequence}`);
    const bench = await benchModel(input.folder, {
      threads: o.threads,
      devices: ['cpu'],
      batches: [shape.batch],
      lengths: [sequence],
      timing: { warmup: 3, minRuns: 5, seconds: o.latencySeconds },
    });
    for (const v of bench.variants) {
      const score = input.scores.get(v.name);
      const l = v.latency[0]!;
      if (score !== undefined && Number.isFinite(score))
        measured.push({
          preset: input.preset,
          variant: v.name,
          p50: l.p50_ms,
          p95: l.p95_ms,
          score,
          mb: v.bytes / 1e6,
        });
    }
  }
  const series: Series[] = inputs.map((input) => ({
    name: input.preset,
    plot,
    points: measured
      .filter((m) => m.preset === input.preset)
      .map((m): Point => ({ x: ms(m.p50), y: pts(m.score), label: m.variant })),
  }));
  const front = paretoFrontier(
    measured.map((m) => ({ x: ms(m.p50), y: pts(m.score), label: `${m.preset} ${m.variant}` })),
  );
  const onFront = new Set(front.map((p) => p.label));
  return {
    series,
    frontier: { name: 'Pareto frontier', plot: `${plot}${FRONTIER}`, points: front },
    rows: measured.map((m) => ({
      preset: m.preset,
      variant: m.variant,
      p50_ms: ms(m.p50),
      p95_ms: Number(m.p95.toFixed(3)),
      score: pts(m.score),
      megabytes: Number(m.mb.toFixed(2)),
      on_frontier: onFront.has(`${m.preset} ${m.variant}`),
    })),
  };
}
