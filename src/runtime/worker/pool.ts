/**
 * The main thread's handle on session workers: spawns a worker per slot, loads the variant into each, and
 * sends requests to the least busy one. Each worker runs one request at a time, so a variant with N workers
 * runs at most N batches at once, each with its own intra-op threads (budgeted by the caller).
 */
import { Worker } from 'node:worker_threads';
import { TlcError } from '../../errors/index.js';
import type {
  LoadRequest,
  LoadResult,
  ResultOf,
  WorkerMessage,
  WorkRequest,
  WorkResult,
} from './protocol.js';

/**
 * Starts the worker script beside this module: the built .js, or — when running from source through tsx —
 * the .ts through a bootstrap that registers tsx's loader inside the worker (module hooks given to the main
 * thread with --import do not reach worker threads on Node 20).
 */
function spawnWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./session-worker.js', import.meta.url));
  const script = new URL('./session-worker.ts', import.meta.url).href;
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(script)}); });`;
  return new Worker(bootstrap, { eval: true });
}

/** A worker's answer to `R`, and the seconds it spent on it. */
export interface Answer<R extends WorkRequest> {
  readonly result: ResultOf<R>;
  readonly seconds: number;
}

interface Pending {
  readonly resolve: (value: { result: WorkResult; seconds: number }) => void;
  readonly reject: (error: Error) => void;
}

/** One worker thread and its in-flight requests. */
export class SessionWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;

  constructor() {
    this.worker = spawnWorker();
    this.worker.on('message', (m: WorkerMessage) => {
      const p = this.pending.get(m.id);
      if (p === undefined) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve({ result: m.result, seconds: m.seconds });
      else p.reject(new TlcError(m.code, m.message));
    });
    this.worker.on('error', (error) => this.failAll(`the session worker crashed: ${error.message}`));
    this.worker.on('exit', (code) => {
      this.exited = true;
      this.failAll(`the session worker exited (code ${code})`);
    });
  }

  /** Requests sent and not yet answered. */
  get busy(): number {
    return this.pending.size;
  }

  /** Sends `request`; the answer's type follows from the request's op (protocol.ts ResultOf). */
  call<R extends WorkRequest>(request: R, transfer: ArrayBuffer[] = []): Promise<Answer<R>> {
    if (this.exited) return Promise.reject(new TlcError('MODEL_NOT_READY', 'the session worker has stopped'));
    const id = this.nextId++;
    return new Promise<{ result: WorkResult; seconds: number }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, request }, transfer);
    }) as Promise<Answer<R>>; // the worker answers each op with its ResultOf (session-worker.ts handle)
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }

  private failAll(message: string): void {
    for (const p of this.pending.values()) p.reject(new TlcError('INTERNAL', message));
    this.pending.clear();
  }
}

/** The workers of one variant. */
export class WorkerPool {
  private constructor(
    private readonly workers: readonly SessionWorker[],
    readonly loaded: LoadResult,
  ) {}

  static async start(count: number, load: LoadRequest): Promise<WorkerPool> {
    const workers = Array.from({ length: Math.max(1, count) }, () => new SessionWorker());
    try {
      const results = await Promise.all(workers.map((w) => w.call(load)));
      return new WorkerPool(workers, results[0]!.result);
    } catch (error) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw error;
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Requests in flight over all workers. */
  get busy(): number {
    return this.workers.reduce((sum, w) => sum + w.busy, 0);
  }

  /** Sends to the worker with the fewest requests in flight. */
  call<R extends WorkRequest>(request: R, transfer: ArrayBuffer[] = []): Promise<Answer<R>> {
    let best = this.workers[0]!;
    for (const w of this.workers) if (w.busy < best.busy) best = w;
    return best.call(request, transfer);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
