/**
 * The worker pool's lifecycle: every call is counted until answered; closing refuses new calls, waits for those
 * in flight (bounded: after the bound they fail with MODEL_NOT_READY) and lets each worker exit by itself, never
 * terminating it inside a run; a worker that dies fails its calls and is replaced. Stand-in workers (a few lines
 * of worker code) make the timings exact; the last tests close real session workers in the middle of ONNX
 * Runtime runs, the case that aborted the process (`terminate called after throwing an instance of 'Napi::Error'`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { DynamicBatcher } from '../../src/runtime/batcher.js';
import { LoadedVariant } from '../../src/runtime/registry.js';
import { ISOLATIONS, threadChannel } from '../../src/runtime/worker/channel.js';
import { type Answer, WorkerPool } from '../../src/runtime/worker/pool.js';
import type { InferRequest, LoadRequest, RunRequest } from '../../src/runtime/worker/protocol.js';
import { TORCH_BERT } from '../helpers/foreign.js';

/**
 * A stand-in session worker. `run` payloads: `{ ms, echo }` answers `echo` after `ms` of synchronous work (the
 * thread is blocked, as in `session.run`), `{ exit: code }` ends the thread, `{ throw: true }` throws outside
 * any handler. `close` waits for nothing (runs are synchronous) and closes the port, as session-worker.ts does.
 */
