/** The BLEU tokenizers TLC implements, by sacreBLEU's names (`--tokenize`). */
import { tokenize13a } from './tokenize-13a.js';

export type Tokenizer = (line: string) => string;

export const BLEU_TOKENIZERS = {
  '13a': tokenize13a,
  // sacreBLEU's `none`: the segment as given (BLEU still strips trailing whitespace before it).
  none: (line: string): string => line,
} as const satisfies Record<string, Tokenizer>;

export type BleuTokenizerName = keyof typeof BLEU_TOKENIZERS;

/** The tokenizer called `name`; throws a RangeError naming the known ones for anything else. */
export function bleuTokenizer(name: string): Tokenizer {
  if (!Object.hasOwn(BLEU_TOKENIZERS, name)) {
    const known = Object.keys(BLEU_TOKENIZERS).join(', ');
    throw new RangeError(`Unknown BLEU tokenizer '${name}' (known: ${known})`);
  }
  return BLEU_TOKENIZERS[name as BleuTokenizerName];
}
