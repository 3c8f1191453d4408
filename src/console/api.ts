/** The server's JSON API as the console uses it: the key from session storage, errors as code and message. */
import type { AnswerView } from '../tasks/about.js';
import type { VariantStats } from '../util/variant-stats.js';

export interface VariantRow {
  readonly name: string;
  readonly recipe: readonly string[];
  readonly bytes: number;
  readonly parameters?: number;
  readonly non_zero?: number;
  readonly metrics?: Readonly<Record<string, number>>;
  readonly latency?: VariantLatency;
  readonly live_p95_ms?: number;
  /** 'size': not faster than fp32 on the CPU it was timed on (4-bit weights on some CPUs); kept for its size. */
  readonly kind?: 'size';
  /** The fidelity probe run when the variant loaded on this server, against where the folder was compressed. */
  readonly probe?: VariantProbe;
  /**
   * 'degraded': the probe agreed less here than where compressed, by more than its tolerance (auto skips it);
   * 'building': being built beside the served folder, not served yet.
   */
  readonly status?: 'degraded' | 'building';
  readonly degraded_reason?: string;
  readonly loaded: boolean;
  readonly error?: string;
}

/** Latency measured at compression on the served path; `cpu` names the CPU it was timed on. */
export interface VariantLatency {
  readonly p50_ms?: number;
  readonly p95_ms?: number;
  readonly speedup?: number;
  readonly cpu?: string;
}

/** Top-1 agreement with fp32 on the folder's probe, as fractions; null where the probe could not run here. */
export interface VariantProbe {
  readonly agreement?: number | null;
  readonly compressed_agreement?: number;
  readonly tolerance?: number;
  readonly cpu?: string;
  readonly compressed_cpu?: string;
}

/** A task's metric as /v1/models sends it (src/tasks/about.ts MetricSpec). */
export interface TaskMetric {
  readonly key: string;
  readonly label: string;
  /** Multiplies a value into points on a 0–100 scale. */
  readonly points: number;
  readonly higher_is_better: boolean;
}

/** How the playground shows an answer, as the task's row says (the server sends it as is). */
export type { AnswerView };

/** What the console needs of a model's task, from the task's row: its route, metrics and playground view. */
export interface TaskInfo {
  readonly route: string;
  /** The headline first. */
  readonly metrics: readonly TaskMetric[];
  readonly example: string;
  readonly answer: AnswerView;
  /** Request parameters the playground sends with the input. */
  readonly parameters?: Readonly<Record<string, unknown>>;
}

export interface ModelRow {
  readonly name: string;
  readonly status: string;
  readonly error?: string;
  readonly reload_error?: string;
  readonly task?: string;
  /** Present when TLC serves the task. */
  readonly task_info?: TaskInfo;
  readonly device: string;
  readonly parameters?: { readonly total: number; readonly nonEmbedding?: number };
  readonly architecture?: Readonly<Record<string, unknown>>;
  readonly variants: readonly VariantRow[];
}

export type StatsRow = VariantStats;

const KEY = 'tlc-api-key';

export function apiKey(): string {
  return sessionStorage.getItem(KEY) ?? '';
}

export function setApiKey(key: string): void {
  if (key === '') sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, key);
}

/** A failed call: the server's error code and message (or the network's). */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export interface Answer<T> {
  readonly body: T;
  readonly headers: Headers;
  readonly ms: number;
}

export async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const key = apiKey();
  if (key !== '') headers.authorization = `Bearer ${key}`;
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(path, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
  } catch (error) {
    throw new ApiError('NETWORK', `the server did not answer: ${String(error)}`, 0);
  }
  const text = await res.text();
  const ms = performance.now() - t0;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ApiError('BAD_ANSWER', `${res.status}: ${text.slice(0, 200)}`, res.status);
  }
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(e?.code ?? `HTTP_${res.status}`, e?.message ?? text.slice(0, 200), res.status);
  }
  return { body: json as T, headers: res.headers, ms };
}

/** The route of a model's v1 endpoint (undefined when its task is not served). */
export function taskRoute(model: ModelRow): string | undefined {
  return model.task_info?.route;
}

/** The headline metric of a model's task. */
export function headlineOf(model: ModelRow): TaskMetric | undefined {
  return model.task_info?.metrics[0];
}

/** The headline's name with its unit in points ("MLM accuracy, %", "BLEU"). */
export function headlineLabel(metric: TaskMetric | undefined, separator = ', '): string {
  if (metric === undefined) return 'score';
  return metric.points === 100 ? `${metric.label}${separator}%` : metric.label;
}
