/**
 * sacreBLEU's default BLEU tokenizer `13a`, the tokenization of WMT's mteval-v13a.pl
 * (sacrebleu/tokenizers/tokenizer_13a.py and tokenizer_re.py, unchanged from 2.0 to 2.6).
 * Apostrophes and hyphens between letters are kept inside words; periods and commas are split off unless
 * they sit between digits (`3.14`, `1,000` stay whole); a hyphen after a digit is split off.
 */
import { splitWhitespace } from './python-text.js';

/**
 * The punctuation regexes, applied in order, each over the whole line as Python's `re.sub` does.
 * The first class is upstream's `[\{-\~\[-\` -\&\(-\+\:-\@\/]` written with code points, because the `u` flag
 * (needed so `[^0-9]` takes a whole astral character, as Python does) rejects escapes such as `\~`:
 * U+0020–U+0026 ` !"#$%&`, U+0028–U+002B `()*+`, U+002F `/`, U+003A–U+0040 `:;<=>?@`,
 * U+005B–U+0060 `[\]^_\``, U+007B–U+007E `{|}~`. Not in it: `'` `,` `-` `.`, digits and letters.
 */
const PUNCTUATION_RULES: readonly (readonly [RegExp, string])[] = [
  [/([\x20-\x26\x28-\x2b\x2f\x3a-\x40\x5b-\x60\x7b-\x7e])/gu, ' $1 '],
  // period and comma, unless preceded by a digit
  [/([^0-9])([.,])/gu, '$1 $2 '],
  // period and comma, unless followed by a digit
  [/([.,])([^0-9])/gu, ' $1 $2'],
  // dash, when preceded by a digit
  [/([0-9])(-)/gu, '$1 $2 '],
];

/** mteval-v13a tokenization of one segment; tokens come back joined by single spaces. */
export function tokenize13a(line: string): string {
  let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (text.includes('&')) {
    // Same order as upstream, so a double escape unescapes fully: `&amp;lt;` → `&lt;` → `<`.
    text = text
      .replaceAll('&quot;', '"')
      .replaceAll('&amp;', '&')
      .replaceAll('&lt;', '<')
      .replaceAll('&gt;', '>');
  }
  // Upstream pads with spaces so the rules see a boundary at both ends; the final split drops them.
  text = ` ${text} `;
  for (const [pattern, replacement] of PUNCTUATION_RULES) text = text.replace(pattern, replacement);
  return splitWhitespace(text).join(' ');
}
