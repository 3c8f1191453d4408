/**
 * Dynamic batching for one model variant. Requests wait until a batch is full (`maxBatchSize` items) or the
 * oldest has waited `maxDelayMs`; a batch is then cut by fair share of work across clients (fair-queue.ts):
 * around the head of the client given least so far, from the items of the most similar lengths, so padding
 * stays small (padding-aware grouping), each client at most its share of the batch and the batch at most
 * `maxBatchWork` token positions padded. At most `concurrency` batches run at once (one per session worker);
 * an item over `maxBatchWork` runs alone, and such long runs hold at most `concurrency - 1` workers (the one
 * worker when there is one), so with several workers light work always finds one within a bounded batch; with
 * one, it waits for the run in progress, never for a backlog. Raw work (`runAlone`: KServe v2 tensors) waits in
 * the same lanes under the same budgets and runs alone on a worker when its turn comes.
 *
 * A request over a budget is refused at once, whole (QUEUE_FULL, with a retry hint): the item queue, the work
 * the variant holds and the work its client holds (queued or running). An item not answered within
 * `timeoutMs` fails with REQUEST_TIMEOUT: a queued one leaves the queue, a running one has its give-up flag set
 * (one Int32 per item on a SharedArrayBuffer, handed to `run`) so that generation stops at its next step, and
 * its result, if it comes later, is dropped; its work stays counted until its batch ends.
 */
import { TlcError } from '../errors/index.js';
import { FairQueue, type QueueEntry } from './fair-queue.js';

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
  /** Work (token positions) the variant may hold queued or running before QUEUE_FULL (default: unbounded). */
  readonly maxWork?: number;
  /** Work one client may hold queued or running on the variant before QUEUE_FULL (default: unbounded). */
  readonly maxClientWork?: number;
  /** Padded work of one batch (items × the costliest), at most; costlier items run alone (default: unbounded). */
  readonly maxBatchWork?: number;
}

export interface BatchOutcome<O> {
  readonly output: O;
  /** Seconds the item waited before its batch started. */
  readonly queueSeconds: number;
  /** Items in the batch that carried it. */
  readonly batchSize: number;
}

interface Item<I> extends QueueEntry {
  /** A batched item's input, or the work of an item that runs alone. */
  readonly input?: I;
  readonly work?: () => Promise<unknown>;
  readonly resolve: (outcome: BatchOutcome<unknown>) => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
  settled: boolean;
  /** While its batch runs: the flags handed to `run` and this item's slot in them. */
  running?: { readonly flags: Int32Array; readonly slot: number };
}

export class DynamicBatcher<I, O> {
  private readonly queue = new FairQueue<Item<I>>();
  private running = 0;
  /** Batches running now that are one item over `maxBatchWork` (they may hold all workers but one). */
  private long = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Mean seconds per unit of padded work (for Retry-After). */
  private secondsPerWork = 1e-4;
  /** Set once the batcher's variant closes: submit() refuses with it (queued and running items still run). */
  private refusal: TlcError | undefined;

  constructor(
    private readonly options: BatcherOptions,
    /** Runs a batch; returns one output per input, in order. `cancelled[i]` turns 1 when input i is given up. */
    private readonly run: (inputs: I[], cancelled: Int32Array) => Promise<O[]>,
    /** The length used for grouping (tokens). */
    private readonly lengthOf: (input: I) => number,
  ) {}

  private get maxBatchWork(): number {
    return this.options.maxBatchWork ?? Number.POSITIVE_INFINITY;
  }

  /** Items waiting to start. */
  get depth(): number {
    return this.queue.length;
  }

  /** Batches running now. */
  get inFlight(): number {
    return this.running;
  }

  /** Work (token positions) queued or running, in all or for one client. */
  held(client?: string): number {
    return client === undefined ? this.queue.held : this.queue.heldBy(client);
  }

  /** Seconds until `work` (default: all held) is likely done; sent as Retry-After when a budget is full. */
  retryAfterSeconds(work = this.queue.held): number {
    return Math.max(1, Math.ceil((work * this.secondsPerWork) / Math.max(1, this.options.concurrency)));
  }

  /** From now on, new items are refused with `error`; those queued or running still get their answers. */
  refuse(error: TlcError): void {
    this.refusal = error;
  }

  /** One item of an anonymous client, costing its length. */
  async submit(input: I): Promise<BatchOutcome<O>> {
    const [outcome] = await this.submitAll([input], [this.lengthOf(input)], '');
    return outcome!;
  }

  /**
   * The items of one request from `client`, `costs[i]` the work of item i: admitted together or refused
   * together (QUEUE_FULL) before any is queued. Resolves when all are answered; rejects with the first failure.
   */
  submitAll(inputs: readonly I[], costs: readonly number[], client: string): Promise<BatchOutcome<O>[]> {
    try {
      this.admit(client, inputs.length, costs);
    } catch (error) {
      return Promise.reject(error);
    }
    // All queued before the first cut, so that a request's items can leave together.
    const outcomes = inputs.map(
      (input, i) =>
        this.enqueue({ input }, client, costs[i]!, this.lengthOf(input)) as Promise<BatchOutcome<O>>,
    );
    this.schedule();
    return Promise.all(outcomes);
  }

  /**
   * `work` (one call to a worker, e.g. raw tensors) in `client`'s lane under the same budgets, run alone on a
   * worker when its turn comes; it holds `cost` until it ends.
   */
  async runAlone<T>(work: () => Promise<T>, cost: number, client: string): Promise<T> {
    this.admit(client, 1, [cost]);
    const outcome = this.enqueue({ work }, client, cost, cost);
    this.schedule();
    return (await outcome).output as T;
  }

