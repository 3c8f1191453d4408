/** Token ids the batchers need from a tokenizer. */
export interface SpecialIds {
  readonly bos: number;
  readonly eos: number;
  readonly pad: number;
  readonly mask: number;
  readonly vocabSize: number;
  /** Ids below this are special tokens (never chosen as random replacements, never masked). */
  readonly firstRegular: number;
}
