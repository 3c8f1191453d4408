/**
 * startServer: loads the model repository, declares metrics for every variant, and listens. `close()` is the
 * graceful shutdown: stop accepting, answer new requests on open connections with SHUTTING_DOWN, wait for
 * in-flight requests (up to `graceMs`), then stop the session workers.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Device } from '../ort/session.js';
import type { BatcherOptions } from '../runtime/batcher.js';
import { ModelRegistry } from '../runtime/registry.js';
import { createApp } from './app.js';
import { DEFAULT_LIMITS, labelsOf, type ServerContext, type ServerLimits } from './context.js';
import { ServerMetrics } from './metrics.js';
import { OpenApiValidator } from './openapi.js';

export interface ServerOptions {
  readonly modelsDir: string;
  readonly port?: number;
  readonly host?: string;
  readonly device?: Device;
  /** Intra-op threads per session (default: cores / workers per variant). */
  readonly threads?: number;
  readonly workersPerVariant?: number;
  readonly batching?: Partial<Omit<BatcherOptions, 'concurrency'>>;
  readonly limits?: Partial<ServerLimits>;
  readonly apiKey?: string;
  /** How long shutdown waits for in-flight requests, in ms (default 30 s). */
  readonly graceMs?: number;
  readonly processMetrics?: boolean;
  readonly log?: (message: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly context: ServerContext;
  close(): Promise<void>;
}

export const DEFAULT_BATCHING: Omit<BatcherOptions, 'concurrency'> = {
  maxBatchSize: 16,
  maxDelayMs: 0,
  maxQueue: 256,
  timeoutMs: 30_000,
};

/** openapi.yaml at the package root (two levels above src/server or dist/server). */
export function openapiPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'openapi.yaml');
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const workers = options.workersPerVariant ?? 1;
  const threads = options.threads ?? Math.max(1, Math.floor(availableParallelism() / workers));
  const device = options.device ?? 'cpu';
  const yamlText = readFileSync(openapiPath(), 'utf8');
  const openapi = new OpenApiValidator((await import('yaml')).parse(yamlText));
  const metrics = new ServerMetrics({ processMetrics: options.processMetrics ?? true });
  const registry = new ModelRegistry(options.modelsDir, {
    device,
    threads,
    workersPerVariant: workers,
    batching: { ...DEFAULT_BATCHING, ...options.batching, concurrency: workers },
    log,
    onBatch: (model, variant, seconds) => {
      const handle = registry.list().find((m) => m.name === model);
      const v = handle?.variants.get(variant);
      if (handle && v) metrics.inferenceDuration.observe(labelsOf(context, handle, v), seconds);
    },
  });
  const context: ServerContext = {
    registry,
    metrics,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
    device,
    draining: false,
    inFlight: 0,
  };
  log(
    `loading models from ${options.modelsDir} (device ${device}, ${threads} thread(s) × ${workers} worker(s) per variant)`,
  );
  await registry.loadAll();
  for (const m of registry.list())
    for (const v of m.variants.values()) metrics.declare(labelsOf(context, m, v));
  const app = createApp(context, openapi, yamlText, log);
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 8080, options.host ?? '0.0.0.0', (error?: Error) =>
      error ? reject(error) : resolve(s),
    );
  });
  server.keepAliveTimeout = 5000;
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8080);
  const url = `http://${options.host === undefined || options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      context.draining = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = performance.now() + (options.graceMs ?? 30_000);
      while (context.inFlight > 0 && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      server.closeAllConnections();
      await stopped;
      await registry.close();
    })();
    return closing;
  };
  return { url, port, context, close };
}
