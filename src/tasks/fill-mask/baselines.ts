/**
 * The baselines an MLM run is read against, on the same split and masked positions as the model: the unigram
 * perplexity of the split's tokens, and the accuracy of a count model that reads the two neighbouring tokens
 * (src/eval/metrics/neighbour-baseline.ts). A model below the second has not yet learnt local word statistics.
 */
import { NeighbourCounts, neighbourBaselineAccuracy } from '../../eval/metrics/neighbour-baseline.js';
import type { SpecialIds } from '../../tokenizer/special-ids.js';
import type { Batch } from '../spec.js';
import { makeBlocks } from './batches.js';

export interface MlmBaselines {
  readonly unigram_perplexity: number;
  readonly neighbour_accuracy: number;
}

export function mlmBaselines(
  train: readonly Int32Array[],
  evaluated: readonly Int32Array[],
  batches: readonly Batch[],
  special: SpecialIds,
  sequenceLength: number,
): MlmBaselines {
  const counts = NeighbourCounts.fromSequences(makeBlocks(train, sequenceLength, special), {
    vocabSize: special.vocabSize,
    unknown: new Set([special.pad, special.mask]),
    firstRegular: special.firstRegular,
  });
  const rows = batches.map((b) => ({
    ids: b.inputs.input_ids!.data as BigInt64Array,
    length: b.dims.sequence!,
    positions: b.inputs.mlm_positions!.data as BigInt64Array,
    labels: b.inputs.mlm_labels!.data as BigInt64Array,
  }));
  return {
    unigram_perplexity: unigramPerplexity(train, evaluated, special.vocabSize),
    neighbour_accuracy: neighbourBaselineAccuracy(counts, rows).accuracy,
  };
}

/**
 * Perplexity of the validation tokens under the training split's unigram distribution (add-one smoothed): the
 * baseline a masked-LM must beat by a wide margin.
 */
export function unigramPerplexity(
  train: readonly Int32Array[],
  validation: readonly Int32Array[],
  vocabSize: number,
): number {
  const counts = new Float64Array(vocabSize).fill(1);
  let total = vocabSize;
  for (const doc of train) {
    for (const id of doc) counts[id]! += 1;
    total += doc.length;
  }
  let nll = 0;
  let n = 0;
  for (const doc of validation) {
    for (const id of doc) {
      nll -= Math.log(counts[id]! / total);
      n += 1;
    }
  }
  return n === 0 ? Number.NaN : Math.exp(nll / n);
}
