/**
 * The 13a tokenizer against sacreBLEU's rules (sacrebleu/tokenizers/tokenizer_13a.py, tokenizer_re.py).
 * Each expected output is derived by hand from those rules, and was also checked against sacreBLEU 2.6.0's
 * `Tokenizer13a` (as were 20,000 random strings over punctuation, digits, entities, newlines and non-ASCII
 * whitespace, with no difference; that check is not part of this hermetic suite).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  codePoints,
  formatFixed,
  removeWhitespace,
  rstripWhitespace,
  splitWhitespace,
} from '../../src/eval/metrics/python-text.js';
import { tokenize13a } from '../../src/eval/metrics/tokenize-13a.js';
import { bleuTokenizer } from '../../src/eval/metrics/tokenizers.js';

describe('tokenize13a', () => {
  const cases: readonly [string, string, string][] = [
    ['punctuation', 'Hello, world!', 'Hello , world !'],
    [
      'decimal and thousands separators stay inside numbers',
      'It costs $3.14, or 1,000 yen.',
      'It costs $ 3.14 , or 1,000 yen .',
    ],
    ['a final period after a number', 'pi is 3.14.', 'pi is 3.14 .'],
    [
      'a dash after a digit splits, a hyphen between letters does not',
      'The 1990-2000 era, well-known.',
      'The 1990 - 2000 era , well-known .',
    ],
    ['abbreviations split at every period', 'e.g. U.S.A.', 'e . g . U . S . A .'],
    // The line is padded with spaces, so a leading period has a non-digit before it.
    ['a leading decimal point splits', '.5 and 5. and 5.5', '. 5 and 5 . and 5.5'],
    ['comma between letters', 'a,b', 'a , b'],
    ['comma after a digit, before a letter', '1,b', '1 , b'],
    ['comma after a letter, before a digit', 'a,1', 'a , 1'],
    [
      'HTML entities are unescaped, then split',
      'x &quot;quoted&quot; &amp; &lt;tag&gt;',
      'x " quoted " & < tag >',
    ],
    ['&amp; is unescaped before &lt;, so a double escape unescapes fully', '&amp;lt;', '<'],
    ['<skipped> is removed', 'a <skipped> b', 'a b'],
    [
      'a hyphen at a line break joins, other newlines are spaces',
      'hyphen-\nated line\nbreak',
      'hyphenated line break',
    ],
    [
      'brackets, colon, slash, at, hash, percent, tilde; the apostrophe stays',
      "It wasn't (really) [so] {bad}: a/b @home #1 100% ~ok",
      "It wasn't ( really ) [ so ] { bad } : a / b @ home # 1 100 % ~ ok",
    ],
    ['whitespace collapses and is stripped', '  many   spaces\t\there  ', 'many spaces here'],
    [
      'non-ASCII punctuation is not split; an emoji is one character',
      'Ünïcödé — “quotes” 😀!',
      'Ünïcödé — “quotes” 😀 !',
    ],
    ['empty', '', ''],
  ];
  for (const [what, input, expected] of cases) {
    it(what, () => assert.equal(tokenize13a(input), expected));
  }

  it('splits on Python whitespace: U+0085 and U+001C separate tokens, U+FEFF does not', () => {
    assert.equal(tokenize13a('a\u0085b\u001cc\ufeffd'), 'a b c\ufeffd');
  });
});

describe('BLEU tokenizer table', () => {
  it('has 13a and none, and names the known ones for anything else', () => {
    assert.equal(bleuTokenizer('13a')('a,b'), 'a , b');
    assert.equal(bleuTokenizer('none')('a,b'), 'a,b');
    assert.throws(() => bleuTokenizer('intl'), {
      name: 'RangeError',
      message: "Unknown BLEU tokenizer 'intl' (known: 13a, none)",
    });
  });
});

describe('Python string behaviour', () => {
  it('split/rstrip/join use str.isspace(), not JavaScript \\s', () => {
    assert.deepEqual(splitWhitespace(' a\u3000b\x1fc\u00a0d\ufeff '), ['a', 'b', 'c', 'd\ufeff']);
    assert.equal(rstripWhitespace('a b \u0085\t'), 'a b');
    assert.equal(removeWhitespace(' a b\u2028c '), 'abc');
  });

  it('indexes by code point', () => {
    assert.deepEqual(codePoints('a😀b'), ['a', '😀', 'b']);
  });

  it("formats like Python's '.Nf': exact ties round to even, everything else as toFixed", () => {
    assert.equal(formatFixed(31.25, 1), '31.2'); // toFixed gives 31.3
    assert.equal(formatFixed(18.75, 1), '18.8');
    assert.equal(formatFixed(0.125, 2), '0.12');
    assert.equal(formatFixed(2.5, 0), '2');
    assert.equal(formatFixed(3.5, 0), '4');
    assert.equal(formatFixed(0.1 + 0.2, 2), '0.30');
    assert.equal(formatFixed(48.530827009929865, 2), '48.53');
    assert.equal(formatFixed(0.94287, 3), '0.943');
  });
});
