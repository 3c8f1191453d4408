import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { filledSequences } from '../../src/tasks/fill-mask/filled-sequence.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { trainBpe } from '../../src/tokenizer/train.js';

const TEXTS = [
  'The people of the United States have the right to vote.',
  'Le café est très bon, déjà prêt à servir.',
  'Ruhe 🌊 und Wasser — 海 and 鯨 in the sea.',
  'Call me Ishmael. Some years ago, never mind how long precisely.',
];

describe('fill-mask sequences', () => {
  it('splices every candidate exactly as a full decode would, for every id of the vocabulary', () => {
    const tokenizer = Tokenizer.fromModel(trainBpe(TEXTS, { vocabSize: 400 }));
    const mask = tokenizer.specialIds.mask!;
    const every = Array.from({ length: tokenizer.vocabSize }, (_, id) => id);
    for (const text of TEXTS) {
      const ids = Int32Array.from(tokenizer.encode(text));
      // Masks at the start, in the middle (inside multi-byte characters for the non-ASCII texts) and at the end.
      for (const position of [1, Math.floor(ids.length / 2), ids.length - 2]) {
        const masked = Int32Array.from(ids);
        masked[position] = mask;
        const got = filledSequences(tokenizer, masked, position, every);
        every.forEach((id, i) => {
          const filled = Int32Array.from(masked);
          filled[position] = id;
          assert.equal(
            got[i],
            tokenizer.decode(filled, { skipSpecialTokens: true }),
            `${text} @${position} id ${id}`,
          );
        });
      }
    }
  });

  it('decodes the whole sequence once per mask, not once per candidate, for ordinary words', () => {
    const tokenizer = Tokenizer.fromModel(trainBpe(TEXTS, { vocabSize: 400 }));
    const ids = Int32Array.from(tokenizer.encode('The people of the United States have the right to vote.'));
    const original = ids[6]!;
    ids[6] = tokenizer.specialIds.mask!;
    // Tokens of the sentence itself: whole words or pieces of ASCII words.
    const candidates = [original, ...Array.from(ids.subarray(1, 5))];
    let whole = 0;
    const decode = tokenizer.decode.bind(tokenizer);
    tokenizer.decode = (list, options) => {
      if (list.length === ids.length) whole += 1;
      return decode(list, options);
    };
    const got = filledSequences(tokenizer, ids, 6, candidates);
    assert.equal(whole, 1);
    assert.equal(got[0], 'The people of the United States have the right to vote.');
  });
});
