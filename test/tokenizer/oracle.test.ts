/**
 * TLC's encoder against @huggingface/tokenizers loading TLC's tokenizer.json: identical ids on every paragraph of
 * Moby-Dick (2,700+ lines: the first half was training text, the second half was not), at a small vocabulary
 * (words split into many merges) and a large one.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TlcError } from '../../src/errors/index.js';
import {
  bpeModelFromTokenizerJson,
  encodeWithMerges,
  MergeEncoder,
  Tokenizer,
  toTokenizerJson,
} from '../../src/tokenizer/index.js';
import { mobyDickLines } from './corpus.js';
import { MULTILINGUAL, mobyModel } from './trained.js';

const LINES = mobyDickLines(0, 5000);

describe('TLC encoder = @huggingface/tokenizers', () => {
  it('reads a few thousand lines', () => {
    assert.ok(LINES.length > 2500, `${LINES.length} lines`);
  });

  for (const vocabSize of [600, 8000]) {
    it(`gives identical ids on every line (vocabulary ${vocabSize})`, () => {
      const model = mobyModel(vocabSize);
      const hf = Tokenizer.fromModel(model);
      let tokens = 0;
      for (const [i, line] of LINES.entries()) {
        const ours = encodeWithMerges(model, line);
        const theirs = hf.encode(line, { addSpecialTokens: false });
        if (ours.length !== theirs.length || ours.some((id, k) => id !== theirs[k]))
          assert.deepEqual(ours, theirs, `line ${i}: ${line.slice(0, 80)}`);
        tokens += ours.length;
      }
      assert.ok(tokens > LINES.length * 10);
    });
  }

  it('agrees on multilingual text, special tokens inside text and long pieces', () => {
    const model = mobyModel(2000);
    const hf = Tokenizer.fromModel(model);
    const texts = [
      ...MULTILINGUAL,
      'Hello <mask> world',
      'Hello   <mask>   world',
      '<s>inside</s><pad> <unk>x<mask>',
      '<mask><mask> <mask>',
      'not special: < s > <S> <mask <mask',
      `${'='.repeat(3000)} ${'ab'.repeat(2000)} ${'the'.repeat(1000)}`,
      ' '.repeat(50) + 'x' + '\n'.repeat(20),
    ];
    for (const text of texts)
      assert.deepEqual(
        encodeWithMerges(model, text),
        hf.encode(text, { addSpecialTokens: false }),
        text.slice(0, 40),
      );
  });

  it('reads its tokenizer.json back into the same encoder', () => {
    const model = mobyModel(2000);
    const back = bpeModelFromTokenizerJson(JSON.parse(JSON.stringify(toTokenizerJson(model))));
    assert.deepEqual(back.tokens, model.tokens);
    assert.deepEqual(back.merges, model.merges);
    assert.deepEqual(back.specialTokens, model.specialTokens);
    const encoder = new MergeEncoder(back);
    for (const line of LINES.slice(0, 200))
      assert.deepEqual(encoder.encode(line), encodeWithMerges(model, line));
  });
});

describe('bpeModelFromTokenizerJson', () => {
  const json = toTokenizerJson(mobyModel(600));
  const refuses = (change: (j: Record<string, unknown>) => void, pattern: RegExp) => {
    const copy = JSON.parse(JSON.stringify(json)) as Record<string, unknown>;
    change(copy);
    assert.throws(
      () => bpeModelFromTokenizerJson(copy),
      (e: unknown) => e instanceof TlcError && e.code === 'TOKENIZER_FAILED' && pattern.test(e.message),
    );
  };

  it('refuses tokenizers the encoder would get wrong', () => {
    refuses((j) => {
      j.normalizer = { type: 'NFC' };
    }, /normalizer/);
    refuses((j) => {
      j.pre_tokenizer = { type: 'Whitespace' };
    }, /pre_tokenizer/);
    refuses((j) => {
      (j.model as Record<string, unknown>).type = 'WordPiece';
    }, /BPE/);
    refuses((j) => {
      (j.added_tokens as Record<string, unknown>[])[0]!.rstrip = true;
    }, /flags/);
    refuses((j) => {
      (j.model as { vocab: Record<string, number> }).vocab.extra = 100_000;
    }, /missing/);
    refuses((j) => {
      (j.model as { merges: unknown[] }).merges.push('nospace');
    }, /merges\[/);
  });

  it('reads merges written as pairs, the format of HF tokenizers ≥ 0.20', () => {
    const copy = JSON.parse(JSON.stringify(json)) as { model: { merges: unknown[] } };
    copy.model.merges = copy.model.merges.map((m) => String(m).split(' '));
    assert.deepEqual(bpeModelFromTokenizerJson(copy).merges, mobyModel(600).merges);
  });
});