const STAND_IN = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ id, request }) => {
  const reply = (result, seconds = 0) => parentPort.postMessage({ id, ok: true, result, seconds });
  if (request.op === 'load') return reply({ provider: 'stand-in', signatures: [], warnings: [] });
  if (request.op === 'close') {
    reply(null);
    return parentPort.close();
  }
  const p = request.payload;
  if (p.exit !== undefined) process.exit(p.exit);
  if (p.throw) setImmediate(() => { throw new Error('uncaught in the worker'); });
  const until = Date.now() + (p.ms ?? 0);
  while (Date.now() < until);
  reply(p.echo, (p.ms ?? 0) / 1000);
});
`;

const LOAD: LoadRequest = { op: 'load', task: 'fill-mask', files: [], threads: 1, device: 'cpu' };

function standInPool(count = 1, log: string[] = []): Promise<WorkerPool> {
  const threads: Worker[] = [];
  return WorkerPool.start(count, LOAD, {
    spawn: () => {
      const w = new Worker(STAND_IN, { eval: true });
      threads.push(w);
      return threadChannel(w);
    },
    log: (m) => log.push(m),
  });
}

const run = (pool: WorkerPool, payload: unknown): Promise<Answer<RunRequest>> =>
  pool.call({ op: 'run', payload });

/** Resolves with the outcome instead of rejecting: the answer, or the error's code. */
const settle = <T>(p: Promise<Answer<RunRequest | InferRequest>>) =>
  p.then(
    (a) => ({ ok: true as const, result: a.result as T }),
    (e: Error & { code?: string }) => ({ ok: false as const, code: e.code, message: e.message }),
  );

describe('WorkerPool.close', () => {
  it('refuses new calls at once and answers the calls in flight before the workers exit', async () => {
    const pool = await standInPool(2);
    const inFlight = [settle(run(pool, { ms: 150, echo: 'a' })), settle(run(pool, { ms: 150, echo: 'b' }))];
    assert.equal(pool.busy, 2);
    const closing = pool.close({ drainMs: 5_000 });
    const late = await settle(run(pool, { echo: 'late' }));
    assert.deepEqual([late.ok, !late.ok && late.code], [false, 'MODEL_NOT_READY']);
    assert.deepEqual(await Promise.all(inFlight), [
      { ok: true, result: 'a' },
      { ok: true, result: 'b' },
    ]);
    await closing;
    assert.equal(pool.busy, 0);
  });

  it('after its bound fails the calls still running with MODEL_NOT_READY, and lets the worker finish', async () => {
    const pool = await standInPool(1);
    const long = settle(run(pool, { ms: 600, echo: 'too late' }));
    const t0 = performance.now();
    await pool.close({ drainMs: 50, exitMs: 2_000 });
    const waited = performance.now() - t0;
    const outcome = await long;
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.code, 'MODEL_NOT_READY');
    // The close waited for the worker to leave by itself after its run (about 600 ms), not for the answer.
    assert.ok(waited >= 400 && waited < 2_000, `closed in ${waited.toFixed(0)} ms`);
  });

  it('a worker that dies fails its calls with an error, is routed around and replaced', async () => {
    const log: string[] = [];
    const pool = await standInPool(1, log);
    const died = await settle(run(pool, { exit: 7 }));
    assert.equal(died.ok, false);
    assert.equal(!died.ok && died.code, 'INTERNAL');
    assert.match(!died.ok ? died.message : '', /exited \(code 7\)/);
    const meanwhile = await settle(run(pool, { echo: 'x' }));
    assert.ok(meanwhile.ok || meanwhile.code === 'MODEL_NOT_READY', JSON.stringify(meanwhile));
    let after = meanwhile;
    for (let i = 0; i < 200 && !after.ok; i++) {
      await new Promise((r) => setTimeout(r, 10));
      after = await settle(run(pool, { echo: 'replaced' }));
    }
    assert.ok(after.ok, 'the replacement answers');
    assert.match(log.join('\n'), /session worker exited \(code 7\); starting another/);

    const thrown = await settle(run(pool, { throw: true, ms: 50 }));
    assert.ok(thrown.ok, 'the answer was sent before the throw');
    for (let i = 0; i < 200 && !log.some((m) => /crashed: uncaught in the worker/.test(m)); i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.match(log.join('\n'), /crashed: uncaught in the worker/);
    await pool.close({ drainMs: 1_000 });
  });
});

describe('LoadedVariant.close', () => {
  /** A variant over stand-in workers whose runner batches `{ ms, echo }` items one at a time. */
  async function variant() {
    const pool = await standInPool(1);
    const options = { maxBatchSize: 1, maxDelayMs: 0, maxQueue: 64, timeoutMs: 10_000, concurrency: 1 };
    const batcher = new DynamicBatcher<{ ms: number; echo: string }, unknown>(
      options,
      async ([item]) => [(await run(pool, item)).result],
      () => 1,
    );
    const runner = {
      v1: async () => null,
      v2: async () => [],
      warmUp: async () => {},
      idle: () => batcher.idle(),
    };
    const entry = { name: 'fp32', files: [], recipe: [], bytes: 0 };
    return { v: new LoadedVariant(entry, pool, runner, 'stand-in', [batcher]), batcher };
  }
  const item = (echo: string, ms = 100) => ({ ms, echo });
  const outcome = (p: Promise<{ output: unknown }>) =>
    p.then(
      (o) => String(o.output),
      (e: Error & { code?: string }) => e.code ?? e.message,
    );
  const raw: InferRequest = { op: 'infer', file: 0, feeds: {} };

  it('answers the queued and running items, refuses new ones (text and raw) with MODEL_NOT_READY', async () => {
    const { v, batcher } = await variant();
    const admitted = ['a', 'b', 'c'].map((e) => outcome(batcher.submit(item(e))));
    const closing = v.close(5_000);
    assert.equal(v.close(5_000), closing, 'a second close waits for the first');
    const refused = await outcome(batcher.submit(item('late')));
    const rawRefused = await settle(v.infer(raw));
    assert.equal(refused, 'MODEL_NOT_READY');
    assert.equal(!rawRefused.ok && rawRefused.code, 'MODEL_NOT_READY');
    assert.deepEqual(await Promise.all(admitted), ['a', 'b', 'c']);
    await closing;
  });

  it('after its bound fails what is left with MODEL_NOT_READY and still returns', async () => {
    const { v, batcher } = await variant();
    const admitted = ['a', 'b', 'c'].map((e) => outcome(batcher.submit(item(e, 300))));
    const t0 = performance.now();
    await v.close(100);
    assert.ok(performance.now() - t0 < 2_000);
    assert.deepEqual(await Promise.all(admitted), ['MODEL_NOT_READY', 'MODEL_NOT_READY', 'MODEL_NOT_READY']);
  });
});

describe('WorkerPool over real session workers', () => {
  const ROWS = 16;
  const LENGTH = 128;
  const request = (idsType: 'int64' | 'int32' = 'int64'): InferRequest => {
    const n = ROWS * LENGTH;
    const ids =
      idsType === 'int64'
        ? BigInt64Array.from({ length: n }, (_, i) => BigInt(5 + (i % 90)))
        : Int32Array.from({ length: n }, (_, i) => 5 + (i % 90));
    return {
      op: 'infer',
      file: 0,
      feeds: {
        input_ids: { type: idsType, data: ids, dims: [ROWS, LENGTH] },
        attention_mask: { type: 'int64', data: new BigInt64Array(n).fill(1n), dims: [ROWS, LENGTH] },
        mask_rows: {
          type: 'int64',
          data: BigInt64Array.from({ length: ROWS }, (_, r) => BigInt(r * LENGTH + 3)),
          dims: [ROWS],
        },
        top_k: { type: 'int64', data: BigInt64Array.of(5n), dims: [1] },
      },
    };
  };
  for (const isolation of ISOLATIONS) {
    const start = () =>
      WorkerPool.start(
        1,
        { op: 'load', task: 'fill-mask', files: [TORCH_BERT], threads: 1, device: 'cpu' },
        { isolation },
      );

    it(`${isolation}: an ONNX Runtime exception fails its request only; the worker answers the next one`, async () => {
      const pool = await start();
      const bad = await settle(pool.call(request('int32')));
      assert.equal(bad.ok, false);
      assert.equal(!bad.ok && bad.code, 'ORT_RUN_FAILED');
      const good = await settle(pool.call(request()));
      assert.ok(good.ok, good.ok ? '' : good.message);
      await pool.close({ drainMs: 5_000 });
    });

    it(`${isolation}: closing in the middle of runs never aborts the process: each call is answered or fails MODEL_NOT_READY`, async () => {
      for (const drainMs of [0, 5_000]) {
        const pool = await start();
        const calls = Array.from({ length: 12 }, () => settle(pool.call(request())));
        await new Promise((r) => setTimeout(r, 20)); // the first run is under way
        await pool.close({ drainMs });
        const outcomes = await Promise.all(calls);
        const codes = outcomes.map((o) => (o.ok ? 'ok' : o.code));
        assert.deepEqual(
          codes.filter((c) => c !== 'ok' && c !== 'MODEL_NOT_READY'),
          [],
          `drainMs ${drainMs}: ${codes.join(', ')}`,
        );
        if (drainMs > 0)
          assert.ok(
            codes.every((c) => c === 'ok'),
            codes.join(', '),
          );
        else assert.ok(codes.includes('MODEL_NOT_READY'), codes.join(', '));
      }
    });
  }
});
