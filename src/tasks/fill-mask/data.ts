/** The fill-mask task's training data: text documents of a split (built-in corpus or user files), as token ids. */
import {
  documentsBySplit,
  loadMlmCorpus,
  loadTextFiles,
  type MlmCorpusName,
  type Split,
  type TextDocument,
} from '../../data/index.js';
import type { RunConfig } from '../../run-folder/run-config.js';
import { encodeWithMerges } from '../../tokenizer/encode.js';
import type { BpeModel } from '../../tokenizer/model.js';

/** Text documents of one split (built-in corpus or user files). */
export async function mlmDocuments(config: RunConfig, split: Split): Promise<readonly TextDocument[]> {
  if (config.dataFiles.length === 0) return loadMlmCorpus(config.corpus as MlmCorpusName, split);
  return documentsBySplit(await loadTextFiles(config.dataFiles))[split];
}

export function encodeDocuments(model: BpeModel, docs: readonly TextDocument[]): Int32Array[] {
  return docs.map((d) => Int32Array.from(encodeWithMerges(model, d.text)));
}
