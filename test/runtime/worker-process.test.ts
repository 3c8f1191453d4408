/**
 * Session workers as child processes (`tlc serve --isolation process`, the default): tensors cross the IPC
 * channel intact; a native abort in a worker fails its request and ends that process only, and a replacement
 * answers; a close whose bound passes kills a worker stuck in a run instead of waiting for it; a closed
 * variant's process is gone (so its memory is returned); a worker whose server is killed exits by itself.
 * Stand-in worker scripts (a few lines speaking session-worker.ts's protocol) make the timings exact; the last
 * test loads the real session worker on the PyTorch BERT fixture.
 */
import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { processChannel } from '../../src/runtime/worker/channel.js';
import { type Answer, WorkerPool } from '../../src/runtime/worker/pool.js';
import type { LoadRequest, RunRequest } from '../../src/runtime/worker/protocol.js';
import { TORCH_BERT } from '../helpers/foreign.js';

const dir = mkdtempSync(join(tmpdir(), 'tlc-worker-process-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * `run` payloads: `{ ms, echo }` answers `echo` after `ms` of synchronous work; `{ abort: true }` aborts the
 * process (SIGABRT, as a C++ exception that escapes ONNX Runtime does); `{ tensors }` answers them back.
 */
const STAND_IN = join(dir, 'stand-in.cjs');
writeFileSync(
  STAND_IN,
  `
process.on('message', ({ id, request }) => {
  const reply = (result) => process.send({ id, ok: true, result, seconds: 0 });
  if (request.op === 'load') return reply({ provider: 'stand-in', signatures: [], warnings: [] });
  if (request.op === 'close') return process.send({ id, ok: true, result: null, seconds: 0 }, () => process.disconnect());
  const p = request.payload;
  if (p.abort) process.abort();
  if (p.tensors) return reply(p.tensors);
  const until = Date.now() + (p.ms ?? 0);
  while (Date.now() < until);
  reply(p.echo);
});
`,
);

const LOAD: LoadRequest = { op: 'load', task: 'fill-mask', files: [], threads: 1, device: 'cpu' };

const standInPool = (log: string[] = []) =>
  WorkerPool.start(1, LOAD, {
    spawn: () => processChannel(fork(STAND_IN, [], { serialization: 'advanced', stdio: 'ignore' })),
    log: (m) => log.push(m),
  });

const run = (pool: WorkerPool, payload: unknown): Promise<Answer<RunRequest>> =>
  pool.call({ op: 'run', payload });

const settle = (p: Promise<Answer<RunRequest>>) =>
  p.then(
    (a) => ({ ok: true as const, result: a.result }),
    (e: Error & { code?: string }) => ({ ok: false as const, code: e.code, message: e.message }),
  );

/** True while a process with this id runs (a zombie, exited but not yet reaped, counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(done: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!done() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  return done();
}

describe('session workers as child processes', () => {
  it('carry typed arrays and BigInts across the channel as a thread does', async () => {
    const pool = await standInPool();
    const tensors = {
      ids: BigInt64Array.of(1n, -2n, 9_007_199_254_740_993n),
      scores: Float32Array.of(0.5, -1.25, Number.NaN),
      mask: Uint8Array.of(1, 0, 1),
    };
    const back = (await run(pool, { tensors })).result as typeof tensors;
    assert.ok(back.ids instanceof BigInt64Array);
    assert.deepEqual([...back.ids], [...tensors.ids]);
    assert.ok(back.scores instanceof Float32Array);
    assert.deepEqual([...back.scores], [...tensors.scores]);
    assert.deepEqual([...back.mask], [1, 0, 1]);
    await pool.close({ drainMs: 1_000 });
  });

  it('a native abort fails its request, ends that worker only, and a replacement answers', async () => {
    const log: string[] = [];
    const pool = await standInPool(log);
    const [first] = pool.pids;
    assert.ok(first !== undefined);
    const aborted = await settle(run(pool, { abort: true }));
    assert.equal(aborted.ok, false);
    assert.equal(!aborted.ok && aborted.code, 'INTERNAL');
    assert.match(!aborted.ok ? aborted.message : '', /signal SIGABRT/);
    let next = await settle(run(pool, { echo: 'x' }));
    for (let i = 0; i < 300 && !next.ok; i++) {
      await new Promise((r) => setTimeout(r, 10));
      next = await settle(run(pool, { echo: 'replaced' }));
    }
    assert.ok(next.ok, 'the replacement answers');
    assert.notEqual(pool.pids[0], first);
    assert.match(log.join('\n'), /session worker exited \(signal SIGABRT\); starting another/);
    await pool.close({ drainMs: 1_000 });
  });

  it('a close past its bounds kills a worker stuck in a run instead of waiting for the run', async () => {
    const pool = await standInPool();
    const [pid] = pool.pids;
    const stuck = settle(run(pool, { ms: 20_000, echo: 'never' }));
    const t0 = performance.now();
    await pool.close({ drainMs: 50, exitMs: 200 });
    const waited = performance.now() - t0;
    const outcome = await stuck;
    assert.equal(!outcome.ok && outcome.code, 'MODEL_NOT_READY');
    assert.ok(waited < 2_000, `closed in ${waited.toFixed(0)} ms`);
    assert.ok(await until(() => !alive(pid!), 2_000), 'the stuck worker is gone');
  });

  it('closing a variant ends its worker process: the memory its sessions held goes with it', async () => {
    const pool = await WorkerPool.start(
      1,
      { op: 'load', task: 'fill-mask', files: [TORCH_BERT], threads: 1, device: 'cpu' },
      { isolation: 'process' },
    );
    const [pid] = pool.pids;
    assert.ok(pid !== undefined && pid !== process.pid);
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
    assert.ok(rssKb > 10_000, `the worker holds the sessions (${rssKb} kB)`);
    await pool.close({ drainMs: 1_000 });
    assert.ok(await until(() => !alive(pid), 5_000), 'the worker process exited');
  });

  it('a worker whose server is killed (SIGKILL) exits by itself', async () => {
    // A small "server" that starts a real process-isolated pool and prints its worker's pid.
    const server = join(dir, 'server.mts');
    const pool = new URL('../../src/runtime/worker/pool.ts', import.meta.url).href;
    writeFileSync(
      server,
      `import { WorkerPool } from ${JSON.stringify(pool)};
const p = await WorkerPool.start(1, { op: 'load', task: 'fill-mask', files: [${JSON.stringify(TORCH_BERT)}], threads: 1, device: 'cpu' });
process.stdout.write(p.pids.join(',') + '\\n');
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', server], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const workerPid = await new Promise<number>((resolve, reject) => {
      child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      child.on('exit', (code) => reject(new Error(`the server exited (${code})`)));
    });
    assert.ok(alive(workerPid));
    child.kill('SIGKILL');
    assert.ok(await until(() => !alive(workerPid), 5_000), 'the orphaned worker exited');
  });
});
