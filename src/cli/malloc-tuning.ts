/**
 * glibc malloc settings for training, applied by relaunching `tlc train` once with `GLIBC_TUNABLES` set (glibc
 * reads them only at process start).
 *
 * Why: translation training keeps one ONNX Runtime session per length bucket without ORT's CPU arenas (each
 * arena would keep its peak for good: 21.8 GB for the 5 + 5 × 256 model). Every run then allocates its
 * activations afresh. With glibc's defaults the large blocks are mmap'd and unmapped per run, so every step
 * faults in and zeroes all its working memory again. Keeping freed memory in the heap (no mmap, no trim) made a
 * step 10× faster for the 2 + 2 × 128 model (0.24 against 2.37 s, alone on 2 cores) and 2.9× for the 5 + 5 × 256
 * one (1.62 against 4.68 s); docs/training.md has the measurement. The heap is shared by all sessions, so the
 * peak stays that of the largest run rather than the sum of the arenas. Other C libraries ignore the variable.
 *
 * Node cannot replace its own process image (no exec), so the launcher stays as the parent, and the PID a shell
 * or a supervisor knows is the launcher's. It therefore behaves as the training does:
 * - it forwards the signals it can catch (SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR2, SIGALRM; SIGTSTP and SIGCONT
 *   pause and continue both processes) and exits as the child did (by the same signal, or with its status);
 * - SIGKILL cannot be caught or forwarded, so the child watches its parent from a worker thread (the main thread
 *   may be inside an ONNX Runtime run or the tokenizer trainer for seconds) and kills itself as soon as its parent
 *   PID changes: within WATCH_MS of the launcher's death, as if the SIGKILL had reached it. No checkpoint is
 *   saved then, as none is for a SIGKILL; the next run takes over the lock and removes the half-written files.
 *   (SIGSTOP, the other signal nobody can catch, pauses the launcher alone.)
 * - SIGINT and SIGTERM are forwarded as IPC messages, not signals: a terminal's Ctrl-C reaches both processes (one
 *   process group), so the child gets each Ctrl-C twice, directly and from the launcher, and counts the larger of
 *   the two tallies (onStopSignals), or the second copy would quit without saving.
 *
 * `tlc serve` relaunches the same way with its own settings (SERVING_MALLOC_TUNABLES, below).
 *
 * `TLC_MALLOC_TUNING=off` keeps the process as started.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Worker } from 'node:worker_threads';

export const TRAINING_MALLOC_TUNABLES =
  'glibc.malloc.mmap_threshold=4294967295:glibc.malloc.trim_threshold=4294967295';

/** Set for the relaunched child: the launcher's PID, which the child watches. */
export const LAUNCHER_ENV = 'TLC_LAUNCHER_PID';

/** Signals that stop a training run after a checkpoint (cli/commands/train.ts). */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/**
 * Signals the launcher passes on as they are (the child's default action applies). Left out: SIGUSR1, which Node
 * reserves for its inspector, and SIGPROF, which V8's profiler uses.
 */
const PASSED_SIGNALS = ['SIGHUP', 'SIGQUIT', 'SIGUSR2', 'SIGALRM', 'SIGCONT'] as const;

/** How often the child checks its parent, in ms. */
const WATCH_MS = 100;

/** The environment to relaunch with, or undefined when this process should run as it is. */
export function tunedEnvironment(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): NodeJS.ProcessEnv | undefined {
  if (platform !== 'linux' || env.TLC_MALLOC_TUNING === 'off') return undefined;
  const current = env.GLIBC_TUNABLES ?? '';
  if (current.includes('glibc.malloc.mmap_threshold')) return undefined; // already set (by us or the user)
  return {
    ...env,
    GLIBC_TUNABLES: current === '' ? TRAINING_MALLOC_TUNABLES : `${current}:${TRAINING_MALLOC_TUNABLES}`,
  };
}

