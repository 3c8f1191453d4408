/** GET /v1/models: the repository with what tlc.json says about each variant and the live p95. */
import { readBuilding } from '../../model-folder/building.js';
import { isServedTask, isSizeVariant, type ModelTask } from '../../model-folder/tlc-json.js';
import type { ModelHandle } from '../../runtime/registry.js';
import { about } from '../../tasks/catalog.js';
import { publicText, type ServerContext } from '../context.js';
import type { Route } from './route.js';

/** What the console needs of a served task, from its row (src/tasks/<task>/about.ts). */
export function taskInfo(task: ModelTask): Record<string, unknown> {
  const row = about(task);
  return {
    route: row.route,
    metrics: row.metrics.map((m) => ({
      key: m.key,
      label: m.label,
      points: m.points,
      higher_is_better: m.higherIsBetter,
    })),
    example: row.console.example,
    answer: row.console.answer,
    ...(row.console.parameters && { parameters: row.console.parameters }),
  };
}

function describeModel(context: ServerContext, model: ModelHandle): Record<string, unknown> {
  const text = (s: string) => publicText(context, s);
  const device = context.device;
  return {
    name: model.name,
    status: model.status,
    ...(model.error !== undefined && { error: text(model.error) }),
    ...(model.reloadError !== undefined && { reload_error: text(model.reloadError) }),
    ...(model.task !== undefined && { task: model.task }),
    ...(model.task !== undefined && isServedTask(model.task) && { task_info: taskInfo(model.task) }),
    device: [...model.variants.values()][0]?.provider ?? device,
    ...(model.tlc && { parameters: model.tlc.parameters, architecture: model.tlc.architecture }),
    variants: (model.tlc?.variants ?? []).map((entry) => {
      const loaded = model.variants.get(entry.name);
      const live = loaded?.recent.count ? loaded.recent.percentile(95) : undefined;
      return {
        name: entry.name,
        files: entry.files,
        recipe: entry.recipe,
        bytes: entry.bytes,
        ...(entry.parameters !== undefined && { parameters: entry.parameters }),
        ...(entry.nonZero !== undefined && { non_zero: entry.nonZero }),
        ...(entry.metrics && { metrics: entry.metrics }),
        ...(entry.latency && { latency: entry.latency }),
        ...(live !== undefined && { live_p95_ms: live }),
        ...(isSizeVariant(entry) && { kind: 'size' }),
        ...(loaded?.fidelity && {
          probe: {
            agreement: loaded.fidelity.agreement,
            compressed_agreement: loaded.fidelity.expected,
            tolerance: loaded.fidelity.tolerance,
            cpu: loaded.fidelity.cpu,
            compressed_cpu: loaded.fidelity.expectedCpu,
          },
          ...(loaded.fidelity.degraded && {
            status: 'degraded',
            degraded_reason: text(loaded.fidelity.reason ?? 'failed its fidelity probe'),
          }),
        }),
        loaded: loaded !== undefined,
        ...(model.variantErrors.has(entry.name) && { error: text(model.variantErrors.get(entry.name)!) }),
      };
    }),
  };
}

/** Variants being built beside the served folder (building.json), not served until they are in tlc.json. */
function buildingVariants(model: ModelHandle): Record<string, unknown>[] {
  const listed = new Set((model.tlc?.variants ?? []).map((v) => v.name));
  return readBuilding(model.dir)
    .filter((name) => !listed.has(name))
    .map((name) => ({ name, files: [], recipe: [], bytes: 0, status: 'building', loaded: false }));
}

export const modelRoutes: readonly Route[] = [
  {
    method: 'get',
    path: '/v1/models',
    access: 'public',
    handler: (context, _req, res) => {
      res.json({
        models: context.registry.list().map((m) => {
          const described = describeModel(context, m);
          const building = buildingVariants(m);
          return building.length === 0
            ? described
            : { ...described, variants: [...(described.variants as unknown[]), ...building] };
        }),
      });
    },
  },
];
