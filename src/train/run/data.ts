/**
 * The data side of a run: corpus → splits → tokenizer (trained on the train split only, or loaded) → token ids.
 * The test split is never touched here; only `tlc eval` reads it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  documentsBySplit,
  loadMlmCorpus,
  loadTextFiles,
  loadTranslationPairs,
  loadTsvPairs,
  type MlmCorpusName,
  type Split,
  type TextDocument,
  type TranslationPair,
  type TranslationPairName,
} from '../../data/index.js';
import { TOKENIZER_FILE } from '../../run-folder/files.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import type { TokenPair } from '../../tasks/translation/batches.js';
import { encodeWithMerges } from '../../tokenizer/encode.js';
import type { BpeModel } from '../../tokenizer/model.js';
import { readTokenizerModel, writeTokenizerFiles } from '../../tokenizer/tokenizer-files.js';
import { trainBpe } from '../../tokenizer/train.js';

/** Text documents of one split (built-in corpus or user files). */
export async function mlmDocuments(config: RunConfig, split: Split): Promise<readonly TextDocument[]> {
  if (config.dataFiles.length === 0) return loadMlmCorpus(config.corpus as MlmCorpusName, split);
  return documentsBySplit(await loadTextFiles(config.dataFiles))[split];
}

/** Translation pairs of one split (built-in corpus or a user TSV file). */
export async function translationPairs(config: RunConfig, split: Split): Promise<readonly TranslationPair[]> {
  if (config.dataFiles.length === 0)
    return loadTranslationPairs({ pair: config.corpus as TranslationPairName, split });
  return loadTsvPairs(config.dataFiles[0]!, { split });
}

/** Loads the run's tokenizer from its folder, from --tokenizer, or trains one on the train split. */
export async function runTokenizer(config: RunConfig, log: (m: string) => void): Promise<BpeModel> {
  const saved = join(config.out, TOKENIZER_FILE);
  const source = existsSync(saved) ? saved : config.tokenizer;
  let model: BpeModel;
  if (source !== undefined) {
    model = await readTokenizerModel(source);
    log(`tokenizer: ${source} (${model.tokens.length} tokens)`);
  } else {
    const texts =
      config.task === 'mlm'
        ? (await mlmDocuments(config, 'train')).map((d) => d.text)
        : (await translationPairs(config, 'train')).flatMap((p) => [p.source, p.target]);
    const t0 = performance.now();
    model = trainBpe(texts, { vocabSize: config.vocabSize });
    log(
      `tokenizer: trained ${model.tokens.length} tokens on the train split in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  if (!existsSync(saved))
    await writeTokenizerFiles(config.out, model, { modelMaxLength: config.model.maxLength });
  return model;
}

export function encodeDocuments(model: BpeModel, docs: readonly TextDocument[]): Int32Array[] {
  return docs.map((d) => Int32Array.from(encodeWithMerges(model, d.text)));
}

export function encodePairs(model: BpeModel, pairs: readonly TranslationPair[]): TokenPair[] {
  return pairs.map((p) => ({
    source: Int32Array.from(encodeWithMerges(model, p.source)),
    target: Int32Array.from(encodeWithMerges(model, p.target)),
  }));
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
