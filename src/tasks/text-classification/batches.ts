/**
 * Classification batches: each text as <s> tokens </s>, cut to the model's length; a batch of texts padded to
 * the next power of two of its longest (at least 16, at most the length), so that the trainer keeps few
 * session shapes. Training batches reshuffle each epoch from (seed, epoch); any step's batch can be rebuilt
 * exactly (resume).
 */
import { TlcError } from '../../errors/index.js';
import { ortTensor } from '../../ort/session.js';
import { encodeWithMerges } from '../../tokenizer/encode.js';
import type { BpeModel } from '../../tokenizer/model.js';
import type { SpecialIds } from '../../tokenizer/special-ids.js';
import { EpochOrder } from '../epoch-order.js';
import type { Batch } from '../spec.js';

/** One text as token ids and its class. */
export interface EncodedExample {
  readonly ids: Int32Array;
  readonly label: number;
}

/** Characters kept per token of the limit before tokenizing (no BPE token is longer), so long mails cost little. */
const CHARS_PER_TOKEN = 32;

/** `<s> tokens </s>` of a text, at most `maxLength` ids in all. */
export function encodeForClassifier(
  model: BpeModel,
  special: SpecialIds,
  text: string,
  maxLength: number,
): Int32Array {
  const tokens = encodeWithMerges(model, text.slice(0, maxLength * CHARS_PER_TOKEN)).slice(0, maxLength - 2);
  return Int32Array.from([special.bos, ...tokens, special.eos]);
}

export function encodeExamples(
  model: BpeModel,
  special: SpecialIds,
  rows: readonly { text: string; label: string }[],
  labels: readonly string[],
  maxLength: number,
): EncodedExample[] {
  const index = new Map(labels.map((l, i) => [l, i] as const));
  return rows.map((r) => {
    const label = index.get(r.label);
    if (label === undefined)
      throw new TlcError(
        'DATA_INVALID',
        `label "${r.label}" is not one the model was trained on (${labels.join(', ')})`,
      );
    return { ids: encodeForClassifier(model, special, r.text, maxLength), label };
  });
}

/** The padded length of a batch whose longest text has `longest` ids. */
export function bucketLength(longest: number, maxLength: number): number {
  let n = 16;
  while (n < longest) n *= 2;
  return Math.min(n, maxLength);
}

/** A batch of examples: input_ids, attention_mask [B, S] and labels [B]. */
export function classifyBatch(examples: readonly EncodedExample[], pad: number, maxLength: number): Batch {
  const b = examples.length;
  const s = bucketLength(Math.max(...examples.map((e) => e.ids.length)), maxLength);
  const ids = new BigInt64Array(b * s).fill(BigInt(pad));
  const mask = new BigInt64Array(b * s);
  for (const [k, e] of examples.entries())
    for (let j = 0; j < e.ids.length; j++) {
      ids[k * s + j] = BigInt(e.ids[j]!);
      mask[k * s + j] = 1n;
    }
  return {
    inputs: {
      input_ids: ortTensor('int64', ids, [b, s]),
      attention_mask: ortTensor('int64', mask, [b, s]),
      labels: ortTensor(
        'int64',
        BigInt64Array.from(examples, (e) => BigInt(e.label)),
        [b],
      ),
    },
    dims: { batch: b, sequence: s },
    tokens: examples.reduce((sum, e) => sum + e.ids.length, 0),
  };
}

/** Training batches for any step: each epoch a new order of the examples. */
export class ClassifyBatcher {
  private readonly epochs: EpochOrder;

  constructor(
    readonly examples: readonly EncodedExample[],
    readonly o: {
      readonly batchSize: number;
      readonly pad: number;
      readonly maxLength: number;
      readonly seed: number;
    },
  ) {
    this.epochs = new EpochOrder(examples.length, o.batchSize, o.seed, 0xc1a55, 'texts');
  }

  /** The batch for a 1-based step (and micro-batch index, for accumulation). */
  batch(step: number, micro = 0, microPerStep = 1): Batch {
    const picked = this.epochs.pick(step, micro, microPerStep).map((i) => this.examples[i]!);
    return classifyBatch(picked, this.o.pad, this.o.maxLength);
  }
}

/**
 * Evaluation batches over every example in order of length (little padding), with each batch's example
 * indices so that predictions map back to the input order.
 */
export function classifyEvalBatches(
  examples: readonly EncodedExample[],
  o: { readonly batchSize: number; readonly pad: number; readonly maxLength: number },
): { batch: Batch; indices: number[] }[] {
  const order = [...examples.keys()].sort((a, b) => examples[a]!.ids.length - examples[b]!.ids.length);
  const out: { batch: Batch; indices: number[] }[] = [];
  for (let i = 0; i < order.length; i += o.batchSize) {
    const indices = order.slice(i, i + o.batchSize);
    out.push({
      batch: classifyBatch(
        indices.map((k) => examples[k]!),
        o.pad,
        o.maxLength,
      ),
      indices,
    });
  }
  return out;
}
