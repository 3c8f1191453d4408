/**
 * The main thread's handle on session workers: spawns a worker per slot, loads the variant into each, and
 * sends requests to the least busy one. Each worker runs one request at a time, so a variant with N workers
 * runs at most N batches at once, each with its own intra-op threads (budgeted by the caller).
 *
 * Every call is counted until answered. Closing stops admitting calls (MODEL_NOT_READY), waits for the calls in
 * flight (bounded; after the bound they fail with MODEL_NOT_READY), and asks each worker to exit by itself after
 * its current message: a worker thread is never terminated from outside, since `worker.terminate()` inside an
 * ONNX Runtime run aborts the process (protocol.ts CloseRequest); a worker process still in a run after the exit
 * bound is killed, which harms nothing else. A worker that dies fails its calls, is routed around, and is
 * replaced by a fresh one loaded with the same request.
 */
import { messageOf, TlcError } from '../../errors/index.js';
import { type Isolation, spawnSessionWorker, type WorkerChannel } from './channel.js';
import type {
  CloseRequest,
  LoadRequest,
  LoadResult,
  ResultOf,
  WorkerMessage,
  WorkRequest,
  WorkResult,
} from './protocol.js';

/** A worker's answer to `R`, and the seconds it spent on it. */
export interface Answer<R extends WorkRequest> {
  readonly result: ResultOf<R>;
  readonly seconds: number;
}

interface Pending {
  readonly resolve: (value: { result: WorkResult; seconds: number }) => void;
  readonly reject: (error: Error) => void;
}

export interface PoolOptions {
  /** How the default session workers run (default: a child process each; channel.ts). */
  readonly isolation?: Isolation;
  /** A worker process's environment (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
  /** Starts a worker (default: session-worker.ts run the `isolation` way; tests give stand-ins). */
  readonly spawn?: () => WorkerChannel;
  /** Told when a worker stops unexpectedly and about its replacement. */
  readonly log?: (message: string) => void;
}

export interface CloseOptions {
  /** How long calls in flight may take to finish before they fail with MODEL_NOT_READY, in ms. */
  readonly drainMs: number;
  /**
   * How long to wait after that for the worker to exit, in ms (default 5 s). A thread is never terminated; a
   * process still inside a run then is killed.
   */
  readonly exitMs?: number;
}

/** 503 with Retry-After: the variant is closing or restarting a worker. */
export const notReady = (message: string) =>
  new TlcError('MODEL_NOT_READY', message, { retryAfterSeconds: 1 });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** True once `done()` holds, false if `ms` pass first (polled every 5 ms, as the batcher's idle()). */
async function waitUntil(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() >= deadline) return false;
    await sleep(5);
  }
  return true;
}

/** True if `promise` settles within `ms`; the timer does not outlive it. */
export async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** One session worker (a thread or a process) and its in-flight requests. */
export class SessionWorker {
  private readonly worker: WorkerChannel;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private state: 'open' | 'closing' | 'exited' = 'open';
  /** Resolves once the worker has exited, saying how (`code 0`, `signal SIGKILL`). */
  readonly exited: Promise<string>;

  /** `onDeath` hears of an exit nobody asked for (a crash), after the calls in flight have failed. */
  constructor(spawn: () => WorkerChannel, onDeath?: (why: string) => void) {
    this.worker = spawn();
    this.worker.onMessage((message) => {
      const m = message as WorkerMessage;
      const p = this.pending.get(m.id);
      if (p === undefined) return; // given up (close) or the close's own answer
      this.pending.delete(m.id);
      if (m.ok) p.resolve({ result: m.result, seconds: m.seconds });
      else p.reject(new TlcError(m.code, m.message));
    });
    let crash: string | undefined;
    // An exception the worker did not catch ends the thread; 'exit' follows and fails its calls.
    this.worker.onError((error) => {
      crash = error.message;
    });
    this.exited = new Promise((resolve) => {
      this.worker.onExit((how) => {
        const asked = this.state === 'closing';
        this.state = 'exited';
        const why = crash === undefined ? `exited (${how})` : `crashed: ${crash}`;
        this.failAll(
          asked
            ? notReady('the model variant closed before this request was answered; retry')
            : new TlcError('INTERNAL', `the session worker ${why} while answering this request`),
        );
        if (!asked) onDeath?.(why);
        resolve(how);
      });
    });
  }

  /** Requests sent and not yet answered. */
  get busy(): number {
    return this.pending.size;
  }

  /** The worker's process id when it runs as a child process. */
  get pid(): number | undefined {
    return this.worker.pid;
  }

  /** Takes calls (not closing, not exited). */
  get live(): boolean {
    return this.state === 'open';
  }

