/** GET / (the web console's page) and GET /v1/stats (what its Live view polls: per-variant live figures). */

import type { VariantStats } from '../../util/variant-stats.js';
import { CONSOLE_CSP, renderConsole } from '../console-page.js';
import type { ServerContext } from '../context.js';
import type { Route } from './route.js';

type Values = { labels: Record<string, string | number>; value: number; metricName?: string }[];

const key = (model: unknown, variant: unknown) => `${String(model)}\u0000${String(variant)}`;

/** Sums `values` by model and variant, optionally only those whose metricName ends with `suffix`. */
function sumBy(values: Values, suffix?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const v of values) {
    if (suffix !== undefined && !v.metricName?.endsWith(suffix)) continue;
    const k = key(v.labels.model, v.labels.variant);
    out.set(k, (out.get(k) ?? 0) + v.value);
  }
  return out;
}

export async function variantStats(context: ServerContext): Promise<VariantStats[]> {
  const m = context.metrics;
  const requests = (await m.requests.get()).values as Values;
  const all = sumBy(requests);
  const failed = sumBy(requests.filter((v) => String(v.labels.status) !== '200'));
  const batch = (await m.batchSize.get()).values as Values;
  const batchSum = sumBy(batch, '_sum');
  const batchCount = sumBy(batch, '_count');
  const depth = sumBy((await m.queueDepth.get()).values as Values);
  return context.registry.list().flatMap((model) =>
    [...model.variants.values()].map((v) => {
      const k = key(model.name, v.name);
      const batches = batchCount.get(k) ?? 0;
      return {
        model: model.name,
        variant: v.name,
        task: String(model.task ?? 'unknown'),
        requests: all.get(k) ?? 0,
        errors: failed.get(k) ?? 0,
        p50_ms: v.recent.percentile(50) ?? null,
        p95_ms: v.recent.percentile(95) ?? null,
        queue_depth: depth.get(k) ?? 0,
        mean_batch: batches > 0 ? (batchSum.get(k) ?? 0) / batches : null,
      };
    }),
  );
}

export const consoleRoutes: readonly Route[] = [
  {
    method: 'get',
    path: '/',
    access: 'public',
    handler: (_context, _req, res) => {
      res.setHeader('Content-Security-Policy', CONSOLE_CSP);
      res.type('html').send(renderConsole());
    },
  },
  {
    method: 'get',
    path: '/v1/stats',
    access: 'public',
    handler: async (context, _req, res) => {
      res.json({ time_ms: Date.now(), variants: await variantStats(context) });
    },
  },
];
