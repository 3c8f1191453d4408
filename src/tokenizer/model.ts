/**
 * A trained byte-level BPE model as plain data: what the trainer returns, what tokenizer.json is written from,
 * and what the reference encoder reads.
 */

/** RoBERTa's special tokens in RoBERTa's order: ids 0–4. */
export const DEFAULT_SPECIAL_TOKENS: readonly string[] = Object.freeze([
  '<s>',
  '<pad>',
  '</s>',
  '<unk>',
  '<mask>',
]);

/** The jobs special tokens do; the tokenizer files name one token per role. */
export type SpecialRole = 'bos' | 'eos' | 'pad' | 'unk' | 'mask';

export const SPECIAL_ROLES: readonly SpecialRole[] = Object.freeze(['bos', 'eos', 'pad', 'unk', 'mask']);

/** RoBERTa's tokens for each role (`<s>` doubles as CLS and `</s>` as SEP). */
export const ROBERTA_ROLES: Readonly<Record<SpecialRole, string>> = Object.freeze({
  bos: '<s>',
  eos: '</s>',
  pad: '<pad>',
  unk: '<unk>',
  mask: '<mask>',
});

export interface BpeModel {
  /** Token of each id: special tokens, then the 256 byte symbols, then one token per new merge result. */
  readonly tokens: readonly string[];
  /** Token → id (the inverse of `tokens`). */
  readonly vocab: ReadonlyMap<string, number>;
  /** Merges in rank order (rank 0 is applied first); each joins two tokens into one that is in `tokens`. */
  readonly merges: readonly (readonly [string, string])[];
  /** The special tokens, also at the start of `tokens`. */
  readonly specialTokens: readonly string[];
}