  /** Resolves when nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.queue.length > 0 || this.running > 0) await new Promise((r) => setTimeout(r, 5));
  }

  private admit(client: string, items: number, costs: readonly number[]): void {
    if (this.refusal !== undefined) throw this.refusal;
    if (costs.length !== items || !costs.every((c) => Number.isFinite(c) && c >= 0))
      throw new RangeError(`costs must be ${items} finite numbers ≥ 0, got [${costs.join(', ')}]`);
    const cost = costs.reduce((s, c) => s + c, 0);
    const budgets = {
      maxQueue: this.options.maxQueue,
      maxWork: this.options.maxWork ?? Number.POSITIVE_INFINITY,
      maxClientWork: this.options.maxClientWork ?? Number.POSITIVE_INFINITY,
    };
    this.queue.admit(client, items, cost, budgets, (work) => this.retryAfterSeconds(work));
  }

  private enqueue(
    what: Pick<Item<I>, 'input' | 'work'>,
    client: string,
    cost: number,
    length: number,
  ): Promise<BatchOutcome<unknown>> {
    return new Promise((resolve, reject) => {
      const item: Item<I> = {
        ...what,
        client,
        cost,
        length,
        alone: what.work !== undefined,
        enqueued: performance.now(),
        resolve,
        reject,
        settled: false,
      };
      item.timer = setTimeout(() => this.giveUp(item), this.options.timeoutMs);
      this.queue.push(item);
    });
  }

  /** An item's time is up: out of the queue (its work freed), or flagged in its running batch. */
  private giveUp(item: Item<I>): void {
    if (item.settled) return;
    item.settled = true;
    if (this.queue.remove(item)) this.queue.release(item);
    if (item.running) Atomics.store(item.running.flags, item.running.slot, 1);
    item.reject(
      new TlcError(
        'REQUEST_TIMEOUT',
        `no answer within ${this.options.timeoutMs} ms; the server is overloaded`,
      ),
    );
  }

  private schedule(): void {
    const { concurrency, maxBatchSize, maxDelayMs } = this.options;
    while (this.running < concurrency && this.queue.length > 0) {
      const waited = performance.now() - this.queue.oldest()!.enqueued;
      if (this.queue.length < maxBatchSize && waited < maxDelayMs) {
        if (this.timer === undefined) {
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.schedule();
          }, maxDelayMs - waited);
        }
        return;
      }
      const batch = this.queue.cut({
        maxItems: maxBatchSize,
        maxCost: this.maxBatchWork,
        oversize: concurrency === 1 || this.long < concurrency - 1,
      });
      if (batch.length === 0) return;
      this.dispatch(batch);
    }
  }

  private dispatch(batch: Item<I>[]): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    // Items given up while queued left the queue (giveUp); what is cut is live, this is belt and braces.
    const live = batch.filter((item) => !item.settled);
    if (live.length === 0) return;
    const long = live.length === 1 && live[0]!.cost > this.maxBatchWork;
    this.running += 1;
    if (long) this.long += 1;
    const started = performance.now();
    const alone = live[0]!.work;
    const flags = this.flagsFor(live);
    (alone
      ? alone().then((o) => [o])
      : this.run(
          live.map((item) => item.input!),
          flags,
        )
    )
      .then(
        (outputs) => {
          for (const [i, item] of live.entries()) {
            this.settle(item, () =>
              item.resolve({
                output: outputs[i],
                queueSeconds: (started - item.enqueued) / 1000,
                batchSize: live.length,
              }),
            );
          }
        },
        (error: unknown) => (live.length > 1 ? this.isolate(live, started) : this.fail(live[0]!, error)),
      )
      .finally(() => {
        const padded = live.length * Math.max(1, ...live.map((item) => item.cost));
        const perWork = (performance.now() - started) / 1000 / padded;
        this.secondsPerWork = 0.8 * this.secondsPerWork + 0.2 * perWork;
        for (const item of live) this.queue.release(item);
        this.running -= 1;
        if (long) this.long -= 1;
        this.schedule();
      });
  }

  private fail(item: Item<I>, error: unknown): void {
    const e = error instanceof Error ? error : new TlcError('INTERNAL', String(error));
    this.settle(item, () => item.reject(e));
  }

  /**
   * A batch failed: each of its items runs again alone, so that an input that breaks the run fails only its
   * own request and its neighbours still get their answers.
   */
  private async isolate(live: readonly Item<I>[], started: number): Promise<void> {
    for (const item of live) {
      if (item.settled) continue;
      try {
        const [output] = await this.run([item.input!], this.flagsFor([item]));
        this.settle(item, () =>
          item.resolve({ output, queueSeconds: (started - item.enqueued) / 1000, batchSize: 1 }),
        );
      } catch (error) {
        this.fail(item, error);
      }
    }
  }

  private settle(item: Item<I>, fn: () => void): void {
    if (item.settled) return;
    item.settled = true;
    clearTimeout(item.timer);
    fn();
  }

  /** Fresh give-up flags for a batch about to run, each item pointed at its slot. */
  private flagsFor(items: readonly Item<I>[]): Int32Array {
    const flags = new Int32Array(new SharedArrayBuffer(4 * items.length));
    items.forEach((item, slot) => {
      item.running = { flags, slot };
    });
    return flags;
  }
}