/**
 * glibc malloc settings for serving: one malloc arena, and blocks of 128 KiB and more mapped on their own.
 *
 * Why: a reload builds every variant anew in new worker threads, and each thread that allocates gets a glibc
 * arena of its own (up to 8 per core). glibc's default mmap threshold is dynamic: the first freed mapped block
 * raises it (up to 32 MiB), so from then on model weights, ONNX Runtime's arena chunks and model bytes go to those
 * arenas too. When the old sessions are released their memory stays in the arenas as free but resident pages
 * (thread heaps only shrink from the top; later threads reuse the arenas and fragment them). Measured with
 * mlm-large on 2 cores, 30 reloads under light load (`npm run bench:reload`): RSS 640 → 1,564 MB with glibc's
 * defaults, of which malloc_trim gave back 760 MB; 490 → 490 MB with these settings. A fixed threshold alone
 * (489 → 625 MB after 15) or one arena alone (519 → 727 MB after 15) was not enough. ONNX Runtime's own CPU
 * arena stays on: it keeps each session's run memory between runs, and its chunks are mapped blocks now,
 * returned when the session is released. Other C libraries ignore the variable.
 */
export const SERVING_MALLOC_TUNABLES = 'glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=131072';

/** The environment variables glibc also reads for a tunable (they count as the user's choice). */
const TUNABLE_ALIASES: Readonly<Record<string, string>> = {
  'glibc.malloc.arena_max': 'MALLOC_ARENA_MAX',
  'glibc.malloc.mmap_threshold': 'MALLOC_MMAP_THRESHOLD_',
  'glibc.malloc.trim_threshold': 'MALLOC_TRIM_THRESHOLD_',
};

/**
 * The environment to relaunch `tlc serve` with, or undefined when this process should run as it is: each of
 * SERVING_MALLOC_TUNABLES is added unless the environment already sets that tunable (by us, in GLIBC_TUNABLES or
 * through its MALLOC_* variable: the user's value wins), so a relaunched server never relaunches again.
 */
export function servingEnvironment(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): NodeJS.ProcessEnv | undefined {
  if (platform !== 'linux' || env.TLC_MALLOC_TUNING === 'off') return undefined;
  const current = env.GLIBC_TUNABLES ?? '';
  const given = new Set(current.split(':').map((entry) => entry.split('=')[0]));
  const missing = SERVING_MALLOC_TUNABLES.split(':').filter((entry) => {
    const name = entry.split('=')[0]!;
    const alias = TUNABLE_ALIASES[name];
    return !given.has(name) && (alias === undefined || env[alias] === undefined);
  });
  if (missing.length === 0) return undefined;
  return { ...env, GLIBC_TUNABLES: [current, ...missing].filter((e) => e !== '').join(':') };
}

/** A forwarded stop, as the launcher sends it over IPC. */
interface StopMessage {
  readonly tlcSignal: StopSignal;
}

function stopOf(message: unknown): StopSignal | undefined {
  const s = (message as Partial<StopMessage> | null)?.tlcSignal;
  return STOP_SIGNALS.find((x) => x === s);
}

