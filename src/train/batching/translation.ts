/**
 * Translation batches: source `… </s>`, decoder input `<s> …`, labels `… </s>`. Examples are grouped by length
 * (within shuffled pools, so batches stay random) and packed up to a token budget; lengths are padded up to a
 * multiple of 8 so that few distinct shapes reach the runtime (one session per shape).
 */
import { TlcError } from '../../errors/index.js';
import { ortTensor } from '../../runtime/ort.js';
import { Rng } from '../rng.js';
import type { Batch } from '../trainer.js';
import type { SpecialIds } from './special.js';

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

const ROUND = 8;
const roundUp = (n: number) => Math.ceil(n / ROUND) * ROUND;

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

export function translationBatch(examples: readonly Example[], special: SpecialIds): Batch {
  const n = examples.length;
  const s = roundUp(Math.max(...examples.map((e) => e.source.length)));
  const t = roundUp(Math.max(...examples.map((e) => e.decoderInput.length)));
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

/** Packs examples (in the given order) into batches under the token budget. */
function pack(examples: readonly Example[], budget: number): Example[][] {
  const batches: Example[][] = [];
  let current: Example[] = [];
  let longest = 0;
  for (const e of examples) {
    const len = roundUp(Math.max(e.source.length, e.decoderInput.length));
    if (current.length > 0 && Math.max(longest, len) * (current.length + 1) > budget) {
      batches.push(current);
      current = [];
      longest = 0;
    }
    current.push(e);
    longest = Math.max(longest, len);
  }
  if (current.length > 0) batches.push(current);
  return batches;
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
    return translationBatch(
      this.batches[this.cache.order[index % this.batches.length]!]!,
      this.options.special,
    );
  }
}

/** Evaluation batches over all pairs in order (sorted by length for padding efficiency). */
export function translationEvalBatches(
  pairs: readonly TokenPair[],
  options: TranslationBatchOptions,
): Batch[] {
  const examples = pairs.map((p) => toExample(p, options)).sort((a, b) => a.source.length - b.source.length);
  return pack(examples, options.batchTokens).map((b) => translationBatch(b, options.special));
}
