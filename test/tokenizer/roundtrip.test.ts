/** decode(encode(text)) === text through @huggingface/tokenizers loading TLC's tokenizer.json. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  encodeWithMerges,
  Tokenizer,
  toTokenizerConfig,
  toTokenizerJson,
} from '../../src/tokenizer/index.js';
import { mobyModel } from './trained.js';

const TEXTS: readonly [string, string][] = [
  ['English', 'Call me Ishmael. Some years ago—never mind how long precisely—I thought I would sail about.'],
  ['English clean-up bait', "Don't , stop . It 's here ! Is it ? I 'm sure n't they 've gone 're"],
  [
    'French',
    "L'élève a déjà mangé à l'hôtel ; où est-il ? « Ça va très bien », dit-elle. Œuvre, cœur, naïve.",
  ],
  ['Arabic', 'مرحبا بالعالم. هذه جملة عربية مع أرقام ١٢٣ وعلامات ترقيم؟'],
  ['Chinese', '我们在学习中文，今天天气很好。北京欢迎你！'],
  ['Japanese and Korean', 'こんにちは世界、カタカナ。안녕하세요 세계'],
  ['emoji', '🙂 👍🏽 👨‍👩‍👧‍👦 🇫🇷🇯🇵 ❤️ 🏳️‍🌈 a🙂b 😀😀😀'],
  ['tabs and newlines', 'a\tb\t\tc\nd\n\ne\r\nf\rg\u000bh\u000ci'],
  ['runs of spaces', 'one  two   three    four     five'],
  ['leading and trailing whitespace', '   leading and trailing   \n\t '],
  ['only whitespace', ' \t\n  \n'],
  ['unicode spaces', 'no\u00a0break\u2003em\u3000ideographic\u2028line\u2029para\u0085nel'],
  ['combining marks', 'e\u0301 a\u0308 n\u0303 — decomposed; é ä ñ — composed'],
  ['digits and symbols', '3.14159 1,000,000 $12.50 50% #tag @user x^2 a_b <tag> {json: [1, 2]} \\path'],
  ['contractions', "it's they're we've I'm you'll he'd 'tis o'clock rock'n'roll"],
  ['control and rare', '\u0000\u0001\u007f\u00ad\u200b\u200d\ufeff\ufffd\u{10ffff}'],
  ['one character', 'x'],
  ['empty', ''],
];

describe('round trip through @huggingface/tokenizers', () => {
  const model = mobyModel(2000);
  const tokenizer = Tokenizer.fromModel(model);

  for (const [name, text] of TEXTS) {
    it(`${name}: decode(encode(text)) is text`, () => {
      const ids = tokenizer.encode(text, { addSpecialTokens: false });
      assert.equal(tokenizer.decode(ids), text);
      const withSpecials = tokenizer.encode(text);
      assert.deepEqual(withSpecials, [0, ...ids, 2]);
      assert.equal(tokenizer.decode(withSpecials, { skipSpecialTokens: true }), text);
      assert.equal(tokenizer.decode(withSpecials), `<s>${text}</s>`);
    });
  }

  it('gives the same ids as TLC’s encoder for every text', () => {
    for (const [name, text] of TEXTS)
      assert.deepEqual(
        encodeWithMerges(model, text),
        tokenizer.encode(text, { addSpecialTokens: false }),
        name,
      );
  });

  it('round-trips through JSON text, as the files are read back', () => {
    const reloaded = Tokenizer.fromJson(
      JSON.parse(JSON.stringify(toTokenizerJson(model))),
      JSON.parse(JSON.stringify(toTokenizerConfig(model))),
    );
    for (const [, text] of TEXTS) {
      const ids = reloaded.encode(text, { addSpecialTokens: false });
      assert.deepEqual(ids, tokenizer.encode(text, { addSpecialTokens: false }));
      assert.equal(reloaded.decode(ids), text);
    }
  });

  it('a lone surrogate is encoded as U+FFFD, as TextEncoder does (the one text that cannot round-trip)', () => {
    const ids = tokenizer.encode('a\ud800b', { addSpecialTokens: false });
    assert.equal(tokenizer.decode(ids), 'a\ufffdb');
  });
});
