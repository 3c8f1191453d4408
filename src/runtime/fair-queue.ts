/**
 * The batcher's waiting room: one FIFO lane per client, served by fair share of work, and the budgets of work
 * that a variant and each of its clients may hold (queued or running).
 *
 * Work is a cost per item in token positions run through the model (fill-mask: tokens; translation: source
 * tokens plus beams × expected new tokens; raw tensors: rows × length), the same unit for every task, so one
 * budget reads the same on every variant. Counting requests instead let one client's 64 long inputs, or one
 * raw [64, 128] tensor, sit in front of everyone's one-line requests.
 *
 * Lanes are served by self-clocked fair queueing: a lane's virtual time advances by the cost of what it was
 * given, the waiting lane that was given least goes next, and a lane that wakes up starts at the clock (the
 * virtual time of the last lane served), so idleness banks no credit. A light client therefore waits for the
 * batch running now, not for a heavy client's backlog. A batch is cut around the head of that lane from the
 * items of the closest lengths (padding stays small), each lane limited to its share of the batch's items and
 * the batch to `maxCost` padded (items × the costliest item); an item costlier than that runs alone.
 */
import { TlcError } from '../errors/index.js';

export interface QueueEntry {
  /** Who sent it (server/context.ts `clientOf`); '' for callers that do not say. */
  readonly client: string;
  /** Its work, in token positions. */
  readonly cost: number;
  /** The length used for grouping (tokens). */
  readonly length: number;
  /** performance.now() when it was queued. */
  readonly enqueued: number;
  /** Runs by itself (raw tensors): never batched with other items. */
  readonly alone: boolean;
}

/** What a variant may hold; over any of them a request is refused with QUEUE_FULL. */
export interface Budgets {
  /** Items queued (not running). */
  readonly maxQueue: number;
  /** Work queued or running on the variant (a request is always admitted when it holds none). */
  readonly maxWork: number;
  /** Work one client may hold queued or running on the variant (a client holding none is always admitted). */
  readonly maxClientWork: number;
}

/** What the next batch may take. */
export interface CutLimits {
  readonly maxItems: number;
  /** Padded cost (items × the costliest) at most; a single item over it runs alone. */
  readonly maxCost: number;
  /** Whether an item over `maxCost` may start now (not on the last free worker of several). */
  readonly oversize: boolean;
}

interface Lane<E> {
  readonly queue: E[];
  /** Work this lane was given, on the queue's clock. */
  vt: number;
  /** Cost of its items queued or running. */
  held: number;
}

export class FairQueue<E extends QueueEntry> {
  private readonly lanes = new Map<string, Lane<E>>();
  /** The virtual time of the lane served last: where a lane that wakes up starts. */
  private clock = 0;
  private queued = 0;
  private heldWork = 0;

  /** Items waiting to start. */
  get length(): number {
    return this.queued;
  }

  /** Work queued or running. */
  get held(): number {
    return this.heldWork;
  }

  /** Work that `client` holds queued or running. */
  heldBy(client: string): number {
    return this.lanes.get(client)?.held ?? 0;
  }

  /** The item that has waited longest (a lane's head is its oldest). */
  oldest(): E | undefined {
    let oldest: E | undefined;
    for (const lane of this.lanes.values()) {
      const head = lane.queue[0];
      if (head !== undefined && (oldest === undefined || head.enqueued < oldest.enqueued)) oldest = head;
    }
    return oldest;
  }

