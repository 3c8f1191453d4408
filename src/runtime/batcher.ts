/**
 * Dynamic batching for one model variant. Requests wait in a bounded queue until a batch is full
 * (`maxBatchSize` items) or the oldest has waited `maxDelayMs`; a batch is then cut around the oldest item
 * from the items of the most similar lengths, so padding stays small (padding-aware grouping). At most
 * `concurrency` batches run at once (one per session worker). A full queue refuses at once (QUEUE_FULL, with
 * a retry hint); an item not answered within `timeoutMs` fails with REQUEST_TIMEOUT: a queued one leaves the
 * queue, a running one has its give-up flag set (one Int32 per item on a SharedArrayBuffer, handed to `run`) so
 * that generation stops at its next step, and its result, if it comes later, is dropped.
 */
import { TlcError } from '../errors/index.js';

export interface BatcherOptions {
  /** Items per batch (1 turns batching off). */
  readonly maxBatchSize: number;
  /** How long the oldest item may wait for company, in ms. */
  readonly maxDelayMs: number;
  /** Queued (not yet running) items before QUEUE_FULL. */
  readonly maxQueue: number;
  /** Per-item limit from submission to answer, in ms. */
  readonly timeoutMs: number;
  /** Batches that may run at once. */
  readonly concurrency: number;
}

export interface BatchOutcome<O> {
  readonly output: O;
  /** Seconds the item waited before its batch started. */
  readonly queueSeconds: number;
  /** Items in the batch that carried it. */
  readonly batchSize: number;
}

interface Item<I, O> {
  readonly input: I;
  readonly length: number;
  readonly enqueued: number;
  readonly resolve: (outcome: BatchOutcome<O>) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
  settled: boolean;
  /** While its batch runs: the flags handed to `run` and this item's slot in them. */
  running?: { readonly flags: Int32Array; readonly slot: number };
}

export class DynamicBatcher<I, O> {
  private queue: Item<I, O>[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Mean batch run time in seconds (for Retry-After). */
  private meanRunSeconds = 0.05;
  /** Set once the batcher's variant closes: submit() refuses with it (queued and running items still run). */
  private refusal: TlcError | undefined;

  constructor(
    private readonly options: BatcherOptions,
    /** Runs a batch; returns one output per input, in order. `cancelled[i]` turns 1 when input i is given up. */
    private readonly run: (inputs: I[], cancelled: Int32Array) => Promise<O[]>,
    /** The length used for grouping (tokens). */
    private readonly lengthOf: (input: I) => number,
  ) {}

  /** Items waiting to start. */
  get depth(): number {
    return this.queue.length;
  }

  /** Batches running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Seconds a new item would likely wait; sent as Retry-After when the queue is full. */
  retryAfterSeconds(): number {
    const batches = Math.ceil(this.queue.length / this.options.maxBatchSize);
    return Math.max(1, Math.ceil((batches * this.meanRunSeconds) / Math.max(1, this.options.concurrency)));
  }

  /** From now on, new items are refused with `error`; those queued or running still get their answers. */
  refuse(error: TlcError): void {
    this.refusal = error;
  }

  submit(input: I): Promise<BatchOutcome<O>> {
    if (this.refusal !== undefined) return Promise.reject(this.refusal);
    if (this.queue.length >= this.options.maxQueue) {
      const retryAfterSeconds = this.retryAfterSeconds();
      return Promise.reject(
        new TlcError(
          'QUEUE_FULL',
          `${this.queue.length} requests are already queued for this model variant; retry in ${retryAfterSeconds} s`,
          { retryAfterSeconds },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const item: Item<I, O> = {
        input,
        length: this.lengthOf(input),
        enqueued: performance.now(),
        resolve,
        reject,
        settled: false,
        timer: setTimeout(() => {
          if (item.settled) return;
          item.settled = true;
          this.queue = this.queue.filter((q) => q !== item);
          if (item.running) Atomics.store(item.running.flags, item.running.slot, 1);
          reject(
            new TlcError(
              'REQUEST_TIMEOUT',
              `no answer within ${this.options.timeoutMs} ms; the server is overloaded`,
            ),
          );
        }, this.options.timeoutMs),
      };
      this.queue.push(item);
      this.schedule();
    });
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.queue.length > 0 || this.running > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private schedule(): void {
    while (this.running < this.options.concurrency && this.queue.length > 0) {
      const oldest = this.queue[0]!;
      const waited = performance.now() - oldest.enqueued;
      if (this.queue.length < this.options.maxBatchSize && waited < this.options.maxDelayMs) {
        if (this.timer === undefined) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.schedule();
          }, this.options.maxDelayMs - waited);
        }
        return;
      }
      this.dispatch(this.cut());
    }
  }

  /** The oldest item plus the queued items closest to it in length, up to maxBatchSize. */
  private cut(): Item<I, O>[] {
    const size = this.options.maxBatchSize;
    if (this.queue.length <= size) {
      const all = this.queue;
      this.queue = [];
      return all;
    }
    const oldest = this.queue[0]!;
    const byDistance = this.queue
      .slice(1)
      .map((item, index) => ({ item, index, distance: Math.abs(item.length - oldest.length) }))
      .sort((a, b) => a.distance - b.distance || a.index - b.index)
      .slice(0, size - 1)
      .map((e) => e.item);
    const chosen = new Set([oldest, ...byDistance]);
    this.queue = this.queue.filter((item) => !chosen.has(item));
    return [...chosen];
  }

  private dispatch(batch: Item<I, O>[]): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const live = batch.filter((item) => !item.settled);
    if (live.length === 0) return;
    this.running += 1;
    const started = performance.now();
    this.run(
      live.map((item) => item.input),
      this.flagsFor(live),
    )
      .then(
        (outputs) => {
          for (const [i, item] of live.entries()) {
            this.settle(item, () =>
              item.resolve({
                output: outputs[i]!,
                queueSeconds: (started - item.enqueued) / 1000,
                batchSize: live.length,
              }),
            );
          }
        },
        (error: unknown) => (live.length > 1 ? this.isolate(live, started) : this.fail(live[0]!, error)),
      )
      .finally(() => {
        this.meanRunSeconds = 0.8 * this.meanRunSeconds + 0.2 * ((performance.now() - started) / 1000);
        this.running -= 1;
        this.schedule();
      });
  }

  private fail(item: Item<I, O>, error: unknown): void {
    const e = error instanceof Error ? error : new TlcError('INTERNAL', String(error));
    this.settle(item, () => item.reject(e));
  }

  /**
   * A batch failed: each of its items runs again alone, so that an input that breaks the run fails only its
   * own request and its neighbours still get their answers.
   */
  private async isolate(live: readonly Item<I, O>[], started: number): Promise<void> {
    for (const item of live) {
      if (item.settled) continue;
      try {
        const [output] = await this.run([item.input], this.flagsFor([item]));
        this.settle(item, () =>
          item.resolve({ output: output!, queueSeconds: (started - item.enqueued) / 1000, batchSize: 1 }),
        );
      } catch (error) {
        this.fail(item, error);
      }
    }
  }

  private settle(item: Item<I, O>, fn: () => void): void {
    if (item.settled) return;
    item.settled = true;
    clearTimeout(item.timer);
    fn();
  }

  /** Fresh give-up flags for a batch about to run, each item pointed at its slot. */
  private flagsFor(items: readonly Item<I, O>[]): Int32Array {
    const flags = new Int32Array(new SharedArrayBuffer(4 * items.length));
    items.forEach((item, slot) => {
      item.running = { flags, slot };
    });
    return flags;
  }
}