/** Ends this process the way `signal` ended the child; if it lives on (an ignored signal), the status to exit with. */
function dieLike(signal: NodeJS.Signals): number {
  try {
    process.kill(process.pid, signal);
  } catch {}
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Runs this same command again in a child with `env` (and `nodeFlags` added to Node's own), passing the terminal and every catchable signal through,
 * and resolves with the exit code to leave with; a child killed by a signal kills this process with it.
 */
export function relaunch(env: NodeJS.ProcessEnv, nodeFlags: readonly string[] = []): Promise<number> {
  const flags = [...process.execArgv, ...nodeFlags.filter((f) => !process.execArgv.includes(f))];
  const child = spawn(process.execPath, [...flags, ...process.argv.slice(1)], {
    env: { ...env, [LAUNCHER_ENV]: String(process.pid) },
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
  });
  // Until the child listens on the channel (it says so), a stop goes as the signal itself: with no handler yet,
  // its default action ends the child.
  let listening = false;
  child.on('message', (m) => {
    if ((m as { tlcListening?: boolean } | null)?.tlcListening === true) listening = true;
  });
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of STOP_SIGNALS) {
    handlers.set(signal, () => {
      if (!listening || !child.connected) child.kill(signal);
      else child.send({ tlcSignal: signal } satisfies StopMessage, (error) => error && child.kill(signal));
    });
  }
  for (const signal of PASSED_SIGNALS) handlers.set(signal, () => child.kill(signal));
  // Catching SIGTSTP (kill -TSTP, Ctrl-Z) replaces its default action, so the launcher stops itself as well, after
  // the child: its shell waits for the launcher alone. SIGCONT (fg, bg, kill -CONT) goes on to the child.
  handlers.set('SIGTSTP', () => {
    child.kill('SIGSTOP');
    process.kill(process.pid, 'SIGSTOP');
  });
  for (const [signal, handler] of handlers) process.on(signal, handler);
  const detach = () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
  return new Promise((resolve) => {
    child.on('error', () => {
      if (child.pid !== undefined) return; // a signal that found the child gone: 'exit' follows
      detach();
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      detach();
      resolve(signal === null ? (code ?? 1) : dieLike(signal));
    });
  });
}

/** Kills this process from a worker thread once its parent is no longer `launcher` (checked every WATCH_MS). */
function watchLauncher(launcher: number): void {
  if (process.ppid !== launcher) process.kill(process.pid, 'SIGKILL'); // it died before we got here
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     setInterval(() => {
       if (process.ppid !== workerData.launcher) process.kill(process.pid, 'SIGKILL');
     }, workerData.every);`,
    { eval: true, workerData: { launcher, every: WATCH_MS }, execArgv: [] },
  );
  worker.unref(); // the watch never keeps the process alive
}

let forwardedStop: ((signal: StopSignal) => void) | undefined;

/**
 * In a child of `relaunch`: stops with the launcher (see the file comment) and takes the stops it forwards. Does
 * nothing in a process that was not relaunched.
 */
export function attachToLauncher(): void {
  const launcher = Number(process.env[LAUNCHER_ENV]);
  delete process.env[LAUNCHER_ENV]; // not for processes this one starts
  if (!Number.isInteger(launcher) || launcher <= 0 || process.send === undefined) return;
  watchLauncher(launcher);
  process.on('message', (m) => {
    const signal = stopOf(m);
    if (signal === undefined) return;
    if (forwardedStop !== undefined) forwardedStop(signal);
    else process.kill(process.pid, signal); // nobody stops cleanly yet: as if the signal had come directly
  });
  process.send({ tlcListening: true });
  process.channel?.unref(); // the channel never keeps the process alive either
}

/**
 * Calls `handler` once per stop asked for by SIGINT or SIGTERM, with how many have been asked for so far (a second
 * one usually means "quit now"). A stop sent to the launcher and the same stop received directly (a terminal's
 * Ctrl-C, a supervisor signalling the whole group) count as one: the count is the larger of the two tallies.
 * Returns the function that stops listening.
 */
export function onStopSignals(handler: (signal: StopSignal, count: number) => void): () => void {
  const tally = { direct: 0, forwarded: 0, reported: 0 };
  const count = (source: 'direct' | 'forwarded', signal: StopSignal): void => {
    tally[source] += 1;
    const n = Math.max(tally.direct, tally.forwarded);
    if (n === tally.reported) return;
    tally.reported = n;
    handler(signal, n);
  };
  const direct = STOP_SIGNALS.map((s) => [s, () => count('direct', s)] as const);
  for (const [signal, listener] of direct) process.on(signal, listener);
  forwardedStop = (s) => count('forwarded', s);
  return () => {
    for (const [signal, listener] of direct) process.off(signal, listener);
    forwardedStop = undefined;
  };
}
