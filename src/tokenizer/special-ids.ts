import { TlcError } from '../errors/index.js';
import type { BpeModel } from './model.js';

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

export function specialIdsOf(model: BpeModel): SpecialIds {
  const id = (token: string) => {
    const v = model.vocab.get(token);
    if (v === undefined) throw new TlcError('TOKENIZER_FAILED', `the tokenizer has no "${token}" token`);
    return v;
  };
  return {
    bos: id('<s>'),
    eos: id('</s>'),
    pad: id('<pad>'),
    mask: id('<mask>'),
    vocabSize: model.tokens.length,
    firstRegular: model.specialTokens.length,
  };
}
