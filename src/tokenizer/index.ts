/** Byte-level BPE: training, HF tokenizer files, TLC's reference encoder and the run-time tokenizer. */
export { BYTE_ALPHABET, BYTE_TO_CHAR, fromByteLevel, toByteLevel } from './byte-level.js';
export { type CountProgress, countWords } from './count-words.js';
export { encodeWithMerges, MergeEncoder } from './encode.js';
export {
  type BpeModel,
  DEFAULT_SPECIAL_TOKENS,
  ROBERTA_ROLES,
  SPECIAL_ROLES,
  type SpecialRole,
} from './model.js';
export { GPT2_SPLIT_SOURCE, preTokenize } from './pre-tokenize.js';
export { type Section, SpecialSplitter, type SpecialToken, specialTokensOf } from './special-split.js';
export { type DecodeOptions, type EncodeOptions, Tokenizer } from './tokenizer.js';
export { readTokenizerModel, writeTokenizerFiles } from './tokenizer-files.js';
export {
  type AddedTokenJson,
  type BpeModelJson,
  type ByteLevelJson,
  bpeModelFromTokenizerJson,
  type RobertaProcessingJson,
  stringifyTokenizerJson,
  type TokenizerConfigJson,
  type TokenizerConfigOptions,
  type TokenizerFilesOptions,
  type TokenizerJson,
  toTokenizerConfig,
  toTokenizerJson,
} from './tokenizer-json.js';
export {
  type MergeProgress,
  type TrainBpeOptions,
  type TrainProgress,
  trainBpe,
  trainBpeFromCounts,
} from './train.js';
