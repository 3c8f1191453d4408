/**
 * variant=auto: TLC's serving form of "train large, then compress". Among the loaded variants, the most
 * accurate one whose recent p95 latency fits the budget; when none fits, the fastest. Accuracy is the task's
 * headline metric in tlc.json (its row's first: MLM accuracy, BLEU); variants without one rank by size, larger first (a compressed
 * variant is assumed no more accurate than its source). Latency is the live p95 of recent requests, or the
 * figure measured at compression before traffic; a variant with neither is treated as fitting. A variant that
 * failed its fidelity probe on this machine (degraded) is passed over unless every variant did.
 */
import type { MetricSpec } from '../tasks/about.js';
import { metricPoints } from '../tasks/catalog.js';
import type { LoadedVariant } from './registry.js';

export interface VariantFacts {
  readonly name: string;
  /** The task's headline metric in points, higher better. */
  readonly accuracy?: number;
  readonly bytes: number;
  readonly p95Ms?: number;
  /** Failed its fidelity probe at load (fidelity.ts): never chosen while another variant is not. */
  readonly degraded?: boolean;
}

/** What selection weighs of a loaded variant; `metric` is its task's headline (catalog.ts `headline`). */
export function variantFacts(v: LoadedVariant, metric: MetricSpec | undefined): VariantFacts {
  const points = metric && metricPoints(v.entry.metrics ?? {}, metric);
  const accuracy = points === undefined ? undefined : metric?.higherIsBetter ? points : -points;
  const p95Ms = v.p95Ms();
  return {
    name: v.name,
    bytes: v.entry.bytes,
    ...(accuracy !== undefined && { accuracy }),
    ...(p95Ms !== undefined && { p95Ms }),
    ...(v.fidelity?.degraded && { degraded: true }),
  };
}

/** More accurate first: by metric when both have one, else by size. */
function moreAccurate(a: VariantFacts, b: VariantFacts): number {
  if (a.accuracy !== undefined && b.accuracy !== undefined && a.accuracy !== b.accuracy)
    return b.accuracy - a.accuracy;
  return b.bytes - a.bytes;
}

/** The name of the variant to serve under a latency budget (ms); undefined budget: the most accurate. */
export function selectVariant(all: readonly VariantFacts[], budgetMs?: number): string | undefined {
  const sound = all.filter((v) => !v.degraded);
  const variants = sound.length > 0 ? sound : all;
  if (variants.length === 0) return undefined;
  const ranked = [...variants].sort(moreAccurate);
  if (budgetMs === undefined) return ranked[0]!.name;
  const fitting = ranked.find((v) => v.p95Ms === undefined || v.p95Ms <= budgetMs);
  if (fitting !== undefined) return fitting.name;
  return [...variants].sort((a, b) => (a.p95Ms ?? 0) - (b.p95Ms ?? 0))[0]!.name;
}
