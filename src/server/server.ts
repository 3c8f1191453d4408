/**
 * startServer: checks the models folder, binds the port (so that a busy or invalid port fails in
 * milliseconds, before any model loads), loads the model repository while answering 503 (liveness 200), declares
 * metrics for every variant, and serves. `close()` is the graceful shutdown: stop accepting, answer new requests
 * on open connections with SHUTTING_DOWN, wait for in-flight requests (up to `graceMs`), then stop the session
 * workers.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { messageOf, TlcError } from '../errors/index.js';
import { modelFolderCheck } from '../model-folder/read.js';
import type { Device } from '../ort/session.js';
import type { BatcherOptions } from '../runtime/batcher.js';
import { ModelWatcher } from '../runtime/model-watcher.js';
import { ModelRegistry } from '../runtime/registry.js';
import type { Isolation } from '../runtime/worker/channel.js';
import { createApp } from './app.js';
import { DEFAULT_LIMITS, labelsOf, type ServerContext, type ServerLimits } from './context.js';
import { refuseUnread } from './drain.js';
import { ServerMetrics } from './metrics.js';
import { OpenApiValidator } from './openapi.js';
import { RawAdmission } from './raw-admission.js';

export interface ServerOptions {
  readonly modelsDir: string;
  readonly port?: number;
  readonly host?: string;
  readonly device?: Device;
  /** Intra-op threads per session (default: cores / workers per variant). */
  readonly threads?: number;
  readonly workersPerVariant?: number;
  /** How session workers run: a child process each (default) or a thread of the server (worker/channel.ts). */
  readonly isolation?: Isolation;
  /** The environment of session worker processes (default: this process's; `tlc serve` adds malloc settings). */
  readonly workerEnv?: NodeJS.ProcessEnv;
  /** Look at the models folder this often (ms) and load, reload or unload what changed (runtime/model-watcher.ts). */
  readonly watchMs?: number;
  readonly batching?: Partial<Omit<BatcherOptions, 'concurrency'>>;
  readonly limits?: Partial<ServerLimits>;
  readonly apiKey?: string;
  /** How long shutdown waits for in-flight requests, in ms (default 30 s). */
  readonly graceMs?: number;
  readonly processMetrics?: boolean;
  /** Start with a missing or empty models folder (the server then reports not ready); default: refuse. */
  readonly allowEmpty?: boolean;
  /** Refuse (409 VARIANT_DEGRADED) requests naming a variant that failed its fidelity probe; default: answer. */
  readonly refuseDegraded?: boolean;
  readonly log?: (message: string) => void;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly context: ServerContext;
  close(): Promise<void>;
}

/**
 * Work is in token positions (batcher.ts): a one-line fill-mask request is about 15, a raw [64, 128] tensor
 * 8192, 64 inputs of 100 tokens about 6500, a beam-8 translation of 128 tokens about 1150. A client holding
 * none is always admitted, so any legal request runs; beyond that one client holds at most 16384 per variant
 * (two of the heaviest requests), and the variant 65536 (four such clients, with the light ones still in). A
 * batch takes at most 256 padded positions (16 inputs of 16 tokens), so light work waits for at most one such
 * batch per worker; a costlier item runs alone, and such long runs hold every worker of a variant but one.
 */
export const DEFAULT_BATCHING: Required<Omit<BatcherOptions, 'concurrency'>> = {
  maxBatchSize: 16,
  maxDelayMs: 0,
  maxQueue: 256,
  timeoutMs: 30_000,
  maxWork: 65_536,
  maxClientWork: 16_384,
  maxBatchWork: 256,
};

/** openapi.yaml at the package root (two levels above src/server or dist/server). */
export function openapiPath(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'openapi.yaml');
}

/** A missing, unreadable or empty models folder stops the start unless `allowEmpty`. */
function checkModelsDir(dir: string, allowEmpty: boolean): void {
  if (allowEmpty) return;
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a folder');
    entries = readdirSync(dir);
  } catch (error) {
    throw new TlcError(
      'CLI_USAGE',
      `models folder ${dir} cannot be read (${messageOf(error)}); pass --models DIR (or TLC_MODELS), or --allow-empty`,
    );
  }
  if (entries.filter((e) => !e.startsWith('.')).length === 0)
    throw new TlcError(
      'CLI_USAGE',
      `models folder ${dir} is empty; put model folders in it, or pass --allow-empty`,
    );
  if (modelFolderCheck(dir).ok)
    throw new TlcError(
      'CLI_USAGE',
      `models folder ${dir} is itself a model folder; serve its parent, or move it into a subfolder named after the model`,
    );
}

/** Binds the port; fails with a coded error (busy, not permitted, invalid) instead of Node's raw one. */
async function listen(port: number, host: string): Promise<Server> {
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new TlcError('CLI_USAGE', `port must be an integer from 0 to 65535, got ${port}`);
  const server = createServer();
  server.on('clientError', answerClientError);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const why =
        error.code === 'EADDRINUSE'
          ? 'it is in use by another process'
          : error.code === 'EACCES'
            ? 'permission denied (ports below 1024 need privileges)'
            : messageOf(error);
      reject(new TlcError('CLI_USAGE', `cannot listen on ${host}:${port}: ${why}`, { cause: error }));
    });
    server.listen(port, host, () => resolve());
  });
  return server;
}

