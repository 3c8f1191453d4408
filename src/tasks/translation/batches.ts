/**
 * Translation batches: source `… </s>`, decoder input `<s> …`, labels `… </s>`. Examples are grouped by length
 * (within shuffled pools, so batches stay random) and packed up to a token budget; lengths are padded up to a
 * multiple of 8 so that few distinct shapes reach the runtime (one session per shape).
 */
import { TlcError } from '../../errors/index.js';
import { ortTensor } from '../../ort/session.js';
import type { SpecialIds } from '../../tokenizer/special-ids.js';
import { Rng } from '../../util/rng.js';
import type { Batch } from '../spec.js';

export interface TokenPair {
  readonly source: Int32Array;
  readonly target: Int32Array;
}

export interface TranslationBatchOptions {
  /** Padded tokens per batch, max(source, target length) × sequences. */
  readonly batchTokens: number;
  readonly maxLength: number;
  readonly special: SpecialIds;
  readonly seed: number;
}

/**
 * Source and target are padded to one bucket length (a multiple of 16) and every batch of a bucket has the
 * same number of rows (empty rows fill the last one), so there is exactly one input shape per bucket: the
 * runtime builds one session per shape, and building one costs far more than a training step.
 */
const ROUND = 16;
const roundUp = (n: number) => Math.ceil(n / ROUND) * ROUND;

/** The bucket length of an example, and the rows a batch of that bucket holds under the token budget. */
function bucketOf(e: { source: Int32Array; decoderInput: Int32Array }): number {
  return roundUp(Math.max(e.source.length, e.decoderInput.length));
}

function rowsFor(length: number, budget: number): number {
  return Math.max(1, Math.floor(budget / length));
}

interface Example {
  readonly source: Int32Array;
  readonly decoderInput: Int32Array;
  readonly labels: Int32Array;
}

function toExample(pair: TokenPair, o: TranslationBatchOptions): Example {
  const { bos, eos } = o.special;
  const source = Int32Array.from([...pair.source.subarray(0, o.maxLength - 1), eos]);
  const target = pair.target.subarray(0, o.maxLength - 1);
  return {
    source,
    decoderInput: Int32Array.from([bos, ...target]),
    labels: Int32Array.from([...target, eos]),
  };
}

export function translationBatch(examples: readonly Example[], special: SpecialIds, rows?: number): Batch {
  const n = Math.max(rows ?? examples.length, examples.length);
  const length = Math.max(...examples.map(bucketOf));
  const s = length;
  const t = length;
  const ids = new BigInt64Array(n * s).fill(BigInt(special.pad));
  const mask = new BigInt64Array(n * s);
  const dec = new BigInt64Array(n * t).fill(BigInt(special.pad));
  const decMask = new BigInt64Array(n * t);
  const positions: bigint[] = [];
  const labels: bigint[] = [];
  examples.forEach((e, k) => {
    e.source.forEach((v, i) => {
      ids[k * s + i] = BigInt(v);
      mask[k * s + i] = 1n;
    });
    e.decoderInput.forEach((v, i) => {
      dec[k * t + i] = BigInt(v);
      decMask[k * t + i] = 1n;
    });
    e.labels.forEach((v, i) => {
      positions.push(BigInt(k * t + i));
      labels.push(BigInt(v));
    });
  });
  return {
    inputs: {
      input_ids: ortTensor('int64', ids, [n, s]),
      attention_mask: ortTensor('int64', mask, [n, s]),
      decoder_input_ids: ortTensor('int64', dec, [n, t]),
      decoder_attention_mask: ortTensor('int64', decMask, [n, t]),
      target_positions: ortTensor('int64', BigInt64Array.from(positions), [positions.length]),
      target_labels: ortTensor('int64', BigInt64Array.from(labels), [labels.length]),
    },
    dims: { batch: n, sequence: s, target: t },
    tokens: examples.reduce((sum, e) => sum + e.source.length + e.labels.length, 0),
  };
}

/** Packs length-sorted examples into batches of one bucket each, at most `rowsFor(bucket)` rows. */
function pack(examples: readonly Example[], budget: number): Example[][] {
  const batches: Example[][] = [];
  let current: Example[] = [];
  let bucket = 0;
  for (const e of examples) {
    const b = Math.max(bucket, bucketOf(e));
    if (current.length > 0 && (b !== bucket || current.length + 1 > rowsFor(b, budget))) {
      batches.push(current);
      current = [];
    }
    if (current.length === 0) bucket = bucketOf(e);
    current.push(e);
    bucket = Math.max(bucket, bucketOf(e));
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** The fixed row count of a batch's bucket (empty rows pad it). */
function rowsOf(batch: readonly Example[], budget: number): number {
  return rowsFor(Math.max(...batch.map(bucketOf)), budget);
}

export class TranslationBatcher {
  /** Batch compositions are fixed once (length-grouped, as fairseq does); each epoch shuffles their order. */
  private readonly batches: Example[][];
  private cache: { epoch: number; order: number[] } | undefined;

  constructor(
    pairs: readonly TokenPair[],
    readonly options: TranslationBatchOptions,
  ) {
    if (pairs.length === 0) throw new TlcError('DATA_INVALID', 'there are no translation pairs to train on');
    if (options.batchTokens < options.maxLength) {
      throw new TlcError(
        'CONFIG_INVALID',
        `batch tokens (${options.batchTokens}) must be at least the maximum length (${options.maxLength})`,
      );
    }
    const rng = Rng.seeded(options.seed, 0x7a45);
    const order = rng.shuffle(pairs.map((p) => toExample(p, options)));
    // Sort within pools of about 50 batches: similar lengths share a batch, yet batches still mix the data.
    const poolSize = Math.max(1, Math.floor((options.batchTokens / 16) * 50));
    this.batches = [];
    for (let i = 0; i < order.length; i += poolSize) {
      const pool = order
        .slice(i, i + poolSize)
        .sort((a, b) => a.source.length + a.labels.length - (b.source.length + b.labels.length));
      this.batches.push(...pack(pool, options.batchTokens));
    }
  }

  get batchesPerEpoch(): number {
    return this.batches.length;
  }

  batch(step: number, micro = 0, microPerStep = 1): Batch {
    const index = (step - 1) * microPerStep + micro;
    const epoch = Math.floor(index / this.batches.length);
    if (this.cache?.epoch !== epoch) {
      this.cache = {
        epoch,
        order: Rng.seeded(this.options.seed, 0x7a46, epoch).shuffle([...this.batches.keys()]),
      };
    }
    const picked = this.batches[this.cache.order[index % this.batches.length]!]!;
    return translationBatch(picked, this.options.special, rowsOf(picked, this.options.batchTokens));
  }
}

/** Evaluation batches over all pairs in order (sorted by length for padding efficiency). */
export function translationEvalBatches(
  pairs: readonly TokenPair[],
  options: TranslationBatchOptions,
): Batch[] {
  const examples = pairs.map((p) => toExample(p, options)).sort((a, b) => a.source.length - b.source.length);
  return pack(examples, options.batchTokens).map((b) =>
    translationBatch(b, options.special, rowsOf(b, options.batchTokens)),
  );
}
