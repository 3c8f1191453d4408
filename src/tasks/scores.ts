/**
 * Task scores of a model variant, keyed by the metrics of the task rows (src/tasks/catalog.ts), and a metric in
 * points on a 0–100 scale.
 */
import type { MetricSpec } from './about.js';
import { type MetricKey, metricPoints } from './catalog.js';

/** A variant's scores: a value per metric key of its task (accuracy 0–1, perplexity, BLEU and chrF 0–100, …). */
export type VariantScores = Readonly<Partial<Record<MetricKey, number>>>;

/** The metric in points (accuracy ×100, BLEU as is); undefined when it was not scored or is not finite. */
export function pointsOf(
  scores: Readonly<Partial<Record<string, number>>>,
  metric: MetricSpec,
): number | undefined {
  return metricPoints(scores, metric);
}

/** Points the variant lost against the baseline on the headline metric (undefined when either was not scored). */
export function pointsLost(
  metric: MetricSpec,
  base: VariantScores,
  variant: VariantScores,
): { points: number; metric: string } | undefined {
  const before = pointsOf(base, metric);
  const after = pointsOf(variant, metric);
  return before === undefined || after === undefined
    ? undefined
    : { points: before - after, metric: metric.label };
}

/** A value of `metric` as tables print it: points with a % sign for fractions (accuracy), else the value. */
export function formatMetric(metric: MetricSpec, value: number): string {
  return metric.points === 100 ? `${(value * 100).toFixed(1)}%` : value.toFixed(metric.digits);
}