/**
 * Requests Node's HTTP parser rejects (bad request line, headers too large) get the JSON error shape too,
 * instead of Node's bare text answer.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const code = status === 431 ? 'INPUT_TOO_LARGE' : status === 408 ? 'REQUEST_TIMEOUT' : 'REQUEST_INVALID';
  const message =
    status === 431
      ? 'the request headers are too large'
      : status === 408
        ? 'the request took too long to arrive'
        : 'the request is not valid HTTP';
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

/** Before the models are loaded: liveness answers, everything else is 503 with the error shape. */
function loadingHandler(req: IncomingMessage, res: ServerResponse): void {
  const live = req.url === '/v2/health/live';
  res.writeHead(live ? 200 : 503, { 'content-type': 'application/json', 'retry-after': '5' });
  res.end(
    JSON.stringify(
      live
        ? { live: true }
        : { error: { code: 'MODEL_NOT_READY', message: 'the server is loading its models; retry shortly' } },
    ),
  );
}

/**
 * Graceful shutdown. Keep accepting while in-flight requests finish: requests that arrive now are answered 503
 * with Connection: close, and every response sent from now on closes its connection (closing the listener or
 * idle keep-alive connections first would reset requests already on their way).
 */
async function drainAndClose(
  server: Server,
  context: ServerContext,
  registry: ModelRegistry,
  graceMs: number,
): Promise<void> {
  context.draining = true;
  const began = performance.now();
  const deadline = began + graceMs;
  // Quiet: no request for 100 ms. Requests refused 503 count (one may be on its way on a kept-alive connection),
  // but only for 2 s past the last one served: clients retrying a 503 at once must not hold the drain for its
  // whole grace period.
  const quiet = () =>
    performance.now() - (context.lastRequestAt ?? 0) > 100 ||
    performance.now() - Math.max(began, context.lastServedAt ?? 0) > 2000;
  while ((context.inFlight > 0 || !quiet()) && performance.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  // Whoever is still sending a body (not in flight yet) is answered now rather than cut off below.
  refuseUnread(context);
  const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await new Promise((r) => setTimeout(r, 50));
  server.closeAllConnections();
  await stopped;
  await registry.close();
}

/** `--watch`: loads, reloads and unloads what changes in the models folder, declaring each variant's metrics. */
function watchModels(context: ServerContext, intervalMs: number, log: (m: string) => void): ModelWatcher {
  const watcher = new ModelWatcher(context.registry, {
    intervalMs,
    log,
    onLoaded: (m) => {
      for (const v of m.variants.values()) context.metrics.declare(labelsOf(context, m, v));
    },
  });
  watcher.start();
  return watcher;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  checkModelsDir(options.modelsDir, options.allowEmpty ?? false);
  const server = await listen(options.port ?? 8080, options.host ?? '0.0.0.0');
  let handler: (req: IncomingMessage, res: ServerResponse) => void = loadingHandler;
  server.on('request', (req, res) => handler(req, res));
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
    workerPool: {
      ...(options.isolation !== undefined && { isolation: options.isolation }),
      ...(options.workerEnv !== undefined && { env: options.workerEnv }),
    },
    batching: { ...DEFAULT_BATCHING, ...options.batching, concurrency: workers },
    log,
    refuseDegraded: options.refuseDegraded ?? false,
    onBatch: (model, variant, seconds) => {
      const handle = registry.list().find((m) => m.name === model);
      const v = handle?.variants.get(variant);
      if (handle && v) metrics.inferenceDuration.observe(labelsOf(context, handle, v), seconds);
    },
  });
  metrics.workerProcesses = function* () {
    for (const handle of registry.list())
      for (const v of handle.variants.values())
        yield { labels: labelsOf(context, handle, v), pids: v.pool.pids };
  };
  const batching = { ...DEFAULT_BATCHING, ...options.batching };
  const context: ServerContext = {
    registry,
    rawAdmission: new RawAdmission(batching.maxQueue),
    metrics,
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    ...(options.apiKey !== undefined && { apiKey: options.apiKey }),
    device,
    draining: false,
    inFlight: 0,
    unread: new Set(),
  };
  log(
    `loading models from ${options.modelsDir} (device ${device}, ${threads} thread(s) × ${workers} worker ${options.isolation ?? 'process'}(es) per variant)`,
  );
  try {
    await registry.loadAll();
  } catch (error) {
    server.close();
    await registry.close();
    throw error;
  }
  for (const m of registry.list())
    for (const v of m.variants.values()) metrics.declare(labelsOf(context, m, v));
  handler = createApp(context, openapi, yamlText, log);
  server.keepAliveTimeout = 5000;
  const watcher = options.watchMs === undefined ? undefined : watchModels(context, options.watchMs, log);
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8080);
  const url = `http://${options.host === undefined || options.host === '0.0.0.0' ? '127.0.0.1' : options.host}:${port}`;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (watcher?.stop() ?? Promise.resolve()).then(() =>
      drainAndClose(server, context, registry, options.graceMs ?? 30_000),
    );
    return closing;
  };
  return { url, port, context, close };
}
