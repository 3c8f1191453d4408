/**
 * The dynamic batcher's promises to each request: a poisoned neighbour in the same batch fails only itself,
 * a full queue answers QUEUE_FULL with Retry-After, and a request that times out leaves the queue.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DynamicBatcher } from '../../src/runtime/batcher.js';

const options = { maxBatchSize: 8, maxDelayMs: 20, maxQueue: 16, timeoutMs: 5_000, concurrency: 1 };

describe('DynamicBatcher', () => {
  it('isolates a failing item: its batch neighbours still get their answers', async () => {
    const batches: number[][] = [];
    const batcher = new DynamicBatcher<number, number>(
      options,
      async (inputs) => {
        batches.push(inputs);
        if (inputs.includes(-1)) throw new Error('poisoned input');
        return inputs.map((x) => x * 2);
      },
      () => 1,
    );
    const results = await Promise.allSettled([1, 2, -1, 3].map((x) => batcher.submit(x)));
    assert.deepEqual(batches[0], [1, 2, -1, 3], 'they were batched together first');
    assert.deepEqual(
      results.map((r) => (r.status === 'fulfilled' ? r.value.output : 'failed')),
      [2, 4, 'failed', 6],
    );
    assert.match(String((results[2] as PromiseRejectedResult).reason), /poisoned/);
  });

  it('answers QUEUE_FULL with Retry-After over the queue bound', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const batcher = new DynamicBatcher<number, number>(
      { ...options, maxBatchSize: 1, maxDelayMs: 0, maxQueue: 2 },
      async (inputs) => {
        await gate;
        return inputs;
      },
      () => 1,
    );
    const running = batcher.submit(0);
    const queued = [batcher.submit(1), batcher.submit(2)];
    await assert.rejects(
      batcher.submit(3),
      (e: Error & { code?: string; retryAfterSeconds?: number }) =>
        e.code === 'QUEUE_FULL' && (e.retryAfterSeconds ?? 0) >= 1,
    );
    release();
    assert.deepEqual(
      (await Promise.all([running, ...queued])).map((o) => o.output),
      [0, 1, 2],
    );
  });

  it('drops a timed-out request from the queue (it never runs)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ran: number[] = [];
    const batcher = new DynamicBatcher<number, number>(
      { ...options, maxBatchSize: 1, maxDelayMs: 0, timeoutMs: 50 },
      async (inputs) => {
        ran.push(...inputs);
        await gate;
        return inputs;
      },
      () => 1,
    );
    const first = batcher.submit(1).catch((e: Error) => e);
    const second = batcher.submit(2);
    await assert.rejects(second, (e: Error & { code?: string }) => e.code === 'REQUEST_TIMEOUT');
    release();
    await first;
    await batcher.idle();
    assert.deepEqual(ran, [1]);
  });

  it("sets a running item's give-up flag when it times out, and only that item's", async () => {
    // The run polls its flags as a generation loop would (one step per 5 ms) and stops a row once flagged.
    const steps: number[] = [];
    const batcher = new DynamicBatcher<number, number>(
      { ...options, maxBatchSize: 2, maxDelayMs: 0, timeoutMs: 5_000 },
      async (inputs, cancelled) => {
        const done = inputs.map(() => false);
        for (let step = 0; step < 400 && done.some((d) => !d); step++) {
          inputs.forEach((limit, i) => {
            if (Atomics.load(cancelled, i) === 1 || step >= limit) done[i] = true;
          });
          await new Promise((r) => setTimeout(r, 5));
          steps.push(step);
        }
        return inputs;
      },
      () => 1,
    );
    let stoppedAt = -1;
    const quick = new DynamicBatcher<number, number>(
      { ...options, maxBatchSize: 2, maxDelayMs: 0, timeoutMs: 60 },
      async (inputs, cancelled) => {
        for (stoppedAt = 0; stoppedAt < 400; stoppedAt++) {
          if (inputs.every((_, i) => Atomics.load(cancelled, i) === 1)) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        return inputs;
      },
      () => 1,
    );
    // A 400-step run (2 s at least) for an item that times out after 60 ms stops at the step after.
    await assert.rejects(quick.submit(400), (e: Error & { code?: string }) => e.code === 'REQUEST_TIMEOUT');
    await quick.idle();
    assert.ok(stoppedAt > 0 && stoppedAt < 400, `stopped at step ${stoppedAt}`);
    // Nobody flags an item that is still waited for: both answers come, after 3 and 6 steps.
    assert.deepEqual(
      await Promise.all([batcher.submit(3), batcher.submit(6)]).then((o) => o.map((x) => x.output)),
      [3, 6],
    );
    assert.ok(steps.length >= 6);
  });
});
