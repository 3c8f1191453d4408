/**
 * The baselines an MLM run is read against, on the same split and masked positions as the model: the unigram
 * perplexity of the split's tokens, and the accuracy of a count model that reads the two neighbouring tokens
 * (src/eval/metrics/neighbour-baseline.ts). A model below the second has not yet learnt local word statistics.
 */
import { NeighbourCounts, neighbourBaselineAccuracy } from '../../eval/metrics/neighbour-baseline.js';
import { makeBlocks } from '../../tasks/fill-mask/batches.js';
import type { Batch } from '../../tasks/spec.js';
import type { SpecialIds } from '../../tokenizer/special-ids.js';
import { unigramPerplexity } from './data.js';

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
