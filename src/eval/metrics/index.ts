/** Evaluation metrics: sacreBLEU-compatible BLEU and chrF(++), the 13a tokenizer, masked-LM accuracy/perplexity. */
export {
  BLEU_SMOOTH_DEFAULTS,
  type BleuOptions,
  type BleuResult,
  type BleuScore,
  type BleuSmoothMethod,
  type BleuStatistics,
  bleuSignature,
  bleuStatistics,
  computeBleu,
  corpusBleu,
  formatBleu,
  sentenceBleu,
} from './bleu.js';
export {
  type ChrfOptions,
  type ChrfResult,
  type ChrfScore,
  chrfSignature,
  chrfStatistics,
  computeChrf,
  corpusChrf,
  formatChrf,
  sentenceChrf,
} from './chrf.js';
export {
  type AccuracyResult,
  argmaxRows,
  type MlmBatch,
  type MlmEvaluation,
  MlmMetricsAccumulator,
  maskedAccuracy,
  perplexity,
  type TokenIds,
  tokenNll,
} from './mlm.js';
export { type ReferenceStreams, type SegmentReferences, segmentReferences } from './references.js';
export { SIGNATURE_VERSION } from './signature.js';
export { tokenize13a } from './tokenize-13a.js';
export { BLEU_TOKENIZERS, type BleuTokenizerName, bleuTokenizer, type Tokenizer } from './tokenizers.js';
