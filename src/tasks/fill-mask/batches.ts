/**
 * Masked-language-model batches, RoBERTa style: documents are joined with </s> into one token stream, cut into
 * blocks of `sequenceLength` (with <s> … </s> around each), and every batch is masked afresh ("dynamic
 * masking"): 15% of the real tokens are chosen, 80% of those become <mask>, 10% a random token, 10% stay.
 * All randomness comes from (seed, step), so any step's batch can be rebuilt exactly (resume).
 */
import { TlcError } from '../../errors/index.js';
import { ortTensor } from '../../ort/session.js';
import type { SpecialIds } from '../../tokenizer/special-ids.js';
import { Rng } from '../../util/rng.js';
import { EpochOrder } from '../epoch-order.js';
import type { Batch } from '../spec.js';

export interface MlmBatchOptions {
  readonly sequenceLength: number;
  /** Sequences per batch. */
  readonly batchSize: number;
  readonly special: SpecialIds;
  readonly seed: number;
  readonly maskProbability?: number;
}

export interface BlockOptions {
  /**
   * Probability that a block is cut short, to a random length in [1, length − 2] tokens between <s> and </s>
   * (BERT's short_seq_prob, 0.1 there): a model trained only on full blocks answers short inputs — most
   * fill-mask queries — badly. Default 0 (evaluation keeps full blocks).
   */
  readonly shortProbability?: number;
  /** Seed for choosing the short blocks. */
  readonly seed?: number;
}

/** Cuts documents (token ids without specials) into <s> … </s> blocks of at most `length` tokens. */
export function makeBlocks(
  documents: readonly Int32Array[],
  length: number,
  special: SpecialIds,
  options: BlockOptions = {},
): Int32Array[] {
  if (length < 3) throw new TlcError('CONFIG_INVALID', `sequence length must be at least 3, got ${length}`);
  const inner = length - 2;
  const short = options.shortProbability ?? 0;
  const rng = Rng.seeded(options.seed ?? 0, 0x5b10c);
  const nextTarget = () => (short > 0 && rng.next() < short ? 1 + rng.int(inner) : inner);
  let target = nextTarget();
  const blocks: Int32Array[] = [];
  let current: number[] = [];
  const flush = () => {
    if (current.length === 0) return;
    blocks.push(Int32Array.from([special.bos, ...current, special.eos]));
    current = [];
    target = nextTarget();
  };
  for (const doc of documents) {
    for (const id of doc) {
      current.push(id);
      if (current.length >= target) flush();
    }
    // Documents are separated by </s> within the stream, as in RoBERTa's full-sentences format.
    if (current.length > 0 && current.length < target) current.push(special.eos);
    if (current.length >= target) flush();
  }
  flush();
  return blocks;
}

/** Chooses exactly round(p × n) of the n candidate positions and corrupts them 80/10/10. */
export function maskBlockTokens(
  ids: Int32Array,
  candidates: readonly number[],
  probability: number,
  special: SpecialIds,
  rng: Rng,
): { positions: number[]; labels: number[] } {
  const count = Math.min(candidates.length, Math.max(1, Math.round(probability * candidates.length)));
  const pool = [...candidates];
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  const positions = pool.slice(0, count).sort((a, b) => a - b);
  const labels = positions.map((p) => ids[p]!);
  for (const p of positions) {
    const r = rng.next();
    if (r < 0.8) ids[p] = special.mask;
    else if (r < 0.9) ids[p] = special.firstRegular + rng.int(special.vocabSize - special.firstRegular);
  }
  return { positions, labels };
}

/** Builds one batch from blocks (padded to the longest), masking with `rng`. */
export function mlmBatch(blocks: readonly Int32Array[], options: MlmBatchOptions, rng: Rng): Batch {
  const { special } = options;
  const t = Math.max(...blocks.map((b) => b.length));
  const n = blocks.length;
  const ids = new Int32Array(n * t).fill(special.pad);
  const attention = new BigInt64Array(n * t);
  const candidates: number[] = [];
  blocks.forEach((block, s) => {
    ids.set(block, s * t);
    for (let i = 0; i < block.length; i++) {
      attention[s * t + i] = 1n;
      const id = block[i]!;
      if (id >= special.firstRegular) candidates.push(s * t + i);
    }
  });
  if (candidates.length === 0) throw new TlcError('DATA_INVALID', 'a batch has no maskable tokens');
  const { positions, labels } = maskBlockTokens(
    ids,
    candidates,
    options.maskProbability ?? 0.15,
    special,
    rng,
  );
  return {
    inputs: {
      input_ids: ortTensor(
        'int64',
        BigInt64Array.from(ids, (v) => BigInt(v)),
        [n, t],
      ),
      attention_mask: ortTensor('int64', attention, [n, t]),
      mlm_positions: ortTensor(
        'int64',
        BigInt64Array.from(positions, (v) => BigInt(v)),
        [positions.length],
      ),
      mlm_labels: ortTensor(
        'int64',
        BigInt64Array.from(labels, (v) => BigInt(v)),
        [labels.length],
      ),
    },
    dims: { batch: n, sequence: t },
    tokens: blocks.reduce((s, b) => s + b.length, 0),
  };
}

/** Training batches for any step: epochs reshuffle the blocks, each step masks afresh. */
export class MlmBatcher {
  private readonly epochs: EpochOrder;

  constructor(
    readonly blocks: readonly Int32Array[],
    readonly options: MlmBatchOptions,
  ) {
    this.epochs = new EpochOrder(blocks.length, options.batchSize, options.seed, 0x0e90c, 'blocks');
  }

  get batchesPerEpoch(): number {
    return this.epochs.batchesPerEpoch;
  }

  /** The batch for a 1-based step (and micro-batch index, for accumulation). */
  batch(step: number, micro = 0, microPerStep = 1): Batch {
    const picked = this.epochs.pick(step, micro, microPerStep).map((i) => Int32Array.from(this.blocks[i]!));
    return mlmBatch(picked, this.options, Rng.seeded(this.options.seed, 0x3a5c, step, micro));
  }
}

/** Evaluation batches over every block in order, masked once with a fixed generator (comparable across evals). */
export function mlmEvalBatches(blocks: readonly Int32Array[], options: MlmBatchOptions): Batch[] {
  const rng = Rng.seeded(options.seed, 0xe7a1);
  const out: Batch[] = [];
  for (let i = 0; i < blocks.length; i += options.batchSize) {
    out.push(
      mlmBatch(
        blocks.slice(i, i + options.batchSize).map((b) => Int32Array.from(b)),
        options,
        rng,
      ),
    );
  }
  return out;
}
