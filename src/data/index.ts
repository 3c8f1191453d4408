/**
 * Offline corpora for training: English documents for MLM, English→French/Spanish pairs, labelled texts for
 * classification, user files, splits.
 */
export {
  CLASSIFICATION_CORPUS_NAMES,
  type ClassificationCorpusName,
  type ClassificationCorpusOptions,
  classificationCorpus,
} from './classification-corpora.js';
export { decodeHtmlEntities, normaliseText, stripGutenberg } from './clean-text.js';
export { readLabelledFile } from './labelled-file.js';
export {
  type BuiltInCorpus,
  CORPUS_LICENCES,
  type CorpusLicence,
  corpusLicences,
} from './licences.js';
export {
  documentsBySplit,
  loadMlmCorpus,
  MLM_CORPUS_NAMES,
  type MlmCorpusName,
  type MlmCorpusOptions,
} from './mlm-corpora.js';
export { loadMobyDick } from './moby-dick.js';
export { loadSotu } from './sotu.js';
export { loadSotuParty, passages, SOTU_PARTIES } from './sotu-party.js';
export { HEADER_CHOICES, type HeaderChoice, loadSpamAssassin, mailText, subjectOf } from './spam-assassin.js';
export {
  DEFAULT_SPLIT_FRACTIONS,
  groupBySplit,
  hashToUnit,
  resolveSplitFractions,
  SPLITS,
  type Split,
  type SplitFractions,
  selectSplit,
  splitOf,
} from './split.js';
export { DEFAULT_PARAGRAPHS_PER_DOCUMENT, loadTextFiles, type TextFilesOptions } from './text-files.js';
export {
  loadTranslationPairs,
  quranSplitKey,
  TRANSLATION_PAIR_NAMES,
  type TranslationCorpusOptions,
  type TranslationPairName,
} from './translation-corpora.js';
export { loadTsvPairs, parseTsvPairs, type TsvPairsOptions, tsvSplitKey } from './tsv-pairs.js';
export type { LabelledText, TextDocument, TranslationPair } from './types.js';
