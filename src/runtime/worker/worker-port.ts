/**
 * The session worker's end of its channel (channel.ts): the parent port when it runs as a worker thread, the
 * IPC channel when it runs as a child process. Closing lets the worker end by itself: a thread's event loop
 * empties; a process disconnects and exits. A child process whose server has gone (the IPC channel closed from
 * the other side, as when the server is killed) exits too, so no worker outlives its server; stop signals are
 * the server's to act on, not the worker's.
 */
import { parentPort } from 'node:worker_threads';

export interface WorkerPort {
  on(listener: (message: unknown) => void): void;
  post(message: unknown, transfer?: ArrayBuffer[]): void;
  /** Sends `last`, then lets the worker end (after it is delivered). */
  close(last: unknown): void;
}

function threadPort(): WorkerPort | undefined {
  const port = parentPort;
  if (port === null) return undefined;
  return {
    on: (listener) => port.on('message', listener),
    post: (message, transfer = []) => port.postMessage(message, transfer),
    close: (last) => {
      port.postMessage(last);
      port.close();
    },
  };
}

function processPort(): WorkerPort | undefined {
  const send = process.send?.bind(process);
  if (send === undefined) return undefined;
  let closing = false;
  process.on('disconnect', () => {
    if (!closing) process.exit(0); // the server went away
  });
  // The server decides when a worker ends. A stop signal sent to the whole process group (a terminal's Ctrl-C) or
  // control group (systemd) reaches the workers too: they leave it to the server, which drains and closes them.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => {});
  return {
    on: (listener) => process.on('message', listener),
    post: (message) => {
      send(message as object);
    },
    close: (last) => {
      closing = true;
      // Once `last` is written, nothing else keeps the event loop alive: the process exits with code 0.
      send(last as object, () => process.disconnect());
    },
  };
}

/** This worker's port; throws when the script runs neither as a worker thread nor as a forked process. */
export function workerPort(): WorkerPort {
  const port = threadPort() ?? processPort();
  if (port === undefined)
    throw new Error('session-worker runs as a worker thread or a forked child process, not on its own');
  return port;
}
