/**
 * Cutting special tokens out of text before pre-tokenization, as HF's added-token handling does: at each
 * position the longest special token that starts there wins, and a token marked `lstrip` (RoBERTa's `<mask>`)
 * takes the whitespace on its left with it, so "Hello <mask>" is "Hello" + "<mask>".
 */
import { TlcError } from '../errors/index.js';
import { type BpeModel, ROBERTA_ROLES } from './model.js';

export interface SpecialToken {
  readonly content: string;
  readonly id: number;
  readonly lstrip: boolean;
  readonly rstrip: boolean;
}

export type Section = { readonly text: string } | { readonly special: SpecialToken };

function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

/** Splits text on a fixed set of special tokens; with none, the text is one section. */
export class SpecialSplitter {
  private readonly pattern: RegExp | undefined;
  private readonly byContent: ReadonlyMap<string, SpecialToken>;

  constructor(tokens: readonly SpecialToken[]) {
    this.byContent = new Map(tokens.map((t) => [t.content, t]));
    // Longest first, so that the alternation prefers the longest token starting at a position.
    const sources = [...this.byContent.keys()].sort((x, y) => y.length - x.length).map(escapeRegExp);
    this.pattern = sources.length > 0 ? new RegExp(sources.join('|'), 'g') : undefined;
  }

  split(text: string): Section[] {
    if (this.pattern === undefined) return text.length > 0 ? [{ text }] : [];
    const sections: Section[] = [];
    let rest = 0;
    let pendingRstrip = false;
    for (const match of text.matchAll(this.pattern)) {
      const special = this.byContent.get(match[0])!;
      let before = text.slice(rest, match.index);
      if (pendingRstrip) before = before.trimStart();
      if (special.lstrip) before = before.trimEnd();
      if (before.length > 0) sections.push({ text: before });
      sections.push({ special });
      rest = match.index + match[0].length;
      pendingRstrip = special.rstrip;
    }
    let tail = text.slice(rest);
    if (pendingRstrip) tail = tail.trimStart();
    if (tail.length > 0) sections.push({ text: tail });
    return sections;
  }
}

/**
 * A model's special tokens with RoBERTa's flags: the mask token strips whitespace on its left (so "a <mask>"
 * predicts " word" tokens), the others strip nothing.
 */
export function specialTokensOf(
  model: Pick<BpeModel, 'vocab' | 'specialTokens'>,
  maskToken: string = ROBERTA_ROLES.mask,
): SpecialToken[] {
  return model.specialTokens.map((content) => {
    const id = model.vocab.get(content);
    if (id === undefined)
      throw new TlcError('TOKENIZER_FAILED', `special token '${content}' is not in the vocabulary`);
    return { content, id, lstrip: content === maskToken, rstrip: false };
  });
}
