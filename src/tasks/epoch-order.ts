/**
 * Which training items a step's batch takes: items in a new order each epoch, drawn from (seed, salt, epoch), cut
 * into batches of `batchSize` (a last partial batch of an epoch is skipped). Any step's batch is the same on
 * every run, so a resumed run sees what it would have seen.
 */
import { TlcError } from '../errors/index.js';
import { Rng } from '../util/rng.js';

export class EpochOrder {
  private orders = new Map<number, number[]>();

  /** `what` names the items in the error when there are fewer than one batch ("blocks", "texts"). */
  constructor(
    readonly count: number,
    readonly batchSize: number,
    readonly seed: number,
    readonly salt: number,
    what: string,
  ) {
    if (count < batchSize)
      throw new TlcError(
        'DATA_INVALID',
        `the training data has ${count} ${what}, fewer than one batch of ${batchSize}`,
      );
  }

  get batchesPerEpoch(): number {
    return Math.floor(this.count / this.batchSize);
  }

  private order(epoch: number): number[] {
    let o = this.orders.get(epoch);
    if (o === undefined) {
      o = Rng.seeded(this.seed, this.salt, epoch).shuffle(Array.from({ length: this.count }, (_, i) => i));
      this.orders.clear();
      this.orders.set(epoch, o);
    }
    return o;
  }

  /** Item indices of the batch for a 1-based step (and micro-batch index, for accumulation). */
  pick(step: number, micro = 0, microPerStep = 1): number[] {
    const index = (step - 1) * microPerStep + micro;
    const epoch = Math.floor(index / this.batchesPerEpoch);
    const offset = (index % this.batchesPerEpoch) * this.batchSize;
    return this.order(epoch).slice(offset, offset + this.batchSize);
  }
}
