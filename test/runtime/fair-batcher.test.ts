/**
 * Fair admission by work (issue: one client's legal heavy requests starved everyone): a light client's item runs
 * before a heavy client's backlog, one client takes at most its share of a batch, budgets of work refuse
 * (QUEUE_FULL, Retry-After) per client and per variant and refuse a request whole, raw work (`runAlone`) waits
 * in the same lanes and counts against the same budgets, and long runs leave a worker to the others. Every run
 * is held by a gate the test opens, so orders are exact and no assertion depends on time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BatcherOptions, DynamicBatcher } from '../../src/runtime/batcher.js';

const OPTIONS: BatcherOptions = {
  maxBatchSize: 1,
  maxDelayMs: 0,
  maxQueue: 64,
  timeoutMs: 10_000,
  concurrency: 1,
};

/** Lets the batcher's promise chains run (a finished batch frees its worker and the next one is cut). */
const settle = () => new Promise((r) => setImmediate(r));

/** A run that records each batch and holds it until `open()` releases the oldest one still held. */
function gated() {
  const batches: string[][] = [];
  const gates: (() => void)[] = [];
  const hold = () => new Promise<void>((r) => gates.push(r));
  return {
    batches,
    hold,
    run: async (inputs: string[]) => {
      batches.push(inputs);
      await hold();
      return inputs;
    },
    async open() {
      gates.shift()?.();
      await settle();
    },
    get held() {
      return gates.length;
    },
  };
}

/** A batcher over `g`; an input `name:length` has that length (1 without one). */
const batcher = (g: ReturnType<typeof gated>, options: Partial<BatcherOptions> = {}) =>
  new DynamicBatcher<string, string>({ ...OPTIONS, ...options }, g.run, (s) => Number(s.split(':')[1] ?? 1));

type Refusal = Error & { code?: string; retryAfterSeconds?: number };
const queueFull = (pattern: RegExp) => (e: Refusal) =>
  e.code === 'QUEUE_FULL' && (e.retryAfterSeconds ?? 0) >= 1 && pattern.test(e.message);

describe('DynamicBatcher: fair share of work across clients', () => {
  it("dispatches a light client's item before a heavy client's backlog", async () => {
    const g = gated();
    const b = batcher(g);
    const heavy = Array.from({ length: 8 }, (_, i) => `h${i}`);
    const heavyDone = b.submitAll(heavy, Array(8).fill(100), 'heavy');
    const light = [b.submitAll(['l0'], [10], 'light')];
    await settle();
    assert.deepEqual(g.batches, [['h0']], 'h0 runs, the rest of the backlog and l0 wait');
    await g.open();
    assert.deepEqual(g.batches.at(-1), ['l0'], 'the light item goes next, not after h1..h7');
    await g.open();
    await g.open();
    light.push(b.submitAll(['l1'], [10], 'light'));
    await settle();
    await g.open();
    assert.deepEqual(g.batches.at(-1), ['l1'], 'a later light request again goes before the backlog');
    while (g.held > 0) await g.open();
    assert.deepEqual(
      g.batches.flat(),
      ['h0', 'l0', 'h1', 'h2', 'l1', 'h3', 'h4', 'h5', 'h6', 'h7'],
      'the heavy client still gets every turn it is due',
    );
    assert.deepEqual(
      (await heavyDone).map((o) => o.output),
      heavy,
    );
    assert.deepEqual(
      (await Promise.all(light)).map(([o]) => o!.output),
      ['l0', 'l1'],
    );
    assert.equal(b.held(), 0, 'all work is released once answered');
  });

  it('caps how much of a batch one client takes while others wait (share of the items)', async () => {
    const g = gated();
    const b = batcher(g, { maxBatchSize: 4 });
    const blocker = b.submitAll(['x'], [1], 'x');
    await settle();
    const heavy = b.submitAll(['h0', 'h1', 'h2', 'h3', 'h4', 'h5'], Array(6).fill(1), 'heavy');
    const lights = ['a', 'b', 'c'].map((c) => b.submitAll([c], [1], c));
    await g.open();
    assert.deepEqual(g.batches[1], ['h0', 'a', 'b', 'c'], 'four clients wait: one item each');
    await g.open();
    assert.deepEqual(g.batches[2], ['h1', 'h2', 'h3', 'h4'], 'alone, the client fills the batch');
    await g.open();
    await g.open();
    await Promise.all([blocker, heavy, ...lights]);
  });

  it("keeps batching same-length items, within the batch's padded work, without another client's long input", async () => {
    const g = gated();
    const b = batcher(g, { maxBatchSize: 16, maxBatchWork: 100 });
    const blocker = b.submitAll(['x:1'], [1], 'x');
    await settle();
    const same = b.submitAll(['a:30', 'b:30', 'c:30', 'd:30'], [30, 30, 30, 30], 'one');
    await g.open();
    assert.deepEqual(
      g.batches[1],
      ['a:30', 'b:30', 'c:30'],
      'three of 30 fit in 100 padded positions, four do not',
    );
    await g.open();
    const light = b.submitAll(['s:10'], [10], 'light');
    const long = b.submitAll(['L:25'], [25], 'other');
    const blocker2 = b.submitAll(['y:1'], [1], 'y');
    await g.open();
    // 3 × 25 fits in 100, but another client's 25 would more than double the 10's padding.
    assert.deepEqual(
      g.batches.slice(2),
      [['d:30'], ['s:10', 'y:1']],
      'the 25 does not pad the 10 of another client',
    );
    await g.open();
    await g.open();
    assert.deepEqual(g.batches.at(-1), ['L:25']);
    await Promise.all([blocker, same, light, long, blocker2]);
  });
});

