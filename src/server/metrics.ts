/**
 * Prometheus metrics. Durations are histograms in seconds; labels are only model, variant, task and device
 * (plus status on the request counter), so cardinality stays bounded by the model repository. Label sets of
 * every loaded variant are created up front, so `/metrics` lists every series before the first request.
 */
import { readFileSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const LABELS = ['model', 'variant', 'task', 'device'] as const;
export type Labels = Record<(typeof LABELS)[number], string>;

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64];

/** prom-client default metrics that are gauges with a counter's `_total` suffix. */
export const MISNAMED_DEFAULT_GAUGES = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/** The session worker processes of each loaded variant (none for worker threads), read at each scrape. */
export type WorkerProcesses = () => Iterable<{ readonly labels: Labels; readonly pids: readonly number[] }>;

/** A process's resident set in bytes from /proc (Linux), or undefined where it cannot be read. */
function residentBytes(pid: number): number | undefined {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) * 1024;
  } catch {
    return undefined; // not Linux, or the worker exited meanwhile
  }
}

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requestDuration: Histogram<(typeof LABELS)[number]>;
  readonly queueDuration: Histogram<(typeof LABELS)[number]>;
  readonly tokenizeDuration: Histogram<(typeof LABELS)[number]>;
  readonly inferenceDuration: Histogram<(typeof LABELS)[number]>;
  readonly batchSize: Histogram<(typeof LABELS)[number]>;
  readonly requests: Counter<(typeof LABELS)[number] | 'status'>;
  readonly tokens: Counter<(typeof LABELS)[number]>;
  readonly queueDepth: Gauge<(typeof LABELS)[number]>;
  readonly probeAgreement: Gauge<(typeof LABELS)[number]>;
  readonly degraded: Gauge<(typeof LABELS)[number]>;

  /** Set once the registry exists (the server's start): where the session worker processes are. */
  workerProcesses: WorkerProcesses = () => [];

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const labelNames = [...LABELS];
    const histogram = (name: string, help: string, buckets = LATENCY_BUCKETS) =>
      new Histogram({ name, help, labelNames, buckets, registers });
    this.requestDuration = histogram(
      'tlc_request_duration_seconds',
      'Time from receiving a task request to sending its answer.',
    );
    this.queueDuration = histogram(
      'tlc_queue_duration_seconds',
      'Time a request item waited in the batch queue.',
    );
    this.tokenizeDuration = histogram('tlc_tokenize_duration_seconds', 'Time spent tokenizing a request.');
    this.inferenceDuration = histogram(
      'tlc_inference_duration_seconds',
      'Time a batch spent in its session worker (ONNX Runtime and decoding).',
    );
    this.batchSize = histogram('tlc_batch_size', 'Items in the batch that carried a request.', BATCH_BUCKETS);
    this.requests = new Counter({
      name: 'tlc_requests_total',
      help: 'Task and inference requests by HTTP status.',
      labelNames: [...LABELS, 'status'],
      registers,
    });
    this.tokens = new Counter({
      name: 'tlc_tokens_total',
      help: 'Tokens processed (input tokens, plus generated tokens for translation).',
      labelNames,
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'tlc_queue_depth',
      help: 'Request items waiting in the batch queue.',
      labelNames,
      registers,
    });
    this.probeAgreement = new Gauge({
      name: 'tlc_variant_probe_agreement_ratio',
      help: "Top-1 agreement with fp32 on the folder's fidelity probe, measured when the variant loaded here.",
      labelNames,
      registers,
    });
    this.degraded = new Gauge({
      name: 'tlc_variant_degraded',
      help: 'Whether the variant fell short of its compress-time probe agreement on this machine (1) or not (0).',
      labelNames,
      registers,
    });
    const metrics = this;
    new Gauge({
      name: 'tlc_session_worker_resident_bytes',
      help: "Resident memory of the variant's session worker processes (process_resident_memory_bytes is the server's own).",
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const { labels, pids } of metrics.workerProcesses()) {
          const bytes = pids.map(residentBytes).filter((b) => b !== undefined);
          if (bytes.length > 0)
            this.set(
              labels,
              bytes.reduce((a, b) => a + b, 0),
            );
        }
      },
    });
    if (options.processMetrics ?? true) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters, which `promtool check metrics` rejects; the per-type gauges without the
      // suffix (nodejs_active_handles{type=…} and the like) carry the same numbers.
      for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    }
  }

  /** Creates every series of a variant at zero, so dashboards see it before traffic. */
  declare(labels: Labels): void {
    for (const h of [
      this.requestDuration,
      this.queueDuration,
      this.tokenizeDuration,
      this.inferenceDuration,
      this.batchSize,
    ])
      h.zero(labels);
    this.tokens.inc(labels, 0);
    this.queueDepth.set(labels, 0);
    this.requests.inc({ ...labels, status: '200' }, 0);
  }
}
