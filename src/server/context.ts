/** What every route gets: the model registry, metrics, limits and the server's own state. */

import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { TlcError } from '../errors/index.js';
import type { ModelTask } from '../model-folder/tlc-json.js';
import { isServedTask } from '../model-folder/tlc-json.js';
import type { LoadedVariant, ModelHandle, ModelRegistry } from '../runtime/registry.js';
import { selectVariant, variantFacts } from '../runtime/select-variant.js';
import { headline } from '../tasks/catalog.js';
import { taskSpec } from '../tasks/index.js';
import { publicPaths } from '../util/public-paths.js';
import type { Labels, ServerMetrics } from './metrics.js';
import type { RawAdmission } from './raw-admission.js';

export interface ServerLimits {
  /** Texts per request. */
  readonly maxInputs: number;
  /** Characters per text (checked before tokenizing). */
  readonly maxChars: number;
  /** JSON body size, in bytes. */
  readonly maxBodyBytes: number;
  /** Items in one answer (fill-mask candidates: masks × top_k over all inputs). */
  readonly maxAnswerItems: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxInputs: 64,
  maxChars: 8192,
  maxBodyBytes: 1 << 20,
  maxAnswerItems: 10_000,
};

export interface ServerContext {
  readonly registry: ModelRegistry;
  /** Bounds the rows that v2 raw-tensor requests hold in flight per variant. */
  readonly rawAdmission: RawAdmission;
  readonly metrics: ServerMetrics;
  readonly limits: ServerLimits;
  /** Inference needs it when set; admin routes always need it. */
  readonly apiKey?: string;
  readonly device: string;
  /** True once shutdown began: new requests get SHUTTING_DOWN. */
  draining: boolean;
  /** performance.now() of the latest request (shutdown waits for a quiet moment before closing). */
  lastRequestAt?: number;
  /** When the last request arrived that was not refused by a drain (server.ts bounds how long refusals delay it). */
  lastServedAt?: number;
  /** Requests being answered now. */
  inFlight: number;
  /**
   * Requests whose body is still being read: each entry answers its request 503 once a drain has waited out the
   * in-flight work.
   */
  readonly unread: Set<() => void>;
}

/** Text for an HTTP answer: paths relative to the models folder, no absolute host paths (util/public-paths.ts). */
export function publicText(context: ServerContext, text: string): string {
  return publicPaths(text, context.registry.root);
}

export function labelsOf(_context: ServerContext, model: ModelHandle, variant: LoadedVariant): Labels {
  return {
    model: model.name,
    variant: variant.name,
    task: model.task ?? 'unknown',
    device: variant.provider,
  };
}

/** The variant a request asks for: `?variant=name`, `?variant=auto[&latency_budget_ms=N]`, or the default. */
export function chooseVariant(model: ModelHandle, query: Request['query']): LoadedVariant {
  const asked = typeof query.variant === 'string' ? query.variant : undefined;
  if (asked !== 'auto') return model.variant(asked);
  model.variant(); // readiness
  const budget = typeof query.latency_budget_ms === 'string' ? Number(query.latency_budget_ms) : undefined;
  const metric = model.task !== undefined && isServedTask(model.task) ? headline(model.task) : undefined;
  const name = selectVariant(
    [...model.variants.values()].map((v) => variantFacts(v, metric)),
    budget,
  );
  return model.variant(name);
}

/**
 * The model and variant an inference request addresses (`/versions/{v}` or `?variant=`), labelled on the
 * response for the request metrics; with `task`, the model must do that task.
 */
export function resolveTarget(
  context: ServerContext,
  req: Request,
  res: Response,
  task?: ModelTask,
): { model: ModelHandle; variant: LoadedVariant } {
  const model = context.registry.get(String(req.params.model));
  if (task !== undefined) requireTask(model, task);
  const variant =
    req.params.version !== undefined
      ? model.variant(String(req.params.version))
      : chooseVariant(model, req.query);
  res.locals.labels = labelsOf(context, model, variant);
  res.locals.variant = variant;
  return { model, variant };
}

/** The task a route serves must be the model's. */
export function requireTask(model: ModelHandle, task: ModelTask): void {
  model.variant(); // readiness first: a failed model has no task to compare
  if (model.task !== task) {
    const route = taskSpec(String(model.task)).serving.route;
    throw new TlcError(
      'TASK_MISMATCH',
      `model "${model.name}" does ${model.task}; use /v1/models/${model.name}/${route}`,
    );
  }
}

/** Texts of a request body's `inputs`, within the limits. */
export function textInputs(inputs: string | readonly string[], limits: ServerLimits): string[] {
  const list = typeof inputs === 'string' ? [inputs] : [...inputs];
  if (list.length > limits.maxInputs)
    throw new TlcError('INPUT_TOO_LARGE', `${list.length} inputs; at most ${limits.maxInputs} per request`);
  for (const [i, text] of list.entries())
    if (text.length > limits.maxChars)
      throw new TlcError(
        'INPUT_TOO_LARGE',
        `input ${i} has ${text.length} characters; at most ${limits.maxChars}`,
      );
  return list;
}

/**
 * Who sent a request, for the batcher's fair queue and per-client budget: the API key it gives (a digest, so
 * no key reaches a log or an error), else its address. The socket's address, not X-Forwarded-For, which any
 * client can write. With no --api-key set, a made-up key names a client too: rotating keys escapes the
 * per-client budget but not the variant's.
 */
export function clientOf(req: Request): string {
  const key = /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1]?.trim();
  if (key) return `key:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
  return `addr:${req.socket.remoteAddress ?? 'unknown'}`;
}