describe('DynamicBatcher: budgets of work', () => {
  it('refuses by cost per client and per variant with QUEUE_FULL and Retry-After, a request whole', async () => {
    const g = gated();
    const b = batcher(g, { maxWork: 300, maxClientWork: 150 });
    const running = b.submitAll(['a0'], [100], 'a');
    await settle();
    await assert.rejects(
      b.submitAll(['a1', 'a2'], [30, 30], 'a'),
      queueFull(/your requests hold 100 .* at most 150/),
    );
    assert.equal(b.depth, 0, 'no item of the refused request was queued');
    assert.equal(b.held('a'), 100);
    const fits = b.submitAll(['a3'], [50], 'a');
    const other = b.submitAll(['b0'], [120], 'b');
    assert.equal(b.held(), 270);
    await assert.rejects(
      b.submitAll(['c0'], [40], 'c'),
      queueFull(/this model variant holds 270 .* at most 300/),
    );
    while (g.held > 0) await g.open();
    await Promise.all([running, fits, other]);
    assert.equal(b.held(), 0);
    const alone = b.submitAll(['big'], [1000], 'a');
    await settle();
    assert.equal(
      b.held('a'),
      1000,
      'a request over the budgets is admitted when nothing is held: it can run',
    );
    await assert.rejects(b.submitAll(['b1'], [1], 'b'), queueFull(/holds 1000/));
    await g.open();
    await alone;
  });

  it('frees the work of an item that times out in the queue', async () => {
    const g = gated();
    const b = batcher(g, { timeoutMs: 50, maxClientWork: 100 });
    const running = b.submitAll(['a0'], [10], 'a').catch((e: Refusal) => e.code);
    const queued = b.submitAll(['a1'], [80], 'a');
    await assert.rejects(queued, (e: Refusal) => e.code === 'REQUEST_TIMEOUT');
    assert.equal(b.held('a'), 10, 'the queued item left with its work; the running one still holds its own');
    await g.open();
    assert.equal(await running, 'REQUEST_TIMEOUT');
    await b.idle();
    assert.equal(b.held(), 0);
  });
});

describe('DynamicBatcher: raw work (runAlone) in the same queue and budgets', () => {
  it('counts raw work against the client budget text counts against, both ways', async () => {
    const g = gated();
    const b = batcher(g, { maxClientWork: 150 });
    const raw = b.runAlone(() => g.hold().then(() => 'raw'), 100, 'a');
    await settle();
    assert.equal(b.held('a'), 100);
    await assert.rejects(b.submitAll(['t0'], [60], 'a'), queueFull(/your requests hold 100/));
    const text = b.submitAll(['t1'], [50], 'a');
    await assert.rejects(
      b.runAlone(async () => 'never', 10, 'a'),
      queueFull(/your requests hold 150/),
    );
    const elsewhere = b.runAlone(async () => 'b runs', 140, 'b');
    await g.open();
    await g.open();
    assert.equal(await raw, 'raw');
    assert.deepEqual(
      (await text).map((o) => o.output),
      ['t1'],
    );
    assert.equal(await elsewhere, 'b runs');
    assert.equal(b.held(), 0);
  });

  it("runs raw work in its client's turn: a light item goes before a heavy client's raw backlog", async () => {
    const g = gated();
    const order: string[] = [];
    const b = new DynamicBatcher<string, string>(
      OPTIONS,
      async (inputs) => {
        order.push(...inputs);
        await g.hold();
        return inputs;
      },
      () => 1,
    );
    const raw = (name: string) =>
      b.runAlone(
        async () => {
          order.push(name);
          await g.hold();
          return name;
        },
        8192,
        'heavy',
      );
    const heavy = [raw('r0'), raw('r1'), raw('r2')];
    await settle();
    const light = b.submitAll(['l0'], [14], 'light');
    while (g.held > 0) await g.open();
    await Promise.all([...heavy, light]);
    assert.deepEqual(order, ['r0', 'l0', 'r1', 'r2']);
  });

  it('lets long runs (over maxBatchWork) hold every worker but one', async () => {
    const g = gated();
    const b = batcher(g, { concurrency: 2, maxBatchWork: 100 });
    const started: string[] = [];
    const long = (name: string) =>
      b.runAlone(
        async () => {
          started.push(name);
          await g.hold();
          return name;
        },
        1000,
        name,
      );
    const first = long('raw0');
    const second = long('raw1');
    await settle();
    assert.deepEqual(started, ['raw0'], 'the second long run waits though a worker is free');
    const light = b.submitAll(['l0'], [10], 'light');
    await settle();
    assert.deepEqual(g.batches, [['l0']], 'the light item takes the free worker at once');
    assert.equal(b.inFlight, 2);
    await g.open();
    await g.open();
    assert.deepEqual(started, ['raw0', 'raw1']);
    await g.open();
    await Promise.all([first, second, light]);
  });
});
