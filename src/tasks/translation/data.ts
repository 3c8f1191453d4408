/** The translation task's training data: sentence pairs of a split (built-in corpus or a TSV file), as token ids. */
import {
  loadTranslationPairs,
  loadTsvPairs,
  type Split,
  type TranslationPair,
  type TranslationPairName,
} from '../../data/index.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import { encodeWithMerges } from '../../tokenizer/encode.js';
import type { BpeModel } from '../../tokenizer/model.js';
import type { TokenPair } from './batches.js';

/** Translation pairs of one split (built-in corpus or a user TSV file). */
export async function translationPairs(config: RunConfig, split: Split): Promise<readonly TranslationPair[]> {
  if (config.dataFiles.length === 0)
    return loadTranslationPairs({ pair: config.corpus as TranslationPairName, split });
  return loadTsvPairs(config.dataFiles[0]!, { split });
}

export function encodePairs(model: BpeModel, pairs: readonly TranslationPair[]): TokenPair[] {
  return pairs.map((p) => ({
    source: Int32Array.from(encodeWithMerges(model, p.source)),
    target: Int32Array.from(encodeWithMerges(model, p.target)),
  }));
}