  /**
   * Refuses (QUEUE_FULL, Retry-After from `retryAfter(work to wait for)`) a request of `items` items costing
   * `cost` in all that would overrun the item queue, the variant's work or its client's work.
   */
  admit(client: string, items: number, cost: number, b: Budgets, retryAfter: (work: number) => number): void {
    const full = (message: string, wait: number): never => {
      const retryAfterSeconds = retryAfter(wait);
      throw new TlcError('QUEUE_FULL', `${message}; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
    };
    if (this.queued + items > b.maxQueue)
      full(`${this.queued} requests are already queued for this model variant`, this.heldWork);
    if (this.heldWork > 0 && this.heldWork + cost > b.maxWork)
      full(
        `this model variant holds ${this.heldWork} units of work (token positions) queued or running and takes at most ${b.maxWork}; this request costs ${cost}`,
        this.heldWork + cost - b.maxWork,
      );
    const mine = this.heldBy(client);
    if (mine > 0 && mine + cost > b.maxClientWork)
      full(
        `your requests hold ${mine} units of work (token positions) queued or running on this model variant, at most ${b.maxClientWork} per client; this request costs ${cost}`,
        mine,
      );
  }

  push(entry: E): void {
    let lane = this.lanes.get(entry.client);
    if (lane === undefined) {
      lane = { queue: [], vt: this.clock, held: 0 };
      this.lanes.set(entry.client, lane);
    } else if (lane.queue.length === 0) lane.vt = Math.max(lane.vt, this.clock);
    lane.queue.push(entry);
    lane.held += entry.cost;
    this.heldWork += entry.cost;
    this.queued += 1;
  }

  /** Takes a queued item out (it timed out); false when it is not queued. Its work stays held until `release`. */
  remove(entry: E): boolean {
    const queue = this.lanes.get(entry.client)?.queue;
    const at = queue?.indexOf(entry) ?? -1;
    if (at < 0) return false;
    queue!.splice(at, 1);
    this.queued -= 1;
    return true;
  }

  /** The item's work is over (answered, failed or given up): its cost is held no more. */
  release(entry: E): void {
    const lane = this.lanes.get(entry.client);
    this.heldWork -= entry.cost;
    if (lane === undefined) return;
    lane.held -= entry.cost;
    if (lane.held <= 0 && lane.queue.length === 0) this.lanes.delete(entry.client);
  }

  /** The next batch (empty when nothing may start under `limits`), taken out of the queue and charged. */
  cut(limits: CutLimits): E[] {
    const lane = this.nextLane(limits);
    if (lane === undefined) return [];
    const anchor = lane.queue[0]!;
    const batch = anchor.alone || anchor.cost > limits.maxCost ? [anchor] : this.company(anchor, limits);
    this.clock = Math.max(this.clock, lane.vt);
    for (const entry of batch) {
      this.remove(entry);
      this.lanes.get(entry.client)!.vt += entry.cost;
    }
    return batch;
  }

  /** The waiting lane given least so far whose head may start (ties: the lane that waited longest). */
  private nextLane(limits: CutLimits): Lane<E> | undefined {
    let best: Lane<E> | undefined;
    for (const lane of this.lanes.values()) {
      const head = lane.queue[0];
      if (head === undefined || (!limits.oversize && head.cost > limits.maxCost)) continue;
      if (
        best === undefined ||
        lane.vt < best.vt ||
        (lane.vt === best.vt && head.enqueued < best.queue[0]!.enqueued)
      )
        best = lane;
    }
    return best;
  }

  /**
   * The anchor plus the queued items closest to it in length (oldest first among equals), each lane at most
   * its share of the batch's items, and the batch's padded cost within `maxCost`.
   */
  private company(anchor: E, limits: CutLimits): E[] {
    const waiting = [...this.lanes.values()].filter((l) => l.queue.length > 0);
    const share = Math.max(1, Math.ceil(limits.maxItems / waiting.length));
    const candidates = waiting
      .flatMap((l) => l.queue)
      .filter((e) => e !== anchor && !e.alone && e.cost <= limits.maxCost)
      .map((entry) => ({ entry, distance: Math.abs(entry.length - anchor.length) }))
      .sort((a, b) => a.distance - b.distance || a.entry.enqueued - b.entry.enqueued);
    const batch = [anchor];
    const taken = new Map<string, number>([[anchor.client, 1]]);
    let costliest = anchor.cost;
    for (const { entry } of candidates) {
      if (batch.length >= limits.maxItems) break;
      const mine = taken.get(entry.client) ?? 0;
      const top = Math.max(costliest, entry.cost);
      if (mine >= share || (batch.length + 1) * top > limits.maxCost) continue;
      // Another client's item may not make the batch's costliest item more than twice the anchor: the
      // anchor's turn is not spent padding it to someone else's long input (its client is not charged for it).
      if (
        entry.client !== anchor.client &&
        entry.cost > 2 * Math.max(anchor.cost, 1) &&
        entry.cost > costliest
      )
        continue;
      batch.push(entry);
      taken.set(entry.client, mine + 1);
      costliest = top;
    }
    return batch;
  }
}