  /** Sends `request`; the answer's type follows from the request's op (protocol.ts ResultOf). */
  call<R extends Exclude<WorkRequest, CloseRequest>>(
    request: R,
    transfer: ArrayBuffer[] = [],
  ): Promise<Answer<R>> {
    if (!this.live)
      return Promise.reject(
        notReady(`the session worker has ${this.state === 'closing' ? 'begun to stop' : 'stopped'}; retry`),
      );
    const id = this.nextId++;
    return new Promise<{ result: WorkResult; seconds: number }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.post({ id, request }, transfer);
      } catch (error) {
        this.pending.delete(id);
        reject(new TlcError('INTERNAL', `the request could not be sent to its worker: ${messageOf(error)}`));
      }
    }) as Promise<Answer<R>>; // the worker answers each op with its ResultOf (session-worker.ts handle)
  }

  /**
   * Stops taking calls, waits up to `drainMs` for those in flight (then fails them with MODEL_NOT_READY; the
   * worker still finishes them), asks the worker to exit after its current message, and waits up to `exitMs`
   * for it. A worker still inside a long run then is killed if it is a process, or let go (unref) if it is a
   * thread — never terminated, which inside a run would abort the server: it exits when done.
   */
  async close({ drainMs, exitMs = 5_000 }: CloseOptions): Promise<void> {
    if (this.state === 'open') {
      this.state = 'closing';
      await waitUntil(() => this.pending.size === 0 || !this.running, drainMs);
      if (this.running) {
        this.failAll(notReady(`the model variant closed; its run took over ${drainMs} ms; retry`));
        this.worker.post({ id: 0, request: { op: 'close' } satisfies CloseRequest });
      }
    }
    if (await within(this.exited, exitMs)) return;
    if (!this.worker.kill()) this.worker.unref();
  }

  /** The thread has not exited (it may be closing). */
  private get running(): boolean {
    return this.state !== 'exited';
  }

  private failAll(error: TlcError): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}

/** The workers of one variant. */
export class WorkerPool {
  private readonly workers: SessionWorker[] = [];
  private result: LoadResult | undefined;
  private closing = false;

  private constructor(
    private readonly load: LoadRequest,
    private readonly options: PoolOptions,
  ) {}

  static async start(count: number, load: LoadRequest, options: PoolOptions = {}): Promise<WorkerPool> {
    const pool = new WorkerPool(load, options);
    const workers = Array.from({ length: Math.max(1, count) }, () => pool.spawn());
    try {
      const results = await Promise.all(workers.map((w) => w.call(load)));
      pool.result = results[0]!.result;
      pool.workers.push(...workers);
      return pool;
    } catch (error) {
      // The other workers may still be creating sessions: each exits once its load is done.
      pool.closing = true;
      await Promise.all(workers.map((w) => w.close({ drainMs: 0 })));
      throw error;
    }
  }

  /** What loading the variant gave: provider, signatures, warnings. */
  get loaded(): LoadResult {
    if (this.result === undefined) throw new TlcError('MODEL_NOT_READY', 'the variant has not loaded');
    return this.result;
  }

  get size(): number {
    return this.workers.length;
  }

  /** The process ids of the workers that run as child processes (none when they are threads). */
  get pids(): number[] {
    return this.workers.flatMap((w) => (w.pid === undefined ? [] : [w.pid]));
  }

  /** Requests in flight over all workers. */
  get busy(): number {
    return this.workers.reduce((sum, w) => sum + w.busy, 0);
  }

  /** Sends to the live worker with the fewest requests in flight. */
  call<R extends Exclude<WorkRequest, CloseRequest>>(
    request: R,
    transfer: ArrayBuffer[] = [],
  ): Promise<Answer<R>> {
    if (this.closing) return Promise.reject(notReady('the model variant is closing; retry'));
    let best: SessionWorker | undefined;
    for (const w of this.workers) if (w.live && (best === undefined || w.busy < best.busy)) best = w;
    if (best === undefined)
      return Promise.reject(notReady('every session worker of the variant has stopped; one is restarting'));
    return best.call(request, transfer);
  }

  /** Stops admitting calls and closes every worker (SessionWorker.close). */
  async close(options: CloseOptions): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.close(options)));
  }

  private spawn(): SessionWorker {
    const isolation = this.options.isolation ?? 'process';
    const spawn = this.options.spawn ?? (() => spawnSessionWorker(isolation, this.options.env));
    const worker: SessionWorker = new SessionWorker(spawn, (why) => this.replace(worker, why));
    return worker;
  }

  /** A worker died: its slot gets a fresh worker once that one has loaded (one that fails is not retried). */
  private replace(dead: SessionWorker, why: string): void {
    const slot = this.workers.indexOf(dead);
    if (slot < 0 || this.closing) return;
    const log = this.options.log ?? (() => {});
    log(`a session worker ${why}; starting another`);
    const fresh = this.spawn();
    fresh.call(this.load).then(
      () => {
        if (this.closing) void fresh.close({ drainMs: 0 });
        else this.workers[slot] = fresh;
      },
      (error: unknown) => {
        log(`the replacement session worker did not load: ${messageOf(error)}`);
        void fresh.close({ drainMs: 0 });
      },
    );
  }
}
