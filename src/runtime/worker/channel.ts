/**
 * The main thread's end of one session worker, whatever runs it: a worker thread of this process, or a child
 * process of its own (`tlc serve --isolation`). SessionWorker (pool.ts) speaks only to this interface.
 *
 * Why a process: a worker thread's sessions leave native memory behind in this process when they are released
 * (malloc's arenas keep the freed blocks, each new worker isolate its own heap pages), so a server that reloads
 * a model grows (measured: mlm-large, 30 reloads under load, RSS 1.16× the first load with the malloc tunables,
 * 2.95× without). A process that exits gives everything back; a native abort inside ONNX Runtime ends that
 * process only, and a run that will not finish can be cut short (SIGKILL) without harm to the server.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Worker } from 'node:worker_threads';

/** How session workers run: a child process each (the default of `tlc serve`) or a thread of the server. */
export type Isolation = 'process' | 'thread';
export const ISOLATIONS: readonly Isolation[] = ['process', 'thread'];

export interface WorkerChannel {
  /** The worker's process id when it is a child process (for memory readings), else undefined. */
  readonly pid: number | undefined;
  /** Sends a message; `transfer` moves buffers where the channel can (threads), else they are copied. */
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  onMessage(listener: (message: unknown) => void): void;
  /** An exception the worker did not catch (an exit follows). */
  onError(listener: (error: Error) => void): void;
  /** The worker ended: its exit code, or the signal that ended it. */
  onExit(listener: (how: string) => void): void;
  /** Stops waiting for it: the server may exit while it finishes. */
  unref(): void;
  /** Ends it at once, run or no run; false where that is unsafe (a thread inside a native run aborts the process). */
  kill(): boolean;
}

/** A worker thread as a channel. */
export function threadChannel(worker: Worker): WorkerChannel {
  return {
    pid: undefined,
    post: (message, transfer = []) => worker.postMessage(message, transfer),
    onMessage: (listener) => worker.on('message', listener),
    onError: (listener) => worker.on('error', listener),
    onExit: (listener) => worker.on('exit', (code) => listener(`code ${code}`)),
    unref: () => worker.unref(),
    kill: () => false,
  };
}

/** A forked child process (IPC with V8's serializer, so typed arrays and BigInts travel as with threads). */
export function processChannel(child: ChildProcess): WorkerChannel {
  // A send after the child exited emits 'error' on the ChildProcess; the exit listener already fails the calls.
  child.on('error', () => {});
  return {
    pid: child.pid,
    post: (message) => {
      if (!child.connected) throw new Error('the worker process has exited');
      child.send(message as object);
    },
    onMessage: (listener) => child.on('message', listener),
    onError: () => {}, // a child's uncaught exception ends it; its exit says how
    onExit: (listener) =>
      child.on('exit', (code, signal) => listener(signal === null ? `code ${code}` : `signal ${signal}`)),
    unref: () => {
      child.unref();
      child.channel?.unref();
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * The worker script beside this module: the built .js, or — when running from source through tsx — the .ts,
 * through a bootstrap that registers tsx's loader (module hooks given to the main thread with --import do not
 * reach worker threads on Node 20; a child process gets `--import tsx`).
 */
function workerScript(): { url: URL; source: boolean } {
  const source = import.meta.url.endsWith('.ts');
  return { url: new URL(`./session-worker.${source ? 'ts' : 'js'}`, import.meta.url), source };
}

/**
 * Node flags of a worker process: `--expose-gc` lets it collect the garbage a load leaves (session-worker.ts);
 * a 2 MiB semi-space keeps its young generation from growing to V8's default under steady traffic, whose small
 * messages are all it allocates (measured: mlm-large, 30 reloads under load, Σ PSS end ÷ first 1.14 → 1.10).
 */
const PROCESS_FLAGS = ['--expose-gc', '--max-semi-space-size=2'];

/**
 * Starts a session worker (session-worker.ts) the given way; `env` is a worker process's environment (the
 * server's when absent; a thread shares the server's).
 */
export function spawnSessionWorker(isolation: Isolation, env?: NodeJS.ProcessEnv): WorkerChannel {
  const { url, source } = workerScript();
  if (isolation === 'process') {
    const execArgv = [...(source ? ['--import', 'tsx'] : []), ...PROCESS_FLAGS];
    const stdio = ['ignore', 'inherit', 'inherit', 'ipc'] as const;
    return processChannel(fork(url, [], { serialization: 'advanced', execArgv, stdio: [...stdio], env }));
  }
  if (!source) return threadChannel(new Worker(url));
  const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return threadChannel(new Worker(bootstrap, { eval: true }));
}
