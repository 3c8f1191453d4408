/** Task scores of a model variant, and its headline metric on a 0–100 points scale. */

export interface VariantScores {
  /** Fill-mask: MLM accuracy, 0–1. */
  readonly accuracy?: number;
  /** Fill-mask: perplexity of the masked tokens. */
  readonly perplexity?: number;
  /** Translation: corpus BLEU, 0–100. */
  readonly bleu?: number;
  /** Translation: corpus chrF, 0–100. */
  readonly chrf?: number;
}

/** A task's headline metric: the key in VariantScores, and its name in reports. */
export type HeadlineMetric = 'accuracy' | 'bleu';

export const METRIC_LABEL: Readonly<Record<HeadlineMetric, string>> = { accuracy: 'accuracy', bleu: 'BLEU' };

/** The metric in points (accuracy ×100, BLEU as is); undefined when it was not scored or is not finite. */
export function pointsOf(
  scores: Readonly<Partial<Record<HeadlineMetric, number>>>,
  metric: HeadlineMetric,
): number | undefined {
  const value = scores[metric];
  if (value === undefined || !Number.isFinite(value)) return undefined;
  return metric === 'accuracy' ? value * 100 : value;
}

/** Points the variant lost against the baseline on the headline metric (undefined when either was not scored). */
export function pointsLost(
  metric: HeadlineMetric,
  base: VariantScores,
  variant: VariantScores,
): { points: number; metric: string } | undefined {
  const before = pointsOf(base, metric);
  const after = pointsOf(variant, metric);
  return before === undefined || after === undefined
    ? undefined
    : { points: before - after, metric: METRIC_LABEL[metric] };
}
