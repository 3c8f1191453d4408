/**
 * What the server benchmarks share: `tlc serve` (the built CLI) as a child process on loopback, and a
 * liveness prober in its own worker thread (so a busy load generator does not delay the probe).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

const CLI = resolve('dist', 'cli', 'tlc.js');

/** Starts `tlc serve --models DIR --port PORT --host 127.0.0.1 ...extra`; resolves once it serves. */
export async function startTlcServe(
  models: string,
  port: number,
  extra: readonly string[],
): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--models', models, '--port', String(port), '--host', '127.0.0.1', ...extra],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  await new Promise<void>((resolveReady, reject) => {
    let log = '';
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('serving ')) resolveReady();
    });
    child.on('exit', (code) => reject(new Error(`tlc serve exited (${code}): ${log}`)));
  });
  return child;
}

/** The direct children of `pid` (from each process's stat line; /proc/<pid>/task/<tid>/children is optional). */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) found.push(Number(entry));
    } catch {} // it exited meanwhile
  }
  return found;
}

/** `pid` and every process below it (the session worker processes of `tlc serve --isolation process`). */
export function processTree(pid: number): number[] {
  return [pid, ...childrenOf(pid).flatMap(processTree)];
}

/** Σ VmRSS in MiB over `pid`'s process tree (the server and its session worker processes). */
export function treeRssMiB(pid: number): number {
  let kb = 0;
  for (const p of processTree(pid)) {
    try {
      kb += Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {} // it exited meanwhile
  }
  return kb / 1024;
}

/**
 * The process that serves (and holds the sessions, so the one whose memory to read): on Linux `tlc serve`
 * relaunches itself with malloc settings (src/cli/malloc-tuning.ts) and the child is the server, the PID a shell
 * got its launcher; elsewhere, or with TLC_MALLOC_TUNING=off, the PID itself.
 */
export function servingPid(launcher: number): { server: number; launcher?: number } {
  const below = childrenOf(launcher).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(CLI);
    } catch {
      return false;
    }
  });
  return below.length === 1 ? { server: below[0]!, launcher } : { server: launcher };
}

export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/**
 * Polls GET /v2/health/live every `everyMs` until stopped; resolves with every answer's time in ms (a failed
 * probe counts as Infinity).
 */
export function probeHealth(url: string, everyMs = 50): { stop: () => Promise<number[]> } {
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const http = require('node:http');
     const times = []; let running = true;
     parentPort.on('message', () => { running = false; });
     const once = () => new Promise((done) => {
       const t0 = performance.now();
       http.get(workerData.url + '/v2/health/live', (res) => { res.resume(); res.on('end', () => {
         times.push(res.statusCode === 200 ? performance.now() - t0 : Infinity); done(); }); })
         .on('error', () => { times.push(Infinity); done(); });
     });
     (async () => {
       while (running) { await once(); await new Promise((r) => setTimeout(r, workerData.everyMs)); }
       parentPort.postMessage(times);
     })();`,
    { eval: true, workerData: { url, everyMs } },
  );
  return {
    stop: () =>
      new Promise<number[]>((resolveTimes) => {
        worker.once('message', (times: number[]) => {
          void worker.terminate();
          resolveTimes(times);
        });
        worker.postMessage('stop');
      }),
  };
}
