/**
 * `tlc bench --against`: the compressed large variants beside a small baseline (the small model's fp32) at one
 * batch shape, and the two questions the paper asks of them:
 *   - at equal latency (variants no slower than the baseline), which is more accurate?
 *   - at equal accuracy (variants at least as accurate as the baseline), which is faster and smaller?
 * Pure: reads two ModelBench results.
 */
import { TlcError } from '../errors/index.js';
import type { Device } from '../ort/session.js';
import type { MetricSpec } from '../tasks/about.js';
import type { MetricKey } from '../tasks/catalog.js';
import { taskSpec } from '../tasks/index.js';
import { pointsOf } from '../tasks/scores.js';
import type { ModelBench, VariantBench } from './bench-model.js';

export interface ComparePoint {
  readonly device: Device;
  readonly batch: number;
  readonly sequence: number;
}

export interface CompareRow {
  readonly model: string;
  readonly variant: string;
  /** The task score: accuracy in % or BLEU. */
  readonly score: number;
  readonly p50_ms: number;
  readonly bytes: number;
  readonly nonZero: number;
  /** Score minus the baseline's (points). */
  readonly scoreDelta: number;
  /** Baseline p50 / this p50: above 1 is faster than the baseline. */
  readonly speedup: number;
  /** Bytes / the baseline's bytes: below 1 is smaller. */
  readonly sizeRatio: number;
}

export interface Comparison {
  /** The headline metric's key (the large model's task's). */
  readonly metric: MetricKey;
  readonly at: ComparePoint;
  readonly baseline: CompareRow;
  /** The large model's variants, then the small model's other variants. */
  readonly rows: readonly CompareRow[];
  /** The most accurate large variant no slower than the baseline (undefined: none is that fast). */
  readonly equalLatency?: CompareRow;
  /** The fastest large variant at least as accurate as the baseline (undefined: none is that accurate). */
  readonly equalAccuracy?: CompareRow;
  /** The answers in words, with the numbers. */
  readonly verdict: readonly string[];
}

function scoreOf(v: VariantBench, metric: MetricSpec): number | undefined {
  return pointsOf(v.metrics, metric);
}

function p50At(v: VariantBench, at: ComparePoint): number | undefined {
  return v.latency.find((l) => l.device === at.device && l.batch === at.batch && l.sequence === at.sequence)
    ?.p50_ms;
}

/** A score in points: a percentage for a fraction (accuracy), else the metric's name and value (BLEU 15.10). */
function fmtScore(metric: MetricSpec, s: number): string {
  return metric.points === 100 ? `${s.toFixed(1)}%` : `${metric.label} ${s.toFixed(metric.digits)}`;
}

/** The two sentences `tlc bench --against` ends with: at equal latency, and at equal accuracy. */
function verdictOf(
  largeName: string,
  smallName: string,
  metric: MetricSpec,
  baseline: CompareRow,
  largeRows: readonly CompareRow[],
  equalLatency: CompareRow | undefined,
  equalAccuracy: CompareRow | undefined,
): string[] {
  const base = `${smallName} ${baseline.variant} (${fmtScore(metric, baseline.score)}, ${baseline.p50_ms.toFixed(2)} ms, ${(baseline.bytes / 1e6).toFixed(1)} MB)`;
  const verdict: string[] = [];
  if (equalLatency === undefined) {
    const fastest = largeRows.reduce<CompareRow | undefined>(
      (b, r) => (b === undefined || r.p50_ms < b.p50_ms ? r : b),
      undefined,
    );
    verdict.push(
      `At equal latency: no ${largeName} variant is as fast as ${base}` +
        (fastest ? `; the fastest, ${fastest.variant}, takes ${fastest.p50_ms.toFixed(2)} ms.` : '.'),
    );
  } else {
    const better = equalLatency.score > baseline.score;
    verdict.push(
      `At equal latency: ${largeName} ${equalLatency.variant} (${fmtScore(metric, equalLatency.score)}, ${equalLatency.p50_ms.toFixed(2)} ms) ` +
        `is ${better ? 'MORE' : 'NOT more'} accurate than ${base}: ${equalLatency.scoreDelta >= 0 ? '+' : ''}${equalLatency.scoreDelta.toFixed(2)} points.`,
    );
  }
  if (equalAccuracy === undefined) {
    const best = largeRows.reduce<CompareRow | undefined>(
      (b, r) => (b === undefined || r.score > b.score ? r : b),
      undefined,
    );
    verdict.push(
      `At equal accuracy: no ${largeName} variant reaches ${base}` +
        (best ? `; the best, ${best.variant}, scores ${fmtScore(metric, best.score)}.` : '.'),
    );
  } else {
    verdict.push(
      `At equal accuracy: ${largeName} ${equalAccuracy.variant} (${fmtScore(metric, equalAccuracy.score)}) runs in ${equalAccuracy.p50_ms.toFixed(2)} ms ` +
        `(${equalAccuracy.speedup.toFixed(2)}× the baseline's speed) at ${(equalAccuracy.bytes / 1e6).toFixed(1)} MB ` +
        `(${equalAccuracy.sizeRatio.toFixed(2)}× its size): ${equalAccuracy.speedup >= 1 && equalAccuracy.sizeRatio <= 1 ? 'faster and smaller' : equalAccuracy.speedup >= 1 ? 'faster but larger' : equalAccuracy.sizeRatio <= 1 ? 'smaller but slower' : 'slower and larger'} than ${base}.`,
    );
  }
  return verdict;
}

