/**
 * The data side of a run: corpus → splits → tokenizer (trained on the train split only, or loaded) → token ids.
 * The test split is never touched here; only `tlc eval` reads it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { TOKENIZER_FILE } from '../../run-folder/files.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import { taskForRun } from '../../tasks/index.js';
import type { BpeModel } from '../../tokenizer/model.js';
import { readTokenizerModel, writeTokenizerFiles } from '../../tokenizer/tokenizer-files.js';
import { trainBpe } from '../../tokenizer/train.js';
import { initTokenizer } from './init.js';

/** Loads the run's tokenizer from its folder, from --tokenizer or --init's run, or trains one on the train split. */
export async function runTokenizer(config: RunConfig, log: (m: string) => void): Promise<BpeModel> {
  const saved = join(config.out, TOKENIZER_FILE);
  const source = existsSync(saved)
    ? saved
    : (config.tokenizer ?? (config.init === undefined ? undefined : initTokenizer(config.init)));
  let model: BpeModel;
  if (source !== undefined) {
    model = await readTokenizerModel(source);
    log(`tokenizer: ${source} (${model.tokens.length} tokens)`);
  } else {
    const texts = await taskForRun(config.task).training.tokenizerTexts(config);
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