export function compareAgainst(large: ModelBench, small: ModelBench, at: ComparePoint): Comparison {
  if (large.task !== small.task)
    throw new TlcError(
      'CLI_USAGE',
      `--against needs two models of one task; got ${large.task} and ${small.task}`,
    );
  const metric = taskSpec(large.task).scoring.metric;
  const baseVariant = small.variants.find((v) => v.name === 'fp32') ?? small.variants[0];
  if (baseVariant === undefined)
    throw new TlcError('CLI_USAGE', `${small.model} has no variants to compare with`);
  const row = (model: ModelBench, v: VariantBench, base?: CompareRow): CompareRow | undefined => {
    const score = scoreOf(v, metric);
    const p50 = p50At(v, at);
    if (score === undefined || p50 === undefined) return undefined;
    return {
      model: model.model,
      variant: v.name,
      score,
      p50_ms: p50,
      bytes: v.bytes,
      nonZero: v.nonZero,
      scoreDelta: base === undefined ? 0 : score - base.score,
      speedup: base === undefined ? 1 : base.p50_ms / p50,
      sizeRatio: base === undefined ? 1 : v.bytes / base.bytes,
    };
  };
  const baseline = row(small, baseVariant);
  if (baseline === undefined)
    throw new TlcError(
      'CLI_USAGE',
      `${small.model} ${baseVariant.name} has no ${metric.label} or no latency at batch ${at.batch} × ${at.sequence} on ${at.device}: ` +
        'give --eval-data (or models whose tlc.json records the score) and a shape both models were timed at',
    );
  const largeRows = large.variants.flatMap((v) => row(large, v, baseline) ?? []);
  const smallRows = small.variants
    .filter((v) => v !== baseVariant)
    .flatMap((v) => row(small, v, baseline) ?? []);
  const fits = largeRows.filter((r) => r.p50_ms <= baseline.p50_ms);
  const equalLatency = fits.reduce<CompareRow | undefined>(
    (b, r) => (b === undefined || r.score > b.score ? r : b),
    undefined,
  );
  const reaches = largeRows.filter((r) => r.score >= baseline.score);
  const equalAccuracy = reaches.reduce<CompareRow | undefined>(
    (b, r) => (b === undefined || r.p50_ms < b.p50_ms ? r : b),
    undefined,
  );
  const verdict = verdictOf(
    large.model,
    small.model,
    metric,
    baseline,
    largeRows,
    equalLatency,
    equalAccuracy,
  );
  return {
    metric: metric.key as MetricKey,
    at,
    baseline,
    rows: [...largeRows, ...smallRows],
    ...(equalLatency && { equalLatency }),
    ...(equalAccuracy && { equalAccuracy }),
    verdict,
  };
}
